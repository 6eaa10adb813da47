/**
 * BPF helper functions by id, from `___BPF_FUNC_MAPPER` in `include/uapi/linux/bpf.h`.
 *
 * A helper call is `BPF_JMP | BPF_CALL` with `src_reg` 0 and the helper's id in `imm`
 * (`call bpf_map_lookup_elem#1`). Ids are stable UAPI: a helper keeps its number forever and
 * new ones are appended. The list below is Linux 6.18's: 212 entries, `unspec` (0) to
 * `cgrp_storage_delete` (211). No helpers are added any more (new kernel functions are
 * kfuncs, called with `BPF_PSEUDO_KFUNC_CALL`).
 *
 * This file is layer 1: it imports nothing.
 * @module
 */

/**
 * Helper ids by name, as `enum bpf_func_id` without the `BPF_FUNC_` prefix:
 * `BPF_FUNC.map_lookup_elem === 1`.
 */
export const BPF_FUNC = {
  /** `BPF_FUNC_unspec` (0): not a helper; a call to it is refused. */
  unspec: 0,
  /** `BPF_FUNC_map_lookup_elem` (1): `void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)`. */
  map_lookup_elem: 1,
  /** `BPF_FUNC_map_update_elem` (2): `long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags)`. */
  map_update_elem: 2,
  /** `BPF_FUNC_map_delete_elem` (3): `long bpf_map_delete_elem(struct bpf_map *map, const void *key)`. */
  map_delete_elem: 3,
  /** `BPF_FUNC_probe_read` (4): `long bpf_probe_read(void *dst, u32 size, const void *unsafe_ptr)`. */
  probe_read: 4,
  /** `BPF_FUNC_ktime_get_ns` (5): `u64 bpf_ktime_get_ns(void)`. */
  ktime_get_ns: 5,
  /** `BPF_FUNC_trace_printk` (6): `long bpf_trace_printk(const char *fmt, u32 fmt_size, ...)`. */
  trace_printk: 6,
  /** `BPF_FUNC_get_prandom_u32` (7): `u32 bpf_get_prandom_u32(void)`. */
  get_prandom_u32: 7,
  /** `BPF_FUNC_get_smp_processor_id` (8): `u32 bpf_get_smp_processor_id(void)`. */
  get_smp_processor_id: 8,
  /** `BPF_FUNC_skb_store_bytes` (9): `long bpf_skb_store_bytes(struct sk_buff *skb, u32 offset, const void *from, u32 len, u64 flags)`. */
  skb_store_bytes: 9,
  /** `BPF_FUNC_l3_csum_replace` (10): `long bpf_l3_csum_replace(struct sk_buff *skb, u32 offset, u64 from, u64 to, u64 size)`. */
  l3_csum_replace: 10,
  /** `BPF_FUNC_l4_csum_replace` (11): `long bpf_l4_csum_replace(struct sk_buff *skb, u32 offset, u64 from, u64 to, u64 flags)`. */
  l4_csum_replace: 11,
  /** `BPF_FUNC_tail_call` (12): `long bpf_tail_call(void *ctx, struct bpf_map *prog_array_map, u32 index)`. */
  tail_call: 12,
  /** `BPF_FUNC_clone_redirect` (13): `long bpf_clone_redirect(struct sk_buff *skb, u32 ifindex, u64 flags)`. */
  clone_redirect: 13,
  /** `BPF_FUNC_get_current_pid_tgid` (14): `u64 bpf_get_current_pid_tgid(void)`. */
  get_current_pid_tgid: 14,
  /** `BPF_FUNC_get_current_uid_gid` (15): `u64 bpf_get_current_uid_gid(void)`. */
  get_current_uid_gid: 15,
  /** `BPF_FUNC_get_current_comm` (16): `long bpf_get_current_comm(void *buf, u32 size_of_buf)`. */
  get_current_comm: 16,
  /** `BPF_FUNC_get_cgroup_classid` (17): `u32 bpf_get_cgroup_classid(struct sk_buff *skb)`. */
  get_cgroup_classid: 17,
  /** `BPF_FUNC_skb_vlan_push` (18): `long bpf_skb_vlan_push(struct sk_buff *skb, __be16 vlan_proto, u16 vlan_tci)`. */
  skb_vlan_push: 18,
  /** `BPF_FUNC_skb_vlan_pop` (19): `long bpf_skb_vlan_pop(struct sk_buff *skb)`. */
  skb_vlan_pop: 19,
  /** `BPF_FUNC_skb_get_tunnel_key` (20): `long bpf_skb_get_tunnel_key(struct sk_buff *skb, struct bpf_tunnel_key *key, u32 size, u64 flags)`. */
  skb_get_tunnel_key: 20,
  /** `BPF_FUNC_skb_set_tunnel_key` (21): `long bpf_skb_set_tunnel_key(struct sk_buff *skb, struct bpf_tunnel_key *key, u32 size, u64 flags)`. */
  skb_set_tunnel_key: 21,
  /** `BPF_FUNC_perf_event_read` (22): `u64 bpf_perf_event_read(struct bpf_map *map, u64 flags)`. */
  perf_event_read: 22,
  /** `BPF_FUNC_redirect` (23): `long bpf_redirect(u32 ifindex, u64 flags)`. */
  redirect: 23,
  /** `BPF_FUNC_get_route_realm` (24): `u32 bpf_get_route_realm(struct sk_buff *skb)`. */
  get_route_realm: 24,
  /** `BPF_FUNC_perf_event_output` (25): `long bpf_perf_event_output(void *ctx, struct bpf_map *map, u64 flags, void *data, u64 size)`. */
  perf_event_output: 25,
  /** `BPF_FUNC_skb_load_bytes` (26): `long bpf_skb_load_bytes(const void *skb, u32 offset, void *to, u32 len)`. */
  skb_load_bytes: 26,
  /** `BPF_FUNC_get_stackid` (27): `long bpf_get_stackid(void *ctx, struct bpf_map *map, u64 flags)`. */
  get_stackid: 27,
  /** `BPF_FUNC_csum_diff` (28): `s64 bpf_csum_diff(__be32 *from, u32 from_size, __be32 *to, u32 to_size, __wsum seed)`. */
  csum_diff: 28,
  /** `BPF_FUNC_skb_get_tunnel_opt` (29): `long bpf_skb_get_tunnel_opt(struct sk_buff *skb, void *opt, u32 size)`. */
  skb_get_tunnel_opt: 29,
  /** `BPF_FUNC_skb_set_tunnel_opt` (30): `long bpf_skb_set_tunnel_opt(struct sk_buff *skb, void *opt, u32 size)`. */
  skb_set_tunnel_opt: 30,
  /** `BPF_FUNC_skb_change_proto` (31): `long bpf_skb_change_proto(struct sk_buff *skb, __be16 proto, u64 flags)`. */
  skb_change_proto: 31,
  /** `BPF_FUNC_skb_change_type` (32): `long bpf_skb_change_type(struct sk_buff *skb, u32 type)`. */
  skb_change_type: 32,
  /** `BPF_FUNC_skb_under_cgroup` (33): `long bpf_skb_under_cgroup(struct sk_buff *skb, struct bpf_map *map, u32 index)`. */
  skb_under_cgroup: 33,
  /** `BPF_FUNC_get_hash_recalc` (34): `u32 bpf_get_hash_recalc(struct sk_buff *skb)`. */
  get_hash_recalc: 34,
  /** `BPF_FUNC_get_current_task` (35): `u64 bpf_get_current_task(void)`. */
  get_current_task: 35,
  /** `BPF_FUNC_probe_write_user` (36): `long bpf_probe_write_user(void *dst, const void *src, u32 len)`. */
  probe_write_user: 36,
  /** `BPF_FUNC_current_task_under_cgroup` (37): `long bpf_current_task_under_cgroup(struct bpf_map *map, u32 index)`. */
  current_task_under_cgroup: 37,
  /** `BPF_FUNC_skb_change_tail` (38): `long bpf_skb_change_tail(struct sk_buff *skb, u32 len, u64 flags)`. */
  skb_change_tail: 38,
  /** `BPF_FUNC_skb_pull_data` (39): `long bpf_skb_pull_data(struct sk_buff *skb, u32 len)`. */
  skb_pull_data: 39,
  /** `BPF_FUNC_csum_update` (40): `s64 bpf_csum_update(struct sk_buff *skb, __wsum csum)`. */
  csum_update: 40,
  /** `BPF_FUNC_set_hash_invalid` (41): `void bpf_set_hash_invalid(struct sk_buff *skb)`. */
  set_hash_invalid: 41,
  /** `BPF_FUNC_get_numa_node_id` (42): `long bpf_get_numa_node_id(void)`. */
  get_numa_node_id: 42,
  /** `BPF_FUNC_skb_change_head` (43): `long bpf_skb_change_head(struct sk_buff *skb, u32 len, u64 flags)`. */
  skb_change_head: 43,
  /** `BPF_FUNC_xdp_adjust_head` (44): `long bpf_xdp_adjust_head(struct xdp_buff *xdp_md, int delta)`. */
  xdp_adjust_head: 44,
  /** `BPF_FUNC_probe_read_str` (45): `long bpf_probe_read_str(void *dst, u32 size, const void *unsafe_ptr)`. */
  probe_read_str: 45,
  /** `BPF_FUNC_get_socket_cookie` (46): `u64 bpf_get_socket_cookie(struct sock *sk)`. */
  get_socket_cookie: 46,
  /** `BPF_FUNC_get_socket_uid` (47): `u32 bpf_get_socket_uid(struct sk_buff *skb)`. */
  get_socket_uid: 47,
  /** `BPF_FUNC_set_hash` (48): `long bpf_set_hash(struct sk_buff *skb, u32 hash)`. */
  set_hash: 48,
  /** `BPF_FUNC_setsockopt` (49): `long bpf_setsockopt(void *bpf_socket, int level, int optname, void *optval, int optlen)`. */
  setsockopt: 49,
  /** `BPF_FUNC_skb_adjust_room` (50): `long bpf_skb_adjust_room(struct sk_buff *skb, s32 len_diff, u32 mode, u64 flags)`. */
  skb_adjust_room: 50,
  /** `BPF_FUNC_redirect_map` (51): `long bpf_redirect_map(struct bpf_map *map, u32 key, u64 flags)`. */
  redirect_map: 51,
  /** `BPF_FUNC_sk_redirect_map` (52): `long bpf_sk_redirect_map(struct sk_buff *skb, struct bpf_map *map, u32 key, u64 flags)`. */
  sk_redirect_map: 52,
  /** `BPF_FUNC_sock_map_update` (53): `long bpf_sock_map_update(struct bpf_sock_ops *skops, struct bpf_map *map, void *key, u64 flags)`. */
  sock_map_update: 53,
  /** `BPF_FUNC_xdp_adjust_meta` (54): `long bpf_xdp_adjust_meta(struct xdp_buff *xdp_md, int delta)`. */
  xdp_adjust_meta: 54,
  /** `BPF_FUNC_perf_event_read_value` (55): `long bpf_perf_event_read_value(struct bpf_map *map, u64 flags, struct bpf_perf_event_value *buf, u32 buf_size)`. */
  perf_event_read_value: 55,
  /** `BPF_FUNC_perf_prog_read_value` (56): `long bpf_perf_prog_read_value(struct bpf_perf_event_data *ctx, struct bpf_perf_event_value *buf, u32 buf_size)`. */
  perf_prog_read_value: 56,
  /** `BPF_FUNC_getsockopt` (57): `long bpf_getsockopt(void *bpf_socket, int level, int optname, void *optval, int optlen)`. */
  getsockopt: 57,
  /** `BPF_FUNC_override_return` (58): `long bpf_override_return(struct pt_regs *regs, u64 rc)`. */
  override_return: 58,
  /** `BPF_FUNC_sock_ops_cb_flags_set` (59): `long bpf_sock_ops_cb_flags_set(struct bpf_sock_ops *bpf_sock, int argval)`. */
  sock_ops_cb_flags_set: 59,
  /** `BPF_FUNC_msg_redirect_map` (60): `long bpf_msg_redirect_map(struct sk_msg_buff *msg, struct bpf_map *map, u32 key, u64 flags)`. */
  msg_redirect_map: 60,
  /** `BPF_FUNC_msg_apply_bytes` (61): `long bpf_msg_apply_bytes(struct sk_msg_buff *msg, u32 bytes)`. */
  msg_apply_bytes: 61,
  /** `BPF_FUNC_msg_cork_bytes` (62): `long bpf_msg_cork_bytes(struct sk_msg_buff *msg, u32 bytes)`. */
  msg_cork_bytes: 62,
  /** `BPF_FUNC_msg_pull_data` (63): `long bpf_msg_pull_data(struct sk_msg_buff *msg, u32 start, u32 end, u64 flags)`. */
  msg_pull_data: 63,
  /** `BPF_FUNC_bind` (64): `long bpf_bind(struct bpf_sock_addr *ctx, struct sockaddr *addr, int addr_len)`. */
  bind: 64,
  /** `BPF_FUNC_xdp_adjust_tail` (65): `long bpf_xdp_adjust_tail(struct xdp_buff *xdp_md, int delta)`. */
  xdp_adjust_tail: 65,
  /** `BPF_FUNC_skb_get_xfrm_state` (66): `long bpf_skb_get_xfrm_state(struct sk_buff *skb, u32 index, struct bpf_xfrm_state *xfrm_state, u32 size, u64 flags)`. */
  skb_get_xfrm_state: 66,
  /** `BPF_FUNC_get_stack` (67): `long bpf_get_stack(void *ctx, void *buf, u32 size, u64 flags)`. */
  get_stack: 67,
  /** `BPF_FUNC_skb_load_bytes_relative` (68): `long bpf_skb_load_bytes_relative(const void *skb, u32 offset, void *to, u32 len, u32 start_header)`. */
  skb_load_bytes_relative: 68,
  /** `BPF_FUNC_fib_lookup` (69): `long bpf_fib_lookup(void *ctx, struct bpf_fib_lookup *params, int plen, u32 flags)`. */
  fib_lookup: 69,
  /** `BPF_FUNC_sock_hash_update` (70): `long bpf_sock_hash_update(struct bpf_sock_ops *skops, struct bpf_map *map, void *key, u64 flags)`. */
  sock_hash_update: 70,
  /** `BPF_FUNC_msg_redirect_hash` (71): `long bpf_msg_redirect_hash(struct sk_msg_buff *msg, struct bpf_map *map, void *key, u64 flags)`. */
  msg_redirect_hash: 71,
  /** `BPF_FUNC_sk_redirect_hash` (72): `long bpf_sk_redirect_hash(struct sk_buff *skb, struct bpf_map *map, void *key, u64 flags)`. */
  sk_redirect_hash: 72,
  /** `BPF_FUNC_lwt_push_encap` (73): `long bpf_lwt_push_encap(struct sk_buff *skb, u32 type, void *hdr, u32 len)`. */
  lwt_push_encap: 73,
  /** `BPF_FUNC_lwt_seg6_store_bytes` (74): `long bpf_lwt_seg6_store_bytes(struct sk_buff *skb, u32 offset, const void *from, u32 len)`. */
  lwt_seg6_store_bytes: 74,
  /** `BPF_FUNC_lwt_seg6_adjust_srh` (75): `long bpf_lwt_seg6_adjust_srh(struct sk_buff *skb, u32 offset, s32 delta)`. */
  lwt_seg6_adjust_srh: 75,
  /** `BPF_FUNC_lwt_seg6_action` (76): `long bpf_lwt_seg6_action(struct sk_buff *skb, u32 action, void *param, u32 param_len)`. */
  lwt_seg6_action: 76,
  /** `BPF_FUNC_rc_repeat` (77): `long bpf_rc_repeat(void *ctx)`. */
  rc_repeat: 77,
  /** `BPF_FUNC_rc_keydown` (78): `long bpf_rc_keydown(void *ctx, u32 protocol, u64 scancode, u32 toggle)`. */
  rc_keydown: 78,
  /** `BPF_FUNC_skb_cgroup_id` (79): `u64 bpf_skb_cgroup_id(struct sk_buff *skb)`. */
  skb_cgroup_id: 79,
  /** `BPF_FUNC_get_current_cgroup_id` (80): `u64 bpf_get_current_cgroup_id(void)`. */
  get_current_cgroup_id: 80,
  /** `BPF_FUNC_get_local_storage` (81): `void *bpf_get_local_storage(void *map, u64 flags)`. */
  get_local_storage: 81,
  /** `BPF_FUNC_sk_select_reuseport` (82): `long bpf_sk_select_reuseport(struct sk_reuseport_md *reuse, struct bpf_map *map, void *key, u64 flags)`. */
  sk_select_reuseport: 82,
  /** `BPF_FUNC_skb_ancestor_cgroup_id` (83): `u64 bpf_skb_ancestor_cgroup_id(struct sk_buff *skb, int ancestor_level)`. */
  skb_ancestor_cgroup_id: 83,
  /** `BPF_FUNC_sk_lookup_tcp` (84): `struct bpf_sock *bpf_sk_lookup_tcp(void *ctx, struct bpf_sock_tuple *tuple, u32 tuple_size, u64 netns, u64 flags)`. */
  sk_lookup_tcp: 84,
  /** `BPF_FUNC_sk_lookup_udp` (85): `struct bpf_sock *bpf_sk_lookup_udp(void *ctx, struct bpf_sock_tuple *tuple, u32 tuple_size, u64 netns, u64 flags)`. */
  sk_lookup_udp: 85,
  /** `BPF_FUNC_sk_release` (86): `long bpf_sk_release(void *sock)`. */
  sk_release: 86,
  /** `BPF_FUNC_map_push_elem` (87): `long bpf_map_push_elem(struct bpf_map *map, const void *value, u64 flags)`. */
  map_push_elem: 87,
  /** `BPF_FUNC_map_pop_elem` (88): `long bpf_map_pop_elem(struct bpf_map *map, void *value)`. */
  map_pop_elem: 88,
  /** `BPF_FUNC_map_peek_elem` (89): `long bpf_map_peek_elem(struct bpf_map *map, void *value)`. */
  map_peek_elem: 89,
  /** `BPF_FUNC_msg_push_data` (90): `long bpf_msg_push_data(struct sk_msg_buff *msg, u32 start, u32 len, u64 flags)`. */
  msg_push_data: 90,
  /** `BPF_FUNC_msg_pop_data` (91): `long bpf_msg_pop_data(struct sk_msg_buff *msg, u32 start, u32 len, u64 flags)`. */
  msg_pop_data: 91,
  /** `BPF_FUNC_rc_pointer_rel` (92): `long bpf_rc_pointer_rel(void *ctx, s32 rel_x, s32 rel_y)`. */
  rc_pointer_rel: 92,
  /** `BPF_FUNC_spin_lock` (93): `long bpf_spin_lock(struct bpf_spin_lock *lock)`. */
  spin_lock: 93,
  /** `BPF_FUNC_spin_unlock` (94): `long bpf_spin_unlock(struct bpf_spin_lock *lock)`. */
  spin_unlock: 94,
  /** `BPF_FUNC_sk_fullsock` (95): `struct bpf_sock *bpf_sk_fullsock(struct bpf_sock *sk)`. */
  sk_fullsock: 95,
  /** `BPF_FUNC_tcp_sock` (96): `struct bpf_tcp_sock *bpf_tcp_sock(struct bpf_sock *sk)`. */
  tcp_sock: 96,
  /** `BPF_FUNC_skb_ecn_set_ce` (97): `long bpf_skb_ecn_set_ce(struct sk_buff *skb)`. */
  skb_ecn_set_ce: 97,
  /** `BPF_FUNC_get_listener_sock` (98): `struct bpf_sock *bpf_get_listener_sock(struct bpf_sock *sk)`. */
  get_listener_sock: 98,
  /** `BPF_FUNC_skc_lookup_tcp` (99): `struct bpf_sock *bpf_skc_lookup_tcp(void *ctx, struct bpf_sock_tuple *tuple, u32 tuple_size, u64 netns, u64 flags)`. */
  skc_lookup_tcp: 99,
  /** `BPF_FUNC_tcp_check_syncookie` (100): `long bpf_tcp_check_syncookie(void *sk, void *iph, u32 iph_len, struct tcphdr *th, u32 th_len)`. */
  tcp_check_syncookie: 100,
  /** `BPF_FUNC_sysctl_get_name` (101): `long bpf_sysctl_get_name(struct bpf_sysctl *ctx, char *buf, size_t buf_len, u64 flags)`. */
  sysctl_get_name: 101,
  /** `BPF_FUNC_sysctl_get_current_value` (102): `long bpf_sysctl_get_current_value(struct bpf_sysctl *ctx, char *buf, size_t buf_len)`. */
  sysctl_get_current_value: 102,
  /** `BPF_FUNC_sysctl_get_new_value` (103): `long bpf_sysctl_get_new_value(struct bpf_sysctl *ctx, char *buf, size_t buf_len)`. */
  sysctl_get_new_value: 103,
  /** `BPF_FUNC_sysctl_set_new_value` (104): `long bpf_sysctl_set_new_value(struct bpf_sysctl *ctx, const char *buf, size_t buf_len)`. */
  sysctl_set_new_value: 104,
  /** `BPF_FUNC_strtol` (105): `long bpf_strtol(const char *buf, size_t buf_len, u64 flags, long *res)`. */
  strtol: 105,
  /** `BPF_FUNC_strtoul` (106): `long bpf_strtoul(const char *buf, size_t buf_len, u64 flags, unsigned long *res)`. */
  strtoul: 106,
  /** `BPF_FUNC_sk_storage_get` (107): `void *bpf_sk_storage_get(struct bpf_map *map, void *sk, void *value, u64 flags)`. */
  sk_storage_get: 107,
  /** `BPF_FUNC_sk_storage_delete` (108): `long bpf_sk_storage_delete(struct bpf_map *map, void *sk)`. */
  sk_storage_delete: 108,
  /** `BPF_FUNC_send_signal` (109): `long bpf_send_signal(u32 sig)`. */
  send_signal: 109,
  /** `BPF_FUNC_tcp_gen_syncookie` (110): `s64 bpf_tcp_gen_syncookie(void *sk, void *iph, u32 iph_len, struct tcphdr *th, u32 th_len)`. */
  tcp_gen_syncookie: 110,
  /** `BPF_FUNC_skb_output` (111): `long bpf_skb_output(void *ctx, struct bpf_map *map, u64 flags, void *data, u64 size)`. */
  skb_output: 111,
  /** `BPF_FUNC_probe_read_user` (112): `long bpf_probe_read_user(void *dst, u32 size, const void *unsafe_ptr)`. */
  probe_read_user: 112,
  /** `BPF_FUNC_probe_read_kernel` (113): `long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr)`. */
  probe_read_kernel: 113,
  /** `BPF_FUNC_probe_read_user_str` (114): `long bpf_probe_read_user_str(void *dst, u32 size, const void *unsafe_ptr)`. */
  probe_read_user_str: 114,
  /** `BPF_FUNC_probe_read_kernel_str` (115): `long bpf_probe_read_kernel_str(void *dst, u32 size, const void *unsafe_ptr)`. */
  probe_read_kernel_str: 115,
  /** `BPF_FUNC_tcp_send_ack` (116): `long bpf_tcp_send_ack(void *tp, u32 rcv_nxt)`. */
  tcp_send_ack: 116,
  /** `BPF_FUNC_send_signal_thread` (117): `long bpf_send_signal_thread(u32 sig)`. */
  send_signal_thread: 117,
  /** `BPF_FUNC_jiffies64` (118): `u64 bpf_jiffies64(void)`. */
  jiffies64: 118,
  /** `BPF_FUNC_read_branch_records` (119): `long bpf_read_branch_records(struct bpf_perf_event_data *ctx, void *buf, u32 size, u64 flags)`. */
  read_branch_records: 119,
  /** `BPF_FUNC_get_ns_current_pid_tgid` (120): `long bpf_get_ns_current_pid_tgid(u64 dev, u64 ino, struct bpf_pidns_info *nsdata, u32 size)`. */
  get_ns_current_pid_tgid: 120,
  /** `BPF_FUNC_xdp_output` (121): `long bpf_xdp_output(void *ctx, struct bpf_map *map, u64 flags, void *data, u64 size)`. */
  xdp_output: 121,
  /** `BPF_FUNC_get_netns_cookie` (122): `u64 bpf_get_netns_cookie(void *ctx)`. */
  get_netns_cookie: 122,
  /** `BPF_FUNC_get_current_ancestor_cgroup_id` (123): `u64 bpf_get_current_ancestor_cgroup_id(int ancestor_level)`. */
  get_current_ancestor_cgroup_id: 123,
  /** `BPF_FUNC_sk_assign` (124): `long bpf_sk_assign(struct bpf_sk_lookup *ctx, struct bpf_sock *sk, u64 flags)`. */
  sk_assign: 124,
  /** `BPF_FUNC_ktime_get_boot_ns` (125): `u64 bpf_ktime_get_boot_ns(void)`. */
  ktime_get_boot_ns: 125,
  /** `BPF_FUNC_seq_printf` (126): `long bpf_seq_printf(struct seq_file *m, const char *fmt, u32 fmt_size, const void *data, u32 data_len)`. */
  seq_printf: 126,
  /** `BPF_FUNC_seq_write` (127): `long bpf_seq_write(struct seq_file *m, const void *data, u32 len)`. */
  seq_write: 127,
  /** `BPF_FUNC_sk_cgroup_id` (128): `u64 bpf_sk_cgroup_id(void *sk)`. */
  sk_cgroup_id: 128,
  /** `BPF_FUNC_sk_ancestor_cgroup_id` (129): `u64 bpf_sk_ancestor_cgroup_id(void *sk, int ancestor_level)`. */
  sk_ancestor_cgroup_id: 129,
  /** `BPF_FUNC_ringbuf_output` (130): `long bpf_ringbuf_output(void *ringbuf, void *data, u64 size, u64 flags)`. */
  ringbuf_output: 130,
  /** `BPF_FUNC_ringbuf_reserve` (131): `void *bpf_ringbuf_reserve(void *ringbuf, u64 size, u64 flags)`. */
  ringbuf_reserve: 131,
  /** `BPF_FUNC_ringbuf_submit` (132): `void bpf_ringbuf_submit(void *data, u64 flags)`. */
  ringbuf_submit: 132,
  /** `BPF_FUNC_ringbuf_discard` (133): `void bpf_ringbuf_discard(void *data, u64 flags)`. */
  ringbuf_discard: 133,
  /** `BPF_FUNC_ringbuf_query` (134): `u64 bpf_ringbuf_query(void *ringbuf, u64 flags)`. */
  ringbuf_query: 134,
  /** `BPF_FUNC_csum_level` (135): `long bpf_csum_level(struct sk_buff *skb, u64 level)`. */
  csum_level: 135,
  /** `BPF_FUNC_skc_to_tcp6_sock` (136): `struct tcp6_sock *bpf_skc_to_tcp6_sock(void *sk)`. */
  skc_to_tcp6_sock: 136,
  /** `BPF_FUNC_skc_to_tcp_sock` (137): `struct tcp_sock *bpf_skc_to_tcp_sock(void *sk)`. */
  skc_to_tcp_sock: 137,
  /** `BPF_FUNC_skc_to_tcp_timewait_sock` (138): `struct tcp_timewait_sock *bpf_skc_to_tcp_timewait_sock(void *sk)`. */
  skc_to_tcp_timewait_sock: 138,
  /** `BPF_FUNC_skc_to_tcp_request_sock` (139): `struct tcp_request_sock *bpf_skc_to_tcp_request_sock(void *sk)`. */
  skc_to_tcp_request_sock: 139,
  /** `BPF_FUNC_skc_to_udp6_sock` (140): `struct udp6_sock *bpf_skc_to_udp6_sock(void *sk)`. */
  skc_to_udp6_sock: 140,
  /** `BPF_FUNC_get_task_stack` (141): `long bpf_get_task_stack(struct task_struct *task, void *buf, u32 size, u64 flags)`. */
  get_task_stack: 141,
  /** `BPF_FUNC_load_hdr_opt` (142): `long bpf_load_hdr_opt(struct bpf_sock_ops *skops, void *searchby_res, u32 len, u64 flags)`. */
  load_hdr_opt: 142,
  /** `BPF_FUNC_store_hdr_opt` (143): `long bpf_store_hdr_opt(struct bpf_sock_ops *skops, const void *from, u32 len, u64 flags)`. */
  store_hdr_opt: 143,
  /** `BPF_FUNC_reserve_hdr_opt` (144): `long bpf_reserve_hdr_opt(struct bpf_sock_ops *skops, u32 len, u64 flags)`. */
  reserve_hdr_opt: 144,
  /** `BPF_FUNC_inode_storage_get` (145): `void *bpf_inode_storage_get(struct bpf_map *map, void *inode, void *value, u64 flags)`. */
  inode_storage_get: 145,
  /** `BPF_FUNC_inode_storage_delete` (146): `int bpf_inode_storage_delete(struct bpf_map *map, void *inode)`. */
  inode_storage_delete: 146,
  /** `BPF_FUNC_d_path` (147): `long bpf_d_path(struct path *path, char *buf, u32 sz)`. */
  d_path: 147,
  /** `BPF_FUNC_copy_from_user` (148): `long bpf_copy_from_user(void *dst, u32 size, const void *user_ptr)`. */
  copy_from_user: 148,
  /** `BPF_FUNC_snprintf_btf` (149): `long bpf_snprintf_btf(char *str, u32 str_size, struct btf_ptr *ptr, u32 btf_ptr_size, u64 flags)`. */
  snprintf_btf: 149,
  /** `BPF_FUNC_seq_printf_btf` (150): `long bpf_seq_printf_btf(struct seq_file *m, struct btf_ptr *ptr, u32 ptr_size, u64 flags)`. */
  seq_printf_btf: 150,
  /** `BPF_FUNC_skb_cgroup_classid` (151): `u64 bpf_skb_cgroup_classid(struct sk_buff *skb)`. */
  skb_cgroup_classid: 151,
  /** `BPF_FUNC_redirect_neigh` (152): `long bpf_redirect_neigh(u32 ifindex, struct bpf_redir_neigh *params, int plen, u64 flags)`. */
  redirect_neigh: 152,
  /** `BPF_FUNC_per_cpu_ptr` (153): `void *bpf_per_cpu_ptr(const void *percpu_ptr, u32 cpu)`. */
  per_cpu_ptr: 153,
  /** `BPF_FUNC_this_cpu_ptr` (154): `void *bpf_this_cpu_ptr(const void *percpu_ptr)`. */
  this_cpu_ptr: 154,
  /** `BPF_FUNC_redirect_peer` (155): `long bpf_redirect_peer(u32 ifindex, u64 flags)`. */
  redirect_peer: 155,
  /** `BPF_FUNC_task_storage_get` (156): `void *bpf_task_storage_get(struct bpf_map *map, struct task_struct *task, void *value, u64 flags)`. */
  task_storage_get: 156,
  /** `BPF_FUNC_task_storage_delete` (157): `long bpf_task_storage_delete(struct bpf_map *map, struct task_struct *task)`. */
  task_storage_delete: 157,
  /** `BPF_FUNC_get_current_task_btf` (158): `struct task_struct *bpf_get_current_task_btf(void)`. */
  get_current_task_btf: 158,
  /** `BPF_FUNC_bprm_opts_set` (159): `long bpf_bprm_opts_set(struct linux_binprm *bprm, u64 flags)`. */
  bprm_opts_set: 159,
  /** `BPF_FUNC_ktime_get_coarse_ns` (160): `u64 bpf_ktime_get_coarse_ns(void)`. */
  ktime_get_coarse_ns: 160,
  /** `BPF_FUNC_ima_inode_hash` (161): `long bpf_ima_inode_hash(struct inode *inode, void *dst, u32 size)`. */
  ima_inode_hash: 161,
  /** `BPF_FUNC_sock_from_file` (162): `struct socket *bpf_sock_from_file(struct file *file)`. */
  sock_from_file: 162,
  /** `BPF_FUNC_check_mtu` (163): `long bpf_check_mtu(void *ctx, u32 ifindex, u32 *mtu_len, s32 len_diff, u64 flags)`. */
  check_mtu: 163,
  /** `BPF_FUNC_for_each_map_elem` (164): `long bpf_for_each_map_elem(struct bpf_map *map, void *callback_fn, void *callback_ctx, u64 flags)`. */
  for_each_map_elem: 164,
  /** `BPF_FUNC_snprintf` (165): `long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len)`. */
  snprintf: 165,
  /** `BPF_FUNC_sys_bpf` (166): `long bpf_sys_bpf(u32 cmd, void *attr, u32 attr_size)`. */
  sys_bpf: 166,
  /** `BPF_FUNC_btf_find_by_name_kind` (167): `long bpf_btf_find_by_name_kind(char *name, int name_sz, u32 kind, int flags)`. */
  btf_find_by_name_kind: 167,
  /** `BPF_FUNC_sys_close` (168): `long bpf_sys_close(u32 fd)`. */
  sys_close: 168,
  /** `BPF_FUNC_timer_init` (169): `long bpf_timer_init(struct bpf_timer *timer, struct bpf_map *map, u64 flags)`. */
  timer_init: 169,
  /** `BPF_FUNC_timer_set_callback` (170): `long bpf_timer_set_callback(struct bpf_timer *timer, void *callback_fn)`. */
  timer_set_callback: 170,
  /** `BPF_FUNC_timer_start` (171): `long bpf_timer_start(struct bpf_timer *timer, u64 nsecs, u64 flags)`. */
  timer_start: 171,
  /** `BPF_FUNC_timer_cancel` (172): `long bpf_timer_cancel(struct bpf_timer *timer)`. */
  timer_cancel: 172,
  /** `BPF_FUNC_get_func_ip` (173): `u64 bpf_get_func_ip(void *ctx)`. */
  get_func_ip: 173,
  /** `BPF_FUNC_get_attach_cookie` (174): `u64 bpf_get_attach_cookie(void *ctx)`. */
  get_attach_cookie: 174,
  /** `BPF_FUNC_task_pt_regs` (175): `long bpf_task_pt_regs(struct task_struct *task)`. */
  task_pt_regs: 175,
  /** `BPF_FUNC_get_branch_snapshot` (176): `long bpf_get_branch_snapshot(void *entries, u32 size, u64 flags)`. */
  get_branch_snapshot: 176,
  /** `BPF_FUNC_trace_vprintk` (177): `long bpf_trace_vprintk(const char *fmt, u32 fmt_size, const void *data, u32 data_len)`. */
  trace_vprintk: 177,
  /** `BPF_FUNC_skc_to_unix_sock` (178): `struct unix_sock *bpf_skc_to_unix_sock(void *sk)`. */
  skc_to_unix_sock: 178,
  /** `BPF_FUNC_kallsyms_lookup_name` (179): `long bpf_kallsyms_lookup_name(const char *name, int name_sz, int flags, u64 *res)`. */
  kallsyms_lookup_name: 179,
  /** `BPF_FUNC_find_vma` (180): `long bpf_find_vma(struct task_struct *task, u64 addr, void *callback_fn, void *callback_ctx, u64 flags)`. */
  find_vma: 180,
  /** `BPF_FUNC_loop` (181): `long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags)`. */
  loop: 181,
  /** `BPF_FUNC_strncmp` (182): `long bpf_strncmp(const char *s1, u32 s1_sz, const char *s2)`. */
  strncmp: 182,
  /** `BPF_FUNC_get_func_arg` (183): `long bpf_get_func_arg(void *ctx, u32 n, u64 *value)`. */
  get_func_arg: 183,
  /** `BPF_FUNC_get_func_ret` (184): `long bpf_get_func_ret(void *ctx, u64 *value)`. */
  get_func_ret: 184,
  /** `BPF_FUNC_get_func_arg_cnt` (185): `long bpf_get_func_arg_cnt(void *ctx)`. */
  get_func_arg_cnt: 185,
  /** `BPF_FUNC_get_retval` (186): `int bpf_get_retval(void)`. */
  get_retval: 186,
  /** `BPF_FUNC_set_retval` (187): `int bpf_set_retval(int retval)`. */
  set_retval: 187,
  /** `BPF_FUNC_xdp_get_buff_len` (188): `u64 bpf_xdp_get_buff_len(struct xdp_buff *xdp_md)`. */
  xdp_get_buff_len: 188,
  /** `BPF_FUNC_xdp_load_bytes` (189): `long bpf_xdp_load_bytes(struct xdp_buff *xdp_md, u32 offset, void *buf, u32 len)`. */
  xdp_load_bytes: 189,
  /** `BPF_FUNC_xdp_store_bytes` (190): `long bpf_xdp_store_bytes(struct xdp_buff *xdp_md, u32 offset, void *buf, u32 len)`. */
  xdp_store_bytes: 190,
  /** `BPF_FUNC_copy_from_user_task` (191): `long bpf_copy_from_user_task(void *dst, u32 size, const void *user_ptr, struct task_struct *tsk, u64 flags)`. */
  copy_from_user_task: 191,
  /** `BPF_FUNC_skb_set_tstamp` (192): `long bpf_skb_set_tstamp(struct sk_buff *skb, u64 tstamp, u32 tstamp_type)`. */
  skb_set_tstamp: 192,
  /** `BPF_FUNC_ima_file_hash` (193): `long bpf_ima_file_hash(struct file *file, void *dst, u32 size)`. */
  ima_file_hash: 193,
  /** `BPF_FUNC_kptr_xchg` (194): `void *bpf_kptr_xchg(void *map_value, void *ptr)`. */
  kptr_xchg: 194,
  /** `BPF_FUNC_map_lookup_percpu_elem` (195): `void *bpf_map_lookup_percpu_elem(struct bpf_map *map, const void *key, u32 cpu)`. */
  map_lookup_percpu_elem: 195,
  /** `BPF_FUNC_skc_to_mptcp_sock` (196): `struct mptcp_sock *bpf_skc_to_mptcp_sock(void *sk)`. */
  skc_to_mptcp_sock: 196,
  /** `BPF_FUNC_dynptr_from_mem` (197): `long bpf_dynptr_from_mem(void *data, u32 size, u64 flags, struct bpf_dynptr *ptr)`. */
  dynptr_from_mem: 197,
  /** `BPF_FUNC_ringbuf_reserve_dynptr` (198): `long bpf_ringbuf_reserve_dynptr(void *ringbuf, u32 size, u64 flags, struct bpf_dynptr *ptr)`. */
  ringbuf_reserve_dynptr: 198,
  /** `BPF_FUNC_ringbuf_submit_dynptr` (199): `void bpf_ringbuf_submit_dynptr(struct bpf_dynptr *ptr, u64 flags)`. */
  ringbuf_submit_dynptr: 199,
  /** `BPF_FUNC_ringbuf_discard_dynptr` (200): `void bpf_ringbuf_discard_dynptr(struct bpf_dynptr *ptr, u64 flags)`. */
  ringbuf_discard_dynptr: 200,
  /** `BPF_FUNC_dynptr_read` (201): `long bpf_dynptr_read(void *dst, u32 len, struct bpf_dynptr *src, u32 offset, u64 flags)`. */
  dynptr_read: 201,
  /** `BPF_FUNC_dynptr_write` (202): `long bpf_dynptr_write(struct bpf_dynptr *dst, u32 offset, void *src, u32 len, u64 flags)`. */
  dynptr_write: 202,
  /** `BPF_FUNC_dynptr_data` (203): `void *bpf_dynptr_data(struct bpf_dynptr *ptr, u32 offset, u32 len)`. */
  dynptr_data: 203,
  /** `BPF_FUNC_tcp_raw_gen_syncookie_ipv4` (204): `s64 bpf_tcp_raw_gen_syncookie_ipv4(struct iphdr *iph, struct tcphdr *th, u32 th_len)`. */
  tcp_raw_gen_syncookie_ipv4: 204,
  /** `BPF_FUNC_tcp_raw_gen_syncookie_ipv6` (205): `s64 bpf_tcp_raw_gen_syncookie_ipv6(struct ipv6hdr *iph, struct tcphdr *th, u32 th_len)`. */
  tcp_raw_gen_syncookie_ipv6: 205,
  /** `BPF_FUNC_tcp_raw_check_syncookie_ipv4` (206): `long bpf_tcp_raw_check_syncookie_ipv4(struct iphdr *iph, struct tcphdr *th)`. */
  tcp_raw_check_syncookie_ipv4: 206,
  /** `BPF_FUNC_tcp_raw_check_syncookie_ipv6` (207): `long bpf_tcp_raw_check_syncookie_ipv6(struct ipv6hdr *iph, struct tcphdr *th)`. */
  tcp_raw_check_syncookie_ipv6: 207,
  /** `BPF_FUNC_ktime_get_tai_ns` (208): `u64 bpf_ktime_get_tai_ns(void)`. */
  ktime_get_tai_ns: 208,
  /** `BPF_FUNC_user_ringbuf_drain` (209): `long bpf_user_ringbuf_drain(struct bpf_map *map, void *callback_fn, void *ctx, u64 flags)`. */
  user_ringbuf_drain: 209,
  /** `BPF_FUNC_cgrp_storage_get` (210): `void *bpf_cgrp_storage_get(struct bpf_map *map, struct cgroup *cgroup, void *value, u64 flags)` (Linux 6.2). */
  cgrp_storage_get: 210,
  /** `BPF_FUNC_cgrp_storage_delete` (211): `long bpf_cgrp_storage_delete(struct bpf_map *map, struct cgroup *cgroup)` (Linux 6.2). */
  cgrp_storage_delete: 211,
} as const;

/** The name of a helper known to tsbpf (a key of {@link BPF_FUNC}). */
export type BpfFuncName = keyof typeof BPF_FUNC;

/**
 * Helper names indexed by id, without the `bpf_` prefix, exactly as in `___BPF_FUNC_MAPPER`
 * (`BPF_FUNC_NAMES[1] === 'map_lookup_elem'`).
 */
export const BPF_FUNC_NAMES: readonly BpfFuncName[] = Object.freeze(
  (Object.keys(BPF_FUNC) as BpfFuncName[]).sort((a, b) => BPF_FUNC[a] - BPF_FUNC[b]),
);

/** `__BPF_FUNC_MAX_ID`: one past the highest helper id known to tsbpf. */
export const BPF_FUNC_MAX_ID = BPF_FUNC_NAMES.length;

const idByName = new Map<string, number>(Object.entries(BPF_FUNC));

/**
 * The kernel's name of helper `id` as the disassembler prints it (`bpf_map_lookup_elem`), or
 * `undefined` for an id tsbpf does not know (id 0, `unspec`, is not a callable helper and
 * also gives `undefined`).
 */
export function helperName(id: number): string | undefined {
  if (!Number.isInteger(id) || id <= 0 || id >= BPF_FUNC_MAX_ID) return undefined;
  return 'bpf_' + BPF_FUNC_NAMES[id]!;
}

/**
 * The id of a helper by name, with or without the `bpf_` prefix (`map_lookup_elem`,
 * `bpf_map_lookup_elem`, `BPF_FUNC_map_lookup_elem`), or `undefined` if unknown.
 */
export function helperId(name: string): number | undefined {
  let bare = name;
  if (bare.startsWith('BPF_FUNC_')) bare = bare.slice('BPF_FUNC_'.length);
  else if (bare.startsWith('bpf_')) bare = bare.slice('bpf_'.length);
  const id = idByName.get(bare);
  return id === undefined || id === 0 ? undefined : id;
}
