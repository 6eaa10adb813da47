/* profile: a sampling CPU profiler, like BCC's profile: a perf event fires on every CPU at a
 * fixed frequency; each sample records the kernel and user stack of whatever runs, and
 * counts are kept per (process, kernel stack, user stack).
 *
 * `SEC("perf_event")` names no event: the loader opens one per CPU (tsbpf run --freq 49).
 * The stacks are instruction addresses; user space turns them into names with
 * /proc/kallsyms (kernel) and the ELF symbol tables of the mapped files (user).
 *   tsbpf run examples/bpf/profile.bpfel.o --freq 49 [--targ_pid PID]
 * User-space version: examples/profile.ts. */
#include "tsbpf.h"
#include <linux/bpf_perf_event.h>

#define MAX_STACK_DEPTH 127

const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile bool include_idle = false;	/* count samples of the idle task (pid 0) */

struct key {
	__u32 pid;
	int kern_stack_id;	/* id in `stacks`, negative (an errno) when there is none */
	int user_stack_id;
	char comm[16];
};

/* Stack traces by id: up to MAX_STACK_DEPTH return addresses, innermost first. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Samples by (pid, stacks, comm). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct key k = {};
	__u64 one = 1, *count;

	if (!include_idle && pid == 0)
		return 0;
	if (targ_pid && targ_pid != pid)
		return 0;
	k.pid = pid;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.kern_stack_id = bpf_get_stackid(ctx, &stacks, 0);
	k.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	count = bpf_map_lookup_elem(&counts, &k);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
