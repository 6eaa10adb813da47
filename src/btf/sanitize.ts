/**
 * What a loader does to an object's BTF before `BPF_BTF_LOAD`: finish what the compiler left
 * open, then rewrite what the running kernel would refuse.
 *
 * **Fix up data sections** (libbpf `btf_fixup_datasec`): clang writes every DATASEC with
 * size 0 and every variable at offset 0, because only the linker knows the layout. The
 * loader takes the size from the ELF section of the same name and each variable's offset
 * from its symbol (`st_value`); hidden globals become static; entries are sorted by offset.
 * Externs (`.kconfig`, `.ksyms`) have no ELF section: their data lives in a map the loader
 * builds, laid out here (largest alignment first, as libbpf does) and returned in
 * {@link SanitizedBtf.externs}; the kernel does not know extern VARs, so they become
 * allocated globals (`.ksyms` variables become `int` placeholders).
 *
 * FUNC prototypes get names for unnamed arguments, which the kernel requires.
 *
 * **Downgrade for older kernels** (libbpf `bpf_object__sanitize_btf`): each kind the kernel
 * lacks is replaced by one it has, with the same record size so type ids do not move:
 *
 * | missing                | replaced by                                           |
 * |------------------------|-------------------------------------------------------|
 * | VAR / DATASEC (5.2)    | VAR -> 1-byte INT; DATASEC -> STRUCT (`.` -> `_`)     |
 * | FUNC / FUNC_PROTO (5.0)| FUNC -> TYPEDEF; FUNC_PROTO -> ENUM                   |
 * | global FUNC (5.6)      | linkage static                                        |
 * | FLOAT (5.13)           | anonymous empty STRUCT of the same size               |
 * | DECL_TAG (5.16)        | anonymous 1-byte INT                                  |
 * | TYPE_TAG (5.17)        | anonymous CONST                                       |
 * | ENUM64 (6.0)           | UNION of placeholder INT members; ENUM kind_flag clear |
 * | `?` DATASEC names      | `?` -> `_`                                            |
 *
 * **How: patch the raw bytes in place**, as libbpf does. Every rule above keeps each
 * record's size (the table's pairs have equal sizes; a DATASEC's size, its variables'
 * offsets and a linkage are single words; sorting a DATASEC's `btf_var_secinfo` entries is a
 * permutation of 12-byte entries). So the output is one copy of the input,
 * `[header | types | strings]`, with words rewritten in the input's byte order. Only two things grow: the placeholder
 * types (`int`, `dummy_ksym`, `enum64_placeholder`), appended after the last type, and new
 * names (`argN`, `_data`, ...), appended to the string section. Record sizes, from
 * `btf_type_size()` (`struct btf_type` is 12 bytes, then):
 * ```
 * INT, VAR, DECL_TAG                   +4          (encoding word, btf_var, btf_decl_tag)
 * PTR, TYPEDEF, CONST, ..., FUNC, FLOAT, TYPE_TAG, FWD   +0
 * ARRAY                                +12         (btf_array)
 * STRUCT, UNION, DATASEC, ENUM64       +12 * vlen  (btf_member, btf_var_secinfo, btf_enum64)
 * ENUM, FUNC_PROTO                     +8 * vlen   (btf_enum, btf_param)
 * ```
 *
 * Pure: the kernel's abilities come in as a {@link BtfFeatures} object (probed elsewhere).
 * @module
 */
import { STT_SECTION, STV_HIDDEN, STV_INTERNAL, type ElfFile, type ElfSymbol } from '../elf/index.js';
import { parseBtf, type Btf } from './btf.js';
import { BtfError } from './errors.js';
import {
  BTF_FUNC_EXTERN,
  BTF_FUNC_GLOBAL,
  BTF_FUNC_STATIC,
  BTF_HEADER_SIZE,
  BTF_INT_SIGNED,
  BTF_KIND_CONST,
  BTF_KIND_DATASEC,
  BTF_KIND_DECL_TAG,
  BTF_KIND_ENUM,
  BTF_KIND_ENUM64,
  BTF_KIND_FLOAT,
  BTF_KIND_FUNC,
  BTF_KIND_FUNC_PROTO,
  BTF_KIND_INT,
  BTF_KIND_NAMES,
  BTF_KIND_STRUCT,
  BTF_KIND_TYPEDEF,
  BTF_KIND_TYPE_TAG,
  BTF_KIND_UNION,
  BTF_KIND_VAR,
  BTF_MAGIC,
  BTF_TYPE_SIZE,
  BTF_VAR_GLOBAL_ALLOCATED,
  BTF_VAR_GLOBAL_EXTERN,
  BTF_VAR_STATIC,
  BTF_VERSION,
  kindDataSize,
  type BtfType,
} from './kinds.js';
import { decodeAll, StringTable } from './marshal.js';
import { alignOf, sizeOf } from './query.js';

/** BTF features of a kernel (libbpf's `FEAT_BTF*` probes). */
export interface BtfFeatures {
  /** BTF_KIND_FUNC and FUNC_PROTO (Linux 5.0). */
  btfFunc: boolean;
  /** BTF_FUNC_GLOBAL linkage (Linux 5.6). */
  btfFuncGlobal: boolean;
  /** BTF_KIND_VAR and DATASEC (Linux 5.2). */
  btfDatasec: boolean;
  /** DATASEC names starting with `?` (Linux 5.19 era; libbpf FEAT_BTF_QMARK_DATASEC). */
  btfQmarkDatasec: boolean;
  /** BTF_KIND_FLOAT (Linux 5.13). */
  btfFloat: boolean;
  /** BTF_KIND_DECL_TAG (Linux 5.16). */
  btfDeclTag: boolean;
  /** BTF_KIND_TYPE_TAG (Linux 5.17). */
  btfTypeTag: boolean;
  /** BTF_KIND_ENUM64 and signed enums (Linux 6.0). */
  btfEnum64: boolean;
}

/** A kernel that has every BTF feature this library knows. */
export const ALL_BTF_FEATURES: Readonly<BtfFeatures> = Object.freeze({
  btfFunc: true,
  btfFuncGlobal: true,
  btfDatasec: true,
  btfQmarkDatasec: true,
  btfFloat: true,
  btfDeclTag: true,
  btfTypeTag: true,
  btfEnum64: true,
});

/** Where the loader puts one extern (`.kconfig` or `.ksyms` variable). */
export interface ExternPlacement {
  /** The VAR's name (`LINUX_KERNEL_VERSION`, `CONFIG_HZ`, a ksym). */
  name: string;
  /** `.kconfig` or `.ksyms`. */
  section: string;
  /** The VAR type id. */
  varId: number;
  /** Byte offset in the section's map value. */
  offset: number;
  /** Bytes. */
  size: number;
}

/** The result of {@link sanitizeBtf}. */
export interface SanitizedBtf {
  /** Raw BTF to pass to `BPF_BTF_LOAD`. */
  bytes: Uint8Array;
  /**
   * The types written, in id order (index 0 is the first own id), decoded from `bytes` on
   * first access (loading never needs them).
   * @throws {@link BtfError} when `bytes` do not parse (a DATASEC downgraded to a STRUCT
   *   without the ELF object to size it can hold members past its size).
   */
  readonly types: BtfType[];
  /** Layout of extern sections, for the loader that fills them. */
  externs: ExternPlacement[];
  /** Final size of each DATASEC by name. */
  datasecSizes: Map<string, number>;
}

/** Options of {@link sanitizeBtf}. */
export interface SanitizeOptions {
  /** The object the BTF came from: DATASEC sizes and variable offsets are taken from it. */
  elf?: ElfFile;
}

const EXTERN_SECTIONS = new Set(['.kconfig', '.ksyms']);

// Field offsets inside a record. `struct btf_type`:
const NAME_OFF = 0; // __u32 name_off
const INFO = 4; // __u32 info: vlen in bits 0-15, kind in bits 24-28, kind_flag in bit 31
const SIZE_OR_TYPE = 8; // __u32 size (INT, ENUM, STRUCT, UNION, DATASEC, FLOAT, ENUM64) or type
// then the kind data at BTF_TYPE_SIZE (12), whose entries are:
// struct btf_var_secinfo { __u32 type; __u32 offset; __u32 size; }   12 bytes
// struct btf_member      { __u32 name_off; __u32 type; __u32 offset; } 12 bytes
// struct btf_enum64      { __u32 name_off; __u32 val_lo32; __u32 val_hi32; } 12 bytes
// struct btf_param       { __u32 name_off; __u32 type; }              8 bytes
// struct btf_enum        { __u32 name_off; __s32 val; }               8 bytes
// struct btf_var         { __u32 linkage; }                           4 bytes
const SECINFO_SIZE = 12;
const PARAM_SIZE = 8;

/** Every type this module appends (`int`, `dummy_ksym`, `enum64_placeholder`) is 16 bytes. */
const PLACEHOLDER_SIZE = BTF_TYPE_SIZE + 4;
const MAX_PLACEHOLDERS = 3;

/**
 * Fixes up data sections from `elf` (when given) and replaces the kinds `features` lacks.
 * The input `btf` is not changed.
 * @throws {@link BtfError} when a DATASEC has no ELF section or a variable has no symbol.
 */
export function sanitizeBtf(btf: Btf, features: BtfFeatures, options: SanitizeOptions = {}): SanitizedBtf {
  const { out, datasecs, funcs } = copyBtf(btf);
  const externs: ExternPlacement[] = [];
  const datasecSizes = new Map<string, number>();
  const elf = options.elf;
  for (const id of datasecs) {
    const name = btf.nameOf(id);
    if (elf) {
      if (EXTERN_SECTIONS.has(name)) layoutExterns(out, id, name, externs);
      else fixupDatasec(out, id, name, elf);
    }
    datasecSizes.set(name, u32(out, record(out, id) + SIZE_OR_TYPE));
  }
  for (const id of funcs) nameFuncArgs(out, id);
  if (!hasEvery(features)) downgrade(out, features);
  return new Sanitized(finish(out), btf.base, externs, datasecSizes);
}

/** A {@link SanitizedBtf} whose `types` are decoded when first read. */
class Sanitized implements SanitizedBtf {
  readonly #base: Btf | undefined;
  #types: BtfType[] | undefined;
  constructor(
    readonly bytes: Uint8Array,
    base: Btf | undefined,
    readonly externs: ExternPlacement[],
    readonly datasecSizes: Map<string, number>,
  ) {
    this.#base = base;
  }

  get types(): BtfType[] {
    return (this.#types ??= decodeAll(parseBtf(this.bytes, { base: this.#base })));
  }
}

// ---------------------------------------------------------------------------------------
// The copy being patched.

/** The raw BTF being built: a copy of the input whose records are rewritten in place. */
interface BtfCopy {
  /** The input (its strings are read from there; they are never patched). */
  readonly btf: Btf;
  /** The input's string section (a view). */
  readonly strs: Uint8Array;
  /** `[header | types | strings]`; once a placeholder is appended, `[header | types | room]`. */
  bytes: Uint8Array;
  /** Whether `bytes` were regrown to hold placeholders (the strings are then not in them). */
  grown: boolean;
  view: DataView;
  readonly le: boolean;
  /**
   * Offset in `bytes` of each record, by `id - btf.firstId`: own types, then appended ones.
   * (A plain array: a small typed array costs more to allocate than this whole walk.)
   */
  readonly offsets: number[];
  /** Own plus appended types. */
  count: number;
  /** End of the last record in `bytes`. */
  typeEnd: number;
  /** The string section: the input's, then the names added. */
  readonly strings: StringTable;
  intPlaceholder?: number;
  dummyKsym?: number;
  enum64Placeholder?: number;
}

/**
 * Copies `btf` into `[24-byte header | type section | string section]` and walks the records
 * once for their offsets, noting the DATASECs and FUNCs the fix-ups visit.
 */
function copyBtf(btf: Btf): { out: BtfCopy; datasecs: number[]; funcs: number[] } {
  const types = btf.typeBytes;
  const strs = btf.stringBytes;
  const typeEnd = BTF_HEADER_SIZE + types.byteLength;
  const bytes = new Uint8Array(typeEnd + strs.byteLength);
  bytes.set(types, BTF_HEADER_SIZE);
  bytes.set(strs, typeEnd);
  const view = new DataView(bytes.buffer);
  const le = btf.littleEndian;
  writeHeader(view, le, btf.header.flags, types.byteLength, strs.byteLength);
  const offsets = new Array<number>(btf.ownTypeCount);
  const datasecs: number[] = [];
  const funcs: number[] = [];
  // parseBtf has checked every record lies inside the type section.
  let n = 0;
  for (let p = BTF_HEADER_SIZE; p < typeEnd; n++) {
    const info = view.getUint32(p + INFO, le);
    const kind = (info >>> 24) & 0x1f;
    if (kind === BTF_KIND_DATASEC) datasecs.push(btf.firstId + n);
    else if (kind === BTF_KIND_FUNC) funcs.push(btf.firstId + n);
    offsets[n] = p;
    p += BTF_TYPE_SIZE + kindDataSize(kind, info & 0xffff);
  }
  const strings = new StringTable(strs);
  return { out: { btf, strs, bytes, grown: false, view, le, offsets, count: n, typeEnd, strings }, datasecs, funcs };
}

/** `struct btf_header` as compilers write it: types right after the header, then strings. */
function writeHeader(v: DataView, le: boolean, flags: number, typeLen: number, strLen: number): void {
  v.setUint16(0, BTF_MAGIC, le);
  v.setUint8(2, BTF_VERSION);
  v.setUint8(3, flags);
  v.setUint32(4, BTF_HEADER_SIZE, le); // hdr_len
  v.setUint32(8, 0, le); // type_off
  v.setUint32(12, typeLen, le); // type_len
  v.setUint32(16, typeLen, le); // str_off
  v.setUint32(20, strLen, le); // str_len
}

/** The final bytes: the copy itself when nothing grew, else header, types and new strings. */
function finish(out: BtfCopy): Uint8Array {
  const strs = out.strings.bytes();
  const typeLen = out.typeEnd - BTF_HEADER_SIZE;
  if (!out.grown && strs.byteLength === out.btf.stringsLength) return out.bytes;
  const bytes = new Uint8Array(out.typeEnd + strs.byteLength);
  bytes.set(out.bytes.subarray(0, out.typeEnd));
  bytes.set(strs, out.typeEnd);
  writeHeader(new DataView(bytes.buffer), out.le, out.btf.header.flags, typeLen, strs.byteLength);
  return bytes;
}

function u32(out: BtfCopy, at: number): number {
  return out.view.getUint32(at, out.le);
}

function setU32(out: BtfCopy, at: number, x: number): void {
  out.view.setUint32(at, x, out.le);
}

/** Writes a value that comes from the ELF object or a layout, which may not fit a u32. */
function setU32Checked(out: BtfCopy, at: number, x: number, id: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) {
    const kind = BTF_KIND_NAMES[kindAt(out, record(out, id))];
    throw new BtfError(`type [${id}] ${kind}: ${what} ${x} does not fit in a u32`, { typeId: id });
  }
  setU32(out, at, x);
}

/** `BTF_INFO_ENC(kind, 0, vlen)`: every record this module rewrites has kind_flag clear. */
function btfInfo(kind: number, vlen: number): number {
  return (kind << 24) | vlen;
}

/** Record offset of own or appended type `id`, or -1 (void, a base type). */
function record(out: BtfCopy, id: number): number {
  const i = id - out.btf.firstId;
  return i >= 0 && i < out.count ? out.offsets[i]! : -1;
}

function kindAt(out: BtfCopy, p: number): number {
  return (u32(out, p + INFO) >>> 24) & 0x1f;
}

function vlenAt(out: BtfCopy, p: number): number {
  return u32(out, p + INFO) & 0xffff;
}

/** `name_off` of any type: own and appended ones from the copy, base ones from the base. */
function nameOffOf(out: BtfCopy, id: number): number {
  const p = record(out, id);
  return p >= 0 ? u32(out, p + NAME_OFF) : out.btf.nameOffOf(id);
}

/** Whether the name at `off` is empty (offset 0, or any offset of an empty string). */
function isEmptyName(out: BtfCopy, off: number): boolean {
  if (off === 0) return true;
  const btf = out.btf;
  // Names this module added are never empty.
  if (off >= btf.strBase + btf.stringsLength) return false;
  if (off < btf.strBase) return btf.str(off) === '';
  return out.strs[off - btf.strBase] === 0;
}

/** Offset of `s` in the final string section, appending it when it is new. */
function addString(out: BtfCopy, s: string): number {
  return out.btf.strBase + out.strings.add(s);
}

/**
 * Appends a 16-byte type record (`struct btf_type` + one word) after the last type and
 * returns its id. The first append makes room for every placeholder; the strings, which sat
 * after the types, are written back by {@link finish}.
 */
function appendType(out: BtfCopy, nameOff: number, info: number, sizeOrType: number, data: number): number {
  if (!out.grown) {
    const grown = new Uint8Array(out.typeEnd + MAX_PLACEHOLDERS * PLACEHOLDER_SIZE);
    grown.set(out.bytes.subarray(0, out.typeEnd));
    out.bytes = grown;
    out.view = new DataView(grown.buffer);
    out.grown = true;
  }
  const p = out.typeEnd;
  setU32(out, p + NAME_OFF, nameOff);
  setU32(out, p + INFO, info);
  setU32(out, p + SIZE_OR_TYPE, sizeOrType);
  setU32(out, p + BTF_TYPE_SIZE, data);
  out.offsets.push(p);
  out.typeEnd += PLACEHOLDER_SIZE;
  return out.btf.firstId + out.count++;
}

// ---------------------------------------------------------------------------------------
// Fix up data sections.

/**
 * The symbols of one ELF section by name: of several with one name, the first in symbol
 * table order (lowest index). Built once per DATASEC from the file's own per-section symbol
 * lists, so a lookup never scans the whole symbol table.
 */
function symbolsByName(elf: ElfFile, sectionIndex: number): Map<string, ElfSymbol> {
  const byName = new Map<string, ElfSymbol>();
  for (const s of elf.symbolsIn(sectionIndex)) {
    if (s.type === STT_SECTION) continue;
    const seen = byName.get(s.name);
    if (!seen || s.index < seen.index) byName.set(s.name, s);
  }
  return byName;
}

/**
 * DATASEC `id` gets the size of its ELF section; each global variable the offset of its
 * symbol (libbpf `btf_fixup_datasec`).
 */
function fixupDatasec(out: BtfCopy, id: number, name: string, elf: ElfFile): void {
  const section = elf.section(name);
  if (!section) {
    throw new BtfError(`type [${id}] DATASEC '${name}': no ELF section of that name to take the size from`, { typeId: id });
  }
  const p = record(out, id);
  const size = section.size;
  setU32Checked(out, p + SIZE_OR_TYPE, size, id, 'size');
  const vlen = vlenAt(out, p);
  let symbols: Map<string, ElfSymbol> | undefined;
  for (let i = 0; i < vlen; i++) {
    const sp = p + BTF_TYPE_SIZE + i * SECINFO_SIZE; // struct btf_var_secinfo
    const varId = u32(out, sp);
    const vp = record(out, varId);
    if (vp < 0 || kindAt(out, vp) !== BTF_KIND_VAR) continue;
    const linkage = u32(out, vp + BTF_TYPE_SIZE); // struct btf_var
    const varSize = u32(out, sp + 8); // btf_var_secinfo.size
    let offset = u32(out, sp + 4); // btf_var_secinfo.offset
    // As libbpf's btf_fixup_datasec: static variables keep the offset clang wrote (after
    // static linking several statics may share a name, so a symbol lookup by name would
    // give them all the first one's offset); only globals take theirs from the symbol.
    if (linkage !== BTF_VAR_STATIC && linkage !== BTF_VAR_GLOBAL_EXTERN) {
      const varName = out.btf.str(u32(out, vp + NAME_OFF));
      const sym = (symbols ??= symbolsByName(elf, section.index)).get(varName);
      if (!sym) {
        throw new BtfError(`type [${id}] DATASEC '${name}': variable '${varName}' has no symbol in the section`, { typeId: varId });
      }
      offset = Number(sym.value);
      checkInSection(out, id, name, size, vp, varId, offset, varSize);
      setU32Checked(out, sp + 4, offset, id, 'var offset');
      // Hidden globals are invisible outside the object: the kernel sees them as static.
      if (linkage === BTF_VAR_GLOBAL_ALLOCATED && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL)) {
        setU32(out, vp + BTF_TYPE_SIZE, BTF_VAR_STATIC);
      }
    } else {
      checkInSection(out, id, name, size, vp, varId, offset, varSize);
    }
  }
  sortSecinfo(out, p);
}

/** A variable must lie inside its section. */
function checkInSection(out: BtfCopy, id: number, name: string, size: number, vp: number, varId: number, offset: number, varSize: number): void {
  if (offset + varSize <= size) return;
  const varName = out.btf.str(u32(out, vp + NAME_OFF));
  throw new BtfError(`type [${id}] DATASEC '${name}': variable '${varName}' at ${offset} + ${varSize} is past the section size ${size}`, { typeId: varId });
}

/**
 * Sorts a DATASEC's `btf_var_secinfo` entries by offset (a stable sort: equal offsets keep
 * their order). Already sorted, the usual case, costs one pass.
 */
function sortSecinfo(out: BtfCopy, p: number): void {
  const vlen = vlenAt(out, p);
  const first = p + BTF_TYPE_SIZE;
  let sorted = true;
  for (let i = 1; i < vlen && sorted; i++) sorted = u32(out, first + (i - 1) * SECINFO_SIZE + 4) <= u32(out, first + i * SECINFO_SIZE + 4);
  if (sorted) return;
  const entries = out.bytes.slice(first, first + vlen * SECINFO_SIZE);
  const ev = new DataView(entries.buffer);
  const order = Array.from({ length: vlen }, (_, i) => i);
  const offsetOf = (i: number): number => ev.getUint32(i * SECINFO_SIZE + 4, out.le);
  order.sort((a, b) => offsetOf(a) - offsetOf(b));
  for (let i = 0; i < vlen; i++) {
    out.bytes.set(entries.subarray(order[i]! * SECINFO_SIZE, (order[i]! + 1) * SECINFO_SIZE), first + i * SECINFO_SIZE);
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
function layoutExterns(out: BtfCopy, id: number, name: string, externs: ExternPlacement[]): void {
  const btf = out.btf;
  const p = record(out, id);
  const vlen = vlenAt(out, p);
  const isKsyms = name === '.ksyms';
  // Kernel functions (kfuncs) declared `extern` sit in .ksyms as FUNCs. The kernel accepts
  // neither extern FUNC linkage nor a non-VAR in a DATASEC: the FUNC becomes global and its
  // entry points at one placeholder `int` VAR (libbpf's add_dummy_ksym_var).
  const vars: { sp: number; varId: number; vp: number; name: string; size: number; align: number }[] = [];
  const funcs: { sp: number; funcId: number; fp: number }[] = [];
  for (let i = 0; i < vlen; i++) {
    const sp = p + BTF_TYPE_SIZE + i * SECINFO_SIZE; // struct btf_var_secinfo
    const typeId = u32(out, sp);
    const tp = record(out, typeId);
    if (tp < 0) continue;
    const kind = kindAt(out, tp);
    if (kind === BTF_KIND_VAR) {
      const type = u32(out, tp + SIZE_OR_TYPE);
      const size = isKsyms ? 4 : sizeOf(btf, type);
      const align = isKsyms ? 4 : Math.max(1, alignOf(btf, type));
      vars.push({ sp, varId: typeId, vp: tp, name: btf.str(u32(out, tp + NAME_OFF)), size, align });
    } else if (isKsyms && kind === BTF_KIND_FUNC) {
      funcs.push({ sp, funcId: typeId, fp: tp });
    }
  }
  vars.sort(compareExterns);
  let off = 0;
  for (const v of vars) {
    off = Math.ceil(off / v.align) * v.align;
    setU32Checked(out, v.sp + 4, off, id, 'var offset');
    setU32Checked(out, v.sp + 8, v.size, id, 'var size');
    if (u32(out, v.vp + BTF_TYPE_SIZE) === BTF_VAR_GLOBAL_EXTERN) setU32(out, v.vp + BTF_TYPE_SIZE, BTF_VAR_GLOBAL_ALLOCATED);
    if (isKsyms) setU32(out, v.vp + SIZE_OR_TYPE, intPlaceholder(out));
    externs.push({ name: v.name, section: name, varId: v.varId, offset: off, size: v.size });
    off += v.size;
  }
  for (const f of funcs) {
    off = Math.ceil(off / 4) * 4;
    // A FUNC keeps its linkage in the vlen bits of info.
    if (vlenAt(out, f.fp) === BTF_FUNC_EXTERN) setU32(out, f.fp + INFO, btfInfo(BTF_KIND_FUNC, BTF_FUNC_GLOBAL));
    setU32(out, f.sp, dummyKsymVar(out));
    setU32Checked(out, f.sp + 4, off, id, 'var offset');
    setU32(out, f.sp + 8, 4);
    externs.push({ name: btf.str(u32(out, f.fp + NAME_OFF)), section: name, varId: f.funcId, offset: off, size: 4 });
    off += 4;
  }
  setU32Checked(out, p + SIZE_OR_TYPE, off, id, 'size');
  sortSecinfo(out, p);
}

/** The `int` every `.ksyms` variable is retyped to (4-byte signed, as libbpf's). */
function intPlaceholder(out: BtfCopy): number {
  if (out.intPlaceholder === undefined) {
    // INT data word: BTF_INT_ENCODING << 24 | BTF_INT_OFFSET << 16 | BTF_INT_BITS.
    out.intPlaceholder = appendType(out, addString(out, 'int'), btfInfo(BTF_KIND_INT, 0), 4, (BTF_INT_SIGNED << 24) | 32);
  }
  return out.intPlaceholder;
}

/** The global `int` VAR that `.ksyms` entries of kfuncs point at (libbpf's `dummy_ksym`). */
function dummyKsymVar(out: BtfCopy): number {
  if (out.dummyKsym === undefined) {
    const int = intPlaceholder(out);
    out.dummyKsym = appendType(out, addString(out, 'dummy_ksym'), btfInfo(BTF_KIND_VAR, 0), int, BTF_VAR_GLOBAL_ALLOCATED);
  }
  return out.dummyKsym;
}

/**
 * The kernel wants every argument of a FUNC's prototype named (`btf_func_check`: "Invalid
 * arg#N"); clang leaves them unnamed for `extern` kfunc declarations and naked functions.
 * Unnamed arguments get `argN` (a tsbpf addition: libbpf drops such BTF instead).
 */
function nameFuncArgs(out: BtfCopy, funcId: number): void {
  const pp = record(out, u32(out, record(out, funcId) + SIZE_OR_TYPE));
  if (pp < 0 || kindAt(out, pp) !== BTF_KIND_FUNC_PROTO) return;
  const vlen = vlenAt(out, pp);
  for (let j = 0; j < vlen; j++) {
    const q = pp + BTF_TYPE_SIZE + j * PARAM_SIZE; // struct btf_param
    if (u32(out, q + 4) !== 0 /* not `...` */ && isEmptyName(out, u32(out, q + NAME_OFF))) setU32(out, q + NAME_OFF, addString(out, `arg${j}`));
  }
}

// ---------------------------------------------------------------------------------------
// Downgrade for older kernels: one function per missing kind, each rewriting the record at
// `p` into a record of the same size.

function hasEvery(f: BtfFeatures): boolean {
  return f.btfFunc && f.btfFuncGlobal && f.btfDatasec && f.btfQmarkDatasec && f.btfFloat && f.btfDeclTag && f.btfTypeTag && f.btfEnum64;
}

function downgrade(out: BtfCopy, f: BtfFeatures): void {
  // Placeholders appended so far (`int`, `dummy_ksym`) are downgraded too; the
  // `enum64_placeholder` appended below is an INT already.
  const n = out.count;
  for (let i = 0; i < n; i++) {
    const p = out.offsets[i]!;
    switch (kindAt(out, p)) {
      case BTF_KIND_VAR:
        if (!f.btfDatasec) varToInt(out, p);
        break;
      case BTF_KIND_DATASEC:
        if (!f.btfDatasec) datasecToStruct(out, p);
        else if (!f.btfQmarkDatasec) renameQmarkDatasec(out, p);
        break;
      case BTF_KIND_FUNC_PROTO:
        if (!f.btfFunc) funcProtoToEnum(out, p);
        break;
      case BTF_KIND_FUNC:
        if (!f.btfFunc) setU32(out, p + INFO, btfInfo(BTF_KIND_TYPEDEF, 0)); // FUNC -> TYPEDEF, same type
        else if (!f.btfFuncGlobal && vlenAt(out, p) === BTF_FUNC_GLOBAL) setU32(out, p + INFO, btfInfo(BTF_KIND_FUNC, BTF_FUNC_STATIC));
        break;
      case BTF_KIND_FLOAT:
        if (!f.btfFloat) floatToStruct(out, p);
        break;
      case BTF_KIND_DECL_TAG:
        if (!f.btfDeclTag) declTagToInt(out, p);
        break;
      case BTF_KIND_TYPE_TAG:
        if (!f.btfTypeTag) typeTagToConst(out, p);
        break;
      case BTF_KIND_ENUM:
        // A signed ENUM (kind_flag set, Linux 6.0) becomes unsigned: the value bits stay.
        if (!f.btfEnum64) setU32(out, p + INFO, btfInfo(BTF_KIND_ENUM, vlenAt(out, p)));
        break;
      case BTF_KIND_ENUM64:
        if (!f.btfEnum64) enum64ToUnion(out, p);
        break;
    }
  }
}

/** The 4-byte data word of a 1-byte INT with 8 value bits and no encoding. */
const INT_U8_DATA = 8;

/** VAR (12 + btf_var) -> INT (12 + encoding word) of 1 byte, keeping the name. */
function varToInt(out: BtfCopy, p: number): void {
  setU32(out, p + INFO, btfInfo(BTF_KIND_INT, 0));
  setU32(out, p + SIZE_OR_TYPE, 1);
  setU32(out, p + BTF_TYPE_SIZE, INT_U8_DATA);
}

/**
 * DATASEC -> STRUCT of the same size named with `.` -> `_`: each `btf_var_secinfo { type,
 * offset, size }` becomes a `btf_member { name_off, type, offset }` named after its variable,
 * at bit offset `offset * 8`.
 */
function datasecToStruct(out: BtfCopy, p: number): void {
  const name = out.btf.str(u32(out, p + NAME_OFF)).replace(/\./g, '_');
  setU32(out, p + NAME_OFF, addString(out, name));
  const vlen = vlenAt(out, p);
  setU32(out, p + INFO, btfInfo(BTF_KIND_STRUCT, vlen));
  for (let i = 0; i < vlen; i++) {
    const sp = p + BTF_TYPE_SIZE + i * SECINFO_SIZE;
    const type = u32(out, sp);
    const offset = u32(out, sp + 4);
    setU32(out, sp, nameOffOf(out, type)); // btf_member.name_off
    setU32(out, sp + 4, type); // btf_member.type
    setU32(out, sp + 8, (offset * 8) >>> 0); // btf_member.offset, in bits
  }
}

/** A DATASEC named `?...` (libbpf's optional sections) is renamed `_...`. */
function renameQmarkDatasec(out: BtfCopy, p: number): void {
  const name = out.btf.str(u32(out, p + NAME_OFF));
  if (name.startsWith('?')) setU32(out, p + NAME_OFF, addString(out, '_' + name.slice(1)));
}

/**
 * FUNC_PROTO -> ENUM of 4 bytes: each `btf_param { name_off, type }` reads as a
 * `btf_enum { name_off, val }`. Kernels check enumerator names are identifiers: an unnamed
 * parameter gets `argN`.
 */
function funcProtoToEnum(out: BtfCopy, p: number): void {
  const vlen = vlenAt(out, p);
  setU32(out, p + INFO, btfInfo(BTF_KIND_ENUM, vlen));
  setU32(out, p + SIZE_OR_TYPE, 4);
  for (let j = 0; j < vlen; j++) {
    const q = p + BTF_TYPE_SIZE + j * PARAM_SIZE;
    if (isEmptyName(out, u32(out, q + NAME_OFF))) setU32(out, q + NAME_OFF, addString(out, `arg${j}`));
  }
}

/** FLOAT -> anonymous STRUCT of the same size with no members (both 12 bytes). */
function floatToStruct(out: BtfCopy, p: number): void {
  setU32(out, p + NAME_OFF, 0);
  setU32(out, p + INFO, btfInfo(BTF_KIND_STRUCT, 0));
}

/** DECL_TAG (12 + btf_decl_tag) -> anonymous 1-byte INT (12 + encoding word). */
function declTagToInt(out: BtfCopy, p: number): void {
  setU32(out, p + NAME_OFF, 0);
  setU32(out, p + INFO, btfInfo(BTF_KIND_INT, 0));
  setU32(out, p + SIZE_OR_TYPE, 1);
  setU32(out, p + BTF_TYPE_SIZE, INT_U8_DATA);
}

/** TYPE_TAG -> anonymous CONST of the same type (both 12 bytes). */
function typeTagToConst(out: BtfCopy, p: number): void {
  setU32(out, p + NAME_OFF, 0);
  setU32(out, p + INFO, btfInfo(BTF_KIND_CONST, 0));
}

/**
 * ENUM64 -> UNION of the same size and name: each `btf_enum64 { name_off, val_lo32,
 * val_hi32 }` becomes a `btf_member { name_off, type, offset }` of type `enum64_placeholder`
 * at offset 0.
 */
function enum64ToUnion(out: BtfCopy, p: number): void {
  if (out.enum64Placeholder === undefined) {
    out.enum64Placeholder = appendType(out, addString(out, 'enum64_placeholder'), btfInfo(BTF_KIND_INT, 0), 1, INT_U8_DATA);
  }
  const vlen = vlenAt(out, p);
  setU32(out, p + INFO, btfInfo(BTF_KIND_UNION, vlen));
  for (let i = 0; i < vlen; i++) {
    const mp = p + BTF_TYPE_SIZE + i * 12;
    setU32(out, mp + 4, out.enum64Placeholder);
    setU32(out, mp + 8, 0);
  }
}
