/**
 * Memory cgroup accounting of BPF memory (Linux 5.11), and the `RLIMIT_MEMLOCK` raise that
 * kernels without it need (see `src/syscall/memlock.ts`). Called by the runtime before it
 * creates maps or loads programs, like libbpf's `bump_rlimit_memlock`.
 * @module
 */
import { bumpMemlockRlimit, progLoadRaw, type MemlockState } from '../syscall/index.js';
import { ProgType } from '../uapi/bpf.js';
import { callHelper } from './insns.js';

/** `BPF_FUNC_ktime_get_coarse_ns`, which arrived in 5.11 together with memcg accounting. */
const BPF_FUNC_ktime_get_coarse_ns = 160;

let memcg: boolean | undefined;

/** Whether the kernel charges BPF memory to the memory cgroup (libbpf's `FEAT_MEMCG_ACCOUNT`). Cached. */
export function probeMemcgAccounting(): boolean {
  if (memcg === undefined) {
    const r = progLoadRaw({ prog_type: ProgType.SOCKET_FILTER, insns: callHelper(BPF_FUNC_ktime_get_coarse_ns), license: 'GPL' });
    r.fd?.close();
    memcg = r.fd !== undefined;
  }
  return memcg;
}

/** Raises `RLIMIT_MEMLOCK` once per process if this kernel needs it; says what it did. */
export function ensureMemlock(): MemlockState {
  return bumpMemlockRlimit(probeMemcgAccounting);
}
