/*
 * In-process C peer of bench/load.ts: libbpf's open + load + close (open_load.h), built as
 * a shared library that the benchmark loads with koffi, so that libbpf loads from inside
 * the node process, taking turns with tsbpf (bench/peer/load.c does the same in a fresh
 * process).
 */
#include <time.h>
#include "../open_load.h"

/* `n` loads of the object at `path`; milliseconds per load, or a negative error. */
double peer_load_ms(const char *path, int n)
{
	struct timespec t0, t1;

	libbpf_set_print(silent);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		int err = open_load_close(path);

		if (err)
			return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / n;
}
