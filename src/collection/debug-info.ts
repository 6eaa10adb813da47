/**
 * What a verifier log needs from the object to be explained in C terms: each program's
 * line_info and the names behind its references, indexed the way the log counts
 * instructions.
 *
 * The log counts 8-byte slots of the program as loaded: the program's own instructions, then
 * its subprograms appended depth first (`linkProgram`, the same layout as libbpf's
 * `bpf_object__reloc_code`), `ld_imm64` taking two slots. The loader hands the kernel exactly
 * that layout, so these tables serve both the loader's own `VerifierError` and
 * `tsbpf verifier explain --object` on a log captured from libbpf or bpftool.
 *
 * Numbers follow libbpf so that poisoned instructions in a libbpf log decode too: the N of a
 * poisoned kfunc call (`2002000000 + N`) is the extern's index in libbpf's sorted extern list
 * (`cmp_externs`: `.kconfig` externs first, by alignment then size, then `__ksym` ones by
 * name); the N of a poisoned map load (`2001000000 + N`) is the map's index in the object
 * (`.maps` in definition order, then the data sections), which is the order of `spec.maps`.
 * @module
 */
import { slotCount } from '../asm/index.js';
import type { ObjectSpec, ProgramInstruction } from '../object/index.js';
import type { InsnLineInfo, InsnSymbol, LoaderSymbols } from '../verifier-log/index.js';

/** Each extern's index in libbpf's `obj->externs` after `cmp_externs`. */
export function externIndexes(spec: ObjectSpec): Map<string, number> {
  const sorted = [...spec.externs].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'kconfig' ? -1 : 1;
    if (a.kind === 'kconfig') {
      // The alignment of a .kconfig scalar is its size: larger alignment first, then smaller size.
      const sa = a.size ?? 0;
      const sb = b.size ?? 0;
      if (sa !== sb) return sb - sa;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return new Map(sorted.map((e, i) => [e.name, i]));
}

/** Each map's index in the object (libbpf's `obj->maps`). */
export function mapIndexes(spec: ObjectSpec): Map<string, number> {
  return new Map([...spec.maps.keys()].map((name, i) => [name, i]));
}

/** The `.BTF.ext` line_info of linked instructions, at the slot indexes the log prints. */
export function insnLineInfo(insns: readonly ProgramInstruction[]): InsnLineInfo[] {
  const out: InsnLineInfo[] = [];
  let slot = 0;
  for (const insn of insns) {
    const l = insn.line;
    if (l) out.push({ insnOff: slot, fileName: l.fileName, line: l.line, column: l.lineCol & 0x3ff, lineText: l.lineText });
    slot += slotCount(insn);
  }
  return out;
}

/**
 * The names behind a program's references: per slot (kfunc calls, map and data loads, ksyms),
 * and by poison index for kfuncs and maps.
 */
export function loaderSymbols(spec: ObjectSpec, insns: readonly ProgramInstruction[]): LoaderSymbols {
  const externs = externIndexes(spec);
  const mapIdx = mapIndexes(spec);
  const byInsn = new Map<number, InsnSymbol>();
  const kfuncs = new Map<number, string>();
  const maps = new Map<number, string>();
  let slot = 0;
  for (const insn of insns) {
    const r = insn.reference;
    if (r?.kind === 'kfunc' || r?.kind === 'ksym') {
      byInsn.set(slot, { kind: r.kind, name: r.name });
      const i = externs.get(r.name);
      if (r.kind === 'kfunc' && i !== undefined) kfuncs.set(i, r.name);
    } else if (r?.kind === 'map' || r?.kind === 'data') {
      byInsn.set(slot, { kind: 'map', name: r.map });
      // Both halves of a poisoned ld_imm64 become calls: the second slot names the map too.
      byInsn.set(slot + 1, { kind: 'map', name: r.map });
      const i = mapIdx.get(r.map);
      if (i !== undefined) maps.set(i, r.map);
    }
    slot += slotCount(insn);
  }
  return { kfuncs, maps, byInsn };
}
