/* execsnoop: one event per exec(), sent through a ring buffer.
 *
 * Kernel side only: `tsbpf run examples/bpf/execsnoop.bpfel.o` attaches it and prints each
 * event, decoded by the `struct event` type recorded in the object's BTF.
 * User-space version with the library: examples/execsnoop.ts. */
#include "tsbpf.h"
#include "kernel.h"

struct event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	char comm[16];
	char filename[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned int off = ctx->__data_loc_filename & 0xffff;
	struct event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	/* A BTF pointer: the verifier lets us follow it directly; CO-RE fixes the offsets. */
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
