/**
 * Native memory that tsbpf hands to the kernel.
 *
 * Every pointer in a `bpf_attr` points into a {@link NativeBuffer}: memory tsbpf allocated
 * and sized itself, so the kernel can never read or write past what was allocated because a
 * caller passed a wrong length. JS code reads and writes it through `bytes`/`view`, which
 * alias the native memory (koffi `view`), so no marshalling happens at call time.
 * @module
 */
import { TsbpfError } from '../errors.js';
import { alloc, free, view } from './ffi.js';

/** Whether the host is little-endian; `bpf_attr` is in host byte order. */
export const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A block of native memory with JS views over it. Free it with {@link NativeBuffer.free}. */
export class NativeBuffer {
  /** Address of the first byte, for `bpf_attr` pointer fields. */
  readonly ptr: bigint;
  /**
   * The same address as a number: exact, since user-space addresses have at most 48 bits
   * (x86-64, arm64) and a double holds 53. For pointer arithmetic without bigints, which
   * allocate ({@link Attr.ptrInto}).
   */
  readonly address: number;
  /** Bytes allocated. */
  readonly size: number;
  /** Byte view of the whole block. */
  readonly bytes: Uint8Array;
  /** DataView of the whole block, for fields in host byte order. */
  readonly view: DataView;
  #freed = false;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0 || size > 0x7fff_ffff) {
      throw new TsbpfError(`native buffer size ${size} out of range (0..2 GiB)`);
    }
    // koffi refuses zero-length allocations; keep one byte so `ptr` is always valid.
    const n = Math.max(size, 8);
    this.ptr = alloc(n);
    this.address = Number(this.ptr);
    if (!Number.isSafeInteger(this.address)) {
      free(this.ptr);
      throw new TsbpfError(`native address 0x${this.ptr.toString(16)} does not fit in 53 bits`);
    }
    const ab = view(this.ptr, n);
    this.bytes = new Uint8Array(ab, 0, size);
    this.view = new DataView(ab, 0, n);
    this.size = size;
  }

  /** Address of byte `offset`. */
  at(offset: number): bigint {
    return this.ptr + BigInt(offset);
  }

  /** Releases the memory; later use of the views is a bug. Idempotent. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    free(this.ptr);
  }
}

/**
 * Scratch memory reused by every call on this thread (JS is single-threaded; a worker has
 * its own module instance). Contents are valid until the next syscall wrapper runs.
 */
let scratchBuf: NativeBuffer | undefined;

/** Scratch memory of at least `size` bytes (grown by doubling, never shrunk). */
export function scratch(size: number): NativeBuffer {
  if (scratchBuf && scratchBuf.size >= size) return scratchBuf;
  let n = scratchBuf ? scratchBuf.size : 4096;
  while (n < size) n *= 2;
  scratchBuf?.free();
  scratchBuf = new NativeBuffer(n);
  return scratchBuf;
}

/** `n` rounded up to a multiple of 8. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}
