/* hello: "hello world" with bpf_printk. Each exec() writes one line to the kernel's trace
 * buffer: `tsbpf run` shows them from trace_pipe (so does `cat /sys/kernel/tracing/trace_pipe`).
 *   tsbpf run examples/bpf/hello.bpfel.o
 * User-space version: examples/hello.ts. */
#include "tsbpf.h"
#include "kernel.h"

SEC("tracepoint/syscalls/sys_enter_execve")
int hello(struct syscall_trace_enter *ctx)
{
	char comm[16], path[64];

	bpf_get_current_comm(comm, sizeof(comm));
	/* bpf_printk's %s reads kernel memory only: copy the user string to the stack first. */
	bpf_probe_read_user_str(path, sizeof(path), (const char *)ctx->args[0]);
	bpf_printk("Hello, World! %s runs %s", comm, path);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
