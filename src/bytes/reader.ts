/**
 * One bounds-checked reader for every binary format tsbpf parses (ELF, BTF, .BTF.ext, ...).
 *
 * - Built from a `Uint8Array` *view*: pooled Node `Buffer`s do not start at byte 0 of their
 *   `ArrayBuffer`, so the view's `byteOffset`/`byteLength` are always honoured.
 * - Byte order is an argument, taken by the caller from the ELF header or the BTF magic;
 *   never from the host.
 * - Every read checks `offset + size <= length` with plain `number` arithmetic before it
 *   touches the `DataView`, and reports a failure through the caller's `fail` function, so
 *   the thrown error is the caller's typed error (`ElfError`, `BtfError`) with its context.
 *   A `RangeError` from `DataView` can therefore never escape.
 * - Slices are zero-copy `subarray` views.
 *
 * This file is layer 1: it imports only `src/errors.ts`.
 * @module
 */
import { ParseError } from '../errors.js';

/** Builds the error to throw: `what` went wrong at byte `offset` of this reader. */
export type FailFn = (what: string, offset: number) => Error;

const defaultFail: FailFn = (what, offset) => new ParseError(what, { offset });
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A bounds-checked cursor over a `Uint8Array` view with an explicit byte order. Each read
 * names what it reads (`what`), so a short input fails as the caller's typed error:
 * `reader.u32(8, 'hdr_len')` on a 6-byte input throws `hdr_len: 4 bytes at offset 8 run past
 * the end (6 bytes)` through `fail`.
 */
export class ByteReader {
  /** The bytes read, as given (not copied). */
  readonly bytes: Uint8Array;
  /** A DataView over exactly {@link ByteReader.bytes}. */
  readonly view: DataView;
  /** Byte order of every multi-byte read, from the format's header (never the host's). */
  readonly littleEndian: boolean;
  /** `bytes.byteLength`. */
  readonly length: number;
  private readonly fail: FailFn;

  constructor(bytes: Uint8Array, littleEndian: boolean, fail: FailFn = defaultFail) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = littleEndian;
    this.length = bytes.byteLength;
    this.fail = fail;
  }

  /** A reader over `[offset, offset+length)` of this one, same byte order; `fail` may add context. */
  sub(offset: number, length: number, what: string, fail: FailFn = this.fail): ByteReader {
    this.need(offset, length, what);
    return new ByteReader(this.bytes.subarray(offset, offset + length), this.littleEndian, fail);
  }

  /** Throws unless `size` bytes at `offset` lie inside this reader. */
  need(offset: number, size: number, what: string): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(size) ||
      offset < 0 ||
      size < 0 ||
      offset + size > this.length
    ) {
      throw this.fail(`${what}: ${size} bytes at offset ${offset} run past the end (${this.length} bytes)`, offset);
    }
  }

  /** Whether `size` bytes at `offset` lie inside this reader (no throw). */
  has(offset: number, size: number): boolean {
    return Number.isSafeInteger(offset) && Number.isSafeInteger(size) && offset >= 0 && size >= 0 && offset + size <= this.length;
  }

  /** The caller's typed error for `what` at `offset`, to throw for a bad value (not a bounds failure). */
  error(what: string, offset: number): Error {
    return this.fail(what, offset);
  }

  /** The byte at `offset`. */
  u8(offset: number, what = 'u8'): number {
    this.need(offset, 1, what);
    return this.bytes[offset]!;
  }
  /** The unsigned 16-bit value at `offset`. */
  u16(offset: number, what = 'u16'): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, this.littleEndian);
  }
  /** The signed 16-bit value at `offset` (`off` of an instruction). */
  i16(offset: number, what = 'i16'): number {
    this.need(offset, 2, what);
    return this.view.getInt16(offset, this.littleEndian);
  }
  /** The unsigned 32-bit value at `offset`. */
  u32(offset: number, what = 'u32'): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, this.littleEndian);
  }
  /** The signed 32-bit value at `offset` (`imm` of an instruction). */
  i32(offset: number, what = 'i32'): number {
    this.need(offset, 4, what);
    return this.view.getInt32(offset, this.littleEndian);
  }
  /** The unsigned 64-bit value at `offset`, as a bigint. */
  u64(offset: number, what = 'u64'): bigint {
    this.need(offset, 8, what);
    // Two u32 reads beat DataView.getBigUint64, which allocates on every call in V8; most
    // 64-bit fields in these formats have a zero high half.
    const lo = this.view.getUint32(offset + (this.littleEndian ? 0 : 4), this.littleEndian);
    const hi = this.view.getUint32(offset + (this.littleEndian ? 4 : 0), this.littleEndian);
    if (hi === 0) return lo === 0 ? 0n : BigInt(lo); // the literal is a constant: no allocation
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  /** The high and low u32 halves of the u64 at `offset`, as numbers (e.g. `r_info`). */
  u64halves(
    offset: number,
    what = 'u64',
  ): {
    /** Bits 32-63. */
    hi: number;
    /** Bits 0-31. */
    lo: number;
  } {
    this.need(offset, 8, what);
    const lo = this.view.getUint32(offset + (this.littleEndian ? 0 : 4), this.littleEndian);
    const hi = this.view.getUint32(offset + (this.littleEndian ? 4 : 0), this.littleEndian);
    return { hi, lo };
  }
  /** The signed 64-bit value at `offset`, as a bigint. */
  i64(offset: number, what = 'i64'): bigint {
    this.need(offset, 8, what);
    return this.view.getBigInt64(offset, this.littleEndian);
  }

  /**
   * A u64 that is used as a size, offset or count: returned as a `number`, and an error
   * unless it is at most `Number.MAX_SAFE_INTEGER` (such a value can never fit in the input
   * anyway, and refusing it here removes the u64-wrap class of bugs).
   */
  u64n(offset: number, what = 'u64'): number {
    this.need(offset, 8, what);
    const lo = this.view.getUint32(offset + (this.littleEndian ? 0 : 4), this.littleEndian);
    const hi = this.view.getUint32(offset + (this.littleEndian ? 4 : 0), this.littleEndian);
    // 2^53 - 1 is MAX_SAFE_INTEGER: the high half may use at most 21 bits.
    if (hi >= 0x200000) {
      throw this.fail(`${what}: value 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`, offset);
    }
    return hi * 0x1_0000_0000 + lo;
  }

  /** `length` bytes at `offset`, as a zero-copy view. */
  slice(offset: number, length: number, what = 'bytes'): Uint8Array {
    this.need(offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }

  /**
   * The NUL-terminated string starting at `offset`. The terminator must exist before the end
   * of the reader; a string that runs off the end is an error, never a silent truncation.
   */
  cstring(offset: number, what = 'string'): string {
    const end = this.cstringEnd(offset, what);
    return decodeAscii(this.bytes, offset, end);
  }

  /** Index of the NUL that ends the string at `offset`. */
  cstringEnd(offset: number, what = 'string'): number {
    this.need(offset, 0, what);
    const end = this.bytes.indexOf(0, offset);
    if (end < 0 || offset >= this.length) {
      throw this.fail(`${what}: string at offset ${offset} is not NUL-terminated`, offset);
    }
    return end;
  }
}

/**
 * Decodes `bytes[start, end)`; a fast path for ASCII (symbol and type names nearly always
 * are), UTF-8 otherwise.
 */
export function decodeAscii(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}
