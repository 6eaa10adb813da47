/**
 * UAPI constants from `include/uapi/linux/bpf.h`, under their C names minus the common
 * prefix (`BPF_MAP_TYPE_HASH` -> `MapType.HASH`). Name tables give bpftool's lowercase
 * spelling (`hash`, `percpu_array`).
 *
 * Layer 1 (pure, imports nothing): the object model names program and map types with these,
 * and the syscall layer passes them to the kernel.
 * @module
 */

/** `enum bpf_cmd`. */
export const BpfCmd = {
  /** `BPF_MAP_CREATE`: create a map from `map_type`, `key_size`, `value_size`, `max_entries`, `map_flags`; returns its fd. */
  MAP_CREATE: 0,
  /** `BPF_MAP_LOOKUP_ELEM`: copy the value stored under `key` into `value`. */
  MAP_LOOKUP_ELEM: 1,
  /** `BPF_MAP_UPDATE_ELEM`: create or update the element under `key` (`flags`: `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`). */
  MAP_UPDATE_ELEM: 2,
  /** `BPF_MAP_DELETE_ELEM`: delete the element under `key`. */
  MAP_DELETE_ELEM: 3,
  /** `BPF_MAP_GET_NEXT_KEY`: the key after `key` (the first key when `key` is missing), for iteration. */
  MAP_GET_NEXT_KEY: 4,
  /** `BPF_PROG_LOAD`: verify and load a program (`insns`, `prog_type`, `license`, BTF `func_info`/`line_info`, `log_buf`); returns its fd. */
  PROG_LOAD: 5,
  /** `BPF_OBJ_PIN`: pin a map, program, link or BTF fd at `pathname` on a bpffs. */
  OBJ_PIN: 6,
  /** `BPF_OBJ_GET`: open the object pinned at `pathname`; returns a new fd. */
  OBJ_GET: 7,
  /** `BPF_PROG_ATTACH`: attach a program to a cgroup, sockmap, flow dissector or lirc device without a link (`attach_type`, `attach_flags`). */
  PROG_ATTACH: 8,
  /** `BPF_PROG_DETACH`: undo a `BPF_PROG_ATTACH`. */
  PROG_DETACH: 9,
  /** `BPF_PROG_TEST_RUN`: run a program once or `repeat` times on a given packet or context, without attaching it (`BPF_PROG_RUN`). */
  PROG_TEST_RUN: 10,
  /** `BPF_PROG_GET_NEXT_ID`: the next loaded program id after `start_id` (needs `CAP_SYS_ADMIN`). */
  PROG_GET_NEXT_ID: 11,
  /** `BPF_MAP_GET_NEXT_ID`: the next map id after `start_id` (needs `CAP_SYS_ADMIN`). */
  MAP_GET_NEXT_ID: 12,
  /** `BPF_PROG_GET_FD_BY_ID`: open a program by id. */
  PROG_GET_FD_BY_ID: 13,
  /** `BPF_MAP_GET_FD_BY_ID`: open a map by id. */
  MAP_GET_FD_BY_ID: 14,
  /** `BPF_OBJ_GET_INFO_BY_FD`: fill `struct bpf_prog_info`, `bpf_map_info`, `bpf_btf_info` or `bpf_link_info` for an fd. */
  OBJ_GET_INFO_BY_FD: 15,
  /** `BPF_PROG_QUERY`: list the programs attached to a cgroup, netdev or other target (`attach_type`). */
  PROG_QUERY: 16,
  /** `BPF_RAW_TRACEPOINT_OPEN`: attach a raw tracepoint or BTF-typed (`tp_btf`, fentry...) program; returns an fd that detaches on close (Linux 4.17; a link since 5.7). */
  RAW_TRACEPOINT_OPEN: 17,
  /** `BPF_BTF_LOAD`: load BTF type information; returns its fd (Linux 4.18). */
  BTF_LOAD: 18,
  /** `BPF_BTF_GET_FD_BY_ID`: open a BTF object by id (vmlinux, a module, or another object's). */
  BTF_GET_FD_BY_ID: 19,
  /** `BPF_TASK_FD_QUERY`: what a task's perf event fd is attached to (tracepoint, kprobe, uprobe) and by which program. */
  TASK_FD_QUERY: 20,
  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: look up and delete in one step; pops queue and stack maps. */
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  /** `BPF_MAP_FREEZE`: make a map read-only for user space (`.rodata`, `.kconfig`; Linux 5.2). */
  MAP_FREEZE: 22,
  /** `BPF_BTF_GET_NEXT_ID`: the next BTF object id after `start_id`. */
  BTF_GET_NEXT_ID: 23,
  /** `BPF_MAP_LOOKUP_BATCH`: read many elements per call (`in_batch`/`out_batch` cursor; Linux 5.6). */
  MAP_LOOKUP_BATCH: 24,
  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH`: read and delete many elements per call (Linux 5.6). */
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  /** `BPF_MAP_UPDATE_BATCH`: write many elements per call (Linux 5.6). */
  MAP_UPDATE_BATCH: 26,
  /** `BPF_MAP_DELETE_BATCH`: delete many elements per call (Linux 5.6). */
  MAP_DELETE_BATCH: 27,
  /** `BPF_LINK_CREATE`: attach a program through a link (`target_fd`, `attach_type`, per-type options); returns the link fd (Linux 5.7). */
  LINK_CREATE: 28,
  /** `BPF_LINK_UPDATE`: replace a link's program in place. */
  LINK_UPDATE: 29,
  /** `BPF_LINK_GET_FD_BY_ID`: open a link by id. */
  LINK_GET_FD_BY_ID: 30,
  /** `BPF_LINK_GET_NEXT_ID`: the next link id after `start_id`. */
  LINK_GET_NEXT_ID: 31,
  /** `BPF_ENABLE_STATS`: turn on program run-time statistics (`run_time_ns`, `run_cnt`) while the returned fd is open. */
  ENABLE_STATS: 32,
  /** `BPF_ITER_CREATE`: open an iterator link as a readable fd (`bpf_iter`, Linux 5.8). */
  ITER_CREATE: 33,
  /** `BPF_LINK_DETACH`: detach a link's program while fds and pins keep the defunct link (Linux 5.9). */
  LINK_DETACH: 34,
  /** `BPF_PROG_BIND_MAP`: keep a map alive as long as a program, without a reference in its code (Linux 5.10). */
  PROG_BIND_MAP: 35,
  /** `BPF_TOKEN_CREATE`: create a BPF token from a bpffs mounted with delegation options (Linux 6.9). */
  TOKEN_CREATE: 36,
} as const;
export type BpfCmd = (typeof BpfCmd)[keyof typeof BpfCmd];

/** `BPF_MAP_CREATE` -> `'BPF_MAP_CREATE'` for messages. */
export const bpfCmdName: Record<number, string> = Object.fromEntries(
  Object.entries(BpfCmd).map(([k, v]) => [v, `BPF_${k}`]),
);

/** `enum bpf_map_type`. */
export const MapType = {
  /** `BPF_MAP_TYPE_UNSPEC`: invalid (0). */
  UNSPEC: 0,
  /** `BPF_MAP_TYPE_HASH`: hash table. */
  HASH: 1,
  /** `BPF_MAP_TYPE_ARRAY`: array indexed by a `u32`; preallocated, elements never deleted. */
  ARRAY: 2,
  /** `BPF_MAP_TYPE_PROG_ARRAY`: program fds for `bpf_tail_call`. */
  PROG_ARRAY: 3,
  /** `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: per-CPU perf event fds for `bpf_perf_event_output`, read with `PerfReader`. */
  PERF_EVENT_ARRAY: 4,
  /** `BPF_MAP_TYPE_PERCPU_HASH`: hash table with one value per possible CPU. */
  PERCPU_HASH: 5,
  /** `BPF_MAP_TYPE_PERCPU_ARRAY`: array with one value per possible CPU. */
  PERCPU_ARRAY: 6,
  /** `BPF_MAP_TYPE_STACK_TRACE`: stack traces stored by `bpf_get_stackid`. */
  STACK_TRACE: 7,
  /** `BPF_MAP_TYPE_CGROUP_ARRAY`: cgroup fds for `bpf_skb_under_cgroup`/`bpf_current_task_under_cgroup`. */
  CGROUP_ARRAY: 8,
  /** `BPF_MAP_TYPE_LRU_HASH`: hash table evicting the least recently used element when full. */
  LRU_HASH: 9,
  /** `BPF_MAP_TYPE_LRU_PERCPU_HASH`: per-CPU LRU hash table. */
  LRU_PERCPU_HASH: 10,
  /** `BPF_MAP_TYPE_LPM_TRIE`: longest-prefix-match trie (`BPF_F_NO_PREALLOC` required). */
  LPM_TRIE: 11,
  /** `BPF_MAP_TYPE_ARRAY_OF_MAPS`: array of inner map fds. */
  ARRAY_OF_MAPS: 12,
  /** `BPF_MAP_TYPE_HASH_OF_MAPS`: hash table of inner map fds. */
  HASH_OF_MAPS: 13,
  /** `BPF_MAP_TYPE_DEVMAP`: network devices for XDP `bpf_redirect_map`. */
  DEVMAP: 14,
  /** `BPF_MAP_TYPE_SOCKMAP`: sockets for `sk_msg`/`sk_skb` redirection. */
  SOCKMAP: 15,
  /** `BPF_MAP_TYPE_CPUMAP`: CPUs for XDP redirection. */
  CPUMAP: 16,
  /** `BPF_MAP_TYPE_XSKMAP`: AF_XDP sockets for XDP redirection. */
  XSKMAP: 17,
  /** `BPF_MAP_TYPE_SOCKHASH`: sockets by key for `sk_msg`/`sk_skb` redirection. */
  SOCKHASH: 18,
  /** `BPF_MAP_TYPE_CGROUP_STORAGE`: legacy per-cgroup, per-attachment storage (`bpf_get_local_storage`). */
  CGROUP_STORAGE: 19,
  /** `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`: sockets for `SO_REUSEPORT` selection programs. */
  REUSEPORT_SOCKARRAY: 20,
  /** `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`: per-CPU variant of the legacy cgroup storage. */
  PERCPU_CGROUP_STORAGE: 21,
  /** `BPF_MAP_TYPE_QUEUE`: FIFO with no key (`bpf_map_push_elem`/`pop`). */
  QUEUE: 22,
  /** `BPF_MAP_TYPE_STACK`: LIFO with no key. */
  STACK: 23,
  /** `BPF_MAP_TYPE_SK_STORAGE`: per-socket local storage. */
  SK_STORAGE: 24,
  /** `BPF_MAP_TYPE_DEVMAP_HASH`: network devices by key for XDP redirection. */
  DEVMAP_HASH: 25,
  /** `BPF_MAP_TYPE_STRUCT_OPS`: a kernel `struct *_ops` implemented by BPF programs (`SEC(".struct_ops")`). */
  STRUCT_OPS: 26,
  /** `BPF_MAP_TYPE_RINGBUF`: multi-producer ring buffer shared by all CPUs, read with `RingbufReader` (Linux 5.8). */
  RINGBUF: 27,
  /** `BPF_MAP_TYPE_INODE_STORAGE`: per-inode local storage (LSM programs). */
  INODE_STORAGE: 28,
  /** `BPF_MAP_TYPE_TASK_STORAGE`: per-task local storage. */
  TASK_STORAGE: 29,
  /** `BPF_MAP_TYPE_BLOOM_FILTER`: Bloom filter (no key; push and peek). */
  BLOOM_FILTER: 30,
  /** `BPF_MAP_TYPE_USER_RINGBUF`: ring buffer written by user space and drained by programs (`UserRingbuf`, Linux 6.1). */
  USER_RINGBUF: 31,
  /** `BPF_MAP_TYPE_CGRP_STORAGE`: per-cgroup local storage (Linux 6.2). */
  CGRP_STORAGE: 32,
  /** `BPF_MAP_TYPE_ARENA`: memory shared between programs and user space by mmap (Linux 6.9). */
  ARENA: 33,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

/** `enum bpf_prog_type`. */
export const ProgType = {
  /** `BPF_PROG_TYPE_UNSPEC`: invalid (0). */
  UNSPEC: 0,
  /** `BPF_PROG_TYPE_SOCKET_FILTER`: socket filter (`SO_ATTACH_BPF`). */
  SOCKET_FILTER: 1,
  /** `BPF_PROG_TYPE_KPROBE`: kprobes, uprobes and USDT (`kprobe/`, `uprobe/`, `usdt/` sections). */
  KPROBE: 2,
  /** `BPF_PROG_TYPE_SCHED_CLS`: tc classifier (`tc`, `tcx/`, `netkit/` sections). */
  SCHED_CLS: 3,
  /** `BPF_PROG_TYPE_SCHED_ACT`: tc action. */
  SCHED_ACT: 4,
  /** `BPF_PROG_TYPE_TRACEPOINT`: tracefs tracepoints (`tracepoint/<category>/<name>`). */
  TRACEPOINT: 5,
  /** `BPF_PROG_TYPE_XDP`: eXpress Data Path, run by the driver on each received packet. */
  XDP: 6,
  /** `BPF_PROG_TYPE_PERF_EVENT`: perf events (sampling, `perf_event`). */
  PERF_EVENT: 7,
  /** `BPF_PROG_TYPE_CGROUP_SKB`: cgroup ingress/egress packet filter. */
  CGROUP_SKB: 8,
  /** `BPF_PROG_TYPE_CGROUP_SOCK`: cgroup socket creation, bind and release hooks. */
  CGROUP_SOCK: 9,
  /** `BPF_PROG_TYPE_LWT_IN`: lightweight tunnel input. */
  LWT_IN: 10,
  /** `BPF_PROG_TYPE_LWT_OUT`: lightweight tunnel output. */
  LWT_OUT: 11,
  /** `BPF_PROG_TYPE_LWT_XMIT`: lightweight tunnel transmit. */
  LWT_XMIT: 12,
  /** `BPF_PROG_TYPE_SOCK_OPS`: TCP socket operations callbacks (`sockops`). */
  SOCK_OPS: 13,
  /** `BPF_PROG_TYPE_SK_SKB`: sockmap stream parser and verdict. */
  SK_SKB: 14,
  /** `BPF_PROG_TYPE_CGROUP_DEVICE`: cgroup device access control. */
  CGROUP_DEVICE: 15,
  /** `BPF_PROG_TYPE_SK_MSG`: sockmap `sendmsg` verdict. */
  SK_MSG: 16,
  /** `BPF_PROG_TYPE_RAW_TRACEPOINT`: raw tracepoints, arguments untyped (`raw_tp/`). */
  RAW_TRACEPOINT: 17,
  /** `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`: cgroup `bind`/`connect`/`sendmsg`/`recvmsg`/`getpeername` address hooks. */
  CGROUP_SOCK_ADDR: 18,
  /** `BPF_PROG_TYPE_LWT_SEG6LOCAL`: SRv6 `seg6local` action. */
  LWT_SEG6LOCAL: 19,
  /** `BPF_PROG_TYPE_LIRC_MODE2`: infrared remote decoder. */
  LIRC_MODE2: 20,
  /** `BPF_PROG_TYPE_SK_REUSEPORT`: `SO_REUSEPORT` socket selection. */
  SK_REUSEPORT: 21,
  /** `BPF_PROG_TYPE_FLOW_DISSECTOR`: network flow dissector. */
  FLOW_DISSECTOR: 22,
  /** `BPF_PROG_TYPE_CGROUP_SYSCTL`: cgroup sysctl access control. */
  CGROUP_SYSCTL: 23,
  /** `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`: raw tracepoints that may write their arguments. */
  RAW_TRACEPOINT_WRITABLE: 24,
  /** `BPF_PROG_TYPE_CGROUP_SOCKOPT`: cgroup `getsockopt`/`setsockopt` hooks. */
  CGROUP_SOCKOPT: 25,
  /** `BPF_PROG_TYPE_TRACING`: BTF-typed tracing: `tp_btf`, `fentry`, `fexit`, `fmod_ret`, `iter` (Linux 5.5). */
  TRACING: 26,
  /** `BPF_PROG_TYPE_STRUCT_OPS`: implementation of a kernel `struct *_ops` member. */
  STRUCT_OPS: 27,
  /** `BPF_PROG_TYPE_EXT`: replacement of a global function of another program (`freplace/`). */
  EXT: 28,
  /** `BPF_PROG_TYPE_LSM`: BPF LSM hooks (`lsm/`, `lsm_cgroup/`). */
  LSM: 29,
  /** `BPF_PROG_TYPE_SK_LOOKUP`: socket lookup for incoming connections. */
  SK_LOOKUP: 30,
  /** `BPF_PROG_TYPE_SYSCALL`: programs that call bpf() themselves, run by `BPF_PROG_TEST_RUN` (light skeletons). */
  SYSCALL: 31,
  /** `BPF_PROG_TYPE_NETFILTER`: netfilter hooks (Linux 6.4). */
  NETFILTER: 32,
} as const;
export type ProgType = (typeof ProgType)[keyof typeof ProgType];

/**
 * Program types that attach to a cgroup v2 directory (`BPF_LINK_CREATE`/`BPF_PROG_ATTACH`
 * with a cgroup fd as `target_fd`). `BPF_PROG_TYPE_LSM` does too, but only as `lsm_cgroup`.
 */
export const CGROUP_PROG_TYPES: ReadonlySet<number> = new Set<number>([
  ProgType.CGROUP_SKB,
  ProgType.CGROUP_SOCK,
  ProgType.CGROUP_SOCK_ADDR,
  ProgType.SOCK_OPS,
  ProgType.CGROUP_DEVICE,
  ProgType.CGROUP_SYSCTL,
  ProgType.CGROUP_SOCKOPT,
]);

/** `enum bpf_attach_type`. */
export const AttachType = {
  /** `BPF_CGROUP_INET_INGRESS`: cgroup_skb: packets received. */
  CGROUP_INET_INGRESS: 0,
  /** `BPF_CGROUP_INET_EGRESS`: cgroup_skb: packets sent. */
  CGROUP_INET_EGRESS: 1,
  /** `BPF_CGROUP_INET_SOCK_CREATE`: cgroup_sock: socket creation. */
  CGROUP_INET_SOCK_CREATE: 2,
  /** `BPF_CGROUP_SOCK_OPS`: sock_ops programs on a cgroup. */
  CGROUP_SOCK_OPS: 3,
  /** `BPF_SK_SKB_STREAM_PARSER`: sk_skb stream parser on a sockmap. */
  SK_SKB_STREAM_PARSER: 4,
  /** `BPF_SK_SKB_STREAM_VERDICT`: sk_skb stream verdict on a sockmap. */
  SK_SKB_STREAM_VERDICT: 5,
  /** `BPF_CGROUP_DEVICE`: cgroup device access. */
  CGROUP_DEVICE: 6,
  /** `BPF_SK_MSG_VERDICT`: sk_msg verdict on a sockmap. */
  SK_MSG_VERDICT: 7,
  /** `BPF_CGROUP_INET4_BIND`: cgroup_sock_addr: IPv4 `bind`. */
  CGROUP_INET4_BIND: 8,
  /** `BPF_CGROUP_INET6_BIND`: cgroup_sock_addr: IPv6 `bind`. */
  CGROUP_INET6_BIND: 9,
  /** `BPF_CGROUP_INET4_CONNECT`: cgroup_sock_addr: IPv4 `connect`. */
  CGROUP_INET4_CONNECT: 10,
  /** `BPF_CGROUP_INET6_CONNECT`: cgroup_sock_addr: IPv6 `connect`. */
  CGROUP_INET6_CONNECT: 11,
  /** `BPF_CGROUP_INET4_POST_BIND`: cgroup_sock: after an IPv4 `bind`. */
  CGROUP_INET4_POST_BIND: 12,
  /** `BPF_CGROUP_INET6_POST_BIND`: cgroup_sock: after an IPv6 `bind`. */
  CGROUP_INET6_POST_BIND: 13,
  /** `BPF_CGROUP_UDP4_SENDMSG`: cgroup_sock_addr: UDPv4 `sendmsg`. */
  CGROUP_UDP4_SENDMSG: 14,
  /** `BPF_CGROUP_UDP6_SENDMSG`: cgroup_sock_addr: UDPv6 `sendmsg`. */
  CGROUP_UDP6_SENDMSG: 15,
  /** `BPF_LIRC_MODE2`: lirc device. */
  LIRC_MODE2: 16,
  /** `BPF_FLOW_DISSECTOR`: flow dissector of a network namespace. */
  FLOW_DISSECTOR: 17,
  /** `BPF_CGROUP_SYSCTL`: cgroup sysctl access. */
  CGROUP_SYSCTL: 18,
  /** `BPF_CGROUP_UDP4_RECVMSG`: cgroup_sock_addr: UDPv4 `recvmsg`. */
  CGROUP_UDP4_RECVMSG: 19,
  /** `BPF_CGROUP_UDP6_RECVMSG`: cgroup_sock_addr: UDPv6 `recvmsg`. */
  CGROUP_UDP6_RECVMSG: 20,
  /** `BPF_CGROUP_GETSOCKOPT`: cgroup `getsockopt`. */
  CGROUP_GETSOCKOPT: 21,
  /** `BPF_CGROUP_SETSOCKOPT`: cgroup `setsockopt`. */
  CGROUP_SETSOCKOPT: 22,
  /** `BPF_TRACE_RAW_TP`: tracing: BTF-typed raw tracepoint (`tp_btf/`). */
  TRACE_RAW_TP: 23,
  /** `BPF_TRACE_FENTRY`: tracing: function entry (`fentry/`). */
  TRACE_FENTRY: 24,
  /** `BPF_TRACE_FEXIT`: tracing: function exit (`fexit/`). */
  TRACE_FEXIT: 25,
  /** `BPF_MODIFY_RETURN`: tracing: replace a function's return value (`fmod_ret/`). */
  MODIFY_RETURN: 26,
  /** `BPF_LSM_MAC`: LSM hook (`lsm/`). */
  LSM_MAC: 27,
  /** `BPF_TRACE_ITER`: BPF iterator (`iter/`). */
  TRACE_ITER: 28,
  /** `BPF_CGROUP_INET4_GETPEERNAME`: cgroup_sock_addr: IPv4 `getpeername`. */
  CGROUP_INET4_GETPEERNAME: 29,
  /** `BPF_CGROUP_INET6_GETPEERNAME`: cgroup_sock_addr: IPv6 `getpeername`. */
  CGROUP_INET6_GETPEERNAME: 30,
  /** `BPF_CGROUP_INET4_GETSOCKNAME`: cgroup_sock_addr: IPv4 `getsockname`. */
  CGROUP_INET4_GETSOCKNAME: 31,
  /** `BPF_CGROUP_INET6_GETSOCKNAME`: cgroup_sock_addr: IPv6 `getsockname`. */
  CGROUP_INET6_GETSOCKNAME: 32,
  /** `BPF_XDP_DEVMAP`: XDP program run on redirect into a devmap entry. */
  XDP_DEVMAP: 33,
  /** `BPF_CGROUP_INET_SOCK_RELEASE`: cgroup_sock: socket release. */
  CGROUP_INET_SOCK_RELEASE: 34,
  /** `BPF_XDP_CPUMAP`: XDP program run on redirect into a cpumap entry. */
  XDP_CPUMAP: 35,
  /** `BPF_SK_LOOKUP`: sk_lookup on a network namespace. */
  SK_LOOKUP: 36,
  /** `BPF_XDP`: XDP on a network device (through a link). */
  XDP: 37,
  /** `BPF_SK_SKB_VERDICT`: sk_skb verdict on a sockmap (non-stream). */
  SK_SKB_VERDICT: 38,
  /** `BPF_SK_REUSEPORT_SELECT`: sk_reuseport: select a socket. */
  SK_REUSEPORT_SELECT: 39,
  /** `BPF_SK_REUSEPORT_SELECT_OR_MIGRATE`: sk_reuseport: select a socket or migrate a closing one's requests. */
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40,
  /** `BPF_PERF_EVENT`: a perf event through a link (kprobe, uprobe, tracepoint, sampling). */
  PERF_EVENT: 41,
  /** `BPF_TRACE_KPROBE_MULTI`: kprobe on many functions with one link (`kprobe.multi/`, Linux 5.18). */
  TRACE_KPROBE_MULTI: 42,
  /** `BPF_LSM_CGROUP`: LSM hook per cgroup (`lsm_cgroup/`). */
  LSM_CGROUP: 43,
  /** `BPF_STRUCT_OPS`: struct_ops map registration. */
  STRUCT_OPS: 44,
  /** `BPF_NETFILTER`: netfilter hook. */
  NETFILTER: 45,
  /** `BPF_TCX_INGRESS`: tcx: ingress of a network device (Linux 6.6). */
  TCX_INGRESS: 46,
  /** `BPF_TCX_EGRESS`: tcx: egress of a network device (Linux 6.6). */
  TCX_EGRESS: 47,
  /** `BPF_TRACE_UPROBE_MULTI`: uprobe on many offsets with one link (`uprobe.multi/`, Linux 6.6). */
  TRACE_UPROBE_MULTI: 48,
  /** `BPF_CGROUP_UNIX_CONNECT`: cgroup_sock_addr: AF_UNIX `connect`. */
  CGROUP_UNIX_CONNECT: 49,
  /** `BPF_CGROUP_UNIX_SENDMSG`: cgroup_sock_addr: AF_UNIX `sendmsg`. */
  CGROUP_UNIX_SENDMSG: 50,
  /** `BPF_CGROUP_UNIX_RECVMSG`: cgroup_sock_addr: AF_UNIX `recvmsg`. */
  CGROUP_UNIX_RECVMSG: 51,
  /** `BPF_CGROUP_UNIX_GETPEERNAME`: cgroup_sock_addr: AF_UNIX `getpeername`. */
  CGROUP_UNIX_GETPEERNAME: 52,
  /** `BPF_CGROUP_UNIX_GETSOCKNAME`: cgroup_sock_addr: AF_UNIX `getsockname`. */
  CGROUP_UNIX_GETSOCKNAME: 53,
  /** `BPF_NETKIT_PRIMARY`: netkit device, primary side (Linux 6.7). */
  NETKIT_PRIMARY: 54,
  /** `BPF_NETKIT_PEER`: netkit device, peer side (Linux 6.7). */
  NETKIT_PEER: 55,
  /** `BPF_TRACE_KPROBE_SESSION`: kprobe entry and return in one program (`kprobe.session/`, Linux 6.10). */
  TRACE_KPROBE_SESSION: 56,
  /** `BPF_TRACE_UPROBE_SESSION`: uprobe entry and return in one program (`uprobe.session/`, Linux 6.13). */
  TRACE_UPROBE_SESSION: 57,
} as const;
export type AttachType = (typeof AttachType)[keyof typeof AttachType];

/** `enum bpf_link_type`. */
export const LinkType = {
  /** `BPF_LINK_TYPE_UNSPEC`: invalid (0). */
  UNSPEC: 0,
  /** `BPF_LINK_TYPE_RAW_TRACEPOINT`: raw tracepoint (`BPF_RAW_TRACEPOINT_OPEN`). */
  RAW_TRACEPOINT: 1,
  /** `BPF_LINK_TYPE_TRACING`: tp_btf, fentry, fexit, fmod_ret, lsm. */
  TRACING: 2,
  /** `BPF_LINK_TYPE_CGROUP`: program on a cgroup. */
  CGROUP: 3,
  /** `BPF_LINK_TYPE_ITER`: BPF iterator. */
  ITER: 4,
  /** `BPF_LINK_TYPE_NETNS`: flow dissector or sk_lookup on a network namespace. */
  NETNS: 5,
  /** `BPF_LINK_TYPE_XDP`: XDP on a network device. */
  XDP: 6,
  /** `BPF_LINK_TYPE_PERF_EVENT`: program on a perf event (kprobe, uprobe, tracepoint). */
  PERF_EVENT: 7,
  /** `BPF_LINK_TYPE_KPROBE_MULTI`: multi-function kprobe. */
  KPROBE_MULTI: 8,
  /** `BPF_LINK_TYPE_STRUCT_OPS`: registered struct_ops map. */
  STRUCT_OPS: 9,
  /** `BPF_LINK_TYPE_NETFILTER`: netfilter hook. */
  NETFILTER: 10,
  /** `BPF_LINK_TYPE_TCX`: tcx on a network device. */
  TCX: 11,
  /** `BPF_LINK_TYPE_UPROBE_MULTI`: multi-offset uprobe. */
  UPROBE_MULTI: 12,
  /** `BPF_LINK_TYPE_NETKIT`: netkit device. */
  NETKIT: 13,
  /** `BPF_LINK_TYPE_SOCKMAP`: program on a sockmap or sockhash. */
  SOCKMAP: 14,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

function lowerNames(o: Record<string, number>, skipUnspec = true): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(o)) if (!(skipUnspec && k === 'UNSPEC')) out[v] = k.toLowerCase();
  return out;
}

/** bpftool's name for each map type: `hash`, `percpu_array`, ... */
export const mapTypeName: Record<number, string> = lowerNames(MapType);
/** bpftool's name for each program type: `socket_filter`, `xdp`, ... */
export const progTypeName: Record<number, string> = lowerNames(ProgType);
/** bpftool's name for each attach type. */
export const attachTypeName: Record<number, string> = lowerNames(AttachType, false);
/** bpftool's name for each link type. */
export const linkTypeName: Record<number, string> = lowerNames(LinkType);

/** Flags of `BPF_MAP_UPDATE_ELEM` (and the `elem_flags` of batch ops). */
export const UpdateFlags = {
  /** Create a new element or update an existing one. */
  ANY: 0,
  /** Create a new element only if it did not exist. */
  NOEXIST: 1,
  /** Update an existing element. */
  EXIST: 2,
  /** Take the value's `bpf_spin_lock` while updating. */
  F_LOCK: 4,
} as const;

/** `map_flags` bits of `BPF_MAP_CREATE`. */
export const MapFlags = {
  /** `BPF_F_NO_PREALLOC`: allocate hash elements on update instead of at creation. */
  NO_PREALLOC: 1 << 0,
  /** `BPF_F_NO_COMMON_LRU`: one LRU list per CPU instead of a shared one. */
  NO_COMMON_LRU: 1 << 1,
  /** `BPF_F_NUMA_NODE`: `numa_node` is valid. */
  NUMA_NODE: 1 << 2,
  /** `BPF_F_RDONLY`: read-only through syscalls. */
  RDONLY: 1 << 3,
  /** `BPF_F_WRONLY`: write-only through syscalls. */
  WRONLY: 1 << 4,
  /** `BPF_F_STACK_BUILD_ID`: stack trace map stores build ids and offsets instead of addresses. */
  STACK_BUILD_ID: 1 << 5,
  /** `BPF_F_ZERO_SEED`: zero hash seed, for reproducible tests. */
  ZERO_SEED: 1 << 6,
  /** `BPF_F_RDONLY_PROG`: read-only for programs (`.rodata`). */
  RDONLY_PROG: 1 << 7,
  /** `BPF_F_WRONLY_PROG`: write-only for programs. */
  WRONLY_PROG: 1 << 8,
  /** `BPF_F_CLONE`: clone local storage when a socket is cloned. */
  CLONE: 1 << 9,
  /** `BPF_F_MMAPABLE`: the array can be mmapped (global data, Linux 5.5). */
  MMAPABLE: 1 << 10,
  /** `BPF_F_PRESERVE_ELEMS`: keep perf event array entries when the map fd is closed. */
  PRESERVE_ELEMS: 1 << 11,
  /** `BPF_F_INNER_MAP`: inner map may have a different `max_entries` than the template. */
  INNER_MAP: 1 << 12,
  /** `BPF_F_LINK`: link-only flag for struct_ops maps (attach with `BPF_LINK_CREATE`). */
  LINK: 1 << 13,
  /** `BPF_F_PATH_FD`: `BPF_OBJ_PIN`/`BPF_OBJ_GET`: `path_fd` is valid. */
  PATH_FD: 1 << 14,
  /** `BPF_F_VTYPE_BTF_OBJ_FD`: `value_type_btf_obj_fd` is valid (struct_ops from module BTF). */
  VTYPE_BTF_OBJ_FD: 1 << 15,
  /** `BPF_F_TOKEN_FD`: `map_token_fd` is valid. */
  TOKEN_FD: 1 << 16,
  /** `BPF_F_SEGV_ON_FAULT`: arena: faulting on an unallocated page raises SIGSEGV in user space. */
  SEGV_ON_FAULT: 1 << 17,
  /** `BPF_F_NO_USER_CONV`: arena: no user-space address conversion of pointers. */
  NO_USER_CONV: 1 << 18,
} as const;

/** `prog_flags` bits of `BPF_PROG_LOAD`. */
export const ProgFlags = {
  /** `BPF_F_STRICT_ALIGNMENT`: the verifier enforces strict alignment. */
  STRICT_ALIGNMENT: 1 << 0,
  /** `BPF_F_ANY_ALIGNMENT`: the verifier accepts any alignment (tests only). */
  ANY_ALIGNMENT: 1 << 1,
  /** `BPF_F_TEST_RND_HI32`: poison the upper 32 bits of 32-bit results (tests). */
  TEST_RND_HI32: 1 << 2,
  /** `BPF_F_TEST_STATE_FREQ`: check state pruning more often (tests). */
  TEST_STATE_FREQ: 1 << 3,
  /** `BPF_F_SLEEPABLE`: a sleepable program (`.s` sections: `fentry.s/`, `lsm.s/`, `uprobe.s/`). */
  SLEEPABLE: 1 << 4,
  /** `BPF_F_XDP_HAS_FRAGS`: XDP program handles multi-buffer frames (`xdp.frags`). */
  XDP_HAS_FRAGS: 1 << 5,
  /** `BPF_F_XDP_DEV_BOUND_ONLY`: XDP program bound to the device in `prog_ifindex`. */
  XDP_DEV_BOUND_ONLY: 1 << 6,
  /** `BPF_F_TEST_REG_INVARIANTS`: check register bound invariants (tests). */
  TEST_REG_INVARIANTS: 1 << 7,
  /** `BPF_F_TOKEN_FD`: `prog_token_fd` is valid. */
  TOKEN_FD: 1 << 16,
} as const;

/** `BPF_OBJ_PIN`/`BPF_OBJ_GET` `file_flags` and `*_GET_FD_BY_ID` `open_flags`. */
export const FileFlags = {
  /** `BPF_F_RDONLY`: open read-only. */
  RDONLY: 1 << 3,
  /** `BPF_F_WRONLY`: open write-only. */
  WRONLY: 1 << 4,
} as const;

/** `enum bpf_stats_type` for `BPF_ENABLE_STATS`. */
export const StatsType = {
  /** `BPF_STATS_RUN_TIME`: count `run_cnt` and `run_time_ns` of every program. */
  RUN_TIME: 0,
} as const;
