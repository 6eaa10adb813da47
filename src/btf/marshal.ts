/**
 * BTF back to bytes: decoded types plus a string section become a raw BTF blob again.
 *
 * The layout written is the one compilers and pahole write: a 24-byte header, the type
 * section right after it (`type_off` 0), the string section right after the types. Marshalling
 * an object's `.BTF` therefore gives the input back byte for byte; the static linker edits
 * decoded types and marshals the result. (`sanitizeBtf` needs no decoding: every rewrite it
 * makes keeps record sizes, so it patches a copy of the raw bytes in place.)
 * @module
 */
import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_TYPE_SIZE, kindDataSize, typeInfo, type BtfType } from './kinds.js';

/**
 * A string section being built: starts from existing bytes (offsets there stay valid) and
 * appends new strings, reusing an existing copy when there is one.
 */
export class StringTable {
  private chunks: Uint8Array[] = [];
  private length: number;
  private index: Map<string, number> | undefined;
  private readonly initial: Uint8Array;
  private static readonly encoder = new TextEncoder();

  /** @param initial an existing string section (default: just the empty string). */
  constructor(initial: Uint8Array = new Uint8Array(1)) {
    this.initial = initial;
    this.length = initial.byteLength;
  }

  /** Offset of `s`, appending it when it is not in the table yet. */
  add(s: string): number {
    if (s === '') return 0;
    if (!this.index) this.index = indexStrings(this.initial);
    const known = this.index.get(s);
    if (known !== undefined) return known;
    const b = StringTable.encoder.encode(s);
    const chunk = new Uint8Array(b.length + 1);
    chunk.set(b);
    const off = this.length;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.index.set(s, off);
    return off;
  }

  /** The section's bytes. */
  bytes(): Uint8Array {
    if (this.chunks.length === 0) return this.initial;
    const out = new Uint8Array(this.length);
    out.set(this.initial, 0);
    let p = this.initial.byteLength;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

function indexStrings(bytes: Uint8Array): Map<string, number> {
  const m = new Map<string, number>();
  const dec = new TextDecoder();
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      const s = dec.decode(bytes.subarray(start, i));
      if (!m.has(s)) m.set(s, start);
      start = i + 1;
    }
  }
  return m;
}

/** Bytes of the record of decoded type `t` (`struct btf_type` + kind data). */
export function recordSize(t: BtfType): number {
  const { kind, vlen } = typeInfo(t);
  const d = kindDataSize(kind, t.kind === 'FUNC' ? 0 : vlen);
  return BTF_TYPE_SIZE + d;
}

/** Options of {@link encodeBtf}. */
export interface EncodeBtfOptions {
  /** Byte order of the output (default little-endian). */
  littleEndian?: boolean;
  /** `flags` of the header (default 0). */
  flags?: number;
}

/**
 * Encodes types (in order: the first gets the first id) and a string section into raw BTF.
 * Names are written from each type's `nameOff` (not `name`): use a {@link StringTable} to
 * get offsets for new names.
 * @throws {@link BtfError} when a field does not fit its encoding (vlen > 0xffff, ...).
 */
export function encodeBtf(types: readonly BtfType[], strings: Uint8Array, options: EncodeBtfOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  let typeLen = 0;
  for (const t of types) typeLen += recordSize(t);
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strings.byteLength);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, le);
  v.setUint8(2, 1);
  v.setUint8(3, options.flags ?? 0);
  v.setUint32(4, BTF_HEADER_SIZE, le);
  v.setUint32(8, 0, le);
  v.setUint32(12, typeLen, le);
  v.setUint32(16, typeLen, le);
  v.setUint32(20, strings.byteLength, le);
  let p = BTF_HEADER_SIZE;
  for (const t of types) p = writeType(v, p, t, le);
  out.set(strings, BTF_HEADER_SIZE + typeLen);
  return out;
}

function u32(v: DataView, p: number, x: number, le: boolean, t: BtfType, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) {
    throw new BtfError(`type [${t.id}] ${t.kind}: ${what} ${x} does not fit in a u32`, { typeId: t.id });
  }
  v.setUint32(p, x, le);
}

function writeType(v: DataView, p: number, t: BtfType, le: boolean): number {
  const { kind, vlen, kindFlag } = typeInfo(t);
  if (vlen > 0xffff) throw new BtfError(`type [${t.id}] ${t.kind}: ${vlen} entries do not fit in vlen (max 65535)`, { typeId: t.id });
  u32(v, p, t.nameOff, le, t, 'name_off');
  v.setUint32(p + 4, ((kindFlag ? 1 : 0) << 31) | (kind << 24) | vlen, le);
  let d = p + BTF_TYPE_SIZE;
  switch (t.kind) {
    case 'INT':
      u32(v, p + 8, t.size, le, t, 'size');
      v.setUint32(d, ((t.encoding & 0x0f) << 24) | ((t.bitsOffset & 0xff) << 16) | (t.nrBits & 0xff), le);
      return d + 4;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
    case 'FUNC':
      u32(v, p + 8, t.type, le, t, 'type');
      return d;
    case 'ARRAY':
      v.setUint32(p + 8, 0, le);
      u32(v, d, t.type, le, t, 'type');
      u32(v, d + 4, t.indexType, le, t, 'index_type');
      u32(v, d + 8, t.nelems, le, t, 'nelems');
      return d + 12;
    case 'STRUCT':
    case 'UNION':
      u32(v, p + 8, t.size, le, t, 'size');
      for (const m of t.members) {
        u32(v, d, m.nameOff, le, t, 'member name_off');
        u32(v, d + 4, m.type, le, t, 'member type');
        const off = t.kindFlag ? ((m.bitfieldSize & 0xff) << 24) | (m.bitsOffset & 0xffffff) : m.bitsOffset;
        u32(v, d + 8, off >>> 0, le, t, 'member offset');
        d += 12;
      }
      return d;
    case 'ENUM':
      u32(v, p + 8, t.size, le, t, 'size');
      for (const e of t.values) {
        u32(v, d, e.nameOff, le, t, 'enumerator name_off');
        v.setUint32(d + 4, e.value >>> 0, le);
        d += 8;
      }
      return d;
    case 'ENUM64':
      u32(v, p + 8, t.size, le, t, 'size');
      for (const e of t.values) {
        const u = BigInt.asUintN(64, e.value);
        u32(v, d, e.nameOff, le, t, 'enumerator name_off');
        v.setUint32(d + 4, Number(u & 0xffffffffn), le);
        v.setUint32(d + 8, Number(u >> 32n), le);
        d += 12;
      }
      return d;
    case 'FWD':
      v.setUint32(p + 8, 0, le);
      return d;
    case 'FUNC_PROTO':
      u32(v, p + 8, t.returnType, le, t, 'return type');
      for (const q of t.params) {
        u32(v, d, q.nameOff, le, t, 'param name_off');
        u32(v, d + 4, q.type, le, t, 'param type');
        d += 8;
      }
      return d;
    case 'VAR':
      u32(v, p + 8, t.type, le, t, 'type');
      u32(v, d, t.linkage, le, t, 'linkage');
      return d + 4;
    case 'DATASEC':
      u32(v, p + 8, t.size, le, t, 'size');
      for (const s of t.vars) {
        u32(v, d, s.type, le, t, 'var type');
        u32(v, d + 4, s.offset, le, t, 'var offset');
        u32(v, d + 8, s.size, le, t, 'var size');
        d += 12;
      }
      return d;
    case 'FLOAT':
      u32(v, p + 8, t.size, le, t, 'size');
      return d;
    case 'DECL_TAG':
      u32(v, p + 8, t.type, le, t, 'type');
      v.setInt32(d, t.componentIdx, le);
      return d + 4;
  }
}

/** Every own type of `btf`, decoded, in id order: new objects, which the caller may edit. */
export function decodeAll(btf: Btf): BtfType[] {
  const out: BtfType[] = [];
  for (let id = btf.firstId; id <= btf.maxId; id++) out.push(btf.type(id));
  return out;
}

/**
 * Raw BTF for `btf`'s own types and strings (split BTF stays split: ids and string offsets
 * still continue the base's). For BTF written by clang or pahole the result is byte-identical
 * to the input.
 */
export function marshalBtf(btf: Btf, options: EncodeBtfOptions = {}): Uint8Array {
  return encodeBtf(decodeAll(btf), btf.stringBytes, { littleEndian: options.littleEndian ?? btf.littleEndian, flags: options.flags ?? btf.header.flags });
}
