/* tcpconnect: every active TCP connection (connect()), IPv4 and IPv6, with addresses and
 * ports, like BCC's tcpconnect.
 *
 * No kprobe on tcp_v4_connect: the sock/inet_sock_set_state tracepoint sees the socket go
 * from CLOSE to SYN_SENT, which happens inside connect(), so the current task is the caller.
 * (At that point the kernel has not picked the source port yet: it is 0 in the tracepoint.)
 *   tsbpf run examples/bpf/tcpconnect.bpfel.o [--targ_dport 443]
 * User-space version: examples/tcpconnect.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile __u16 targ_dport = 0;	/* only this destination port (0: all) */

struct event {
	__u32 pid;
	__u32 uid;
	__u16 family;	/* AF_INET or AF_INET6: which addresses below are set */
	__u16 dport;	/* host byte order (the source port is chosen later in connect()) */
	__u32 saddr_v4;	/* network byte order, as in struct in_addr */
	__u32 daddr_v4;
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__type(value, struct event);
} events SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (ctx->protocol != IPPROTO_TCP || ctx->oldstate != TCP_CLOSE || ctx->newstate != TCP_SYN_SENT)
		return 0;
	if (targ_pid && targ_pid != pid)
		return 0;
	if (targ_dport && targ_dport != ctx->dport)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->family = ctx->family;
	e->dport = ctx->dport;
	if (ctx->family == AF_INET) {
		__builtin_memcpy(&e->saddr_v4, ctx->saddr, 4);
		__builtin_memcpy(&e->daddr_v4, ctx->daddr, 4);
	} else {
		__builtin_memcpy(e->saddr_v6, ctx->saddr_v6, 16);
		__builtin_memcpy(e->daddr_v6, ctx->daddr_v6, 16);
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
