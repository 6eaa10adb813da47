/**
 * Licenses and GPL-only helpers.
 *
 * The kernel lets a program call a helper whose `struct bpf_func_proto` has `gpl_only = true`
 * only when the program's license (the object's `license` section, `BPF_PROG_LOAD`'s
 * `license`) is GPL-compatible; otherwise the verifier stops with
 * `cannot call GPL-restricted function from non-GPL compatible program` (`check_helper_call`).
 * Which licenses count is `license_is_gpl_compatible()` (`include/linux/license.h`).
 *
 * Whether a helper is GPL-only is not in BTF. {@link GPL_ONLY_HELPERS} lists the helpers
 * declared `gpl_only = true` in Linux 6.x (`kernel/trace/bpf_trace.c`, `kernel/bpf/helpers.c`,
 * `net/core/filter.c`, `drivers/media/rc/bpf-lirc.c`); a kernel test compares it with what
 * the verifier of the running kernel says for every helper it can probe, and against the
 * running kernel the pre-flight check asks the verifier itself (`src/preflight`).
 * @module
 */

/** License strings the kernel treats as GPL-compatible (`license_is_gpl_compatible`). */
export const GPL_COMPATIBLE_LICENSES: readonly string[] = Object.freeze([
  'GPL',
  'GPL v2',
  'GPL and additional rights',
  'Dual BSD/GPL',
  'Dual MIT/GPL',
  'Dual MPL/GPL',
]);

/** Whether the kernel accepts `license` for GPL-only helpers (exact match, as the kernel compares). */
export function isGplCompatible(license: string): boolean {
  return GPL_COMPATIBLE_LICENSES.includes(license);
}

/** Helpers (`bpf_` names) whose `bpf_func_proto` is `gpl_only` in Linux 6.x. */
export const GPL_ONLY_HELPERS: ReadonlySet<string> = new Set([
  'bpf_probe_read',
  'bpf_probe_read_str',
  'bpf_probe_read_user',
  'bpf_probe_read_user_str',
  'bpf_probe_read_kernel',
  'bpf_probe_read_kernel_str',
  'bpf_probe_write_user',
  'bpf_trace_printk',
  'bpf_trace_vprintk',
  'bpf_perf_event_output',
  'bpf_perf_event_read',
  'bpf_perf_event_read_value',
  'bpf_perf_prog_read_value',
  'bpf_skb_output',
  'bpf_xdp_output',
  'bpf_get_current_task',
  'bpf_get_current_task_btf',
  'bpf_task_pt_regs',
  'bpf_get_stackid',
  'bpf_get_stack',
  'bpf_override_return',
  'bpf_fib_lookup',
  'bpf_check_mtu',
  'bpf_tcp_check_syncookie',
  'bpf_tcp_gen_syncookie',
  'bpf_tcp_raw_gen_syncookie_ipv4',
  'bpf_tcp_raw_gen_syncookie_ipv6',
  'bpf_tcp_raw_check_syncookie_ipv4',
  'bpf_tcp_raw_check_syncookie_ipv6',
  'bpf_seq_printf',
  'bpf_seq_write',
  'bpf_seq_printf_btf',
  'bpf_snprintf',
  'bpf_timer_init',
  'bpf_timer_set_callback',
  'bpf_timer_start',
  'bpf_timer_cancel',
  'bpf_get_func_ip',
  'bpf_get_func_arg',
  'bpf_get_func_ret',
  'bpf_get_func_arg_cnt',
  'bpf_read_branch_records',
  'bpf_get_branch_snapshot',
  'bpf_copy_from_user_task',
  'bpf_rc_repeat',
  'bpf_rc_keydown',
  'bpf_rc_pointer_rel',
]);
