/**
 * Data printed by its BTF type the way bpftool's `btf_dumper` prints map keys and values
 * (`bpftool map dump` of a map with BTF): JSON-like text from a small writer that reproduces
 * bpftool's `json_writer` byte for byte, pretty (the plain-text dump) or compact (`--json`).
 *
 * bpftool's choices, kept so the output matches it line for line:
 * - integers in decimal by `BTF_INT_BITS` and signedness; 128-bit ints and every bitfield in
 *   hex (`0x5`; quoted in JSON mode), bitfields unsigned;
 * - `char` (only when encoded `BTF_INT_CHAR`) as `"c"` or `0x..`; `_Bool` as `true`/`false`;
 * - char arrays holding a NUL-terminated printable string as a JSON string, else an array;
 * - enums by enumerator name when one matches, else the signed number;
 * - pointers as `0x...`/`(nil)` (glibc `%p`, unquoted) in text, a decimal number in JSON;
 * - anonymous members under the name `""`; a VAR as `{ "name": value }`, a DATASEC as
 *   `{ "section": [ vars ] }`;
 * - FLOAT and other kinds bpftool does not print become `(unsupported-kind` and stop the
 *   dump of the enclosing value, as bpftool's `-EINVAL` does.
 * The text is bpftool v7.1's (Debian 12, the reference these tests run against); later
 * bpftool quotes text-mode pointers (`"0x1234"`) and closes the parenthesis of
 * `(unsupported-kind)`. {@link BPFTOOL_COMPAT} names the version followed.
 * Integers are read in `littleEndian` order (the host's, for kernel maps).
 * @module
 */
import type { Btf } from './btf.js';
import { BtfValueError } from './value.js';
import {
  BTF_INT_BOOL,
  BTF_INT_CHAR,
  BTF_INT_SIGNED,
  BTF_KIND_CONST,
  BTF_KIND_DECL_TAG,
  BTF_KIND_INT,
  BTF_KIND_RESTRICT,
  BTF_KIND_TYPE_TAG,
  BTF_KIND_TYPEDEF,
  BTF_KIND_VAR,
  BTF_KIND_VOLATILE,
} from './kinds.js';

/** Kinds `btf__resolve_type` looks through. */
const RESOLVED_THROUGH = [BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_VAR, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG];
/** Kinds libbpf's `btf_is_mod` calls modifiers. */
const MODIFIERS = [BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG];
import { MAX_RESOLVE_DEPTH, sizeOf } from './query.js';

/** The bpftool version whose output {@link dumpBtfData} reproduces. */
export const BPFTOOL_COMPAT = '7.1';

/** bpftool v7.1's token for a kind it cannot print (sic: no closing parenthesis). */
const UNSUPPORTED = '(unsupported-kind';

/**
 * bpftool's `json_writer` (`json_writer.c`): separators, names and indentation exactly as it
 * writes them. `pretty` indents 4 spaces per level and puts each member name on its own line;
 * array elements stay on one line.
 */
export class JsonWriter {
  private out = '';
  private depth = 0;
  private sep = '';
  constructor(
    /** Indent as `bpftool -p` does; otherwise one line (`-j`). */
    readonly pretty: boolean,
  ) {}

  /** The text written so far. */
  text(): string {
    return this.out;
  }
  private eol(): void {
    if (this.pretty) this.out += '\n' + '    '.repeat(this.depth);
  }
  private eor(): void {
    this.out += this.sep;
    this.sep = ',';
  }
  private begin(c: string): void {
    this.eor();
    this.out += c;
    this.depth++;
    this.sep = '';
  }
  private end(c: string): void {
    this.depth--;
    if (this.sep !== '') this.eol();
    this.out += c;
    this.sep = ',';
  }
  /** `jsonw_start_object`: `{`. */
  startObject(): void {
    this.begin('{');
  }
  /** `jsonw_end_object`: `}`. */
  endObject(): void {
    this.end('}');
  }
  /** `jsonw_start_array`: `[`. */
  startArray(): void {
    this.begin('[');
  }
  /** `jsonw_end_array`: `]`. */
  endArray(): void {
    this.end(']');
  }
  /** `jsonw_name`: a member name, before its value. */
  name(n: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.out += quote(n) + (this.pretty ? ': ' : ':');
  }
  /** A raw token (`jsonw_printf`). */
  raw(s: string): void {
    this.eor();
    this.out += s;
  }
  /** `jsonw_string`: a quoted string value. */
  string(s: string): void {
    this.raw(quote(s));
  }
}

/** `jsonw_puts`: only these characters are escaped. */
function quote(s: string): string {
  let o = '"';
  for (const c of s) {
    switch (c) {
      case '\t': o += '\\t'; break;
      case '\n': o += '\\n'; break;
      case '\r': o += '\\r'; break;
      case '\f': o += '\\f'; break;
      case '\b': o += '\\b'; break;
      case '\\': o += '\\\\'; break;
      case '"': o += '\\"'; break;
      default: o += c;
    }
  }
  return o + '"';
}

/** Options of {@link dumpBtfData}. */
export interface DataDumpOptions {
  /** Text mode (bpftool's `is_plain_text`): pointers as `"0x..."`, 128-bit ints unquoted. */
  plainText: boolean;
  /** Byte order of `data`. */
  littleEndian: boolean;
}

/**
 * Writes `data` as a value of type `id` to `w` (bpftool `btf_dumper_type`). Returns false when
 * bpftool would have stopped with an error (an unsupported kind), after writing what it writes.
 * @throws {@link BtfValueError} when `data` is shorter than the type (or an array has more
 *   than 65535 zero-size elements); {@link BtfError} for a type without a size.
 */
export function dumpBtfData(w: JsonWriter, btf: Btf, id: number, data: Uint8Array, options: DataDumpOptions): boolean {
  return new DataDumper(w, btf, options).type(id, 0, data, 0, 0);
}

class DataDumper {
  private readonly le: boolean;
  constructor(
    private readonly w: JsonWriter,
    private readonly btf: Btf,
    private readonly o: DataDumpOptions,
  ) {
    this.le = o.littleEndian;
  }

  private view(data: Uint8Array, off: number, n: number): DataView {
    if (off < 0 || off + n > data.length) throw new BtfValueError('data', `${n} bytes at offset ${off} are past the end (${data.length} bytes)`);
    return new DataView(data.buffer, data.byteOffset + off, n);
  }

  /** `btf_dumper_do_type`. `bitOffset` is 0..7 (a kind_flag-0 bitfield's offset in its first byte). */
  type(id: number, bitOffset: number, data: Uint8Array, off: number, depth: number): boolean {
    const btf = this.btf;
    const w = this.w;
    if (depth > MAX_RESOLVE_DEPTH * 4) {
      w.raw(UNSUPPORTED);
      return false;
    }
    if (id === 0) {
      w.raw('(unknown)');
      return true;
    }
    const t = btf.type(id);
    switch (t.kind) {
      case 'INT':
        return this.int(t.size, t.encoding, t.bitsOffset, t.nrBits, bitOffset, data, off);
      case 'STRUCT':
      case 'UNION': {
        w.startObject();
        let ok = true;
        for (const m of t.members) {
          w.name(m.name);
          const at = off + (m.bitsOffset >> 3);
          if (m.bitfieldSize) this.bitfield(m.bitfieldSize, m.bitsOffset & 7, data, at);
          else if (!(ok = this.type(m.type, m.bitsOffset & 7, data, at, depth + 1))) break;
        }
        w.endObject();
        return ok;
      }
      case 'ARRAY': {
        if (this.isStrArray(t.type, t.nelems, data, off)) {
          const end = data.indexOf(0, off);
          w.string(String.fromCharCode(...data.subarray(off, end)));
          return true;
        }
        const elemSize = sizeOf(btf, t.type);
        if (elemSize === 0 && t.nelems > 0xffff) throw new BtfValueError('data', `type [${id}]: array of ${t.nelems} zero-size elements`);
        w.startArray();
        let ok = true;
        for (let i = 0; i < t.nelems && ok; i++) ok = this.type(t.type, 0, data, off + i * elemSize, depth + 1);
        w.endArray();
        return ok;
      }
      case 'ENUM': {
        const v = this.view(data, off, t.size);
        let value: bigint;
        switch (t.size) {
          case 8: value = v.getBigInt64(0, this.le); break;
          case 4: value = BigInt(v.getInt32(0, this.le)); break;
          case 2: value = BigInt(v.getInt16(0, this.le)); break;
          case 1: value = BigInt(v.getInt8(0)); break;
          default: return false;
        }
        // btf_enum.val is a __s32: compared sign-extended.
        const e = t.values.find((x) => BigInt(x.value | 0) === value);
        if (e) w.string(e.name);
        else w.raw(value.toString());
        return true;
      }
      case 'ENUM64': {
        const u = this.view(data, off, 8).getBigUint64(0, this.le);
        const e = t.values.find((x) => BigInt.asUintN(64, x.value) === u);
        if (e) w.string(e.name);
        else w.raw(BigInt.asIntN(64, u).toString());
        return true;
      }
      case 'PTR': {
        const p = this.view(data, off, 8).getBigUint64(0, this.le);
        if (this.o.plainText) w.raw(p === 0n ? '(nil)' : `0x${p.toString(16)}`);
        else w.raw(p.toString());
        return true;
      }
      case 'FWD':
        w.raw('(fwd-kind-invalid)');
        return false;
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT': {
        // btf__resolve_type: through typedefs, modifiers, type tags, vars and decl tags.
        let r = t.type;
        for (let i = 0; i <= MAX_RESOLVE_DEPTH; i++) {
          const k = btf.kindOf(r);
          if (r === 0 || !RESOLVED_THROUGH.includes(k)) return this.type(r, bitOffset, data, off, depth + 1);
          r = btf.sizeOrTypeOf(r);
        }
        w.raw(UNSUPPORTED);
        return false;
      }
      case 'VAR': {
        w.startObject();
        w.name(t.name);
        const ok = this.type(t.type, bitOffset, data, off, depth + 1);
        w.endObject();
        return ok;
      }
      case 'DATASEC': {
        w.startObject();
        w.name(t.name);
        w.startArray();
        let ok = true;
        for (const v of t.vars) if (!(ok = this.type(v.type, 0, data, off + v.offset, depth + 1))) break;
        w.endArray();
        w.endObject();
        return ok;
      }
      default:
        w.raw(UNSUPPORTED);
        return false;
    }
  }

  /** `btf_dumper_int`. */
  private int(size: number, encoding: number, intOffset: number, nrBits: number, bitOffset: number, data: Uint8Array, off: number): boolean {
    const w = this.w;
    if (bitOffset || intOffset || nrBits % 8) {
      const total = bitOffset + intOffset;
      this.bitfield(nrBits, total & 7, data, off + (total >> 3));
      return true;
    }
    if (nrBits === 128) {
      this.hex(this.bits(data, off, 0, 128));
      return true;
    }
    const v = this.view(data, off, Math.max(1, nrBits / 8));
    const le = this.le;
    switch (encoding) {
      case 0:
      case BTF_INT_SIGNED: {
        const s = encoding === BTF_INT_SIGNED;
        switch (nrBits) {
          case 64: w.raw(String(s ? v.getBigInt64(0, le) : v.getBigUint64(0, le))); return true;
          case 32: w.raw(String(s ? v.getInt32(0, le) : v.getUint32(0, le))); return true;
          case 16: w.raw(String(s ? v.getInt16(0, le) : v.getUint16(0, le))); return true;
          case 8: w.raw(String(s ? v.getInt8(0) : v.getUint8(0))); return true;
          default:
            this.bitfield(nrBits, 0, data, off);
            return true;
        }
      }
      case BTF_INT_CHAR: {
        const c = v.getUint8(0);
        if (c >= 0x20 && c < 0x7f) w.raw(`"${String.fromCharCode(c)}"`);
        else if (this.o.plainText) w.raw(`0x${c.toString(16)}`);
        else w.raw(`"\\u00${c.toString(16).padStart(2, '0')}"`);
        return true;
      }
      case BTF_INT_BOOL:
        w.raw(v.getUint8(0) ? 'true' : 'false');
        return true;
      default:
        return false;
    }
  }

  /** `btf_dumper_bitfield`: `nrBits` bits from bit `bitOffset` (0..7) of `data[off]`, in hex, unsigned. */
  private bitfield(nrBits: number, bitOffset: number, data: Uint8Array, off: number): void {
    this.hex(this.bits(data, off, bitOffset, nrBits));
  }

  private bits(data: Uint8Array, off: number, bitOffset: number, nrBits: number): bigint {
    const n = (bitOffset + nrBits + 7) >> 3;
    this.view(data, off, n);
    let acc = 0n;
    if (this.le) {
      for (let i = n - 1; i >= 0; i--) acc = (acc << 8n) | BigInt(data[off + i]!);
      return BigInt.asUintN(nrBits, acc >> BigInt(bitOffset));
    }
    for (let i = 0; i < n; i++) acc = (acc << 8n) | BigInt(data[off + i]!);
    return BigInt.asUintN(nrBits, acc >> BigInt(n * 8 - bitOffset - nrBits));
  }

  /** `btf_int128_print`. */
  private hex(v: bigint): void {
    const s = `0x${v.toString(16)}`;
    this.w.raw(this.o.plainText ? s : `"${s}"`);
  }

  /** bpftool's `is_str_array`. */
  private isStrArray(elem: number, nelems: number, data: Uint8Array, off: number): boolean {
    if (!nelems) return false;
    const btf = this.btf;
    let e = elem;
    for (let i = 0; i <= MAX_RESOLVE_DEPTH && e !== 0 && MODIFIERS.includes(btf.kindOf(e)); i++) e = btf.sizeOrTypeOf(e);
    if (e === 0 || btf.kindOf(e) !== BTF_KIND_INT || btf.sizeOrTypeOf(e) !== 1) return false;
    if (((btf.dataU32(e, 0) >>> 24) & 0x0f) !== BTF_INT_CHAR && btf.nameOf(e) !== 'char') return false;
    for (let i = 0; i < nelems && off + i < data.length; i++) {
      const c = data[off + i]!;
      if (c === 0) return true;
      if (c <= 0x1f || c >= 0x7f) return false;
    }
    return false;
  }
}
