/* kernel.h: the few kernel types the examples read, written out instead of a whole vmlinux.h.
 *
 * Two kinds:
 *   - Tracepoint records (`SEC("tracepoint/...")` contexts), copied from
 *     /sys/kernel/tracing/events/<category>/<name>/format. Their layout is what the format
 *     file says on every kernel, so they need no relocation.
 *   - Kernel structs read through BTF pointers (tp_btf arguments, bpf_get_current_task_btf)
 *     or pt_regs. They carry `preserve_access_index`: clang records a CO-RE relocation for
 *     each field access and the loader rewrites the offset with the running kernel's, so
 *     only the fields used need to be listed, in any order.
 */
#ifndef EXAMPLES_KERNEL_H
#define EXAMPLES_KERNEL_H

#include <linux/types.h>

/* ---- tracepoint records ---- */

/* The header every tracepoint record starts with (`struct trace_entry`). */
struct trace_entry {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
};

/* sched/sched_process_exec. `__data_loc_filename`: offset (low 16 bits) and length (high 16)
 * of the file name, stored after the fixed fields of the record. */
struct trace_event_raw_sched_process_exec {
	struct trace_entry ent;
	unsigned int __data_loc_filename;
	int pid;
	int old_pid;
	char __data[];
};

/* syscalls/sys_enter_<name>: the syscall number and its six arguments (unused ones absent
 * from the format file, but the layout is the same: `struct syscall_trace_enter`). */
struct syscall_trace_enter {
	struct trace_entry ent;
	int nr;
	unsigned long args[6];
};

/* syscalls/sys_exit_<name> (`struct syscall_trace_exit`). */
struct syscall_trace_exit {
	struct trace_entry ent;
	int nr;
	long ret;
};

/* raw_syscalls/sys_enter: every syscall, `id` is its number. */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

/* raw_syscalls/sys_exit */
struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/* signal/signal_generate: `comm` and `pid` are the target's; the sender is the current task.
 * `result` is enum trace_signal_result (0 delivered, 1 ignored, 2 already pending,
 * 3 overflow, 4 lose info). */
struct trace_event_raw_signal_generate {
	struct trace_entry ent;
	int sig;
	int errno;
	int code;
	char comm[16];
	int pid;
	int group;
	int result;
};

/* sock/inet_sock_set_state: a TCP (or SCTP, MPTCP) socket changed state. Ports are in host
 * byte order; addresses as stored (network byte order). */
struct trace_event_raw_inet_sock_set_state {
	struct trace_entry ent;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

/* block/block_rq_issue (also block_rq_insert): a request goes to the device driver.
 * `dev` is the kernel's dev_t: major << 20 | minor. */
struct trace_event_raw_block_rq {
	struct trace_entry ent;
	__u32 dev;
	__u64 sector;
	unsigned int nr_sector;
	unsigned int bytes;
	unsigned short ioprio;
	char rwbs[10];
	char comm[16];
	unsigned int __data_loc_cmd;
};

/* block/block_rq_complete: the device finished the request. */
struct trace_event_raw_block_rq_completion {
	struct trace_entry ent;
	__u32 dev;
	__u64 sector;
	unsigned int nr_sector;
	int error;
	unsigned short ioprio;
	char rwbs[10];
	unsigned int __data_loc_cmd;
};

/* ---- kernel structs, relocated by CO-RE ---- */

struct task_struct {
	int pid;		/* the thread id */
	int tgid;		/* the process id */
	int exit_code;		/* wait(2) status: exit status << 8 | terminating signal */
	__u64 start_time;	/* monotonic ns at fork */
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
} __attribute__((preserve_access_index));

/* x86-64 registers at a probe (uprobe, kprobe) as the program's context sees them. */
struct pt_regs {
	unsigned long di;	/* 1st argument */
	unsigned long si;	/* 2nd argument */
	unsigned long ax;	/* return value */
	unsigned long ip;
	unsigned long sp;
} __attribute__((preserve_access_index));

/* Task states (include/linux/sched.h). */
#define TASK_RUNNING 0

/* TCP states (include/net/tcp_states.h) and address families. */
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

#endif /* EXAMPLES_KERNEL_H */
