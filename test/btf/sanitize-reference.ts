/**
 * TEST-ONLY: a frozen copy of the old `sanitizeBtf` (src/btf/sanitize.ts before it patched raw
 * bytes in place). It decodes every type into objects, edits them and re-encodes everything
 * with `encodeBtf`. test/btf/sanitize.test.ts compares the new in-place implementation's
 * output with this one byte for byte; nothing in src/ may import it. Do not edit it except
 * to follow renames of the modules it imports.
 * @module
 */
import { STT_SECTION, STV_HIDDEN, STV_INTERNAL, type ElfFile } from '../../src/elf/index.js';
import type { Btf } from '../../src/btf/btf.js';
import { BtfError } from '../../src/btf/errors.js';
import { BTF_FUNC_EXTERN, BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC, type BtfType } from '../../src/btf/kinds.js';
import { decodeAll, encodeBtf, StringTable } from '../../src/btf/marshal.js';
import { alignOf, sizeOf } from '../../src/btf/query.js';
// The data types are shared with the implementation under test; only the algorithm is frozen.
import type { BtfFeatures, ExternPlacement, SanitizeOptions } from '../../src/btf/sanitize.js';

/** The reference's result: the old `SanitizedBtf`, whose `types` were built, not decoded. */
export interface SanitizedBtf {
  bytes: Uint8Array;
  types: BtfType[];
  externs: ExternPlacement[];
  datasecSizes: Map<string, number>;
}

const EXTERN_SECTIONS = new Set(['.kconfig', '.ksyms']);

/**
 * Fixes up data sections from `elf` (when given) and replaces the kinds `features` lacks.
 * The input `btf` is not changed.
 * @throws {@link BtfError} when a DATASEC has no ELF section or a variable has no symbol.
 */
export function referenceSanitizeBtf(btf: Btf, features: BtfFeatures, options: SanitizeOptions = {}): SanitizedBtf {
  // Btf.type() decodes a new object (lists included) on every call: these are ours to edit.
  const types = decodeAll(btf);
  const strings = new StringTable(btf.stringBytes);
  const byId = (id: number): BtfType | undefined => (id >= btf.firstId ? types[id - btf.firstId] : undefined);
  const externs: ExternPlacement[] = [];
  const datasecSizes = new Map<string, number>();
  if (options.elf) fixupDatasecs(btf, types, byId, options.elf, externs, strings);
  for (const t of types) if (t.kind === 'DATASEC') datasecSizes.set(t.name, t.size);
  nameFuncArgs(types, byId, strings);
  downgrade(btf, types, byId, features, strings);
  const bytes = encodeBtf(types, strings.bytes(), { littleEndian: btf.littleEndian, flags: btf.header.flags });
  return { bytes, types, externs, datasecSizes };
}

function fixupDatasecs(
  btf: Btf,
  types: BtfType[],
  byId: (id: number) => BtfType | undefined,
  elf: ElfFile,
  externs: ExternPlacement[],
  strings: StringTable,
): void {
  let intId: number | undefined;
  let dummyId: number | undefined;
  for (const t of types) {
    if (t.kind !== 'DATASEC') continue;
    if (EXTERN_SECTIONS.has(t.name)) {
      layoutExterns(btf, t, byId, externs, () => {
        if (intId === undefined) {
          intId = btf.firstId + types.length;
          types.push({ id: intId, kind: 'INT', name: 'int', nameOff: strings.add('int'), size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 });
        }
        return intId;
      }, () => {
        if (dummyId === undefined) {
          const int = intId ?? (intId = btf.firstId + types.length);
          if (int === btf.firstId + types.length) {
            types.push({ id: int, kind: 'INT', name: 'int', nameOff: strings.add('int'), size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 });
          }
          dummyId = btf.firstId + types.length;
          types.push({ id: dummyId, kind: 'VAR', name: 'dummy_ksym', nameOff: strings.add('dummy_ksym'), type: int, linkage: BTF_VAR_GLOBAL_ALLOCATED });
        }
        return dummyId;
      });
      continue;
    }
    const section = elf.section(t.name);
    if (!section) {
      throw new BtfError(`type [${t.id}] DATASEC '${t.name}': no ELF section of that name to take the size from`, { typeId: t.id });
    }
    t.size = section.size;
    for (const v of t.vars) {
      const vt = byId(v.type);
      if (!vt || vt.kind !== 'VAR') continue;
      // As libbpf's btf_fixup_datasec: static variables keep the offset clang wrote (after
      // static linking several statics may share a name, so a symbol lookup by name would
      // give them all the first one's offset); only globals take theirs from the symbol.
      if (vt.linkage === BTF_VAR_STATIC || vt.linkage === BTF_VAR_GLOBAL_EXTERN) {
        if (v.offset + v.size > t.size) {
          throw new BtfError(`type [${t.id}] DATASEC '${t.name}': variable '${vt.name}' at ${v.offset} + ${v.size} is past the section size ${t.size}`, { typeId: vt.id });
        }
        continue;
      }
      const sym = elf.symbols.find((s) => s.name === vt.name && s.sectionIndex === section.index && s.type !== STT_SECTION);
      if (!sym) {
        throw new BtfError(`type [${t.id}] DATASEC '${t.name}': variable '${vt.name}' has no symbol in the section`, { typeId: vt.id });
      }
      v.offset = Number(sym.value);
      // Hidden globals are invisible outside the object: the kernel sees them as static.
      if (vt.linkage === BTF_VAR_GLOBAL_ALLOCATED && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL)) {
        vt.linkage = BTF_VAR_STATIC;
      }
      if (v.offset + v.size > t.size) {
        throw new BtfError(`type [${t.id}] DATASEC '${t.name}': variable '${vt.name}' at ${v.offset} + ${v.size} is past the section size ${t.size}`, { typeId: vt.id });
      }
    }
    t.vars.sort((a, b) => a.offset - b.offset);
  }
}

/**
 * The order externs are laid out in their section's map value (libbpf's `cmp_externs`):
 * alignment descending, then size ascending, then name. Each is then placed at the next
 * offset aligned for it. The object model lays out its `.kconfig` map with this same order.
 */
export function compareExterns(a: { align: number; size: number; name: string }, b: { align: number; size: number; name: string }): number {
  return b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * `.kconfig` / `.ksyms` layout: variables sorted by {@link compareExterns}, each at the next
 * offset aligned for it (libbpf `bpf_object__collect_externs`).
 */
function layoutExterns(
  btf: Btf,
  t: Extract<BtfType, { kind: 'DATASEC' }>,
  byId: (id: number) => BtfType | undefined,
  externs: ExternPlacement[],
  intPlaceholder: () => number,
  dummyVar: () => number,
): void {
  const entries = t.vars
    .map((v) => ({ v, vt: byId(v.type) }))
    .filter((e): e is { v: (typeof t.vars)[number]; vt: Extract<BtfType, { kind: 'VAR' }> } => e.vt?.kind === 'VAR');
  const isKsyms = t.name === '.ksyms';
  // Kernel functions (kfuncs) declared `extern` sit in .ksyms as FUNCs. The kernel accepts
  // neither extern FUNC linkage nor a non-VAR in a DATASEC: the FUNC becomes global and its
  // entry points at one placeholder `int` VAR (libbpf's add_dummy_ksym_var).
  const funcs: { v: (typeof t.vars)[number]; ft: Extract<BtfType, { kind: 'FUNC' }> }[] = [];
  if (isKsyms) {
    for (const v of t.vars) {
      const ft = byId(v.type);
      if (ft?.kind === 'FUNC') funcs.push({ v, ft });
    }
  }
  const sized = entries.map((e) => {
    const size = isKsyms ? 4 : sizeOf(btf, e.vt.type);
    const align = isKsyms ? 4 : Math.max(1, alignOf(btf, e.vt.type));
    return { ...e, size, align };
  });
  sized.sort((a, b) => compareExterns({ ...a, name: a.vt.name }, { ...b, name: b.vt.name }));
  let off = 0;
  for (const e of sized) {
    off = Math.ceil(off / e.align) * e.align;
    e.v.offset = off;
    e.v.size = e.size;
    if (e.vt.linkage === BTF_VAR_GLOBAL_EXTERN) e.vt.linkage = BTF_VAR_GLOBAL_ALLOCATED;
    if (isKsyms) e.vt.type = intPlaceholder();
    externs.push({ name: e.vt.name, section: t.name, varId: e.vt.id, offset: off, size: e.size });
    off += e.size;
  }
  for (const { v, ft } of funcs) {
    off = Math.ceil(off / 4) * 4;
    if (ft.linkage === BTF_FUNC_EXTERN) ft.linkage = BTF_FUNC_GLOBAL;
    v.type = dummyVar();
    v.offset = off;
    v.size = 4;
    externs.push({ name: ft.name, section: t.name, varId: ft.id, offset: off, size: 4 });
    off += 4;
  }
  t.size = off;
  t.vars.sort((a, b) => a.offset - b.offset);
}

/**
 * The kernel wants every argument of a FUNC's prototype named (`btf_func_check`: "Invalid
 * arg#N"); clang leaves them unnamed for `extern` kfunc declarations and naked functions.
 * Unnamed arguments get `argN` (a tsbpf addition: libbpf drops such BTF instead).
 */
function nameFuncArgs(types: BtfType[], byId: (id: number) => BtfType | undefined, strings: StringTable): void {
  for (const t of types) {
    if (t.kind !== 'FUNC') continue;
    const proto = byId(t.type);
    if (proto?.kind !== 'FUNC_PROTO') continue;
    for (let j = 0; j < proto.params.length; j++) {
      const p = proto.params[j]!;
      if (!p.name && p.type) {
        p.name = `arg${j}`;
        p.nameOff = strings.add(p.name);
      }
    }
  }
}

/** What a replacement type keeps of the type it replaces: its id and name. */
function named(t: BtfType): { id: number; name: string; nameOff: number } {
  return { id: t.id, name: t.name, nameOff: t.nameOff };
}

/** What an anonymous replacement type keeps of the type it replaces: its id. */
function anonymous(t: BtfType): { id: number; name: string; nameOff: number } {
  return { id: t.id, name: '', nameOff: 0 };
}

function downgrade(btf: Btf, types: BtfType[], byId: (id: number) => BtfType | undefined, f: BtfFeatures, strings: StringTable): void {
  let enum64Placeholder: number | undefined;
  const n = types.length;
  for (let i = 0; i < n; i++) {
    const t = types[i]!;
    switch (t.kind) {
      case 'VAR':
        if (!f.btfDatasec) types[i] = { ...named(t), kind: 'INT', size: 1, encoding: 0, bitsOffset: 0, nrBits: 8 };
        break;
      case 'DATASEC':
        if (!f.btfDatasec) {
          const name = t.name.replace(/\./g, '_');
          types[i] = {
            id: t.id,
            kind: 'STRUCT',
            name,
            nameOff: strings.add(name),
            size: t.size,
            kindFlag: false,
            members: t.vars.map((v) => {
              const vt = byId(v.type) ?? btf.type(v.type);
              return { name: vt.name, nameOff: vt.nameOff, type: v.type, bitsOffset: v.offset * 8, bitfieldSize: 0 };
            }),
          };
        } else if (!f.btfQmarkDatasec && t.name.startsWith('?')) {
          const name = '_' + t.name.slice(1);
          t.name = name;
          t.nameOff = strings.add(name);
        }
        break;
      case 'FUNC_PROTO':
        if (!f.btfFunc) {
          // Kernels check enumerator names are identifiers: an unnamed parameter gets `argN`.
          const values = t.params.map((p, j) => {
            const name = p.name || `arg${j}`;
            return { name, nameOff: p.name ? p.nameOff : strings.add(name), value: p.type };
          });
          types[i] = { ...named(t), kind: 'ENUM', size: 4, signed: false, values };
        }
        break;
      case 'FUNC':
        if (!f.btfFunc) types[i] = { ...named(t), kind: 'TYPEDEF', type: t.type, kindFlag: false };
        else if (!f.btfFuncGlobal && t.linkage === BTF_FUNC_GLOBAL) t.linkage = BTF_FUNC_STATIC;
        break;
      case 'FLOAT':
        if (!f.btfFloat) types[i] = { ...anonymous(t), kind: 'STRUCT', size: t.size, kindFlag: false, members: [] };
        break;
      case 'DECL_TAG':
        if (!f.btfDeclTag) types[i] = { ...anonymous(t), kind: 'INT', size: 1, encoding: 0, bitsOffset: 0, nrBits: 8 };
        break;
      case 'TYPE_TAG':
        if (!f.btfTypeTag) types[i] = { ...anonymous(t), kind: 'CONST', type: t.type, kindFlag: false };
        break;
      case 'ENUM':
        if (!f.btfEnum64 && t.signed) t.signed = false;
        break;
      case 'ENUM64':
        if (!f.btfEnum64) {
          if (enum64Placeholder === undefined) {
            enum64Placeholder = btf.firstId + types.length;
            types.push({ id: enum64Placeholder, kind: 'INT', name: 'enum64_placeholder', nameOff: strings.add('enum64_placeholder'), size: 1, encoding: 0, bitsOffset: 0, nrBits: 8 });
          }
          const placeholder = enum64Placeholder;
          types[i] = {
            ...named(t),
            kind: 'UNION',
            size: t.size,
            kindFlag: false,
            members: t.values.map((v) => ({ name: v.name, nameOff: v.nameOff, type: placeholder, bitsOffset: 0, bitfieldSize: 0 })),
          };
        }
        break;
    }
  }
}
