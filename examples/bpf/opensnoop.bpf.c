/* opensnoop: every openat(2), with the file name and the result (a file descriptor or an
 * error), like BCC's opensnoop.
 *
 * The name is known at syscall entry, the result at exit: entry keeps the arguments in a hash
 * map keyed by thread id, exit takes them out and sends one event.
 *   tsbpf run examples/bpf/opensnoop.bpfel.o [--targ_pid PID] [--targ_failed true]
 * User-space version: examples/opensnoop.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile bool targ_failed = false;	/* only failed opens */

struct args {
	const char *fname;
	int flags;
};

struct event {
	__u32 pid;
	__u32 uid;
	int ret;
	int flags;
	char comm[16];
	char fname[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct args);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct syscall_trace_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args a = {};

	if (targ_pid && targ_pid != id >> 32)
		return 0;
	/* openat(dfd, filename, flags, mode) */
	a.fname = (const char *)ctx->args[1];
	a.flags = (int)ctx->args[2];
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct syscall_trace_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args *a;
	struct event *e;

	a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	if (targ_failed && ctx->ret >= 0)
		goto cleanup;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto cleanup;
	e->pid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = ctx->ret;
	e->flags = a->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), a->fname);
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
