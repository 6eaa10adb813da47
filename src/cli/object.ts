/**
 * `tsbpf object show OBJ [--json]`: what a `.bpf.o` holds, read from its ELF structure:
 * sections, programs (functions in executable sections), maps (symbols in `.maps` or the
 * legacy `maps` section) and relocations.
 * @module
 */
import { parseArgs } from 'node:util';
import {
  bpfRelocationNames,
  parseElf,
  SHF_EXECINSTR,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_SECTION,
  sectionTypeNames,
  type ElfFile,
} from '../elf/index.js';
import { ParseError } from '../errors.js';
import { parseObject, type ObjectSpec, type Reference } from '../object/index.js';
import { attachTypeName, mapTypeName, progTypeName } from '../uapi/bpf.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputFile } from './files.js';

/** Size of one BPF instruction slot (`struct bpf_insn`). */
const INSN_SIZE = 8;

export interface ObjectSummary {
  file: string;
  endian: 'little' | 'big';
  sections: { index: number; name: string; type: string; size: number; flags: string }[];
  programs: { section: string; name: string; offset: number; insns: number; kind: 'program' | 'subprog'; bind: string }[];
  maps: { section: string; name: string; offset: number; size: number }[];
  relocations: { section: string; entries: { offset: number; insn?: number; type: string; symbol: string }[] }[];
  /** The object model's view (`parseObject`), or why it could not be built. */
  spec?: SpecSummary | { error: string };
}

/** What `parseObject` makes of the object: typed programs, maps, references. */
export interface SpecSummary {
  name: string;
  programs: {
    name: string;
    section: string;
    type: string;
    expectedAttachType: string | undefined;
    attachTarget: string | undefined;
    insns: number;
    functions: string[];
    references: string[];
  }[];
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; section: string }[];
  externs: { name: string; kind: string; weak: boolean }[];
}

function describeReference(r: Reference): string {
  switch (r.kind) {
    case 'map':
      return `map ${r.map}`;
    case 'data':
      return `data ${r.map}+${r.offset}`;
    case 'call':
      return `call ${r.func}`;
    case 'func':
      return `func ${r.func}`;
    case 'kfunc':
      return `kfunc ${r.name}${r.weak ? ' (weak)' : ''}`;
    case 'ksym':
      return `ksym ${r.name}${r.weak ? ' (weak)' : ''}`;
  }
}

/** Summarises an {@link ObjectSpec} for `object show`. */
export function summarizeSpec(spec: ObjectSpec): SpecSummary {
  return {
    name: spec.name,
    programs: [...spec.programs.values()].map((p) => ({
      name: p.name,
      section: p.section,
      type: progTypeName[p.type] ?? `unspec (no section convention matches '${p.section}')`,
      expectedAttachType: p.expectedAttachType ? (attachTypeName[p.expectedAttachType] ?? String(p.expectedAttachType)) : undefined,
      attachTarget: p.attachTarget,
      insns: p.instructions.length,
      functions: p.instructions.flatMap((i) => (i.func ? [i.func] : [])),
      references: [...new Set(p.instructions.flatMap((i) => (i.reference ? [describeReference(i.reference)] : [])))],
    })),
    maps: [...spec.maps.values()].map((m) => ({
      name: m.name,
      type: mapTypeName[m.type] ?? String(m.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      section: m.section,
    })),
    externs: spec.externs.map((e) => ({ name: e.name, kind: e.kind, weak: e.weak })),
  };
}

const bindNames: Record<number, string> = { [STB_LOCAL]: 'local', [STB_GLOBAL]: 'global', [STB_WEAK]: 'weak' };

/** Summarises an ELF BPF object (pure: no kernel involved). */
export function summarizeObject(elf: ElfFile, file: string): ObjectSummary {
  const sections = elf.sections.slice(1).map((s) => ({
    index: s.index,
    name: s.name,
    type: sectionTypeNames[s.type] ?? `0x${s.type.toString(16)}`,
    size: s.size,
    flags: sectionFlags(s.flags),
  }));
  const programs: ObjectSummary['programs'] = [];
  const maps: ObjectSummary['maps'] = [];
  for (const sym of elf.symbols) {
    const section = elf.sections[sym.sectionIndex];
    if (!section || sym.sectionIndex === 0 || sym.type === STT_SECTION) continue;
    if (sym.type === STT_FUNC && (section.flags & SHF_EXECINSTR) !== 0n) {
      programs.push({
        section: section.name,
        name: sym.name,
        offset: Number(sym.value),
        insns: Number(sym.size) / INSN_SIZE,
        // Functions in .text are subprograms, called from programs; every other
        // executable section holds programs (libbpf's rule in bpf_object__add_programs).
        kind: section.name === '.text' ? 'subprog' : 'program',
        bind: bindNames[sym.bind] ?? String(sym.bind),
      });
    } else if (section.name === '.maps' || section.name === 'maps') {
      maps.push({ section: section.name, name: sym.name, offset: Number(sym.value), size: Number(sym.size) });
    }
  }
  programs.sort((a, b) => a.section.localeCompare(b.section) || a.offset - b.offset);
  maps.sort((a, b) => a.offset - b.offset);

  const relocations = elf.relocationTables.map((t) => {
    const target = elf.sections[t.targetIndex]!;
    const code = (target.flags & SHF_EXECINSTR) !== 0n;
    return {
      section: target.name,
      entries: t.entries.map((r) => {
        const sym = elf.symbols[r.symbolIndex]!;
        const symbol = sym.type === STT_SECTION ? (elf.sections[sym.sectionIndex]?.name ?? '?') : sym.name;
        return {
          offset: r.offset,
          ...(code ? { insn: r.offset / INSN_SIZE } : {}),
          type: bpfRelocationNames[r.type] ?? `type ${r.type}`,
          symbol,
        };
      }),
    };
  });
  let spec: ObjectSummary['spec'];
  try {
    spec = summarizeSpec(parseObject(elf.bytes, { fileName: file }));
  } catch (e) {
    // The ELF view stays useful when the object model cannot be built: show both.
    if (!(e instanceof ParseError)) throw e;
    spec = { error: e.message };
  }
  return { file, endian: elf.littleEndian ? 'little' : 'big', sections, programs, maps, relocations, spec };
}

function sectionFlags(flags: bigint): string {
  let s = '';
  if (flags & 0x1n) s += 'W';
  if (flags & 0x2n) s += 'A';
  if (flags & 0x4n) s += 'X';
  if (flags & 0x10n) s += 'M';
  if (flags & 0x20n) s += 'S';
  return s;
}

/** The text layout of `object show`. */
export function formatObjectSummary(o: ObjectSummary): string {
  const out: string[] = [];
  out.push(`${o.file}: ELF64 BPF relocatable object, ${o.endian}-endian, ${o.sections.length} sections`);
  out.push('', 'sections:');
  const w = Math.max(4, ...o.sections.map((s) => s.name.length));
  for (const s of o.sections) {
    out.push(`  [${String(s.index).padStart(2)}] ${s.name.padEnd(w)}  ${s.type.padEnd(12)} ${s.flags.padEnd(3)} size ${s.size}`);
  }
  out.push('', 'programs:');
  if (o.programs.length === 0) out.push('  (none)');
  const pw = Math.max(4, ...o.programs.map((p) => p.section.length));
  for (const p of o.programs) {
    out.push(
      `  ${p.section.padEnd(pw)}  ${p.name}  insns ${p.insns}  offset ${p.offset}${p.kind === 'subprog' ? `  (subprog, ${p.bind})` : ''}`,
    );
  }
  out.push('', 'maps:');
  if (o.maps.length === 0) out.push('  (none)');
  for (const m of o.maps) out.push(`  ${m.name}  section ${m.section}  offset ${m.offset}  size ${m.size}`);
  out.push('', 'relocations:');
  if (o.relocations.length === 0) out.push('  (none)');
  for (const t of o.relocations) {
    out.push(`  ${t.section}: ${t.entries.length} entries`);
    // Debug info and BTF relocations only fix up offsets between metadata sections; the
    // text layout lists their count (--json has every entry).
    if (/^\.(debug_|BTF)/.test(t.section)) continue;
    for (const e of t.entries) {
      const at = e.insn !== undefined ? `insn ${e.insn}` : `offset ${e.offset}`;
      out.push(`    ${at.padEnd(10)} ${e.type.padEnd(18)} ${e.symbol}`);
    }
  }
  if (o.spec) out.push('', ...formatSpec(o.spec));
  return out.join('\n');
}

function formatSpec(spec: SpecSummary | { error: string }): string[] {
  if ('error' in spec) return ['object model: cannot be built:', `  ${spec.error}`];
  const out = [`object '${spec.name}':`];
  for (const p of spec.programs) {
    const attach = [p.expectedAttachType && `attach ${p.expectedAttachType}`, p.attachTarget && `target ${p.attachTarget}`].filter(Boolean).join('  ');
    out.push(`  prog ${p.name}: ${p.type}${attach ? '  ' + attach : ''}  insns ${p.insns}`);
    if (p.functions.length > 1) out.push(`    subprograms: ${p.functions.slice(1).join(', ')}`);
    if (p.references.length) out.push(`    references: ${p.references.join(', ')}`);
  }
  for (const m of spec.maps) {
    out.push(`  map ${m.name}: ${m.type}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}${m.flags ? `  flags 0x${m.flags.toString(16)}` : ''}`);
  }
  for (const e of spec.externs) out.push(`  extern ${e.name}: ${e.kind}${e.weak ? ' (weak)' : ''}`);
  return out;
}

export const objectCommands: CliCommand[] = [
  {
    path: ['object', 'show'],
    summary: 'List the sections, programs, maps and relocations of a BPF object file',
    usage: 'OBJ [--json]',
    async run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { json: { type: 'boolean', short: 'j' } },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError('expected exactly one object file');
      const path = positionals[0]!;
      const summary = summarizeObject(parseElf(readInputFile(path)), path);
      io.out(values.json ? JSON.stringify(summary) : formatObjectSummary(summary));
      return 0;
    },
  },
];
