/* One open + load + close of a BPF object with libbpf 1.1, shared by the load peers
 * (load.c, and inproc/load.c inside the benchmark's process). */
#ifndef TSBPF_BENCH_OPEN_LOAD_H
#define TSBPF_BENCH_OPEN_LOAD_H
#include <bpf/libbpf.h>
#include <stdarg.h>

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* bpf_object__open_file + bpf_object__load + bpf_object__close: 0, -1 when the open
 * failed, -2 when the load did. */
static int open_load_close(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err = 0;

	if (!obj)
		return -1;
	if (bpf_object__load(obj))
		err = -2;
	bpf_object__close(obj);
	return err;
}
#endif
