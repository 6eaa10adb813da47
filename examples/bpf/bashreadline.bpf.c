/* bashreadline: every command line typed into an interactive bash, like BCC's bashreadline.
 *
 * A uretprobe on bash's readline(): when it returns, its return value (register ax on
 * x86-64, read through CO-RE so the offset matches the kernel's struct pt_regs) points to
 * the line, in the user memory of the bash process. Debian's /bin/bash is stripped, but
 * exports readline in its dynamic symbol table, which is where the offset comes from.
 *   tsbpf run examples/bpf/bashreadline.bpfel.o
 * User-space version: examples/bashreadline.ts. */
#include "tsbpf.h"
#include "kernel.h"

struct event {
	__u32 pid;
	char comm[16];
	char line[120];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
	__type(value, struct event);
} events SEC(".maps");

SEC("uretprobe//bin/bash:readline")
int bash_readline(struct pt_regs *ctx)
{
	const char *line = (const char *)ctx->ax;
	struct event *e;

	if (!line)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->line, sizeof(e->line), line);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
