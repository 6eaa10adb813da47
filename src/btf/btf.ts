/**
 * Raw BTF: the header, the type section and the string section, read in place.
 *
 * A {@link Btf} keeps the bytes it was parsed from and one `Uint32Array` of record offsets
 * (built in a single pass). Types are decoded on demand by {@link Btf.type}; names are found
 * through a hash index over the name bytes that is built on the first lookup. Loading the
 * kernel's vmlinux BTF (~127k types, ~5.5 MB) therefore costs one scan and one validation
 * pass, and a few hundred kilobytes of typed arrays, not 127k objects.
 *
 * Layout (`struct btf_header`, all fields in the byte order given by the magic):
 * ```
 * __u16 magic;     // 0xeB9F; read as 0x9FEB the blob is of the other byte order
 * __u8  version;   // 1
 * __u8  flags;
 * __u32 hdr_len;   // 24 today; later kernels may grow the header
 * __u32 type_off;  // type section, relative to the end of the header
 * __u32 type_len;
 * __u32 str_off;   // string section, relative to the end of the header
 * __u32 str_len;
 * ```
 *
 * Split BTF (kernel modules, `/sys/kernel/btf/<module>`) continues a base BTF (vmlinux): its
 * first type id is the base's last id + 1, and its string offsets start at the base's string
 * section length (kernel `btf_parse_str_sec`, libbpf `btf_new(..., base_btf)`).
 * @module
 */
import { ByteReader, decodeAscii } from '../bytes/reader.js';
import { BtfError } from './errors.js';
import {
  BTF_HEADER_SIZE,
  BTF_KIND_ARRAY as BTF_KIND_ARRAY_,
  BTF_KIND_CONST as BTF_KIND_CONST_,
  BTF_KIND_DATASEC as BTF_KIND_DATASEC_,
  BTF_KIND_DECL_TAG as BTF_KIND_DECL_TAG_,
  BTF_KIND_ENUM as BTF_KIND_ENUM_,
  BTF_KIND_ENUM64 as BTF_KIND_ENUM64_,
  BTF_KIND_FLOAT as BTF_KIND_FLOAT_,
  BTF_KIND_FUNC as BTF_KIND_FUNC_,
  BTF_KIND_FUNC_PROTO as BTF_KIND_FUNC_PROTO_,
  BTF_KIND_FWD as BTF_KIND_FWD_,
  BTF_KIND_INT as BTF_KIND_INT_,
  BTF_KIND_NAMES,
  BTF_KIND_PTR as BTF_KIND_PTR_,
  BTF_KIND_RESTRICT as BTF_KIND_RESTRICT_,
  BTF_KIND_STRUCT as BTF_KIND_STRUCT_,
  BTF_KIND_TYPEDEF as BTF_KIND_TYPEDEF_,
  BTF_KIND_TYPE_TAG as BTF_KIND_TYPE_TAG_,
  BTF_KIND_UNION as BTF_KIND_UNION_,
  BTF_KIND_VAR as BTF_KIND_VAR_,
  BTF_KIND_VOLATILE as BTF_KIND_VOLATILE_,
  BTF_MAGIC,
  BTF_MAX_TYPE,
  BTF_TYPE_SIZE as BTF_TYPE_SIZE_,
  kindDataSize as kindDataSize_,
  kindNumber,
  type BtfKindName,
  type BtfType,
} from './kinds.js';

/** The decoded `struct btf_header`. */
export interface BtfHeader {
  /** `magic`: always 0xeb9f once the byte order is known. */
  magic: number;
  /** `version`: 1 ({@link BTF_VERSION}). */
  version: number;
  /** `flags`: 0. */
  flags: number;
  /** `hdr_len`. */
  hdrLen: number;
  /** `type_off`, relative to the end of the header. */
  typeOff: number;
  /** `type_len`: bytes of `struct btf_type` records and their kind data. */
  typeLen: number;
  /** `str_off`, relative to the end of the header. */
  strOff: number;
  /** `str_len`: bytes of NUL-terminated names; offset 0 is the empty string. */
  strLen: number;
}

/** Options of {@link parseBtf}. */
export interface ParseBtfOptions {
  /** Base BTF of split BTF (vmlinux for a module). */
  base?: Btf;
  /** Section name for error messages (default `.BTF`). */
  section?: string;
}

const utf8Encoder = new TextEncoder();

// Module-local copies of the kind numbers: hot loops read them as plain constants (an
// imported binding can compile to a property getter under some transpilers).
const BTF_KIND_ARRAY = BTF_KIND_ARRAY_;
const BTF_KIND_CONST = BTF_KIND_CONST_;
const BTF_KIND_DATASEC = BTF_KIND_DATASEC_;
const BTF_KIND_DECL_TAG = BTF_KIND_DECL_TAG_;
const BTF_KIND_ENUM = BTF_KIND_ENUM_;
const BTF_KIND_ENUM64 = BTF_KIND_ENUM64_;
const BTF_KIND_FLOAT = BTF_KIND_FLOAT_;
const BTF_KIND_FUNC = BTF_KIND_FUNC_;
const BTF_KIND_FUNC_PROTO = BTF_KIND_FUNC_PROTO_;
const BTF_KIND_FWD = BTF_KIND_FWD_;
const BTF_KIND_INT = BTF_KIND_INT_;
const BTF_KIND_PTR = BTF_KIND_PTR_;
const BTF_KIND_RESTRICT = BTF_KIND_RESTRICT_;
const BTF_KIND_STRUCT = BTF_KIND_STRUCT_;
const BTF_KIND_TYPEDEF = BTF_KIND_TYPEDEF_;
const BTF_KIND_TYPE_TAG = BTF_KIND_TYPE_TAG_;
const BTF_KIND_UNION = BTF_KIND_UNION_;
const BTF_KIND_VAR = BTF_KIND_VAR_;
const BTF_KIND_VOLATILE = BTF_KIND_VOLATILE_;
const BTF_TYPE_SIZE = BTF_TYPE_SIZE_;
const kindDataSize = kindDataSize_;


/**
 * Parses raw BTF (the `.BTF` section of an object, or `/sys/kernel/btf/*`).
 *
 * Checks everything a consumer relies on, so later decoding cannot go wrong: header bounds and
 * layout, every record inside the type section, known kinds with no reserved bits set, every
 * string offset inside the string section, every referenced type id in range, member offsets
 * inside their struct, bitfield and INT widths. Reference cycles are found when a chain is
 * resolved (see `resolveType`).
 *
 * @throws {@link BtfError} naming the type id and what is wrong.
 */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  return new Btf(bytes, options);
}

/** Raw BTF with lazily built indexes. Create with {@link parseBtf}. */
export class Btf {
  /** The bytes this BTF was parsed from (header included). */
  readonly bytes: Uint8Array;
  /** Byte order, from the magic. */
  readonly littleEndian: boolean;
  /** The `struct btf_header` this BTF was parsed with. */
  readonly header: BtfHeader;
  /** Base BTF of split BTF, or undefined. */
  readonly base: Btf | undefined;
  /** Id of this BTF's first own type: 1, or the base's last id + 1 for split BTF. */
  readonly firstId: number;
  /** Number of types this BTF itself holds (without the base's). */
  readonly ownTypeCount: number;
  /** Offset of the first own string: 0, or the base's total string length for split BTF. */
  readonly strBase: number;
  /** Section name used in errors. */
  readonly section: string;

  private readonly reader: ByteReader;
  private readonly view: DataView;
  /** Offset in `bytes` of each own type record, indexed by `id - firstId`. */
  private readonly offsets: Uint32Array;
  /** Offset in `bytes` of the string section, and its length. */
  private readonly strStart: number;
  private readonly strLen: number;
  private nameTable: Uint32Array | undefined;
  private nameHashes: Uint32Array | undefined;
  private shared: Map<number, BtfType> | undefined;
  private datasecs: number[] | undefined;

  constructor(bytes: Uint8Array, options: ParseBtfOptions = {}) {
    this.bytes = bytes;
    this.base = options.base;
    this.section = options.section ?? '.BTF';
    const section = this.section;
    const fail = (what: string, offset: number): Error => new BtfError(what, { section, offset });
    if (bytes.byteLength < 4) throw fail(`too short for a BTF header (${bytes.byteLength} bytes)`, 0);
    // The magic decides the byte order: 0xeb9f read little-endian is 9f eb on disk.
    const le = bytes[0] === 0x9f && bytes[1] === 0xeb;
    const be = bytes[0] === 0xeb && bytes[1] === 0x9f;
    if (!le && !be) throw fail(`bad magic 0x${((bytes[0]! << 8) | bytes[1]!).toString(16)} (expected 0xeb9f)`, 0);
    this.littleEndian = le;
    const r = new ByteReader(bytes, le, fail);
    this.reader = r;
    this.view = r.view;
    const version = r.u8(2, 'version');
    if (version !== 1) throw fail(`unsupported version ${version}`, 2);
    const hdrLen = r.u32(4, 'hdr_len');
    if (hdrLen < BTF_HEADER_SIZE) throw fail(`hdr_len ${hdrLen} is shorter than struct btf_header (${BTF_HEADER_SIZE})`, 4);
    if (hdrLen > bytes.byteLength) throw fail(`hdr_len ${hdrLen} is past the end (${bytes.byteLength} bytes)`, 4);
    // A longer header from a newer kernel must be zero past what we know (kernel btf_parse_hdr).
    for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
      if (bytes[i] !== 0) throw fail(`unsupported non-zero header byte at ${i} (hdr_len ${hdrLen})`, i);
    }
    this.header = {
      magic: BTF_MAGIC,
      version,
      flags: r.u8(3, 'flags'),
      hdrLen,
      typeOff: r.u32(8, 'type_off'),
      typeLen: r.u32(12, 'type_len'),
      strOff: r.u32(16, 'str_off'),
      strLen: r.u32(20, 'str_len'),
    };
    const h = this.header;
    const typeStart = hdrLen + h.typeOff;
    const typeEnd = typeStart + h.typeLen;
    const strStart = hdrLen + h.strOff;
    const strEnd = strStart + h.strLen;
    // Plain number arithmetic: no u32 wrap (libbpf issue #390).
    if (typeEnd > bytes.byteLength) throw fail(`type section (offset ${h.typeOff}, length ${h.typeLen}) runs past the end (${bytes.byteLength} bytes)`, 8);
    if (strEnd > bytes.byteLength) throw fail(`string section (offset ${h.strOff}, length ${h.strLen}) runs past the end (${bytes.byteLength} bytes)`, 16);
    if (h.typeOff % 4 !== 0) throw fail(`type section offset ${h.typeOff} is not 4-byte aligned`, 8);
    // Same layout rule as libbpf's btf_parse_hdr: types, then strings, no overlap.
    if (typeEnd > strStart) throw fail(`type section (ends at ${typeEnd}) overlaps the string section (starts at ${strStart})`, 16);
    this.strStart = strStart;
    this.strLen = h.strLen;

    // Strings (libbpf btf_parse_str_sec): a base string section starts with "" and every
    // section ends with a NUL, so any in-range offset decodes to a terminated string.
    if (this.base === undefined) {
      if (h.strLen === 0 || bytes[strStart] !== 0) throw fail('string section must start with an empty string', strStart);
    }
    if (h.strLen > 0 && bytes[strEnd - 1] !== 0) throw fail('string section is not NUL-terminated', strEnd - 1);
    this.strBase = this.base ? this.base.strBase + this.base.strLen : 0;
    this.firstId = this.base ? this.base.maxId + 1 : 1;

    // Pass 1: record offsets. The smallest record is 12 bytes, which bounds the count by the
    // bytes that exist before anything is allocated.
    const cap = Math.floor(h.typeLen / BTF_TYPE_SIZE);
    const offsets = new Uint32Array(cap);
    const n = scanTypes(this.view, le, typeStart, typeEnd, offsets, this.firstId, section);
    this.offsets = offsets.subarray(0, n);
    this.ownTypeCount = n;
    this.validate();
  }

  /** Highest valid type id (base included). */
  get maxId(): number {
    return this.firstId + this.ownTypeCount - 1;
  }

  /** Number of types, base included, not counting `void` (id 0). */
  get typeCount(): number {
    return this.maxId;
  }

  /** Bytes of the own string section. */
  get stringsLength(): number {
    return this.strLen;
  }

  /** The own string section, as a view. */
  get stringBytes(): Uint8Array {
    return this.bytes.subarray(this.strStart, this.strStart + this.strLen);
  }

  /** The own type section, as a view. */
  get typeBytes(): Uint8Array {
    const start = this.header.hdrLen + this.header.typeOff;
    return this.bytes.subarray(start, start + this.header.typeLen);
  }

  // ---------------------------------------------------------------------------------------
  // Pass 2: validation. Reads every field that names a string or a type, and the offsets
  // the kernel checks in btf_struct_check_meta / btf_int_check_meta.

  private validate(): void {
    validateTypes(this, this.view, this.littleEndian, this.offsets, this.firstId, this.maxId, this.strBase + this.strLen);
  }

  private invalid(id: number, p: number, what: string, off = p): BtfError {
    const v = this.view;
    const nameOff = v.getUint32(p, this.littleEndian);
    const kind = (v.getUint32(p + 4, this.littleEndian) >>> 24) & 0x1f;
    return new BtfError(`type [${id}] ${BTF_KIND_NAMES[kind]}${this.quotedName(nameOff, this.strBase + this.strLen)}: ${what}`, {
      section: this.section,
      offset: off,
      typeId: id,
    });
  }

  private memberLabel(m: number, nameOff: number): string {
    return `member #${m}${this.quotedName(nameOff, this.strBase + this.strLen)}`;
  }

  private quotedName(nameOff: number, strTotal: number): string {
    if (nameOff === 0 || nameOff >= strTotal) return '';
    return ` '${this.str(nameOff)}'`;
  }

  // ---------------------------------------------------------------------------------------
  // Raw accessors: no allocation, for hot loops (dumpers, indexes, resolution).

  /** Whether `id` names a type (0 is `void` and is not a type record). */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id <= this.maxId;
  }

  /** The `Btf` that holds `id` (this or a base) and the record offset in its bytes. */
  private locate(id: number): { btf: Btf; offset: number } {
    if (id >= this.firstId && id <= this.maxId && Number.isInteger(id)) return { btf: this, offset: this.offsets[id - this.firstId]! };
    if (this.base && id >= 1 && id < this.firstId) return this.base.locate(id);
    throw new BtfError(`type id ${id} out of range (1..${this.maxId})`, { section: this.section, typeId: id });
  }

  /** Record offset of an own type id, or -1 when it belongs to the base. */
  private ownOffset(id: number): number {
    if (id >= this.firstId && id <= this.maxId && (id | 0) === id) return this.offsets[id - this.firstId]!;
    return -1;
  }

  /** `BTF_INFO_KIND(info)` of type `id`; 0 (`BTF_KIND_UNKN`) for `void`. */
  kindOf(id: number): number {
    if (id === 0) return 0;
    const p = this.ownOffset(id);
    if (p < 0) return this.locateBase(id).kindOf(id);
    return (this.view.getUint32(p + 4, this.littleEndian) >>> 24) & 0x1f;
  }

  /** `BTF_INFO_VLEN(info)` of type `id`. */
  vlenOf(id: number): number {
    const p = this.ownOffset(id);
    if (p < 0) return this.locateBase(id).vlenOf(id);
    return this.view.getUint32(p + 4, this.littleEndian) & 0xffff;
  }

  /** `BTF_INFO_KFLAG(info)` of type `id`. */
  kindFlagOf(id: number): boolean {
    const p = this.ownOffset(id);
    if (p < 0) return this.locateBase(id).kindFlagOf(id);
    return this.view.getUint32(p + 4, this.littleEndian) >>> 31 === 1;
  }

  /** `name_off` of type `id`. */
  nameOffOf(id: number): number {
    const p = this.ownOffset(id);
    if (p < 0) return this.locateBase(id).nameOffOf(id);
    return this.view.getUint32(p, this.littleEndian);
  }

  /** The name of type `id`, `''` when anonymous or `void`. */
  nameOf(id: number): string {
    if (id === 0) return '';
    return this.str(this.nameOffOf(id));
  }

  /** The third word of `struct btf_type`: `size` or `type` depending on the kind. */
  sizeOrTypeOf(id: number): number {
    const p = this.ownOffset(id);
    if (p < 0) return this.locateBase(id).sizeOrTypeOf(id);
    return this.view.getUint32(p + 8, this.littleEndian);
  }

  /** The u32 at byte `index*4` of the kind-specific data after `struct btf_type`. */
  dataU32(id: number, index: number): number {
    const p = this.ownOffset(id);
    if (p < 0) return this.locateBase(id).dataU32(id, index);
    return this.reader.u32(p + BTF_TYPE_SIZE + index * 4, 'type data');
  }

  private locateBase(id: number): Btf {
    if (this.base && id >= 1 && id < this.firstId && Number.isInteger(id)) return this.base;
    throw new BtfError(`type id ${id} out of range (1..${this.maxId})`, { section: this.section, typeId: id });
  }

  /** The string at `off` in the string section (base strings first for split BTF). */
  str(off: number): string {
    if (off < this.strBase) {
      if (this.base) return this.base.str(off);
    }
    const local = off - this.strBase;
    if (!(local >= 0 && local < this.strLen)) {
      throw new BtfError(`string offset ${off} is past the end of the string section (${this.strBase + this.strLen} bytes)`, { section: this.section });
    }
    const start = this.strStart + local;
    const end = this.bytes.indexOf(0, start);
    return decodeAscii(this.bytes, start, end);
  }

  /** The string at `off`, or undefined when out of range (never throws). */
  strOrUndefined(off: number): string | undefined {
    if (!Number.isInteger(off) || off < 0 || off >= this.strBase + this.strLen) return undefined;
    return this.str(off);
  }

  // ---------------------------------------------------------------------------------------
  // Decoding.

  /**
   * Decodes type `id` into a plain object. Each call returns a new object.
   * @throws {@link BtfError} when `id` is 0 (`void`) or out of range.
   */
  type(id: number): BtfType {
    const { btf, offset } = this.locate(id);
    return btf.decodeAt(id, offset);
  }

  /**
   * `type(id)`, decoded once per BTF and then shared by every caller, who must not modify it:
   * for code that reads the same types again and again (CO-RE walks `task_struct`'s hundreds
   * of members for every relocation against it). The cache lives on this object, not in a
   * WeakMap keyed by it: V8's scavenger keeps a WeakMap value alive until the next full GC
   * even when its key has died, and an object file's BTF lives for one load.
   */
  sharedType(id: number): BtfType {
    const cache = (this.shared ??= new Map());
    let t = cache.get(id);
    if (t === undefined) {
      t = this.type(id);
      cache.set(id, t);
    }
    return t;
  }

  /** Every type, in id order (base types too when `includeBase`). Decodes lazily. */
  *types(includeBase = false): IterableIterator<BtfType> {
    const start = includeBase ? 1 : this.firstId;
    for (let id = start; id <= this.maxId; id++) yield this.type(id);
  }

  private decodeAt(id: number, p: number): BtfType {
    const v = this.view;
    const le = this.littleEndian;
    const nameOff = v.getUint32(p, le);
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const x = v.getUint32(p + 8, le);
    const d = p + BTF_TYPE_SIZE;
    const name = this.str(nameOff);
    switch (kind) {
      case BTF_KIND_INT: {
        const enc = v.getUint32(d, le);
        return { id, kind: 'INT', name, nameOff, size: x, encoding: (enc >>> 24) & 0x0f, bitsOffset: (enc >>> 16) & 0xff, nrBits: enc & 0xff };
      }
      case BTF_KIND_PTR:
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_TYPE_TAG:
        return { id, kind: BTF_KIND_NAMES[kind] as 'PTR', name, nameOff, type: x, kindFlag };
      case BTF_KIND_ARRAY:
        return { id, kind: 'ARRAY', name, nameOff, type: v.getUint32(d, le), indexType: v.getUint32(d + 4, le), nelems: v.getUint32(d + 8, le) };
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        const members = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const mp = d + i * 12;
          const mNameOff = v.getUint32(mp, le);
          const off = v.getUint32(mp + 8, le);
          members[i] = {
            name: this.str(mNameOff),
            nameOff: mNameOff,
            type: v.getUint32(mp + 4, le),
            bitsOffset: kindFlag ? off & 0xffffff : off,
            bitfieldSize: kindFlag ? off >>> 24 : 0,
          };
        }
        return { id, kind: kind === BTF_KIND_STRUCT ? 'STRUCT' : 'UNION', name, nameOff, size: x, kindFlag, members };
      }
      case BTF_KIND_ENUM: {
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const vNameOff = v.getUint32(d + i * 8, le);
          const raw = kindFlag ? v.getInt32(d + i * 8 + 4, le) : v.getUint32(d + i * 8 + 4, le);
          values[i] = { name: this.str(vNameOff), nameOff: vNameOff, value: raw };
        }
        return { id, kind: 'ENUM', name, nameOff, size: x, signed: kindFlag, values };
      }
      case BTF_KIND_ENUM64: {
        const values = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const vp = d + i * 12;
          const vNameOff = v.getUint32(vp, le);
          const u = (BigInt(v.getUint32(vp + 8, le)) << 32n) | BigInt(v.getUint32(vp + 4, le));
          values[i] = { name: this.str(vNameOff), nameOff: vNameOff, value: kindFlag ? BigInt.asIntN(64, u) : u };
        }
        return { id, kind: 'ENUM64', name, nameOff, size: x, signed: kindFlag, values };
      }
      case BTF_KIND_FWD:
        return { id, kind: 'FWD', name, nameOff, fwdKind: kindFlag ? 'union' : 'struct' };
      case BTF_KIND_FUNC:
        return { id, kind: 'FUNC', name, nameOff, type: x, linkage: vlen };
      case BTF_KIND_FUNC_PROTO: {
        const params = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const pNameOff = v.getUint32(d + i * 8, le);
          params[i] = { name: this.str(pNameOff), nameOff: pNameOff, type: v.getUint32(d + i * 8 + 4, le) };
        }
        return { id, kind: 'FUNC_PROTO', name, nameOff, returnType: x, params };
      }
      case BTF_KIND_VAR:
        return { id, kind: 'VAR', name, nameOff, type: x, linkage: v.getUint32(d, le) };
      case BTF_KIND_DATASEC: {
        const vars = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const sp = d + i * 12;
          vars[i] = { type: v.getUint32(sp, le), offset: v.getUint32(sp + 4, le), size: v.getUint32(sp + 8, le) };
        }
        return { id, kind: 'DATASEC', name, nameOff, size: x, vars };
      }
      case BTF_KIND_FLOAT:
        return { id, kind: 'FLOAT', name, nameOff, size: x };
      case BTF_KIND_DECL_TAG:
        return { id, kind: 'DECL_TAG', name, nameOff, type: x, componentIdx: v.getInt32(d, le), kindFlag };
      default:
        // Unreachable: the constructor rejects unknown kinds.
        throw new BtfError(`type [${id}]: unknown kind ${kind}`, { section: this.section, offset: p, typeId: id });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Name index: an open-addressing hash table over FNV-1a hashes of the name bytes, holding
  // own type indexes + 1 in id order. Linear probing keeps equal names in insertion (= id)
  // order along a probe sequence, so the first match is the lowest id, as libbpf's
  // btf__find_by_name_kind returns.

  private buildNameIndex(): Uint32Array {
    const n = this.ownTypeCount;
    let cap = 16;
    while (cap < n * 2) cap <<= 1;
    const table = new Uint32Array(cap);
    const hashes = new Uint32Array(n);
    const mask = cap - 1;
    const v = this.view;
    const le = this.littleEndian;
    const bytes = this.bytes;
    const own = this.strBase;
    const strStart = this.strStart;
    for (let i = 0; i < n; i++) {
      const nameOff = v.getUint32(this.offsets[i]!, le);
      if (nameOff === 0) continue;
      let h: number;
      if (nameOff >= own) {
        h = 0x811c9dc5;
        for (let q = strStart + nameOff - own; ; q++) {
          const c = bytes[q]!;
          if (c === 0) break;
          h = Math.imul(h ^ c, 0x01000193);
        }
      } else {
        h = hashBytes(utf8Encoder.encode(this.str(nameOff)));
      }
      h >>>= 0;
      hashes[i] = h;
      let slot = h & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
    this.nameHashes = hashes;
    this.nameTable = table;
    return table;
  }

  /**
   * The lowest type id named `name`, optionally of one kind, or undefined.
   * The name index is built on the first call (one pass over the names).
   */
  findByName(name: string, kind?: BtfKindName | number): number | undefined {
    if (this.base) {
      const inBase = this.base.findByName(name, kind);
      if (inBase !== undefined) return inBase;
    }
    // An object file's loader asks for a few DATASECs (`.maps`, `.rodata`, `.kconfig`) and
    // nothing else: their short list answers without hashing every name of the BTF.
    if ((kind === 'DATASEC' || kind === BTF_KIND_DATASEC) && !this.nameTable && name !== '') {
      for (const id of (this.datasecs ??= this.idsOfKind(BTF_KIND_DATASEC))) {
        if (this.nameEquals(this.view.getUint32(this.offsets[id - this.firstId]!, this.littleEndian), name, undefined)) return id;
      }
      return undefined;
    }
    let found: number | undefined;
    this.probe(name, kind, (id) => {
      found = id;
      return false;
    });
    return found;
  }

  /** The own type ids of kind `kind`, in id order (one pass over the type headers). */
  private idsOfKind(kind: number): number[] {
    const ids: number[] = [];
    const v = this.view;
    const le = this.littleEndian;
    for (let i = 0; i < this.ownTypeCount; i++) {
      if (((v.getUint32(this.offsets[i]! + 4, le) >>> 24) & 0x1f) === kind) ids.push(this.firstId + i);
    }
    return ids;
  }

  /** Every type id named `name` (optionally of one kind), in id order, base first. */
  findAllByName(name: string, kind?: BtfKindName | number): number[] {
    const out = this.base ? this.base.findAllByName(name, kind) : [];
    this.probe(name, kind, (id) => {
      out.push(id);
      return true;
    });
    return out;
  }

  /** Calls `visit` for each own id named `name` in id order until it returns false. */
  private probe(name: string, kind: BtfKindName | number | undefined, visit: (id: number) => boolean): void {
    if (name === '') return;
    const table = this.nameTable ?? this.buildNameIndex();
    const hashes = this.nameHashes!;
    const k = kind === undefined ? -1 : typeof kind === 'number' ? kind : kindNumber(kind);
    let query: Uint8Array | undefined;
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c >= 0x80) {
        query = utf8Encoder.encode(name);
        break;
      }
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (query) h = hashBytes(query);
    h >>>= 0;
    const mask = table.length - 1;
    const v = this.view;
    const le = this.littleEndian;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = table[slot]!;
      if (e === 0) return;
      const i = e - 1;
      if (hashes[i] !== h) continue;
      const p = this.offsets[i]!;
      if (k >= 0 && ((v.getUint32(p + 4, le) >>> 24) & 0x1f) !== k) continue;
      if (!this.nameEquals(v.getUint32(p, le), name, query)) continue;
      if (!visit(this.firstId + i)) return;
    }
  }

  private nameEquals(nameOff: number, name: string, query: Uint8Array | undefined): boolean {
    if (nameOff < this.strBase || query) return this.str(nameOff) === name;
    const bytes = this.bytes;
    const start = this.strStart + nameOff - this.strBase;
    const n = name.length;
    for (let i = 0; i < n; i++) if (bytes[start + i] !== name.charCodeAt(i)) return false;
    return bytes[start + n] === 0;
  }
}

function validateTypes(btf: Btf, v: DataView, le: boolean, offsets: Uint32Array, firstId: number, maxId: number, strTotal: number): void {
  for (let i = 0; i < offsets.length; i++) {
    const p = offsets[i]!;
    const id = firstId + i;
    const nameOff = v.getUint32(p, le);
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = v.getUint32(p + 8, le);
    if (nameOff >= strTotal) throw btf['invalid'](id, p, `name offset ${nameOff} is past the end of the string section (${strTotal} bytes)`);
    // Bits 16-23 and 29-30 of info are unused; the kernel rejects them (btf_check_meta).
    if ((info & 0x60ff0000) !== 0) throw btf['invalid'](id, p, `info 0x${info.toString(16)} has unused bits set`, p + 4);
    const data = p + BTF_TYPE_SIZE;
    switch (kind) {
      case BTF_KIND_INT: {
        const enc = v.getUint32(data, le);
        const bits = enc & 0xff;
        const off = (enc >>> 16) & 0xff;
        if (kflag || vlen) throw btf['invalid'](id, p, 'kind_flag and vlen must be 0');
        if (bits > 128 || off + bits > sizeOrType * 8) {
          throw btf['invalid'](id, p, `bits_offset ${off} + nr_bits ${bits} exceed size ${sizeOrType} bytes`);
        }
        if (enc & 0x00f0ff00) throw btf['invalid'](id, p, `int data 0x${enc.toString(16)} has unused bits set`, data);
        break;
      }
      case BTF_KIND_PTR:
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
        if (vlen) throw btf['invalid'](id, p, 'vlen must be 0');
        if (kflag && kind !== BTF_KIND_TYPE_TAG) throw btf['invalid'](id, p, 'kind_flag must be 0');
        if (sizeOrType > maxId) throw btf['invalid'](id, p, `type id ${sizeOrType} out of range (max ${maxId})`);
        if (kind === BTF_KIND_TYPEDEF && sizeOrType === id) throw btf['invalid'](id, p, 'typedef refers to itself');
        break;
      case BTF_KIND_FUNC:
        if (kflag) throw btf['invalid'](id, p, 'kind_flag must be 0');
        if (vlen > 2) throw btf['invalid'](id, p, `unknown linkage ${vlen}`);
        if (sizeOrType > maxId) throw btf['invalid'](id, p, `type id ${sizeOrType} out of range (max ${maxId})`);
        break;
      case BTF_KIND_FWD:
        if (vlen) throw btf['invalid'](id, p, 'vlen must be 0');
        break;
      case BTF_KIND_FLOAT:
        if (kflag || vlen) throw btf['invalid'](id, p, 'kind_flag and vlen must be 0');
        if (sizeOrType !== 2 && sizeOrType !== 4 && sizeOrType !== 8 && sizeOrType !== 12 && sizeOrType !== 16) {
          throw btf['invalid'](id, p, `invalid size ${sizeOrType}`);
        }
        break;
      case BTF_KIND_ARRAY: {
        if (kflag || vlen) throw btf['invalid'](id, p, 'kind_flag and vlen must be 0');
        const elem = v.getUint32(data, le);
        const index = v.getUint32(data + 4, le);
        if (elem > maxId) throw btf['invalid'](id, p, `element type id ${elem} out of range (max ${maxId})`, data);
        if (index > maxId) throw btf['invalid'](id, p, `index type id ${index} out of range (max ${maxId})`, data + 4);
        break;
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        const sizeBits = sizeOrType * 8;
        for (let m = 0; m < vlen; m++) {
          const mp = data + m * 12;
          const mName = v.getUint32(mp, le);
          const mType = v.getUint32(mp + 4, le);
          const mOff = v.getUint32(mp + 8, le);
          if (mName >= strTotal) throw btf['invalid'](id, p, `member #${m}: name offset ${mName} is past the end of the string section (${strTotal} bytes)`, mp);
          if (mType > maxId || mType === 0) throw btf['invalid'](id, p, `${btf['memberLabel'](m, mName)}: type id ${mType} out of range (1..${maxId})`, mp + 4);
          const bitOff = kflag ? mOff & 0xffffff : mOff;
          const bitSize = kflag ? mOff >>> 24 : 0;
          if (bitOff > sizeBits || bitOff + bitSize > sizeBits) {
            throw btf['invalid'](id, p, `${btf['memberLabel'](m, mName)}: bit offset ${bitOff}${bitSize ? ` + bitfield size ${bitSize}` : ''} is beyond the ${kind === BTF_KIND_UNION ? 'union' : 'struct'} size (${sizeOrType} bytes)`, mp + 8);
          }
        }
        break;
      }
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        const stride = kind === BTF_KIND_ENUM ? 8 : 12;
        if (kind === BTF_KIND_ENUM && sizeOrType !== 1 && sizeOrType !== 2 && sizeOrType !== 4 && sizeOrType !== 8) {
          throw btf['invalid'](id, p, `invalid size ${sizeOrType}`);
        }
        for (let m = 0; m < vlen; m++) {
          const mName = v.getUint32(data + m * stride, le);
          if (mName >= strTotal) throw btf['invalid'](id, p, `value #${m}: name offset ${mName} is past the end of the string section (${strTotal} bytes)`, data + m * stride);
        }
        break;
      }
      case BTF_KIND_FUNC_PROTO: {
        if (kflag) throw btf['invalid'](id, p, 'kind_flag must be 0');
        if (sizeOrType > maxId) throw btf['invalid'](id, p, `return type id ${sizeOrType} out of range (max ${maxId})`);
        for (let m = 0; m < vlen; m++) {
          const pName = v.getUint32(data + m * 8, le);
          const pType = v.getUint32(data + m * 8 + 4, le);
          if (pName >= strTotal) throw btf['invalid'](id, p, `param #${m}: name offset ${pName} is past the end of the string section (${strTotal} bytes)`, data + m * 8);
          if (pType > maxId) throw btf['invalid'](id, p, `param #${m}: type id ${pType} out of range (max ${maxId})`, data + m * 8 + 4);
        }
        break;
      }
      case BTF_KIND_VAR: {
        if (kflag || vlen) throw btf['invalid'](id, p, 'kind_flag and vlen must be 0');
        if (sizeOrType > maxId || sizeOrType === 0) throw btf['invalid'](id, p, `type id ${sizeOrType} out of range (1..${maxId})`);
        const linkage = v.getUint32(data, le);
        if (linkage > 2) throw btf['invalid'](id, p, `unknown linkage ${linkage}`, data);
        break;
      }
      case BTF_KIND_DATASEC: {
        if (kflag) throw btf['invalid'](id, p, 'kind_flag must be 0');
        for (let m = 0; m < vlen; m++) {
          const sp = data + m * 12;
          const sType = v.getUint32(sp, le);
          const sOff = v.getUint32(sp + 4, le);
          const sSize = v.getUint32(sp + 8, le);
          if (sType > maxId || sType === 0) throw btf['invalid'](id, p, `var #${m}: type id ${sType} out of range (1..${maxId})`, sp);
          // Object files leave DATASEC sizes 0 until the loader fills them in.
          if (sizeOrType !== 0 && sOff + sSize > sizeOrType) {
            throw btf['invalid'](id, p, `var #${m}: offset ${sOff} + size ${sSize} is beyond the section size (${sizeOrType} bytes)`, sp + 4);
          }
        }
        break;
      }
      case BTF_KIND_DECL_TAG: {
        if (vlen) throw btf['invalid'](id, p, 'vlen must be 0');
        if (sizeOrType > maxId || sizeOrType === 0) throw btf['invalid'](id, p, `type id ${sizeOrType} out of range (1..${maxId})`);
        const idx = v.getInt32(data, le);
        if (idx < -1) throw btf['invalid'](id, p, `component_idx ${idx} is invalid`, data);
        break;
      }
    }
  }
}


/**
 * Pass 1: fills `offsets` with the offset of each type record in `[start, end)` and returns
 * the count. Every record is checked to lie inside the type section before it is recorded.
 */
function scanTypes(v: DataView, le: boolean, start: number, end: number, offsets: Uint32Array, firstId: number, section: string): number {
  let n = 0;
  let p = start;
  while (p < end) {
    if (p + BTF_TYPE_SIZE > end) throw scanError(firstId + n, p, section, 'record header of 12 bytes runs past the end of the type section');
    if (firstId + n > BTF_MAX_TYPE) throw scanError(firstId + n, p, section, `more types than BTF allows (max id ${BTF_MAX_TYPE})`);
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const dataSize = kindDataSize(kind, vlen);
    if (dataSize < 0) throw scanError(firstId + n, p, section, `unknown kind ${kind}`);
    if (p + BTF_TYPE_SIZE + dataSize > end) {
      throw scanError(firstId + n, p, section, `${BTF_KIND_NAMES[kind]} record of ${BTF_TYPE_SIZE + dataSize} bytes (vlen ${vlen}) runs past the end of the type section`);
    }
    offsets[n++] = p;
    p += BTF_TYPE_SIZE + dataSize;
  }
  return n;
}

function scanError(id: number, p: number, section: string, what: string): BtfError {
  return new BtfError(`type [${id}]: ${what}`, { section, offset: p, typeId: id });
}

function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

/** `[id] KIND 'name'` for messages. */
export function describeType(btf: Btf, id: number): string {
  if (id === 0) return '[0] void';
  if (!btf.has(id)) return `[${id}]`;
  const name = btf.nameOf(id);
  return `[${id}] ${BTF_KIND_NAMES[btf.kindOf(id)]}${name ? ` '${name}'` : ''}`;
}
