/**
 * Program section names: what `SEC("...")` tells a loader.
 *
 * A BPF program's ELF section name is its only declaration of what it is. `SEC("xdp")`
 * means program type `BPF_PROG_TYPE_XDP` with expected attach type `BPF_XDP`;
 * `SEC("tracepoint/sched/sched_switch")` means `BPF_PROG_TYPE_TRACEPOINT`, attached to the
 * tracepoint `sched/sched_switch`. This table follows libbpf's `section_defs[]` entry for
 * entry and in the same order (the first match wins, so `sk_reuseport/migrate` comes before
 * `sk_reuseport`), with libbpf's matching rule (`sec_def_matches`):
 *
 * - `name+`: the section is exactly `name`, or `name/<target>`;
 * - `name/`: the section starts with `name/` (a target is required);
 * - otherwise the section is exactly `name`.
 *
 * Worked example: `uprobe.s//bin/bash:readline` matches `uprobe.s+` (prefix `uprobe.s`,
 * then `/`), so it is a sleepable `BPF_PROG_TYPE_KPROBE` whose target is
 * `/bin/bash:readline`. `kprobe.multi/vfs_*` matches `kprobe.multi+`, not `kprobe+`,
 * because after `kprobe` comes `.`, not `/`.
 * @module
 */
import { AttachType, ProgType } from '../uapi/bpf.js';

/** libbpf's `enum sec_def_flags`. */
export const SecFlags = {
  /** `SEC_NONE`: no flag. */
  NONE: 0,
  /** `SEC_EXP_ATTACH_OPT`: the expected attach type may be dropped on kernels that lack it. */
  EXP_ATTACH_OPT: 1,
  /** `SEC_ATTACHABLE`: historically attachable with `BPF_PROG_ATTACH` (informational). */
  ATTACHABLE: 2,
  /** `SEC_ATTACH_BTF`: the target is a BTF id (kernel function, tracepoint, iterator, program). */
  ATTACH_BTF: 4,
  /** `SEC_SLEEPABLE`: load with `BPF_F_SLEEPABLE`. */
  SLEEPABLE: 8,
  /** `SEC_XDP_FRAGS`: load with `BPF_F_XDP_HAS_FRAGS`. */
  XDP_FRAGS: 16,
  /** `SEC_USDT`: a USDT probe (uprobe_multi link where the kernel has it). */
  USDT: 32,
} as const;
const { NONE, EXP_ATTACH_OPT, ATTACHABLE, ATTACH_BTF, SLEEPABLE, XDP_FRAGS, USDT } = SecFlags;
const ATTACHABLE_OPT = ATTACHABLE | EXP_ATTACH_OPT;

/**
 * Attach types newer than the UAPI header this project mirrors (bpf-next's
 * `enum bpf_attach_type`, after `BPF_TRACE_UPROBE_SESSION`).
 */
const BPF_TRACE_FSESSION = 58;
const BPF_TRACE_FENTRY_MULTI = 59;
const BPF_TRACE_FEXIT_MULTI = 60;
const BPF_TRACE_FSESSION_MULTI = 61;

/** How tsbpf attaches a program of this kind without user code (`collection.attachAll()`). */
export type AutoAttach =
  | 'kprobe'
  | 'ksyscall'
  | 'kprobe_multi'
  | 'kprobe_session'
  | 'uprobe'
  | 'uprobe_multi'
  | 'usdt'
  | 'tracepoint'
  | 'raw_tracepoint'
  | 'trace' // tp_btf, fentry, fexit, fmod_ret, freplace: BPF_LINK_CREATE / BPF_RAW_TRACEPOINT_OPEN
  | 'tracing_multi'
  | 'lsm'
  | 'iter';

/** One row of the table: libbpf's `struct bpf_sec_def`. */
export interface SectionDef {
  /** The pattern, as libbpf writes it (`kprobe+`, `xdp`, `cgroup/connect4`). */
  pattern: string;
  /** `enum bpf_prog_type` */
  progType: number;
  /** `enum bpf_attach_type` (`expected_attach_type` at load), 0 when none. */
  expectedAttachType: number;
  /** `SecFlags` bits. */
  flags: number;
  /** Whether and how the program can be attached from its section name alone. */
  autoAttach?: AutoAttach;
}

function def(pattern: string, progType: number, expectedAttachType: number, flags: number, autoAttach?: AutoAttach): SectionDef {
  return autoAttach ? { pattern, progType, expectedAttachType, flags, autoAttach } : { pattern, progType, expectedAttachType, flags };
}

const P = ProgType;
const A = AttachType;

/** libbpf's `section_defs[]`, in order. */
export const sectionDefs: readonly SectionDef[] = Object.freeze([
  def('socket', P.SOCKET_FILTER, 0, NONE),
  def('sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, ATTACHABLE),
  def('sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, ATTACHABLE),
  def('kprobe+', P.KPROBE, 0, NONE, 'kprobe'),
  def('uprobe+', P.KPROBE, 0, NONE, 'uprobe'),
  def('uprobe.s+', P.KPROBE, 0, SLEEPABLE, 'uprobe'),
  def('kretprobe+', P.KPROBE, 0, NONE, 'kprobe'),
  def('uretprobe+', P.KPROBE, 0, NONE, 'uprobe'),
  def('uretprobe.s+', P.KPROBE, 0, SLEEPABLE, 'uprobe'),
  def('kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, NONE, 'kprobe_multi'),
  def('kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, NONE, 'kprobe_multi'),
  def('kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION, NONE, 'kprobe_session'),
  def('uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, NONE, 'uprobe_multi'),
  def('uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, NONE, 'uprobe_multi'),
  def('uprobe.session+', P.KPROBE, A.TRACE_UPROBE_SESSION, NONE, 'uprobe_multi'),
  def('uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, SLEEPABLE, 'uprobe_multi'),
  def('uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, SLEEPABLE, 'uprobe_multi'),
  def('uprobe.session.s+', P.KPROBE, A.TRACE_UPROBE_SESSION, SLEEPABLE, 'uprobe_multi'),
  def('ksyscall+', P.KPROBE, 0, NONE, 'ksyscall'),
  def('kretsyscall+', P.KPROBE, 0, NONE, 'ksyscall'),
  def('usdt+', P.KPROBE, 0, USDT, 'usdt'),
  def('usdt.s+', P.KPROBE, 0, USDT | SLEEPABLE, 'usdt'),
  def('tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, NONE), // alias of tcx/ingress
  def('tc/egress', P.SCHED_CLS, A.TCX_EGRESS, NONE), // alias of tcx/egress
  def('tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, NONE),
  def('tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, NONE),
  def('tc', P.SCHED_CLS, 0, NONE), // legacy: use tcx
  def('classifier', P.SCHED_CLS, 0, NONE), // legacy: use tcx
  def('action', P.SCHED_ACT, 0, NONE), // legacy: use tcx
  def('netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, NONE),
  def('netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, NONE),
  def('tracepoint+', P.TRACEPOINT, 0, NONE, 'tracepoint'),
  def('tp+', P.TRACEPOINT, 0, NONE, 'tracepoint'),
  def('tracepoint.s+', P.TRACEPOINT, 0, SLEEPABLE, 'tracepoint'),
  def('tp.s+', P.TRACEPOINT, 0, SLEEPABLE, 'tracepoint'),
  def('raw_tracepoint+', P.RAW_TRACEPOINT, 0, NONE, 'raw_tracepoint'),
  def('raw_tp+', P.RAW_TRACEPOINT, 0, NONE, 'raw_tracepoint'),
  def('raw_tracepoint.s+', P.RAW_TRACEPOINT, 0, SLEEPABLE, 'raw_tracepoint'),
  def('raw_tp.s+', P.RAW_TRACEPOINT, 0, SLEEPABLE, 'raw_tracepoint'),
  def('raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE, 0, NONE, 'raw_tracepoint'),
  def('raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE, 0, NONE, 'raw_tracepoint'),
  def('tp_btf+', P.TRACING, A.TRACE_RAW_TP, ATTACH_BTF, 'trace'),
  def('tp_btf.s+', P.TRACING, A.TRACE_RAW_TP, ATTACH_BTF | SLEEPABLE, 'trace'),
  def('fentry+', P.TRACING, A.TRACE_FENTRY, ATTACH_BTF, 'trace'),
  def('fmod_ret+', P.TRACING, A.MODIFY_RETURN, ATTACH_BTF, 'trace'),
  def('fexit+', P.TRACING, A.TRACE_FEXIT, ATTACH_BTF, 'trace'),
  def('fentry.s+', P.TRACING, A.TRACE_FENTRY, ATTACH_BTF | SLEEPABLE, 'trace'),
  def('fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, ATTACH_BTF | SLEEPABLE, 'trace'),
  def('fexit.s+', P.TRACING, A.TRACE_FEXIT, ATTACH_BTF | SLEEPABLE, 'trace'),
  def('fsession+', P.TRACING, BPF_TRACE_FSESSION, ATTACH_BTF, 'trace'),
  def('fsession.s+', P.TRACING, BPF_TRACE_FSESSION, ATTACH_BTF | SLEEPABLE, 'trace'),
  def('fsession.multi+', P.TRACING, BPF_TRACE_FSESSION_MULTI, NONE, 'tracing_multi'),
  def('fsession.multi.s+', P.TRACING, BPF_TRACE_FSESSION_MULTI, SLEEPABLE, 'tracing_multi'),
  def('fentry.multi+', P.TRACING, BPF_TRACE_FENTRY_MULTI, NONE, 'tracing_multi'),
  def('fexit.multi+', P.TRACING, BPF_TRACE_FEXIT_MULTI, NONE, 'tracing_multi'),
  def('fentry.multi.s+', P.TRACING, BPF_TRACE_FENTRY_MULTI, SLEEPABLE, 'tracing_multi'),
  def('fexit.multi.s+', P.TRACING, BPF_TRACE_FEXIT_MULTI, SLEEPABLE, 'tracing_multi'),
  def('freplace+', P.EXT, 0, ATTACH_BTF, 'trace'),
  def('lsm+', P.LSM, A.LSM_MAC, ATTACH_BTF, 'lsm'),
  def('lsm.s+', P.LSM, A.LSM_MAC, ATTACH_BTF | SLEEPABLE, 'lsm'),
  def('lsm_cgroup+', P.LSM, A.LSM_CGROUP, ATTACH_BTF),
  def('iter+', P.TRACING, A.TRACE_ITER, ATTACH_BTF, 'iter'),
  def('iter.s+', P.TRACING, A.TRACE_ITER, ATTACH_BTF | SLEEPABLE, 'iter'),
  def('syscall', P.SYSCALL, 0, SLEEPABLE),
  def('xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, XDP_FRAGS),
  def('xdp/devmap', P.XDP, A.XDP_DEVMAP, ATTACHABLE),
  def('xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, XDP_FRAGS),
  def('xdp/cpumap', P.XDP, A.XDP_CPUMAP, ATTACHABLE),
  def('xdp.frags', P.XDP, A.XDP, XDP_FRAGS),
  def('xdp', P.XDP, A.XDP, ATTACHABLE_OPT),
  def('perf_event', P.PERF_EVENT, 0, NONE),
  def('lwt_in', P.LWT_IN, 0, NONE),
  def('lwt_out', P.LWT_OUT, 0, NONE),
  def('lwt_xmit', P.LWT_XMIT, 0, NONE),
  def('lwt_seg6local', P.LWT_SEG6LOCAL, 0, NONE),
  def('sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS, ATTACHABLE_OPT),
  def('sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER, ATTACHABLE_OPT),
  def('sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT, ATTACHABLE_OPT),
  def('sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT, ATTACHABLE_OPT),
  def('sk_skb', P.SK_SKB, 0, NONE),
  def('sk_msg', P.SK_MSG, A.SK_MSG_VERDICT, ATTACHABLE_OPT),
  def('lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2, ATTACHABLE_OPT),
  def('flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, ATTACHABLE_OPT),
  def('cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS, ATTACHABLE_OPT),
  def('cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS, ATTACHABLE_OPT),
  def('cgroup/skb', P.CGROUP_SKB, 0, NONE),
  def('cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, ATTACHABLE),
  def('cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, ATTACHABLE),
  def('cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, ATTACHABLE_OPT),
  def('cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, ATTACHABLE),
  def('cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, ATTACHABLE),
  def('cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, ATTACHABLE),
  def('cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, ATTACHABLE),
  def('cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, ATTACHABLE),
  def('cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, ATTACHABLE),
  def('cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, ATTACHABLE),
  def('cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, ATTACHABLE),
  def('cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, ATTACHABLE),
  def('cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, ATTACHABLE),
  def('cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, ATTACHABLE),
  def('cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, ATTACHABLE),
  def('cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, ATTACHABLE),
  def('cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, ATTACHABLE),
  def('cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, ATTACHABLE),
  def('cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, ATTACHABLE),
  def('cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, ATTACHABLE),
  def('cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, ATTACHABLE),
  def('cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, ATTACHABLE),
  def('cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, ATTACHABLE),
  def('cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, ATTACHABLE),
  def('cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, ATTACHABLE),
  def('cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE, ATTACHABLE_OPT),
  def('struct_ops+', P.STRUCT_OPS, 0, NONE),
  def('struct_ops.s+', P.STRUCT_OPS, 0, SLEEPABLE),
  def('sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP, ATTACHABLE),
  def('netfilter', P.NETFILTER, A.NETFILTER, NONE),
]);

/** libbpf's `sec_def_matches`. */
export function sectionDefMatches(pattern: string, section: string): boolean {
  const last = pattern[pattern.length - 1];
  if (last === '/') return section.startsWith(pattern);
  if (last === '+') {
    const prefix = pattern.slice(0, -1);
    if (!section.startsWith(prefix)) return false;
    return section.length === prefix.length || section[prefix.length] === '/';
  }
  return section === pattern;
}

/** What a program's section name says about it. */
export interface SectionInfo {
  /** The matching table row. */
  def: SectionDef;
  /** The section name as written. */
  section: string;
  /**
   * The part after `<prefix>/` for `+` patterns (`sched/sched_switch` for
   * `tracepoint/sched/sched_switch`), or undefined when the section is just the prefix.
   */
  target: string | undefined;
  /** `BPF_F_SLEEPABLE` is needed. */
  sleepable: boolean;
  /** `BPF_F_XDP_HAS_FRAGS` is needed. */
  frags: boolean;
}

/** Answers of {@link findSectionDef} by section name: parsing and loading ask for each program. */
const found = new Map<string, SectionInfo | undefined>();
const FOUND_MAX = 256;

/**
 * Looks up the program kind of section `section`, or undefined when no convention matches
 * (libbpf then refuses the program: "missing BPF prog type, check ELF section name").
 * The same section name gives the same (shared, not to be modified) object.
 */
export function findSectionDef(section: string): SectionInfo | undefined {
  if (found.has(section)) return found.get(section);
  const info = matchSectionDef(section);
  if (found.size >= FOUND_MAX) found.clear();
  found.set(section, info);
  return info;
}

function matchSectionDef(section: string): SectionInfo | undefined {
  for (const d of sectionDefs) {
    if (!sectionDefMatches(d.pattern, section)) continue;
    let target: string | undefined;
    if (d.pattern.endsWith('+')) {
      const prefix = d.pattern.slice(0, -1);
      target = section.length > prefix.length ? section.slice(prefix.length + 1) : undefined;
    } else if (d.pattern.endsWith('/')) {
      target = section.slice(d.pattern.length);
    }
    return {
      def: d,
      section,
      target,
      sleepable: (d.flags & SLEEPABLE) !== 0,
      frags: (d.flags & XDP_FRAGS) !== 0,
    };
  }
  return undefined;
}
