/**
 * Link commands of bpf(2): `BPF_RAW_TRACEPOINT_OPEN`, `BPF_LINK_CREATE`, `BPF_LINK_UPDATE`,
 * `BPF_LINK_DETACH`, `BPF_ITER_CREATE`.
 * @module
 */
import { attr, bpfCall } from './attr.js';
import { BpfCmd } from './constants.js';
import { Fd } from './fd.js';
import { hostLittleEndian, NativeBuffer, scratch } from './memory.js';

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
  /** `attach_type` (`enum bpf_attach_type`): with the program's type, picks the kind of link and which union member the kernel reads (`link_create`). */
  attach_type: number;
  /** `flags`: per attach type (`XDP_FLAGS_*` modes, `BPF_F_BEFORE`/`BPF_F_AFTER`... for tcx and netkit); 0 for most. */
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
  /** `tcx.expected_revision`/`netkit.expected_revision`: ESTALE unless the attachment list is at this revision; 0 for any. */
  expected_revision?: bigint;
  /**
   * `kprobe_multi` (attach type `BPF_TRACE_KPROBE_MULTI`, 5.18+): `flags`
   * (`BPF_F_KPROBE_MULTI_RETURN` = 1), and either `syms` (function names; the kernel sorts and
   * resolves them, `ftrace_lookup_symbols`) or `addrs`; `cookies` one per function.
   */
  kprobe_multi?: {
    /** `kprobe_multi.flags`: `BPF_F_KPROBE_MULTI_RETURN` for kretprobes. */
    flags?: number;
    /** `kprobe_multi.syms`: function names, as an array of `char *`; `cnt` is their number. */
    syms?: readonly string[];
    /** `kprobe_multi.addrs`: kernel addresses, instead of `syms`. */
    addrs?: readonly bigint[];
    /** `kprobe_multi.cookies`: one `bpf_get_attach_cookie()` value per function, in the order of `syms` or `addrs`. */
    cookies?: readonly bigint[];
  };
  /**
   * `uprobe_multi` (attach type `BPF_TRACE_UPROBE_MULTI`, 6.6+): the file `path`, one file
   * `offsets` entry per probe (`cnt` is their number), optional `ref_ctr_offsets` (USDT
   * semaphores) and `cookies` (one per offset), `flags` (`BPF_F_UPROBE_MULTI_RETURN` = 1), and
   * `pid` (0: every process).
   */
  uprobe_multi?: {
    /** `uprobe_multi.path`: the probed file, passed as a NUL-terminated string. */
    path: string;
    /** `uprobe_multi.offsets`: file offsets of the probes; `cnt` is their number. */
    offsets: readonly bigint[];
    /** `uprobe_multi.ref_ctr_offsets`: file offsets of USDT semaphores, one per offset; the kernel increments each while attached. */
    ref_ctr_offsets?: readonly bigint[];
    /** `uprobe_multi.cookies`: one `bpf_get_attach_cookie()` value per offset. */
    cookies?: readonly bigint[];
    /** `uprobe_multi.flags`: `BPF_F_UPROBE_MULTI_RETURN` for uretprobes. */
    flags?: number;
    /** `uprobe_multi.pid`: only this process; 0 for every process. */
    pid?: number;
  };
}

/**
 * The arrays of `link_create.uprobe_multi` in native memory, in one buffer: `offsets`,
 * `ref_ctr_offsets` and `cookies` (u64 each, `cnt` long), then the NUL-terminated path.
 */
function uprobeMultiArrays(u: NonNullable<LinkCreateAttr['uprobe_multi']>): { buf: NativeBuffer; path: bigint; offsets: bigint; refCtr: bigint; cookies: bigint } {
  const cnt = u.offsets.length;
  for (const [name, arr] of [['ref_ctr_offsets', u.ref_ctr_offsets], ['cookies', u.cookies]] as const) {
    if (arr && arr.length !== cnt) throw new RangeError(`uprobe_multi: ${name} has ${arr.length} entries, offsets ${cnt}`);
  }
  const path = new TextEncoder().encode(u.path + '\0');
  const offsetsOff = 0;
  const refOff = offsetsOff + 8 * cnt;
  const cookiesOff = refOff + (u.ref_ctr_offsets ? 8 * cnt : 0);
  const pathOff = cookiesOff + (u.cookies ? 8 * cnt : 0);
  const buf = new NativeBuffer(pathOff + path.length);
  u.offsets.forEach((o, i) => buf.view.setBigUint64(offsetsOff + 8 * i, o, hostLittleEndian));
  u.ref_ctr_offsets?.forEach((o, i) => buf.view.setBigUint64(refOff + 8 * i, o, hostLittleEndian));
  u.cookies?.forEach((c, i) => buf.view.setBigUint64(cookiesOff + 8 * i, c, hostLittleEndian));
  buf.bytes.set(path, pathOff);
  return {
    buf,
    path: buf.at(pathOff),
    offsets: buf.at(offsetsOff),
    refCtr: u.ref_ctr_offsets ? buf.at(refOff) : 0n,
    cookies: u.cookies ? buf.at(cookiesOff) : 0n,
  };
}

/**
 * The arrays of `link_create.kprobe_multi` in native memory: `syms` is an array of `char *`
 * (all strings in the same buffer after it), `addrs` and `cookies` arrays of u64.
 */
function kprobeMultiArrays(k: NonNullable<LinkCreateAttr['kprobe_multi']>): { buf: NativeBuffer; cnt: number; syms: bigint; addrs: bigint; cookies: bigint } {
  const cnt = k.syms?.length ?? k.addrs?.length ?? 0;
  const names = (k.syms ?? []).map((n) => new TextEncoder().encode(n + '\0'));
  const strBytes = names.reduce((n, b) => n + b.length, 0);
  const symsOff = 0;
  const addrsOff = symsOff + 8 * (k.syms?.length ?? 0);
  const cookiesOff = addrsOff + 8 * (k.addrs?.length ?? 0);
  const strOff = cookiesOff + 8 * (k.cookies?.length ?? 0);
  const buf = new NativeBuffer(strOff + strBytes);
  let at = strOff;
  names.forEach((b, i) => {
    buf.bytes.set(b, at);
    buf.view.setBigUint64(symsOff + 8 * i, buf.at(at), hostLittleEndian);
    at += b.length;
  });
  k.addrs?.forEach((a, i) => buf.view.setBigUint64(addrsOff + 8 * i, a, hostLittleEndian));
  k.cookies?.forEach((c, i) => buf.view.setBigUint64(cookiesOff + 8 * i, c, hostLittleEndian));
  return {
    buf,
    cnt,
    syms: k.syms ? buf.at(symsOff) : 0n,
    addrs: k.addrs ? buf.at(addrsOff) : 0n,
    cookies: k.cookies ? buf.at(cookiesOff) : 0n,
  };
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
    if (l.kprobe_multi) {
      // struct { u32 flags; u32 cnt; u64 syms; u64 addrs; u64 cookies; } kprobe_multi at 16.
      const k = kprobeMultiArrays(l.kprobe_multi);
      info = k.buf;
      a.u32(16, l.kprobe_multi.flags ?? 0).u32(20, k.cnt).ptr(24, k.syms).ptr(32, k.addrs).ptr(40, k.cookies);
    } else if (l.uprobe_multi) {
      // struct { u64 path; u64 offsets; u64 ref_ctr_offsets; u64 cookies; u32 cnt; u32 flags;
      // u32 pid; } uprobe_multi at 16.
      const u = uprobeMultiArrays(l.uprobe_multi);
      info = u.buf;
      a.ptr(16, u.path).ptr(24, u.offsets).ptr(32, u.refCtr).ptr(40, u.cookies);
      a.u32(48, l.uprobe_multi.offsets.length).u32(52, l.uprobe_multi.flags ?? 0).u32(56, l.uprobe_multi.pid ?? 0);
    } else if (l.iter_info) {
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
