/**
 * The `union bpf_attr` buffer and the one function that calls bpf(2).
 *
 * One attr buffer is allocated per thread and reused by every command: a wrapper clears the
 * bytes of its command's struct, writes the fields at their UAPI offsets, and calls
 * {@link bpfCall} with the struct's size. The kernel rejects non-zero bytes past the size it
 * knows (`bpf_check_uarg_tail_zero` -> E2BIG), so a wrapper passes the size up to the last
 * field it knows about.
 * @module
 */
import { errno, libc, nr } from './ffi.js';
import { bpfCmdName } from './constants.js';
import { bpfError } from './errors.js';
import { hostLittleEndian, NativeBuffer } from './memory.js';
import { NotSupportedError, TsbpfError } from '../errors.js';

const utf8 = new TextEncoder();

/** Larger than any `bpf_attr` variant the kernel has defined so far. */
const ATTR_SIZE = 256;

let attrBuf: NativeBuffer | undefined;
let attrW: Attr | undefined;

/**
 * Word views over the attr buffer for the hottest commands (element lookup/update): typed
 * arrays use the host byte order, as `bpf_attr` does, and index faster than a DataView.
 * Index `i` of `u64` is bytes `8i..8i+7`.
 */
export const hot: { u32: Uint32Array; u64: BigUint64Array; ptr: bigint } = {
  u32: new Uint32Array(0),
  u64: new BigUint64Array(0),
  ptr: 0n,
};

/** Makes sure the attr buffer exists (and `hot` points at it). */
export function attrReady(): void {
  if (attrBuf === undefined) attr(0);
}

/** The attr buffer, cleared for `size` bytes; write fields through `view`. */
export function attr(size: number): Attr {
  if (!attrBuf) {
    if (nr === undefined || process.platform !== 'linux') {
      throw new NotSupportedError(`bpf() on ${process.platform}/${process.arch}`);
    }
    attrBuf = new NativeBuffer(ATTR_SIZE);
    attrW = new Attr(attrBuf);
    hot.u32 = new Uint32Array(attrBuf.view.buffer, 0, ATTR_SIZE / 4);
    hot.u64 = new BigUint64Array(attrBuf.view.buffer, 0, ATTR_SIZE / 8);
    hot.ptr = attrBuf.ptr;
  }
  attrBuf.bytes.fill(0, 0, size);
  return attrW!;
}

/** Field writers over the attr buffer, in host byte order. */
export class Attr {
  readonly buf: NativeBuffer;
  readonly view: DataView;
  constructor(buf: NativeBuffer) {
    this.buf = buf;
    this.view = buf.view;
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, hostLittleEndian);
    return this;
  }
  i32(off: number, v: number): this {
    this.view.setInt32(off, v, hostLittleEndian);
    return this;
  }
  u64(off: number, v: bigint): this {
    this.view.setBigUint64(off, v, hostLittleEndian);
    return this;
  }
  /** A pointer field (`__aligned_u64`). */
  ptr(off: number, p: bigint): this {
    this.view.setBigUint64(off, p, hostLittleEndian);
    return this;
  }
  /**
   * A pointer field (`__aligned_u64`) set to byte `offset` of `buf`, written as two u32
   * halves: the same bytes as {@link Attr.ptr} with `buf.at(offset)`, without a bigint.
   */
  ptrInto(off: number, buf: NativeBuffer, offset: number): this {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > buf.size) {
      throw new TsbpfError(`pointer to byte ${offset} of a ${buf.size}-byte native buffer`);
    }
    const a = buf.address + offset;
    const lo = a % 0x1_0000_0000;
    const hi = (a - lo) / 0x1_0000_0000;
    this.view.setUint32(off + (hostLittleEndian ? 0 : 4), lo, hostLittleEndian);
    this.view.setUint32(off + (hostLittleEndian ? 4 : 0), hi, hostLittleEndian);
    return this;
  }
  /** A `char name[len]` field: at most len-1 bytes, NUL-terminated. */
  str(off: number, s: string, len: number): this {
    // An ASCII string (object names, licenses, paths, nearly always) is copied a character
    // at a time: TextEncoder allocates an ArrayBuffer for its result, which costs more than
    // the copy of a few bytes, and names are written on every map and program load.
    const bytes = this.buf.bytes;
    const n = Math.min(s.length, len - 1);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        bytes.set(utf8.encode(s).subarray(0, len - 1), off);
        return this;
      }
      bytes[off + i] = c;
    }
    return this;
  }
  getU32(off: number): number {
    return this.view.getUint32(off, hostLittleEndian);
  }
  getU64(off: number): bigint {
    return this.view.getBigUint64(off, hostLittleEndian);
  }
}

let lib: ReturnType<typeof libc> | undefined;
const bpfNr = nr?.bpf ?? -1;

/**
 * Calls `bpf(cmd, attr, size)`. Returns the non-negative result, or `-errno` on failure, so
 * hot paths can branch on an expected errno (ENOENT) without an exception.
 */
export function bpfRaw(cmd: number, size: number): number {
  const r = (lib ??= libc()).bpf(bpfNr, cmd, hot.ptr, size);
  if (r === -1) return -errno();
  return r;
}

/** Calls `bpf(cmd, attr, size)` and throws a `BpfError` on failure. */
export function bpfCall(cmd: number, size: number, context?: string): number {
  const r = bpfRaw(cmd, size);
  if (r < 0) throw bpfError(bpfCmdName[cmd] ?? `bpf cmd ${cmd}`, -r, context);
  return r;
}
