/**
 * File descriptors returned by the kernel, owned by exactly one JS object.
 *
 * Rules (cilium/ebpf `internal/sys/fd.go` has the same ones):
 * - fds 0..2 are moved up with `F_DUPFD_CLOEXEC`: many `bpf_attr` fields treat 0 as "none",
 *   and stdio numbers are never a BPF object's (libbpf `ensure_good_fd`).
 * - `close()` is idempotent and sets the number to -1, so a recycled fd number is never
 *   closed twice.
 * - An `Fd` that is garbage-collected while open is a leak in the caller: a
 *   FinalizationRegistry reports it, naming the object (see `leak-warning.ts`; the creating
 *   stack under `TSBPF_TRACE_FDS=1` or vitest, off with `TSBPF_LEAK_WARNINGS=0`) but does not
 *   close it; the owner must.
 * @module
 */
import { errno, libc } from './ffi.js';
import { bpfError } from './errors.js';
import { unwatchLeak, watchLeak, type LeakWatch } from './leak-warning.js';

const F_DUPFD_CLOEXEC = 1030;

/** An open file descriptor with one owner. */
export class Fd {
  #fd: number;
  readonly #watch: LeakWatch | undefined;

  /** Takes ownership of `raw` (moving it above 2 when needed). */
  constructor(raw: number) {
    this.#fd = ensureAboveStdio(raw);
    this.#watch = watchLeak(this, this.#fd);
  }

  /** The fd number; -1 once closed. */
  get raw(): number {
    return this.#fd;
  }

  /** Whether {@link Fd.close} (or {@link Fd.disown}) has run: the number is then -1. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd. Harmless when already closed. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    unwatchLeak(this.#watch);
    libc().close(fd);
  }

  /**
   * Gives up ownership without closing and returns the number; this object is then closed.
   * The caller now owns the fd.
   */
  disown(): number {
    const fd = this.#fd;
    this.#fd = -1;
    unwatchLeak(this.#watch);
    return fd;
  }

  /** A new `Fd` for the same kernel object (`F_DUPFD_CLOEXEC`). */
  dup(): Fd {
    if (this.#fd < 0) throw bpfError('fcntl(F_DUPFD_CLOEXEC)', 9);
    const r = libc().fcntl(this.#fd, F_DUPFD_CLOEXEC, 3);
    if (r < 0) throw bpfError('fcntl(F_DUPFD_CLOEXEC)', errno());
    return new Fd(r);
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function ensureAboveStdio(fd: number): number {
  if (fd > 2) return fd;
  const c = libc();
  const r = c.fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const e = r < 0 ? errno() : 0;
  c.close(fd);
  if (r < 0) throw bpfError('fcntl(F_DUPFD_CLOEXEC)', e);
  return r;
}

/** Closes a raw fd number the caller owns (for fds never wrapped in an {@link Fd}). */
export function closeRaw(fd: number): void {
  if (fd >= 0) libc().close(fd);
}
