/**
 * Program commands of bpf(2): `BPF_PROG_LOAD`, `BPF_PROG_TEST_RUN`, `BPF_PROG_ATTACH`,
 * `BPF_PROG_DETACH`, `BPF_PROG_QUERY`, `BPF_PROG_BIND_MAP`.
 * @module
 */
import { TsbpfError } from '../errors.js';
import { attr, bpfCall, bpfRaw } from './attr.js';
import { BpfCmd } from './constants.js';
import { bpfError } from './errors.js';
import { Errno } from './errno.js';
import { Fd } from './fd.js';
import { align8, NativeBuffer, hostLittleEndian, scratch } from './memory.js';

const utf8 = new TextEncoder();

/** Fields of the `BPF_PROG_LOAD` struct of `union bpf_attr`; arrays are passed as bytes. */
export interface ProgLoadAttr {
  /** `enum bpf_prog_type`. */
  prog_type: number;
  /** Encoded `struct bpf_insn` array (8 bytes each, host byte order). */
  insns: Uint8Array;
  /** License string; GPL-only helpers need a GPL-compatible one. */
  license: string;
  /** 0 = no log; 1 = verifier log; 2 = verbose; 4 = stats. */
  log_level?: number;
  /** Log buffer size in bytes; tsbpf allocates it. Capped at `UINT32_MAX >> 2`. */
  log_size?: number;
  /** `LINUX_VERSION_CODE`, checked for kprobes only before Linux 5.0. */
  kern_version?: number;
  /** `BPF_F_*` program flags (`ProgFlags`). */
  prog_flags?: number;
  /** At most 15 bytes (`BPF_OBJ_NAME_LEN` - 1). */
  prog_name?: string;
  /** Device for an offloaded or device-bound XDP program. */
  prog_ifindex?: number;
  /** `enum bpf_attach_type` the program will be attached with (required by some program types). */
  expected_attach_type?: number;
  /** The object's BTF, which `func_info` and `line_info` refer to. */
  prog_btf_fd?: number;
  /** Size of one `struct bpf_func_info` (8). */
  func_info_rec_size?: number;
  /** Encoded `struct bpf_func_info` records; `insn_off` in instructions. */
  func_info?: Uint8Array;
  /** Size of one `struct bpf_line_info` (16). */
  line_info_rec_size?: number;
  /** Encoded `struct bpf_line_info` records; `insn_off` in instructions. */
  line_info?: Uint8Array;
  /** BTF id of the attach target (tracing, lsm, struct_ops, ext). */
  attach_btf_id?: number;
  /** Also `attach_btf_obj_fd` (same slot). */
  attach_prog_fd?: number;
  /** `fd_array`: map fds referenced by index (BPF_PSEUDO_MAP_IDX), module BTF fds indexed by kfunc calls' `off`. */
  fd_array?: number[];
  /** Size of one `struct bpf_core_relo`, for CO-RE done by the kernel. */
  core_relo_rec_size?: number;
  /** Encoded `struct bpf_core_relo` records (kernel-side CO-RE, as light skeletons use). */
  core_relos?: Uint8Array;
  /** BPF token fd (with `BPF_F_TOKEN_FD`). */
  prog_token_fd?: number;
}

/** What `BPF_PROG_LOAD` produced: an fd, or an errno; plus the verifier log. */
export interface ProgLoadResult {
  /** The program's fd (owned by the caller), or undefined on failure. */
  fd: Fd | undefined;
  /** 0 on success, else the errno. */
  errno: number;
  /** The log text the kernel wrote ('' without a log buffer). */
  log: string;
  /** `log_true_size` (6.4+): the size the full log needs, 0 when unknown. */
  logTrueSize: number;
}

const PROG_LOAD_SIZE = 148;
const LOG_MAX = 0xffff_ffff >>> 2;

/** The last license encoded: every program of an object has the same one. Read only. */
let lastLicense = '';
let lastLicenseBytes: Uint8Array = new Uint8Array(1);

/** `license` as a C string, encoded once while consecutive programs share it. */
function licenseBytes(license: string): Uint8Array {
  if (license !== lastLicense) {
    lastLicenseBytes = cstringBytes(license);
    lastLicense = license;
  }
  return lastLicenseBytes;
}

/**
 * `s` as a NUL-terminated C string. An ASCII string (every license the kernel knows is one)
 * is copied a character at a time: for a few bytes that is cheaper than TextEncoder's call.
 */
function cstringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return utf8.encode(s + '\0');
    out[i] = c;
  }
  return out;
}

/**
 * `BPF_PROG_LOAD` without throwing on a kernel refusal: the caller turns errno + log into its
 * own error (a verifier error, a retry on ENOSPC with `logTrueSize`, a feature probe answer).
 */
export function progLoadRaw(p: ProgLoadAttr): ProgLoadResult {
  if (p.insns.length % 8 !== 0) throw new TsbpfError(`insns length ${p.insns.length} is not a multiple of 8 (struct bpf_insn)`);
  const logSize = Math.min(p.log_size ?? 0, LOG_MAX);
  const lic = licenseBytes(p.license);
  const fdArr = p.fd_array ?? [];
  // One block of the reusable scratch memory: insns | license | func_info | line_info |
  // core_relos | fd_array, each 8-byte aligned. The log, which can be large, gets a block of its own.
  const licOff = align8(p.insns.length);
  const funcOff = licOff + align8(lic.length);
  const lineOff = funcOff + align8(p.func_info?.length ?? 0);
  const reloOff = lineOff + align8(p.line_info?.length ?? 0);
  const fdOff = reloOff + align8(p.core_relos?.length ?? 0);
  const mem = scratch(fdOff + fdArr.length * 4);
  const logBuf = logSize ? new NativeBuffer(logSize) : undefined;
  try {
    mem.bytes.set(p.insns, 0);
    mem.bytes.set(lic, licOff);
    if (p.func_info) mem.bytes.set(p.func_info, funcOff);
    if (p.line_info) mem.bytes.set(p.line_info, lineOff);
    if (p.core_relos) mem.bytes.set(p.core_relos, reloOff);
    for (let i = 0; i < fdArr.length; i++) mem.view.setInt32(fdOff + i * 4, fdArr[i]!, hostLittleEndian);
    const a = attr(PROG_LOAD_SIZE)
      .u32(0, p.prog_type)
      .u32(4, p.insns.length / 8)
      .ptrInto(8, mem, 0)
      .ptrInto(16, mem, licOff);
    if (logBuf) {
      logBuf.bytes[0] = 0;
      a.u32(24, p.log_level ?? 1).u32(28, logSize).ptrInto(32, logBuf, 0);
    }
    a.u32(40, p.kern_version ?? 0).u32(44, p.prog_flags ?? 0);
    if (p.prog_name) a.str(48, p.prog_name, 16); // char prog_name[16]
    a.u32(64, p.prog_ifindex ?? 0)
      .u32(68, p.expected_attach_type ?? 0)
      .u32(72, p.prog_btf_fd ?? 0);
    if (p.func_info?.length) {
      a.u32(76, p.func_info_rec_size ?? 8).ptrInto(80, mem, funcOff).u32(88, p.func_info.length / (p.func_info_rec_size ?? 8));
    }
    if (p.line_info?.length) {
      a.u32(92, p.line_info_rec_size ?? 16).ptrInto(96, mem, lineOff).u32(104, p.line_info.length / (p.line_info_rec_size ?? 16));
    }
    a.u32(108, p.attach_btf_id ?? 0).u32(112, p.attach_prog_fd ?? 0);
    if (p.core_relos?.length) {
      const rs = p.core_relo_rec_size ?? 16;
      a.u32(116, p.core_relos.length / rs).ptrInto(128, mem, reloOff).u32(136, rs);
    }
    if (fdArr.length) a.ptrInto(120, mem, fdOff);
    if (p.prog_token_fd) a.i32(144, p.prog_token_fd);
    // Older kernels reject unknown non-zero tail bytes; everything past 140 is only set when asked.
    const size = p.prog_token_fd ? 148 : 144;
    const r = bpfRaw(BpfCmd.PROG_LOAD, size);
    let log = '';
    if (logBuf) {
      const b = logBuf.bytes;
      const end = b.indexOf(0);
      log = new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
    }
    const logTrueSize = a.getU32(140);
    if (r < 0) return { fd: undefined, errno: -r, log, logTrueSize };
    return { fd: new Fd(r), errno: 0, log, logTrueSize };
  } finally {
    logBuf?.free();
  }
}

/** `BPF_PROG_LOAD`, throwing `BpfError` on failure (the log, if any, is in the message's cause). */
export function progLoad(p: ProgLoadAttr): Fd {
  const r = progLoadRaw(p);
  if (r.fd) return r.fd;
  const e = bpfError('BPF_PROG_LOAD', r.errno);
  if (r.log) Object.assign(e, { log: r.log });
  throw e;
}

/** Arguments and results of `BPF_PROG_TEST_RUN`. */
export interface ProgTestRunAttr {
  /** The program to run. */
  prog_fd: number;
  /** Input packet (or other data) the program sees. */
  data_in?: Uint8Array;
  /** Size of the output buffer for packet data (0 = none). */
  data_size_out?: number;
  /** Input context (`struct __sk_buff`, `xdp_md`, tracing args...). */
  ctx_in?: Uint8Array;
  /** Size of the output buffer for the context (0 = none). */
  ctx_size_out?: number;
  /** Runs; `duration` is their mean. */
  repeat?: number;
  /** `BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`... */
  flags?: number;
  /** CPU to run on, with `BPF_F_TEST_RUN_ON_CPU`. */
  cpu?: number;
  /** XDP live frames: frames per batch. */
  batch_size?: number;
}

/** What `BPF_PROG_TEST_RUN` returned. */
export interface ProgTestRunResult {
  /** `retval`: the program's return value (`r0`). */
  retval: number;
  /** `duration`: mean ns per run. */
  duration: number;
  /** `data_out`: the packet after the run. */
  dataOut: Uint8Array;
  /** `ctx_out`: the context after the run. */
  ctxOut: Uint8Array;
}

const TEST_RUN_SIZE = 80;

/** `BPF_PROG_TEST_RUN`: runs the program once or `repeat` times on the given input. */
export function progTestRun(t: ProgTestRunAttr): ProgTestRunResult {
  const din = t.data_in ?? new Uint8Array(0);
  const cin = t.ctx_in ?? new Uint8Array(0);
  const dout = t.data_size_out ?? 0;
  const cout = t.ctx_size_out ?? 0;
  const o1 = (din.length + 7) & ~7;
  const o2 = o1 + ((dout + 7) & ~7);
  const o3 = o2 + ((cin.length + 7) & ~7);
  const mem = new NativeBuffer(o3 + cout);
  try {
    mem.bytes.fill(0);
    mem.bytes.set(din, 0);
    mem.bytes.set(cin, o2);
    const a = attr(TEST_RUN_SIZE).u32(0, t.prog_fd);
    if (din.length) a.u32(8, din.length).ptr(16, mem.ptr);
    if (dout) a.u32(12, dout).ptr(24, mem.at(o1));
    a.u32(32, t.repeat ?? 0);
    if (cin.length) a.u32(40, cin.length).ptr(48, mem.at(o2));
    if (cout) a.u32(44, cout).ptr(56, mem.at(o3));
    a.u32(64, t.flags ?? 0).u32(68, t.cpu ?? 0).u32(72, t.batch_size ?? 0);
    bpfCall(BpfCmd.PROG_TEST_RUN, TEST_RUN_SIZE);
    const dlen = Math.min(a.getU32(12), dout);
    const clen = Math.min(a.getU32(44), cout);
    return {
      retval: a.getU32(4),
      duration: a.getU32(36),
      dataOut: mem.bytes.slice(o1, o1 + dlen),
      ctxOut: mem.bytes.slice(o3, o3 + clen),
    };
  } finally {
    mem.free();
  }
}

/** Fields of the `BPF_PROG_ATTACH`/`BPF_PROG_DETACH` struct. */
export interface ProgAttachAttr {
  /** `target_fd` (a cgroup, netns, sockmap fd) or `target_ifindex`. */
  target_fd: number;
  /** The program to attach. */
  attach_bpf_fd: number;
  /** `enum bpf_attach_type`. */
  attach_type: number;
  /** `BPF_F_ALLOW_OVERRIDE`, `BPF_F_ALLOW_MULTI`, `BPF_F_REPLACE`, `BPF_F_BEFORE`/`BPF_F_AFTER`... */
  attach_flags?: number;
  /** With `BPF_F_REPLACE`: the program to replace. */
  replace_bpf_fd?: number;
  /** Also `relative_id`. */
  relative_fd?: number;
  /** mprog attachments: fail with ESTALE unless the list is still at this revision. */
  expected_revision?: bigint;
}

const ATTACH_SIZE = 32;

function attachAttr(p: ProgAttachAttr): number {
  attr(ATTACH_SIZE)
    .u32(0, p.target_fd)
    .u32(4, p.attach_bpf_fd)
    .u32(8, p.attach_type)
    .u32(12, p.attach_flags ?? 0)
    .u32(16, p.replace_bpf_fd ?? 0)
    .u32(20, p.relative_fd ?? 0)
    .u64(24, p.expected_revision ?? 0n);
  return p.relative_fd || p.expected_revision ? 32 : 20;
}

/** `BPF_PROG_ATTACH`. */
export function progAttach(p: ProgAttachAttr): void {
  bpfCall(BpfCmd.PROG_ATTACH, attachAttr(p));
}

/** `BPF_PROG_DETACH`. */
export function progDetach(p: ProgAttachAttr): void {
  bpfCall(BpfCmd.PROG_DETACH, attachAttr(p));
}

/** Result of `BPF_PROG_QUERY`. */
export interface ProgQueryResult {
  /** `attach_flags` of the target (cgroups: `BPF_F_ALLOW_MULTI`...). */
  attachFlags: number;
  /** `prog_ids`: attached programs, in run order. */
  progIds: number[];
  /** `prog_attach_flags`: per-program flags, same order. */
  progAttachFlags: number[];
  /** `link_ids`: the link of each program (0 for a direct attachment). */
  linkIds: number[];
  /** `revision` of the attachment list (mprog targets: tcx, netkit). */
  revision: bigint;
}

const QUERY_SIZE = 64;
/** The query struct up to `prog_attach_flags`, as kernels before 6.6 know it. */
const QUERY_SIZE_PRE_6_6 = 40;

/** `BPF_PROG_QUERY`: programs attached to `targetFd` for `attachType` (up to `max`). */
export function progQuery(targetFd: number, attachType: number, queryFlags = 0, max = 64): ProgQueryResult {
  const mem = new NativeBuffer(max * 4 * 3);
  try {
    mem.bytes.fill(0);
    const query = (withLinks: boolean): number => {
      const a = attr(QUERY_SIZE)
        .u32(0, targetFd)
        .u32(4, attachType)
        .u32(8, queryFlags)
        .ptr(16, mem.ptr)
        .u32(24, max)
        .ptr(32, mem.at(max * 4));
      if (withLinks) a.ptr(40, mem.at(max * 8));
      return bpfRaw(BpfCmd.PROG_QUERY, withLinks ? QUERY_SIZE : QUERY_SIZE_PRE_6_6);
    };
    // link_ids (and revision) came in 6.6 with tcx; an older kernel refuses a non-zero field it
    // does not know (CHECK_ATTR: EINVAL, or E2BIG past its attr size): ask again without it.
    let r = query(true);
    let withLinks = true;
    if (r === -Errno.EINVAL || r === -Errno.E2BIG) {
      withLinks = false;
      r = query(false);
    }
    if (r < 0) throw bpfError('BPF_PROG_QUERY', -r);
    const a = attr(0);
    const n = Math.min(a.getU32(24), max);
    const le = hostLittleEndian;
    const read = (base: number) => Array.from({ length: n }, (_, i) => mem.view.getUint32(base + i * 4, le));
    return {
      attachFlags: a.getU32(12),
      progIds: read(0),
      progAttachFlags: read(max * 4),
      linkIds: withLinks ? read(max * 8) : [],
      revision: withLinks ? a.getU64(56) : 0n,
    };
  } finally {
    mem.free();
  }
}

/** `BPF_PROG_BIND_MAP`: keeps `mapFd` alive as long as the program (e.g. `.rodata` metadata). */
export function progBindMap(progFd: number, mapFd: number, flags = 0): void {
  attr(12).u32(0, progFd).u32(4, mapFd).u32(8, flags);
  bpfCall(BpfCmd.PROG_BIND_MAP, 12);
}
