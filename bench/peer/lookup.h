/* The array/hash lookup loop of the maps peers (maps.c, and inproc/maps.c inside the
 * benchmark's process): `ops` calls of libbpf's bpf_map_lookup_elem, keys 0..1023. */
#ifndef TSBPF_BENCH_LOOKUP_H
#define TSBPF_BENCH_LOOKUP_H
#include <bpf/bpf.h>
#include <stdint.h>

static volatile uint64_t lookup_sink;

static inline void lookup_ops(int fd, int ops)
{
	for (int i = 0; i < ops; i++) {
		uint32_t k = i & 1023;
		uint64_t v;

		bpf_map_lookup_elem(fd, &k, &v);
		lookup_sink += v;
	}
}
#endif
