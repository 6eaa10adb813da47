/**
 * `RLIMIT_MEMLOCK` and BPF memory.
 *
 * Before Linux 5.11 the kernel charged maps, programs and BTF to the process's locked-memory
 * limit (often 64 KiB or 8 MiB), so a modest map failed with EPERM. Since 5.11 it charges the
 * memory cgroup instead and ignores the rlimit. libbpf (1.0+) therefore raises the limit to
 * infinity before its first `BPF_MAP_CREATE` / `BPF_PROG_LOAD` / `BPF_BTF_LOAD`, but only on a
 * kernel without memcg accounting, which it recognises by a helper added in the same release:
 * `bpf_ktime_get_coarse_ns` (libbpf's `probe_memcg_account`). tsbpf does the same, once.
 * @module
 */
import { errno, libc } from './ffi.js';
import { bpfError } from './errors.js';
import { NativeBuffer, hostLittleEndian } from './memory.js';

/** `RLIMIT_MEMLOCK` (asm-generic/resource.h). */
export const RLIMIT_MEMLOCK = 8;
/** `RLIM_INFINITY`. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** `getrlimit(resource)`: the soft and hard limits (`struct rlimit`). */
export function getRlimit(resource: number): {
  /** `rlim_cur`: the soft limit, what the kernel enforces. */
  cur: bigint;
  /** `rlim_max`: the hard limit, the most an unprivileged process may raise `cur` to. */
  max: bigint;
} {
  const mem = new NativeBuffer(16);
  try {
    if (libc().getrlimit(resource, mem.ptr) < 0) throw bpfError('getrlimit', errno());
    return { cur: mem.view.getBigUint64(0, hostLittleEndian), max: mem.view.getBigUint64(8, hostLittleEndian) };
  } finally {
    mem.free();
  }
}

/** `setrlimit(resource, { cur, max })`; raising the hard limit needs CAP_SYS_RESOURCE. */
export function setRlimit(resource: number, limit: { cur: bigint; max: bigint }): void {
  const mem = new NativeBuffer(16);
  try {
    mem.view.setBigUint64(0, limit.cur, hostLittleEndian);
    mem.view.setBigUint64(8, limit.max, hostLittleEndian);
    if (libc().setrlimit(resource, mem.ptr) < 0) throw bpfError('setrlimit', errno());
  } finally {
    mem.free();
  }
}

/**
 * What {@link bumpMemlockRlimit} found and did: nothing needed (`memcg`), the limit raised to
 * infinity (`unlimited`), only the soft limit raised to the hard one (`hard-limit`: raising
 * the hard limit needs CAP_SYS_RESOURCE), or not raised at all (`failed`).
 */
export type MemlockState = 'memcg' | 'unlimited' | 'hard-limit' | 'failed';

let state: MemlockState | undefined;

/**
 * Once per process: when the kernel still charges BPF memory to `RLIMIT_MEMLOCK`
 * (`hasMemcgAccounting()` is false: Linux < 5.11), raise it to infinity, or, without
 * CAP_SYS_RESOURCE, the soft limit to the hard one (libbpf only tries infinity). A failure is
 * remembered, not thrown: the EPERM of the later command carries the hint.
 * `hasMemcgAccounting` is the probe (the layer above supplies it).
 */
export function bumpMemlockRlimit(hasMemcgAccounting: () => boolean): MemlockState {
  if (state !== undefined) return state;
  state = 'memcg'; // set first: the probe itself loads a program
  if (hasMemcgAccounting()) return state;
  try {
    setRlimit(RLIMIT_MEMLOCK, { cur: RLIM_INFINITY, max: RLIM_INFINITY });
    state = 'unlimited';
  } catch {
    try {
      const { cur, max } = getRlimit(RLIMIT_MEMLOCK);
      if (cur < max) setRlimit(RLIMIT_MEMLOCK, { cur: max, max });
      state = 'hard-limit';
    } catch {
      state = 'failed';
    }
  }
  return state;
}

/** Forgets what {@link bumpMemlockRlimit} did (tests). */
export function resetMemlockState(): void {
  state = undefined;
}
