/*
 * In-process C peer of bench/maps.ts: libbpf's bpf_map_lookup_elem loop (lookup.h), built
 * as a shared library that the benchmark loads with koffi, so that libbpf looks up from
 * inside the node process, taking turns with tsbpf (bench/peer/maps.c runs the same loop
 * in a fresh process).
 */
#include <time.h>
#include "../lookup.h"

/* `ops` lookups in `fd` (keys 0..1023); returns nanoseconds per lookup. */
double peer_lookup_ns(int fd, int ops)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	lookup_ops(fd, ops);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / ops;
}
