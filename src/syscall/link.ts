/**
 * Link commands of bpf(2): `BPF_RAW_TRACEPOINT_OPEN`, `BPF_LINK_CREATE`, `BPF_LINK_UPDATE`,
 * `BPF_LINK_DETACH`, `BPF_ITER_CREATE`.
 * @module
 */
import { attr, bpfCall } from './attr.js';
import { BpfCmd } from './constants.js';
import { Fd } from './fd.js';
import { NativeBuffer, scratch } from './memory.js';

/** `BPF_RAW_TRACEPOINT_OPEN`: attaches a raw tracepoint (or tracing) program; returns the link fd. */
export function rawTracepointOpen(progFd: number, name: string | null, cookie = 0n): Fd {
  const a = attr(24);
  if (name !== null) {
    const b = new TextEncoder().encode(name + '\0');
    const s = scratch(b.length);
    s.bytes.set(b);
    a.ptr(0, s.ptr);
  }
  a.u32(8, progFd).u64(16, cookie);
  return new Fd(bpfCall(BpfCmd.RAW_TRACEPOINT_OPEN, cookie ? 24 : 16));
}

/**
 * Fields of the `BPF_LINK_CREATE` struct. The type-specific union (offset 16) is given by one
 * of the optional groups.
 */
export interface LinkCreateAttr {
  /** Also `map_fd` (struct_ops links). */
  prog_fd: number;
  /** Also `target_ifindex`. */
  target_fd: number;
  attach_type: number;
  flags?: number;
  /** `target_btf_id` (freplace, tracing). */
  target_btf_id?: number;
  /** `iter_info` bytes (`union bpf_iter_link_info`), for iterator links. */
  iter_info?: Uint8Array;
  /** `perf_event.bpf_cookie`. */
  perf_event_cookie?: bigint;
  /** `tracing.cookie` (with `target_btf_id`). */
  tracing_cookie?: bigint;
  /** `tcx`/`netkit`: `relative_fd` (or `relative_id`) and `expected_revision`. */
  relative_fd?: number;
  expected_revision?: bigint;
}

const LINK_CREATE_SIZE = 64;

/** `BPF_LINK_CREATE`: returns the link fd, owned by the caller. */
export function linkCreate(l: LinkCreateAttr): Fd {
  let info: NativeBuffer | undefined;
  try {
    const a = attr(LINK_CREATE_SIZE)
      .u32(0, l.prog_fd)
      .u32(4, l.target_fd)
      .u32(8, l.attach_type)
      .u32(12, l.flags ?? 0);
    if (l.iter_info) {
      info = new NativeBuffer(l.iter_info.length);
      info.bytes.set(l.iter_info);
      a.ptr(16, info.ptr).u32(24, l.iter_info.length);
    } else if (l.perf_event_cookie !== undefined) {
      a.u64(16, l.perf_event_cookie);
    } else if (l.relative_fd !== undefined || l.expected_revision !== undefined) {
      a.u32(16, l.relative_fd ?? 0).u64(24, l.expected_revision ?? 0n);
    } else if (l.target_btf_id !== undefined) {
      a.u32(16, l.target_btf_id);
      if (l.tracing_cookie !== undefined) a.u64(24, l.tracing_cookie);
    }
    return new Fd(bpfCall(BpfCmd.LINK_CREATE, LINK_CREATE_SIZE));
  } finally {
    info?.free();
  }
}

/** `BPF_LINK_UPDATE`: replaces the link's program (or struct_ops map). */
export function linkUpdate(linkFd: number, newProgFd: number, flags = 0, oldProgFd = 0): void {
  attr(16).u32(0, linkFd).u32(4, newProgFd).u32(8, flags).u32(12, oldProgFd);
  bpfCall(BpfCmd.LINK_UPDATE, 16);
}

/** `BPF_LINK_DETACH`: detaches the link while keeping its fd open (it becomes defunct). */
export function linkDetach(linkFd: number): void {
  attr(4).u32(0, linkFd);
  bpfCall(BpfCmd.LINK_DETACH, 4);
}

/** `BPF_ITER_CREATE`: opens a readable fd over an iterator link. */
export function iterCreate(linkFd: number, flags = 0): Fd {
  attr(8).u32(0, linkFd).u32(4, flags);
  return new Fd(bpfCall(BpfCmd.ITER_CREATE, 8));
}
