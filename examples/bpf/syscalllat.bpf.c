/* syscalllat: syscall latency (entry to exit) as a log2 histogram in microseconds, for all
 * syscalls or one, for all processes or one.
 *   tsbpf run examples/bpf/syscalllat.bpfel.o --targ_nr 230   # clock_nanosleep on x86-64
 * User-space version: examples/syscalllat.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile int targ_nr = -1;	/* only this syscall number (-1: all) */

/* Entry time (ns) by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* Counts by log2(microseconds). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist_usecs SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 ts;

	if (targ_pid && targ_pid != id >> 32)
		return 0;
	if (targ_nr >= 0 && targ_nr != ctx->id)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *tsp, *count;
	__u32 slot;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	slot = hist_slot((bpf_ktime_get_ns() - *tsp) / 1000);
	count = bpf_map_lookup_elem(&hist_usecs, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
