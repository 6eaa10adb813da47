/**
 * `tsbpf object core OBJ [--btf PATH] [--json]`: what CO-RE would do to each instruction of
 * an object, against the running kernel's BTF (`/sys/kernel/btf/vmlinux` and its modules) or
 * the BTF in PATH (raw BTF such as a BTFHub file, or an ELF object with a `.BTF` section).
 * Prints, per relocation: program, instruction, kind, local type and access path, chosen
 * target candidate and its access path, old -> new value, or why it is poisoned.
 * @module
 */
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { btfFromElf, KERNEL_BTF_DIR, parseBtf, readKernelBtf, readModuleBtf, type Btf } from '../btf/index.js';
import { computeFixups, formatSourceLine, type CoreFixup, type CoreTarget } from '../core/index.js';
import { parseElf } from '../elf/index.js';
import { TsbpfError } from '../errors.js';
import { objectNameFromPath, parseObject } from '../object/index.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputFile } from './files.js';

/** The target BTF: a file (raw BTF or an ELF object's `.BTF`), or the running kernel's. */
function readTarget(path: string | undefined): CoreTarget {
  if (path === undefined) {
    let vmlinux: Btf;
    try {
      vmlinux = readKernelBtf();
    } catch (e) {
      if (e instanceof TsbpfError) throw e;
      throw new TsbpfError(`cannot read the kernel's BTF (${KERNEL_BTF_DIR}/vmlinux): ${(e as Error).message}; pass --btf PATH`, { cause: e });
    }
    const modules = readdirSync(KERNEL_BTF_DIR)
      .filter((m) => m !== 'vmlinux')
      .sort()
      .map((m) => readModuleBtf(m, vmlinux));
    return { vmlinux, modules };
  }
  const bytes = readInputFile(path);
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    const btf = btfFromElf(parseElf(bytes))?.btf;
    if (!btf) throw new TsbpfError(`'${path}' has no .BTF section`);
    return { vmlinux: btf };
  }
  return { vmlinux: parseBtf(bytes, { section: path }) };
}

/** A fixup as JSON: values as numbers when exact, else decimal strings. */
export function fixupJson(f: CoreFixup): Record<string, unknown> {
  const num = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
  return {
    program: f.program,
    insn: f.insn,
    relocation: f.relocation,
    section: f.section,
    kind: f.kindName,
    localType: f.localType,
    accessStr: f.accessStr,
    access: f.access,
    candidate: f.candidate ?? null,
    candidates: f.candidates,
    matched: f.matched,
    local: num(f.local),
    target: f.poison === undefined ? num(f.target) : null,
    memSize: f.localSize !== f.targetSize && f.poison === undefined ? { from: f.localSize, to: f.targetSize } : null,
    poison: f.poison ?? null,
    line: f.line ? { file: f.line.file, line: f.line.line, text: f.line.text.trim() } : null,
  };
}

/** The text layout: one block per program, one line per relocation. */
export function formatFixups(fixups: readonly CoreFixup[]): string {
  const out: string[] = [];
  let program: string | undefined;
  for (const f of fixups) {
    if (f.program !== program) {
      program = f.program;
      if (out.length) out.push('');
      out.push(`${program}:`);
    }
    const at = `insn #${f.insn}`.padEnd(10) + `relo #${f.relocation}`.padEnd(10) + f.kindName.padEnd(15);
    const what = `${f.access.replace(/'/g, '')} (${f.accessStr})`.padEnd(36);
    let result: string;
    if (f.poison !== undefined) {
      result = `poisoned: ${f.poison}`;
    } else {
      const size = f.localSize !== f.targetSize ? ` (size ${f.localSize} -> ${f.targetSize})` : '';
      const cand = f.candidate ? `  ${f.candidate.type}${f.candidate.accessStr ? ` ${f.candidate.accessStr}` : ''}` : '';
      result = `${f.local} -> ${f.target}${size}${cand}`;
    }
    out.push(`  ${at}${what} ${result}`);
    if (f.line) out.push(`      ${formatSourceLine(f.line)}: ${f.line.text.trim()}`);
  }
  if (out.length === 0) out.push('no CO-RE relocations');
  return out.join('\n');
}

export const coreCommands: CliCommand[] = [
  {
    path: ['object', 'core'],
    summary: "Show the CO-RE relocations of a BPF object against the kernel's (or a given) BTF",
    usage: 'OBJ [--btf PATH] [--json]',
    run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { json: { type: 'boolean', short: 'j' }, btf: { type: 'string' } },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError('expected exactly one object file');
      const path = positionals[0]!;
      const spec = parseObject(readInputFile(path), { name: objectNameFromPath(path) });
      const fixups = computeFixups(spec, readTarget(values.btf));
      io.out(values.json ? JSON.stringify(fixups.map(fixupJson)) : formatFixups(fixups));
      return 0;
    },
  },
];
