/**
 * The remaining bpf(2) commands: `BPF_ENABLE_STATS`, `BPF_TASK_FD_QUERY`, `BPF_TOKEN_CREATE`.
 * @module
 */
import { attr, bpfCall } from './attr.js';
import { BpfCmd } from './constants.js';
import { Fd } from './fd.js';
import { NativeBuffer } from './memory.js';

/**
 * `BPF_ENABLE_STATS`: turns on run-time statistics (`run_time_ns`, `run_cnt`) while the
 * returned fd is open.
 */
export function enableStats(type = 0): Fd {
  attr(4).u32(0, type);
  return new Fd(bpfCall(BpfCmd.ENABLE_STATS, 4));
}

/** Result of `BPF_TASK_FD_QUERY`: what a perf event / raw tracepoint fd of a task is attached to. */
export interface TaskFdQueryResult {
  /** `prog_id`: the program attached through the fd. */
  progId: number;
  /** `enum bpf_task_fd_type`. */
  fdType: number;
  /** Tracepoint or function name, or the uprobe's file path. */
  buf: string;
  /** `probe_offset`: offset in the function or file (kprobes, uprobes). */
  probeOffset: bigint;
  /** `probe_addr`: the kprobe's address, 0 when given by name. */
  probeAddr: bigint;
}

/** `BPF_TASK_FD_QUERY` for fd `fd` of process `pid`. */
export function taskFdQuery(pid: number, fd: number, flags = 0): TaskFdQueryResult {
  const mem = new NativeBuffer(4096);
  try {
    mem.bytes.fill(0);
    const a = attr(48).u32(0, pid).u32(4, fd).u32(8, flags).u32(12, mem.size).ptr(16, mem.ptr);
    bpfCall(BpfCmd.TASK_FD_QUERY, 48);
    const end = mem.bytes.indexOf(0);
    return {
      progId: a.getU32(24),
      fdType: a.getU32(28),
      buf: new TextDecoder().decode(mem.bytes.subarray(0, end < 0 ? mem.size : end)),
      probeOffset: a.getU64(32),
      probeAddr: a.getU64(40),
    };
  } finally {
    mem.free();
  }
}

/** `BPF_TOKEN_CREATE` (6.9+): a BPF token from a bpffs mounted with `delegate_*` options. */
export function tokenCreate(bpffsFd: number, flags = 0): Fd {
  attr(8).u32(0, flags).u32(4, bpffsFd);
  return new Fd(bpfCall(BpfCmd.TOKEN_CREATE, 8));
}
