/* runqlat: how long runnable tasks wait for a CPU (run-queue latency), as a log2 histogram
 * in microseconds, like BCC's runqlat.
 *
 * A task becomes runnable at wakeup (or is preempted while still runnable); the time from
 * then until sched_switch puts it on a CPU is its run-queue latency.
 *   tsbpf run examples/bpf/runqlat.bpfel.o [--targ_pid PID] --interval 1
 * User-space version: examples/runqlat.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_pid = 0;	/* only this process (0: all) */

/* When each thread became runnable (ns), by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* The histogram: counts by log2(microseconds). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist_usecs SEC(".maps");

static __always_inline void enqueue(struct task_struct *p)
{
	__u32 tid = p->pid;
	__u64 ts;

	if (!tid || (targ_pid && targ_pid != p->tgid))
		return;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
}

/* TP_PROTO(struct task_struct *p) */
SEC("tp_btf/sched_wakeup")
int sched_wakeup(unsigned long long *ctx)
{
	enqueue((struct task_struct *)ctx[0]);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int sched_wakeup_new(unsigned long long *ctx)
{
	enqueue((struct task_struct *)ctx[0]);
	return 0;
}

/* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next,
 *          unsigned int prev_state) */
SEC("tp_btf/sched_switch")
int sched_switch(unsigned long long *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *next = (struct task_struct *)ctx[2];
	unsigned int prev_state = (unsigned int)ctx[3];
	__u32 tid = next->pid;
	__u64 *tsp, delta_us, *count;
	__u32 slot;

	/* Preempted while runnable: it waits in the run queue from now on. */
	if (prev_state == TASK_RUNNING)
		enqueue(prev);
	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
	slot = hist_slot(delta_us);
	count = bpf_map_lookup_elem(&hist_usecs, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
