/**
 * Non-bpf syscalls the runtime needs: perf_event_open, ioctl, mmap/munmap, epoll, setsockopt,
 * and the count of possible CPUs.
 * @module
 */
import { readFileSync } from 'node:fs';
import { errno, libc, nr, view } from './ffi.js';
import { bpfError } from './errors.js';
import { Fd } from './fd.js';
import { NativeBuffer, hostLittleEndian } from './memory.js';

/** `PERF_FLAG_FD_CLOEXEC`. */
export const PERF_FLAG_FD_CLOEXEC = 1 << 3;

/**
 * perf_event_open(2) with a `struct perf_event_attr` the caller encoded (its `size` field
 * must be set). Returns the event fd, owned by the caller.
 */
export function perfEventOpen(perfAttr: Uint8Array, pid: number, cpu: number, groupFd = -1, flags = PERF_FLAG_FD_CLOEXEC): Fd {
  const mem = new NativeBuffer(perfAttr.length);
  try {
    mem.bytes.set(perfAttr);
    const r = libc().perfEventOpen(nr!.perf_event_open, mem.ptr, pid, cpu, groupFd, flags);
    if (r < 0) throw bpfError('perf_event_open', errno());
    return new Fd(r);
  } finally {
    mem.free();
  }
}

/** pidfd_open(2) (5.3+; syscall 434 on every architecture): an fd referring to process `pid`. */
export function pidfdOpen(pid: number, flags = 0): Fd {
  const r = libc().pidfdOpen(434, pid, flags);
  if (r < 0) throw bpfError('pidfd_open', errno());
  return new Fd(r);
}

/** ioctl(2) with an integer argument (e.g. `PERF_EVENT_IOC_SET_BPF`, `PERF_EVENT_IOC_ENABLE`). */
export function ioctl(fd: number, request: number, arg = 0): number {
  const r = libc().ioctl(fd, request, arg);
  if (r < 0) throw bpfError(`ioctl(0x${request.toString(16)})`, errno());
  return r;
}

/** `PROT_READ` (mmap(2)): pages may be read. */
export const PROT_READ = 1;
/** `PROT_WRITE` (mmap(2)): pages may be written (a ring buffer's consumer page, mmapable arrays). */
export const PROT_WRITE = 2;
/** `MAP_SHARED` (mmap(2)): the mapping shows the kernel object's memory itself, not a copy. */
export const MAP_SHARED = 1;

/** A memory mapping of an fd (mmapable array, ring buffer). `bytes` aliases the mapping. */
export class Mapping {
  #addr: bigint;
  /** Bytes mapped. */
  readonly length: number;
  /** The mapped memory as an external ArrayBuffer; views over it are valid until {@link Mapping.close}. */
  readonly buffer: ArrayBuffer;

  constructor(fd: number, length: number, prot: number, offset = 0) {
    const addr = libc().mmap(null, length, prot, MAP_SHARED, fd, offset);
    // MAP_FAILED is (void *)-1.
    if (addr === 0xffff_ffff_ffff_ffffn || addr === -1n) throw bpfError('mmap', errno());
    this.#addr = addr;
    this.length = length;
    this.buffer = view(addr, length);
  }

  /** The mapping's address, 0n once closed. */
  get addr(): bigint {
    return this.#addr;
  }

  /** Unmaps; every view over `buffer` must be dropped first. Idempotent. */
  close(): void {
    if (this.#addr === 0n) return;
    libc().munmap(this.#addr, this.length);
    this.#addr = 0n;
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** `EPOLL_CLOEXEC` (epoll_create1(2)): the epoll fd is closed on exec. */
export const EPOLL_CLOEXEC = 0o2000000;
/** `EPOLLIN`: the fd is readable (a ring buffer or perf buffer has data). */
export const EPOLLIN = 1;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;

/** An epoll instance; `wait` blocks the thread (use it from a worker or with timeout 0). */
export class Epoll {
  /** The epoll instance's fd, owned by this object. */
  readonly fd: Fd;
  #events = new NativeBuffer(12 * 64);
  constructor() {
    const r = libc().epoll_create1(EPOLL_CLOEXEC);
    if (r < 0) throw bpfError('epoll_create1', errno());
    this.fd = new Fd(r);
  }
  /** Watches `fd` for `events`; `data` comes back from {@link Epoll.wait}. */
  add(fd: number, events: number, data: number): void {
    // struct epoll_event is packed on x86-64 (12 bytes), 16 bytes on arm64.
    const ev = new NativeBuffer(16);
    try {
      ev.bytes.fill(0);
      ev.view.setUint32(0, events, true);
      ev.view.setUint32(process.arch === 'x64' ? 4 : 8, data, true);
      if (libc().epoll_ctl(this.fd.raw, EPOLL_CTL_ADD, fd, ev.ptr) < 0) throw bpfError('epoll_ctl', errno());
    } finally {
      ev.free();
    }
  }
  /** Stops watching `fd`. */
  remove(fd: number): void {
    if (libc().epoll_ctl(this.fd.raw, EPOLL_CTL_DEL, fd, 0n) < 0) throw bpfError('epoll_ctl', errno());
  }
  /** Waits up to `timeoutMs`; returns the `data` of each ready fd. */
  wait(timeoutMs: number): number[] {
    const stride = process.arch === 'x64' ? 12 : 16;
    const max = Math.floor(this.#events.size / stride);
    const n = libc().epoll_wait(this.fd.raw, this.#events.ptr, max, timeoutMs);
    if (n < 0) throw bpfError('epoll_wait', errno());
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.#events.view.getUint32(i * stride + (stride === 12 ? 4 : 8), true));
    return out;
  }
  /** Closes the epoll fd and frees the event buffer. */
  close(): void {
    this.fd.close();
    this.#events.free();
  }
  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** setsockopt(2) with raw option bytes (e.g. `SO_ATTACH_BPF` with an int fd). */
export function setsockopt(fd: number, level: number, optname: number, optval: Uint8Array): void {
  const mem = new NativeBuffer(optval.length);
  try {
    mem.bytes.set(optval);
    if (libc().setsockopt(fd, level, optname, mem.ptr, optval.length) < 0) throw bpfError('setsockopt', errno());
  } finally {
    mem.free();
  }
}

const SOCK_CLOEXEC = 0o2000000;

/** socket(2) with `SOCK_CLOEXEC` added; the caller owns the fd. */
export function socket(domain: number, type: number, protocol = 0): Fd {
  const r = libc().socket(domain, type | SOCK_CLOEXEC, protocol);
  if (r < 0) throw bpfError('socket', errno());
  return new Fd(r);
}

/** bind(2) with a raw `struct sockaddr` the caller encoded. */
export function bind(fd: number, sockaddr: Uint8Array): void {
  const mem = new NativeBuffer(sockaddr.length);
  try {
    mem.bytes.set(sockaddr);
    if (libc().bind(fd, mem.ptr, sockaddr.length) < 0) throw bpfError('bind', errno());
  } finally {
    mem.free();
  }
}

let possible: number | undefined;

/**
 * Number of possible CPUs, from `/sys/devices/system/cpu/possible` ("0-3" or "0,2-5"): per-CPU
 * map values have one slot per possible CPU (kernel `num_possible_cpus()`).
 */
export function possibleCpus(): number {
  if (possible !== undefined) return possible;
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let max = -1;
  for (const part of text.split(',')) {
    const [, hi] = part.split('-');
    const n = Number(hi ?? part);
    if (Number.isInteger(n) && n > max) max = n;
  }
  possible = max + 1;
  return possible;
}

const BPF_FS_MAGIC = 0xcafe4a11;

/** Whether `path` lies on a bpffs (statfs `f_type` is `BPF_FS_MAGIC`); false if it does not exist. */
export function isBpffs(path: string): boolean {
  const mem = new NativeBuffer(128);
  try {
    if (libc().statfs(path, mem.ptr) < 0) return false;
    // struct statfs starts with f_type (long on 64-bit).
    return Number(mem.view.getBigUint64(0, hostLittleEndian) & 0xffff_ffffn) === BPF_FS_MAGIC;
  } finally {
    mem.free();
  }
}
