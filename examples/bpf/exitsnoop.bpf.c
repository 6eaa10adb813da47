/* exitsnoop: every process exit, with its age and exit status or signal, like BCC's
 * exitsnoop.
 *
 * A BTF tracepoint (`tp_btf`): the program gets the tracepoint's own arguments, here the
 * exiting `struct task_struct *`, and reads its fields directly; CO-RE rewrites each field
 * offset for the running kernel.
 *   tsbpf run examples/bpf/exitsnoop.bpfel.o [--targ_failed true]
 * User-space version: examples/exitsnoop.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile bool targ_failed = false;	/* only non-zero exits and signals */

struct event {
	__u64 age_ns;
	__u32 pid;
	__u32 ppid;
	int exit_code;	/* the status given to exit() */
	int sig;	/* the signal that killed it, 0 if none */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} events SEC(".maps");

/* TP_PROTO(struct task_struct *p, bool group_dead): arguments come as an array of u64. */
SEC("tp_btf/sched_process_exit")
int handle_exit(unsigned long long *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx[0];
	struct event *e;
	int code;

	/* One event per process: skip threads other than the leader. */
	if (p->pid != p->tgid)
		return 0;
	if (targ_pid && targ_pid != p->tgid)
		return 0;
	code = p->exit_code;
	if (targ_failed && code == 0)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->age_ns = bpf_ktime_get_ns() - p->start_time;
	e->pid = p->tgid;
	e->ppid = p->real_parent->tgid;
	e->exit_code = (code >> 8) & 0xff;
	e->sig = code & 0x7f;
	__builtin_memcpy(e->comm, p->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
