/**
 * Memory mappings that can never be used after unmap from JavaScript.
 *
 * Reading an unmapped page kills the process (SIGSEGV), it does not throw. So a mapping that
 * JS code can view is unmapped only when the `ArrayBuffer` aliasing it is garbage-collected:
 * every typed array or DataView over it keeps that buffer alive, hence the pages too. A view
 * kept too long reads stale bytes; it never faults. Closing the owner (a ring buffer reader)
 * drops its references; `munmap` runs from the FinalizationRegistry below.
 * @module
 */
import { errno, libc, view } from './ffi.js';
import { bpfError } from './errors.js';

/** Number of live mappings made by {@link mapShared} (for leak tests). */
let live = 0;

const unmapper = new FinalizationRegistry<{ addr: bigint; length: number }>((held) => {
  libc().munmap(held.addr, held.length);
  live--;
});

/**
 * `mmap(NULL, length, prot, MAP_SHARED, fd, offset)` returned as an `ArrayBuffer` aliasing the
 * pages. The caller never unmaps: `munmap` runs once the buffer is unreachable. Throws
 * `BpfError('mmap', errno)` on failure (e.g. EPERM for a writable ring buffer data area).
 */
export function mapShared(fd: number, length: number, prot: number, offset: number): ArrayBuffer {
  if (!Number.isSafeInteger(length) || length <= 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw bpfError('mmap', 22, `length ${length}, offset ${offset}`);
  }
  const addr = libc().mmap(null, length, prot, 1 /* MAP_SHARED */, fd, offset);
  // MAP_FAILED is (void *)-1.
  if (addr === 0xffff_ffff_ffff_ffffn || addr === -1n) throw bpfError('mmap', errno());
  const buffer = view(addr, length);
  // The held value must not reference `buffer`, or it would never be collected.
  unmapper.register(buffer, { addr, length });
  live++;
  return buffer;
}

/** How many {@link mapShared} mappings have not been unmapped yet. */
export function liveMappings(): number {
  return live;
}

/** The page size (`sysconf(_SC_PAGESIZE)`; 4096 on x86-64, 4096 or 64 KiB on arm64). */
export function pageSize(): number {
  return cachedPage ??= readPageSize();
}

let cachedPage: number | undefined;

function readPageSize(): number {
  return libc().getpagesize();
}
