/**
 * Values: plain JS values marshalled by a BTF type, the way a map's key and value are laid out
 * in kernel memory.
 *
 * A type is compiled once into a {@link ValueLayout} (offsets, widths, signedness, which char
 * arrays are strings), then {@link BtfValueCodec.encode}/{@link BtfValueCodec.decode} walk the
 * layout. The mapping, type by type:
 *
 * | BTF                                   | JS                                            |
 * |---------------------------------------|-----------------------------------------------|
 * | INT of 1, 2 or 4 bytes                | `number` (signed per `BTF_INT_SIGNED`)        |
 * | INT of 8 or 16 bytes                  | `bigint`                                      |
 * | INT with `BTF_INT_BOOL`               | `boolean`                                     |
 * | ENUM / ENUM64                         | as an INT of its size; encode also takes a name |
 * | FLOAT of 4 or 8 bytes                 | `number`; other sizes: `Uint8Array`           |
 * | PTR                                   | `bigint` (an address, 8 bytes)                |
 * | ARRAY of `char`                       | `string`: UTF-8 up to the first NUL (a `Uint8Array` of those bytes when they are not UTF-8) |
 * | other ARRAY                           | an array (a typed array is accepted on encode) |
 * | STRUCT / UNION / DATASEC              | an object keyed by member name                |
 * | bitfield member                       | as its INT/ENUM type                          |
 *
 * A `char` array is one whose element, after const/volatile but not typedefs, is a 1-byte INT
 * named `char` or encoded `BTF_INT_CHAR` (bpftool's `is_str_array` rule), so `__u8 mac[6]`
 * stays an array of numbers. A string may fill the array without a terminating NUL; a longer
 * one is an error, never truncated. Anonymous struct/union members are flattened into their
 * parent, as C accesses them (`w.lo` for `struct { union { struct { u32 lo, hi; }; u64 both; }; }`).
 *
 * Encoding starts from zeroed bytes, so padding and the bytes after a string's NUL are zero.
 * Every named struct member must be given (an omitted one is an error, as is an unknown name);
 * a union needs at least one member, and when several are given they are written narrowest
 * first, so a decoded union (every member set from the same bytes) encodes back to its bytes.
 * Flexible array members (`int flex[]`) may be omitted.
 *
 * Bitfield offsets follow the byte order: on little-endian the bit offset counts from the
 * least significant bit of byte 0, on big-endian from the most significant bit of byte 0
 * (the layout GCC and clang use, and the kernel's `btf_bitfield_seq_show`).
 * @module
 */
import { TsbpfError } from '../errors.js';
import { describeType, type Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KIND_INT, BTF_KIND_VAR } from './kinds.js';
import { BPF_PTR_SIZE, MAX_RESOLVE_DEPTH, sizeOf, skipModifiers } from './query.js';

/** A JS value marshalled by a BTF type (see the module comment for the mapping). */
export type BtfValue = number | bigint | boolean | string | Uint8Array | BtfValue[] | { [member: string]: BtfValue };

/**
 * A JS value that does not fit its BTF type, or bytes too short for it. `path` names the member
 * (`value.comm`, `key.addr[2]`); the message starts with it.
 */
export class BtfValueError extends TsbpfError {
  /** Where in the value: `value.comm`, `key[3].x`. */
  readonly path: string;
  constructor(path: string, what: string) {
    super(`${path}: ${what}`);
    this.path = path;
  }
}

/** A compiled INT (or ENUM, stored the same way). */
export interface IntLayout {
  /** Discriminant: an INT, ENUM or ENUM64 (decoded as number or bigint). */
  kind: 'int';
  /** C name for messages (`__u32`, `enum state`). */
  typeName: string;
  /** Bytes. */
  size: number;
  /** `BTF_INT_SIGNED`, or a signed enum. */
  signed: boolean;
  /** `BTF_INT_BOOL`: decoded as `true`/`false`. */
  bool: boolean;
  /** Value bits (`BTF_INT_BITS`, 8 * size for a plain int). */
  bits: number;
  /** `BTF_INT_OFFSET`: value bits start this far into the storage. */
  bitOffset: number;
  /** Enumerators by name (ENUM/ENUM64), for encoding names. */
  enumerators?: ReadonlyMap<string, number | bigint>;
}

/** A compiled type: what {@link BtfValueCodec} walks. */
export type ValueLayout =
  | IntLayout
  | {
      /** Discriminant: a FLOAT (4 or 8 bytes), decoded as a number. */
      kind: 'float';
      /** C name for messages. */
      typeName: string;
      /** Bytes (`sizeof`). */
      size: number;
    }
  | {
      /** Discriminant: a pointer, decoded as a bigint address. */
      kind: 'ptr';
      /** C name for messages. */
      typeName: string;
      /** Bytes (`sizeof`). */
      size: number;
    }
  | {
      /** Discriminant: raw bytes kept as a `Uint8Array` (a FLOAT of 2, 12 or 16 bytes, which JS numbers cannot hold). */
      kind: 'bytes';
      /** C name for messages. */
      typeName: string;
      /** Bytes (`sizeof`). */
      size: number;
    }
  | {
      /** Discriminant: a `char[N]`, decoded as a string up to its first NUL. */
      kind: 'string';
      /** C name for messages. */
      typeName: string;
      /** Bytes (`sizeof`). */
      size: number;
    }
  | {
      /** Discriminant: an ARRAY, decoded as a JS array. */
      kind: 'array';
      /** C name for messages. */
      typeName: string;
      /** Bytes (`sizeof`). */
      size: number;
      /** `nelems`. */
      length: number;
      /** Bytes per element. */
      elemSize: number;
      /** The element type's layout. */
      elem: ValueLayout;
    }
  | CompositeLayout;

/** A compiled STRUCT, UNION or DATASEC. */
export interface CompositeLayout {
  /** Discriminant: a STRUCT or DATASEC (`struct`) or a UNION, decoded as a plain object. */
  kind: 'struct' | 'union';
  /** C name for messages (`struct event`). */
  typeName: string;
  /** Bytes (`sizeof`). */
  size: number;
  /** Members in declaration order. */
  fields: FieldLayout[];
  /** Every member name the JS object may carry (anonymous members' names included). */
  names: ReadonlySet<string>;
}

/** One member of a {@link CompositeLayout}. */
export interface FieldLayout {
  /** Member name; `''` for an anonymous struct/union whose members are flattened. */
  name: string;
  /** Bit offset from the start of the composite. */
  bitOffset: number;
  /** Bitfield width, 0 when not a bitfield. */
  bitfieldSize: number;
  /** The member type's layout. */
  layout: ValueLayout;
  /** Optional on encode (a flexible array member). */
  optional: boolean;
}

/** Options of {@link valueCodec}. */
export interface ValueCodecOptions {
  /** Byte order of the bytes (default: the BTF's own, from its magic). Kernel maps use the host's. */
  littleEndian?: boolean;
}

/**
 * Compiles type `id` of `btf` (typedefs, modifiers and VARs are looked through).
 * @throws {@link BtfError} for a type without a value (void, FUNC, FWD...) or a composite that
 *   contains itself.
 */
export function compileValueLayout(btf: Btf, id: number): ValueLayout {
  return new Compiler(btf).compile(id, 0);
}

class Compiler {
  private readonly cache = new Map<number, ValueLayout>();
  private readonly building = new Set<number>();
  constructor(private readonly btf: Btf) {}

  fail(id: number, what: string): BtfError {
    return new BtfError(`type ${describeType(this.btf, id)}: ${what}`, { section: this.btf.section, typeId: id });
  }

  compile(id: number, depth: number): ValueLayout {
    const btf = this.btf;
    if (depth > MAX_RESOLVE_DEPTH * 4) throw this.fail(id, 'types nest too deeply');
    let r = skipModifiers(btf, id);
    for (let hops = 0; r !== 0 && btf.kindOf(r) === BTF_KIND_VAR; hops++) {
      if (hops > MAX_RESOLVE_DEPTH) throw this.fail(id, 'VAR chain too long');
      r = skipModifiers(btf, btf.sizeOrTypeOf(r));
    }
    if (r === 0) throw this.fail(id, 'void has no value');
    // Cached by the declared id (its C name goes into messages); cycles are found on the
    // resolved one.
    const cached = this.cache.get(id);
    if (cached) return cached;
    if (this.building.has(r)) throw this.fail(r, 'contains itself');
    this.building.add(r);
    const layout = this.build(id, r, depth);
    this.building.delete(r);
    this.cache.set(id, layout);
    return layout;
  }

  private build(declared: number, r: number, depth: number): ValueLayout {
    const btf = this.btf;
    const t = btf.type(r);
    const typeName = cTypeName(btf, declared);
    switch (t.kind) {
      case 'INT':
        return {
          kind: 'int',
          typeName,
          size: t.size,
          signed: (t.encoding & BTF_INT_SIGNED) !== 0,
          bool: (t.encoding & BTF_INT_BOOL) !== 0,
          bits: t.nrBits,
          bitOffset: t.bitsOffset,
        };
      case 'ENUM':
      case 'ENUM64':
        return {
          kind: 'int',
          typeName,
          size: t.size,
          signed: t.signed,
          bool: false,
          bits: t.size * 8,
          bitOffset: 0,
          enumerators: new Map<string, number | bigint>(t.values.map((v) => [v.name, v.value])),
        };
      case 'FLOAT':
        return t.size === 4 || t.size === 8 ? { kind: 'float', typeName, size: t.size } : { kind: 'bytes', typeName, size: t.size };
      case 'PTR':
        return { kind: 'ptr', typeName, size: BPF_PTR_SIZE };
      case 'ARRAY': {
        const size = sizeOf(btf, r);
        if (isCharType(btf, t.type)) return { kind: 'string', typeName, size };
        const elem = this.compile(t.type, depth + 1);
        const elemSize = t.nelems ? size / t.nelems : sizeOf(btf, t.type);
        // Decoding allocates one JS value per element: bounded by the bytes, except for
        // zero-size elements, whose count must be bounded here.
        if (elemSize === 0 && t.nelems > 0xffff) throw this.fail(r, `array of ${t.nelems} zero-size elements`);
        return { kind: 'array', typeName, size, length: t.nelems, elemSize, elem };
      }
      case 'STRUCT':
      case 'UNION':
      case 'DATASEC': {
        const fields: FieldLayout[] = [];
        const names = new Set<string>();
        const members =
          t.kind === 'DATASEC'
            ? t.vars.map((v) => ({ name: btf.nameOf(v.type), type: v.type, bitsOffset: v.offset * 8, bitfieldSize: 0 }))
            : t.members;
        for (const m of members) {
          const layout = this.compile(m.type, depth + 1);
          let bitOffset = m.bitsOffset;
          let bitfieldSize = m.bitfieldSize;
          // kind_flag 0 bitfields: the INT itself carries the width (and maybe an offset).
          if (!bitfieldSize && layout.kind === 'int' && (layout.bits !== layout.size * 8 || layout.bitOffset !== 0 || bitOffset % 8 !== 0)) {
            bitOffset += layout.bitOffset;
            bitfieldSize = layout.bits;
          }
          if (bitfieldSize && layout.kind !== 'int') throw this.fail(r, `bitfield member '${m.name}' is not an integer`);
          if (!bitfieldSize && bitOffset % 8 !== 0) throw this.fail(r, `member '${m.name}' is not byte aligned`);
          const end = bitOffset + (bitfieldSize || layout.size * 8);
          if (end > t.size * 8) throw this.fail(r, `member '${m.name}' ends at bit ${end}, past the ${t.size}-byte ${t.kind.toLowerCase()}`);
          if (m.name === '') {
            if (layout.kind !== 'struct' && layout.kind !== 'union') continue; // unnamed padding
            for (const n of layout.names) names.add(n);
          } else {
            names.add(m.name);
          }
          const optional = layout.kind === 'array' && layout.length === 0;
          fields.push({ name: m.name, bitOffset, bitfieldSize, layout, optional });
        }
        return { kind: t.kind === 'UNION' ? 'union' : 'struct', typeName, size: t.size, fields, names };
      }
      default:
        throw this.fail(r, `${t.kind} has no value`);
    }
  }
}

/** bpftool's `is_str_array` element test: a 1-byte INT named `char` or encoded as a char, seen through modifiers only. */
function isCharType(btf: Btf, id: number): boolean {
  const e = skipModifiers(btf, id, true);
  if (e === 0 || btf.kindOf(e) !== BTF_KIND_INT || btf.sizeOrTypeOf(e) !== 1) return false;
  return ((btf.dataU32(e, 0) >>> 24) & BTF_INT_CHAR) !== 0 || btf.nameOf(e) === 'char';
}

/** The C spelling of type `id` for messages: `__u32`, `struct event`, `char[16]`, `int *`. */
export function cTypeName(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  if (depth > 8 || !btf.has(id)) return `type [${id}]`;
  const t = btf.type(id);
  switch (t.kind) {
    case 'STRUCT':
    case 'UNION':
      return `${t.kind.toLowerCase()} ${t.name || '(anon)'}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${t.name || '(anon)'}`;
    case 'ARRAY':
      return `${cTypeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'PTR':
      return `${cTypeName(btf, t.type, depth + 1)} *`;
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPE_TAG':
    case 'VAR':
      return cTypeName(btf, t.type, depth + 1);
    case 'DATASEC':
      return `section '${t.name}'`;
    default:
      return t.name || t.kind.toLowerCase();
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes and decodes values of one BTF type. Build with {@link valueCodec}; reuse it (the
 * layout is compiled once).
 */
export class BtfValueCodec {
  /** Bytes of one value (`sizeof`). */
  readonly size: number;
  /** Byte order of the encoded bytes. */
  readonly littleEndian: boolean;
  /** The compiled type this codec walks. */
  readonly layout: ValueLayout;

  constructor(layout: ValueLayout, littleEndian: boolean) {
    this.layout = layout;
    this.size = layout.size;
    this.littleEndian = littleEndian;
  }

  /**
   * `value` as {@link BtfValueCodec.size} bytes (padding zeroed). `path` starts error paths.
   * @throws {@link BtfValueError} naming the member that does not fit.
   */
  encode(value: BtfValue, path = 'value'): Uint8Array {
    const out = new Uint8Array(this.size);
    this.encodeInto(value, out, 0, path);
    return out;
  }

  /** Writes `value` at `offset` of `out` (bytes not belonging to the value are left alone, padding is zeroed). */
  encodeInto(value: BtfValue, out: Uint8Array, offset = 0, path = 'value'): void {
    if (offset < 0 || offset + this.size > out.length) throw new BtfValueError(path, `${this.size} bytes do not fit at offset ${offset} of ${out.length}`);
    out.fill(0, offset, offset + this.size);
    const w = new Walker(out, this.littleEndian);
    w.encode(this.layout, value, offset, path);
  }

  /**
   * The value in the first {@link BtfValueCodec.size} bytes of `bytes` (from `offset`).
   * @throws {@link BtfValueError} when there are fewer bytes.
   */
  decode(bytes: Uint8Array, offset = 0, path = 'value'): BtfValue {
    if (offset < 0 || offset + this.size > bytes.length) {
      throw new BtfValueError(path, `${bytes.length - offset} bytes are too few for ${this.layout.typeName} (${this.size} bytes)`);
    }
    return new Walker(bytes, this.littleEndian).decode(this.layout, offset);
  }
}

/**
 * A codec for values of BTF type `id` (typedefs and modifiers looked through).
 * @throws {@link BtfError} when the type has no value layout (void, FUNC, FWD, a composite
 *   containing itself).
 */
export function valueCodec(btf: Btf, id: number, options: ValueCodecOptions = {}): BtfValueCodec {
  return new BtfValueCodec(compileValueLayout(btf, id), options.littleEndian ?? btf.littleEndian);
}

/** One-shot {@link BtfValueCodec.encode}. */
export function encodeValue(btf: Btf, id: number, value: BtfValue, options: ValueCodecOptions = {}): Uint8Array {
  return valueCodec(btf, id, options).encode(value);
}

/** One-shot {@link BtfValueCodec.decode}. */
export function decodeValue(btf: Btf, id: number, bytes: Uint8Array, options: ValueCodecOptions = {}): BtfValue {
  return valueCodec(btf, id, options).decode(bytes);
}

function describeJs(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '...' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}${typeof v === 'bigint' ? 'n' : ''}`;
}

function isPlainObject(v: unknown): v is Record<string, BtfValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Byte-level reads and writes over one buffer in one byte order. */
class Walker {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  // --- decode ---

  decode(l: ValueLayout, off: number): BtfValue {
    const v = this.view;
    switch (l.kind) {
      case 'int':
        if (l.bits !== l.size * 8 || l.bitOffset !== 0) return intResult(l, this.readBits(off * 8 + l.bitOffset, l.bits, l.signed));
        return this.readInt(l, off);
      case 'float':
        return l.size === 4 ? v.getFloat32(off, this.le) : v.getFloat64(off, this.le);
      case 'ptr':
        return v.getBigUint64(off, this.le);
      case 'bytes':
        return this.bytes.slice(off, off + l.size);
      case 'string': {
        const end = this.bytes.subarray(off, off + l.size).indexOf(0);
        const s = this.bytes.subarray(off, end < 0 ? off + l.size : off + end);
        try {
          return utf8Decoder.decode(s);
        } catch {
          return s.slice(); // not UTF-8: the bytes up to the NUL, which encode back the same
        }
      }
      case 'array': {
        const out = new Array<BtfValue>(l.length);
        for (let i = 0; i < l.length; i++) out[i] = this.decode(l.elem, off + i * l.elemSize);
        return out;
      }
      case 'struct':
      case 'union': {
        const obj: Record<string, BtfValue> = {};
        this.decodeFields(l, off, obj);
        return obj;
      }
    }
  }

  private decodeFields(l: CompositeLayout, off: number, obj: Record<string, BtfValue>): void {
    for (const f of l.fields) {
      if (f.name === '') {
        this.decodeFields(f.layout as CompositeLayout, off + f.bitOffset / 8, obj);
      } else if (f.bitfieldSize) {
        const il = f.layout as IntLayout;
        obj[f.name] = intResult(il, this.readBits(off * 8 + f.bitOffset, f.bitfieldSize, il.signed));
      } else {
        obj[f.name] = this.decode(f.layout, off + f.bitOffset / 8);
      }
    }
  }

  private readInt(l: IntLayout, off: number): BtfValue {
    const v = this.view;
    const le = this.le;
    switch (l.size) {
      case 1:
        return l.bool ? v.getUint8(off) !== 0 : l.signed ? v.getInt8(off) : v.getUint8(off);
      case 2:
        return l.bool ? v.getUint16(off, le) !== 0 : l.signed ? v.getInt16(off, le) : v.getUint16(off, le);
      case 4:
        return l.bool ? v.getUint32(off, le) !== 0 : l.signed ? v.getInt32(off, le) : v.getUint32(off, le);
      case 8:
        return l.bool ? v.getBigUint64(off, le) !== 0n : l.signed ? v.getBigInt64(off, le) : v.getBigUint64(off, le);
      default:
        return intResult(l, this.readBits(off * 8, l.size * 8, l.signed));
    }
  }

  /** `nbits` bits at bit `bitOff`, byte-order aware (see the module comment), sign-extended when `signed`. */
  private readBits(bitOff: number, nbits: number, signed: boolean): bigint {
    const b = this.bytes;
    const first = bitOff >> 3;
    const last = (bitOff + nbits + 7) >> 3;
    let acc = 0n;
    let shift: number;
    if (this.le) {
      for (let i = last - 1; i >= first; i--) acc = (acc << 8n) | BigInt(b[i]!);
      shift = bitOff & 7;
    } else {
      for (let i = first; i < last; i++) acc = (acc << 8n) | BigInt(b[i]!);
      shift = (last - first) * 8 - (bitOff & 7) - nbits;
    }
    const u = BigInt.asUintN(nbits, acc >> BigInt(shift));
    return signed ? BigInt.asIntN(nbits, u) : u;
  }

  // --- encode ---

  encode(l: ValueLayout, value: unknown, off: number, path: string): void {
    const v = this.view;
    switch (l.kind) {
      case 'int':
        if (l.bits !== l.size * 8 || l.bitOffset !== 0) {
          this.writeBits(off * 8 + l.bitOffset, l.bits, intArg(l, value, l.bits, path));
          return;
        }
        this.writeInt(l, value, off, path);
        return;
      case 'float':
        if (typeof value !== 'number') throw new BtfValueError(path, `expected a number for ${l.typeName}, got ${describeJs(value)}`);
        if (l.size === 4) v.setFloat32(off, value, this.le);
        else v.setFloat64(off, value, this.le);
        return;
      case 'ptr': {
        const p = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
        if (typeof p !== 'bigint') throw new BtfValueError(path, `expected a bigint address for ${l.typeName}, got ${describeJs(value)}`);
        if (p < 0n || p > 0xffff_ffff_ffff_ffffn) throw new BtfValueError(path, `${p} is not a 64-bit address`);
        v.setBigUint64(off, p, this.le);
        return;
      }
      case 'bytes':
        if (!(value instanceof Uint8Array) || value.length !== l.size) {
          throw new BtfValueError(path, `expected ${l.size} bytes for ${l.typeName}, got ${describeJs(value)}`);
        }
        this.bytes.set(value, off);
        return;
      case 'string': {
        let b: Uint8Array;
        if (typeof value === 'string') b = utf8Encoder.encode(value);
        else if (value instanceof Uint8Array) b = value;
        else throw new BtfValueError(path, `expected a string for ${l.typeName}, got ${describeJs(value)}`);
        if (b.length > l.size) throw new BtfValueError(path, `${typeof value === 'string' ? 'string' : 'byte array'} of ${b.length} bytes does not fit ${l.typeName}`);
        this.bytes.set(b, off);
        return;
      }
      case 'array': {
        const a = value as ArrayLike<unknown> | undefined;
        const ok = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
        if (!ok || a!.length !== l.length) {
          throw new BtfValueError(path, `expected an array of ${l.length} for ${l.typeName}, got ${describeJs(value)}`);
        }
        for (let i = 0; i < l.length; i++) {
          this.encode(l.elem, a![i], off + i * l.elemSize, `${path}[${i}]`);
        }
        return;
      }
      case 'struct':
      case 'union': {
        if (!isPlainObject(value)) throw new BtfValueError(path, `expected an object for ${l.typeName}, got ${describeJs(value)}`);
        for (const k of Object.keys(value)) {
          if (!l.names.has(k) && value[k] !== undefined) throw new BtfValueError(`${path}.${k}`, `no such member in ${l.typeName}`);
        }
        this.encodeFields(l, value, off, path);
        return;
      }
    }
  }

  private encodeFields(l: CompositeLayout, obj: Record<string, BtfValue>, off: number, path: string): void {
    let fields = l.fields;
    if (l.kind === 'union') {
      if (l.names.size === 0) return; // nothing to set (an empty or padding-only union)
      fields = fields.filter((f) => present(f, obj));
      if (fields.length === 0) throw new BtfValueError(path, `no member of ${l.typeName} given (one of ${[...l.names].map((n) => `'${n}'`).join(', ')})`);
      // Narrowest first, strings before same-width others: the widest member written last
      // carries every byte (see the module comment).
      fields = fields
        .map((f, i) => ({ f, i, w: f.bitfieldSize || f.layout.size * 8 }))
        .sort((a, b) => a.w - b.w || Number(b.f.layout.kind === 'string') - Number(a.f.layout.kind === 'string') || a.i - b.i)
        .map((x) => x.f);
    }
    for (const f of fields) {
      if (f.name === '') {
        this.encodeFields(f.layout as CompositeLayout, obj, off + f.bitOffset / 8, path);
        continue;
      }
      const value = obj[f.name];
      const p = `${path}.${f.name}`;
      if (value === undefined) {
        if (f.optional) continue;
        throw new BtfValueError(p, `missing (${f.layout.typeName})`);
      }
      if (f.bitfieldSize) {
        this.writeBits(off * 8 + f.bitOffset, f.bitfieldSize, intArg(f.layout as IntLayout, value, f.bitfieldSize, p));
      } else {
        this.encode(f.layout, value, off + f.bitOffset / 8, p);
      }
    }
  }

  private writeInt(l: IntLayout, value: unknown, off: number, path: string): void {
    const v = this.view;
    const le = this.le;
    if (l.size === 1 || l.size === 2 || l.size === 4) {
      const n = Number(intArg(l, value, l.bits, path));
      if (l.size === 1) v.setUint8(off, n & 0xff);
      else if (l.size === 2) v.setUint16(off, n & 0xffff, le);
      else v.setUint32(off, n >>> 0, le);
      return;
    }
    const n = intArg(l, value, l.bits, path);
    if (l.size === 8) v.setBigUint64(off, BigInt.asUintN(64, n), le);
    else this.writeBits(off * 8, l.size * 8, n);
  }

  /** Writes the low `nbits` of `n` at bit `bitOff`, leaving the other bits of the bytes touched. */
  private writeBits(bitOff: number, nbits: number, n: bigint): void {
    const b = this.bytes;
    const first = bitOff >> 3;
    const last = (bitOff + nbits + 7) >> 3;
    const width = BigInt((last - first) * 8);
    let acc = 0n;
    if (this.le) for (let i = last - 1; i >= first; i--) acc = (acc << 8n) | BigInt(b[i]!);
    else for (let i = first; i < last; i++) acc = (acc << 8n) | BigInt(b[i]!);
    const shift = BigInt(this.le ? bitOff & 7 : (last - first) * 8 - (bitOff & 7) - nbits);
    const mask = ((1n << BigInt(nbits)) - 1n) << shift;
    acc = BigInt.asUintN(Number(width), (acc & ~mask) | ((BigInt.asUintN(nbits, n) << shift) & mask));
    if (this.le) {
      for (let i = first; i < last; i++) {
        b[i] = Number(acc & 0xffn);
        acc >>= 8n;
      }
    } else {
      for (let i = last - 1; i >= first; i--) {
        b[i] = Number(acc & 0xffn);
        acc >>= 8n;
      }
    }
  }
}

function present(f: FieldLayout, obj: Record<string, BtfValue>): boolean {
  if (f.name !== '') return obj[f.name] !== undefined;
  for (const n of (f.layout as CompositeLayout).names) if (obj[n] !== undefined) return true;
  return false;
}

/** A decoded integer of layout `l` as JS: boolean, number (up to 4 bytes) or bigint. */
function intResult(l: IntLayout, n: bigint): BtfValue {
  if (l.bool) return n !== 0n;
  return l.size <= 4 ? Number(n) : n;
}

/** Checks that `value` fits `bits` bits of `l` and returns it as a bigint. */
function intArg(l: IntLayout, value: unknown, bits: number, path: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new BtfValueError(path, `${value} is not an integer (${l.typeName})`);
    if (!Number.isSafeInteger(value)) throw new BtfValueError(path, `${value} is beyond 2^53; pass a bigint for ${l.typeName}`);
    n = BigInt(value);
  } else if (typeof value === 'boolean' && l.bool) n = value ? 1n : 0n;
  else if (typeof value === 'string' && l.enumerators?.has(value)) n = BigInt(l.enumerators.get(value)!);
  else {
    const want = l.bool ? 'a boolean' : l.enumerators ? 'a number or an enumerator name' : l.size > 4 ? 'a bigint' : 'a number';
    throw new BtfValueError(path, `expected ${want} for ${l.typeName}, got ${describeJs(value)}${typeof value === 'string' && l.enumerators ? ' (no such enumerator)' : ''}`);
  }
  const b = BigInt(bits);
  const lo = l.signed ? -(1n << (b - 1n)) : 0n;
  const hi = l.signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  // Enumerators of an unsigned enum may be written negative in C (-1 for all bits); accept the
  // two's complement range for enums.
  const loOk = l.enumerators ? -(1n << (b - 1n)) : lo;
  if (n < loOk || n > hi) {
    const what = bits !== l.size * 8 ? `${l.typeName}:${bits}` : l.typeName;
    throw new BtfValueError(path, `${n} does not fit ${what} (${lo}..${hi})`);
  }
  return n;
}
