/* C peer of bench/maps.ts: map syscalls through libbpf's thin wrappers (bpf/bpf.h).
 * ARRAY and HASH (1024 entries, 4-byte key, 8-byte value): lookup and update, ns/op;
 * HASH with 10,000 entries: one BPF_MAP_LOOKUP_BATCH of 10,000, ns/entry.
 * Usage: maps RUNS OPS [NAME]  Prints {"array_lookup": stats, ...}, or only NAME's figure. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lookup.h"
#include "timing.h"

static volatile uint64_t sink;

static int create(enum bpf_map_type type, unsigned int max)
{
	int fd = bpf_map_create(type, NULL, 4, 8, max, NULL);

	if (fd < 0) {
		fprintf(stderr, "bpf_map_create: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static void fill(int fd, unsigned int n)
{
	for (uint32_t k = 0; k < n; k++) {
		uint64_t v = k;

		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
			fprintf(stderr, "update: %s\n", strerror(errno));
			exit(1);
		}
	}
}

static void bench_lookup(int fd, int runs, int ops, double *samples)
{
	for (int r = -1; r < runs; r++) {
		double t0 = now_ns();

		lookup_ops(fd, ops);
		if (r >= 0)
			samples[r] = (now_ns() - t0) / ops;
	}
}

static void bench_update(int fd, int runs, int ops, double *samples)
{
	for (int r = -1; r < runs; r++) {
		double t0 = now_ns();
		for (int i = 0; i < ops; i++) {
			uint32_t k = i & 1023;
			uint64_t v = i;

			bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		}
		if (r >= 0)
			samples[r] = (now_ns() - t0) / ops;
	}
}

static void bench_batch(int fd, int runs, unsigned int n, double *samples)
{
	uint32_t *keys = calloc(n, 4);
	uint64_t *vals = calloc(n, 8);
	uint64_t out_batch;

	for (int r = -1; r < runs; r++) {
		double t0 = now_ns();
		__u32 count = n;
		int err = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL);

		if (err && errno != ENOENT) {
			fprintf(stderr, "lookup_batch: %s\n", strerror(errno));
			exit(1);
		}
		if (count != n) {
			fprintf(stderr, "lookup_batch: %u of %u entries\n", count, n);
			exit(1);
		}
		sink += keys[n - 1] + vals[n - 1];
		if (r >= 0)
			samples[r] = (now_ns() - t0) / n;
	}
	free(keys);
	free(vals);
}

static int want(const char *only, const char *name)
{
	return !only || !strcmp(only, name);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7, ops = argc > 2 ? atoi(argv[2]) : 200000;
	const char *only = argc > 3 ? argv[3] : NULL;
	double *s = calloc(runs, sizeof(double));
	int array = create(BPF_MAP_TYPE_ARRAY, 1024);
	int hash = create(BPF_MAP_TYPE_HASH, 1024);
	int big = create(BPF_MAP_TYPE_HASH, 10000);
	const char *sep = "";

	fill(array, 1024);
	fill(hash, 1024);
	if (want(only, "hash_batch_lookup_10k"))
		fill(big, 10000);
	printf("{");
	if (want(only, "array_lookup")) {
		printf("%s\"array_lookup\":", sep);
		bench_lookup(array, runs, ops, s);
		print_stats(stdout, s, runs);
		sep = ",";
	}
	if (want(only, "array_update")) {
		printf("%s\"array_update\":", sep);
		bench_update(array, runs, ops, s);
		print_stats(stdout, s, runs);
		sep = ",";
	}
	if (want(only, "hash_lookup")) {
		printf("%s\"hash_lookup\":", sep);
		bench_lookup(hash, runs, ops, s);
		print_stats(stdout, s, runs);
		sep = ",";
	}
	if (want(only, "hash_update")) {
		printf("%s\"hash_update\":", sep);
		bench_update(hash, runs, ops, s);
		print_stats(stdout, s, runs);
		sep = ",";
	}
	if (want(only, "hash_batch_lookup_10k")) {
		printf("%s\"hash_batch_lookup_10k\":", sep);
		bench_batch(big, runs, 10000, s);
		print_stats(stdout, s, runs);
	}
	printf("}\n");
	close(array);
	close(hash);
	close(big);
	return 0;
}
