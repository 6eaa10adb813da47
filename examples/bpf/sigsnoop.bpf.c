/* sigsnoop: every signal sent, with sender, target and outcome, like BCC's sigsnoop.
 *
 * Events go through a perf event array (one buffer per CPU, the interface before ring
 * buffers); TSBPF_EVENT names their type because the map's own key and value are fds.
 *   tsbpf run examples/bpf/sigsnoop.bpfel.o [--targ_sig 10] [--targ_pid PID]
 * User-space version: examples/sigsnoop.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_pid = 0;	/* only signals sent by this process (0: all) */
const volatile int targ_sig = 0;	/* only this signal (0: all) */

struct event {
	__u32 pid;	/* sender */
	__u32 tpid;	/* target */
	int sig;
	int result;	/* 0 delivered, 1 ignored, 2 already pending, 3 overflow, 4 lose info */
	char comm[16];	/* sender */
	char tcomm[16];	/* target */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 1024);	/* one slot per CPU: at least the number of CPUs */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

TSBPF_EVENT(events, struct event);

SEC("tracepoint/signal/signal_generate")
int sig_generate(struct trace_event_raw_signal_generate *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event e = {};

	if (targ_pid && targ_pid != pid)
		return 0;
	if (targ_sig && targ_sig != ctx->sig)
		return 0;
	e.pid = pid;
	e.tpid = ctx->pid;
	e.sig = ctx->sig;
	e.result = ctx->result;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	__builtin_memcpy(e.tcomm, ctx->comm, sizeof(e.tcomm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
