/*
 * C peer of bench/ringbuf.ts: libbpf's ring_buffer__consume on the same producer.
 *
 * Usage: ringbuf <insns-16.bin> <insns-256.bin> <runs-per-batch> <samples>
 *                [<perf-16.bin> <perf-256.bin> <perf-runs> <pages-per-cpu>]
 * Each insns file is a SEC("syscall") program (raw struct bpf_insn) whose first ld_imm64
 * with src_reg BPF_PSEUDO_MAP_FD gets our ring buffer's fd. One BPF_PROG_TEST_RUN emits
 * 4096 records. Per sample: produce runs-per-batch test_runs (producer time), then drain
 * with ring_buffer__consume (consumer time); the callback reads the first u64 like the TS
 * side. Prints {"16": {"produce":stats,"consume":stats,"records":n}, "256": ...} (ns/record).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "timing.h"

#define RECORDS_PER_RUN 4096

static unsigned long long sink;
static long consumed;

static int on_record(void *ctx, void *data, size_t len)
{
	sink += *(unsigned long long *)data;
	consumed++;
	return 0;
}

static struct bpf_insn *read_insns(const char *path, size_t *cnt)
{
	FILE *f = fopen(path, "rb");
	long n;
	struct bpf_insn *insns;

	if (!f) { perror(path); exit(1); }
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	insns = malloc(n);
	if (fread(insns, 1, n, f) != (size_t)n) { perror("fread"); exit(1); }
	fclose(f);
	*cnt = n / sizeof(*insns);
	return insns;
}

static void bench(const char *label, const char *path, int runs, int samples, int first)
{
	size_t cnt, i;
	struct bpf_insn *insns = read_insns(path, &cnt);
	int map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bench", 0, 0, 64 << 20, NULL);
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .prog_flags = BPF_F_SLEEPABLE);
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct ring_buffer *rb;
	double *prod = calloc(samples, sizeof(double)), *cons = calloc(samples, sizeof(double));
	int prog_fd, s, r;

	if (map_fd < 0) { perror("bpf_map_create"); exit(1); }
	for (i = 0; i < cnt; i++)
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) && insns[i].src_reg == BPF_PSEUDO_MAP_FD)
			insns[i].imm = map_fd;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "produce", "GPL", insns, cnt, &popts);
	if (prog_fd < 0) { perror("bpf_prog_load"); exit(1); }
	rb = ring_buffer__new(map_fd, on_record, NULL, NULL);
	if (!rb) { perror("ring_buffer__new"); exit(1); }
	for (s = -1; s < samples; s++) {
		double t0, t1, t2;

		consumed = 0;
		t0 = now_ns();
		for (r = 0; r < runs; r++)
			if (bpf_prog_test_run_opts(prog_fd, &topts)) { perror("test_run"); exit(1); }
		t1 = now_ns();
		ring_buffer__consume(rb);
		t2 = now_ns();
		if (consumed != (long)runs * RECORDS_PER_RUN) { fprintf(stderr, "consumed %ld\n", consumed); exit(1); }
		if (s >= 0) {
			prod[s] = (t1 - t0) / consumed;
			cons[s] = (t2 - t1) / consumed;
		}
	}
	printf("%s\"%s\":{\"produce\":", first ? "" : ",", label);
	print_stats(stdout, prod, samples);
	printf(",\"consume\":");
	print_stats(stdout, cons, samples);
	printf(",\"records\":%ld}", consumed);
	ring_buffer__free(rb);
	close(prog_fd);
	close(map_fd);
	free(insns);
}

static long lost;

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	sink += *(unsigned long long *)data;
	consumed++;
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	lost += cnt;
}

/*
 * Perf buffer: an XDP program (BPF_PROG_TEST_RUN on a 64-byte packet) calls
 * bpf_perf_event_output 4096 times per run from an array map value; perf_buffer__consume
 * drains every CPU's ring. The program's ld_imm64s: src_reg 1 (perf map), 2 (array value).
 */
static void bench_perf(const char *label, const char *path, int runs, int pages, int samples)
{
	size_t cnt, i;
	struct bpf_insn *insns = read_insns(path, &cnt);
	int ncpu = libbpf_num_possible_cpus();
	int perf_fd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "events", 4, 4, ncpu, NULL);
	int src_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "src", 4, 2048, 1, NULL);
	char pkt[64] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt));
	struct perf_buffer *pb;
	double *prod = calloc(samples, sizeof(double)), *cons = calloc(samples, sizeof(double));
	int prog_fd, s, r;

	if (perf_fd < 0 || src_fd < 0) { perror("bpf_map_create"); exit(1); }
	for (i = 0; i < cnt; i++)
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) && (insns[i].src_reg == 1 || insns[i].src_reg == 2))
			insns[i].imm = insns[i].src_reg == 1 ? perf_fd : src_fd;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "produce", "GPL", insns, cnt, NULL);
	if (prog_fd < 0) { perror("bpf_prog_load xdp"); exit(1); }
	pb = perf_buffer__new(perf_fd, pages, on_sample, on_lost, NULL, NULL);
	if (!pb) { perror("perf_buffer__new"); exit(1); }
	for (s = -1; s < samples; s++) {
		double t0, t1, t2;

		consumed = 0;
		lost = 0;
		t0 = now_ns();
		for (r = 0; r < runs; r++)
			if (bpf_prog_test_run_opts(prog_fd, &topts)) { perror("test_run"); exit(1); }
		t1 = now_ns();
		perf_buffer__consume(pb);
		t2 = now_ns();
		if (consumed + lost != (long)runs * RECORDS_PER_RUN) { fprintf(stderr, "perf consumed %ld lost %ld\n", consumed, lost); exit(1); }
		if (s >= 0) {
			prod[s] = (t1 - t0) / (consumed + lost);
			cons[s] = (t2 - t1) / (consumed ? consumed : 1);
		}
	}
	printf(",\"perf%s\":{\"produce\":", label);
	print_stats(stdout, prod, samples);
	printf(",\"consume\":");
	print_stats(stdout, cons, samples);
	printf(",\"records\":%ld,\"lost\":%ld}", consumed, lost);
	perf_buffer__free(pb);
	close(prog_fd);
	close(perf_fd);
	close(src_fd);
	free(insns);
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 9) { fprintf(stderr, "usage: ringbuf insns16 insns256 runs samples [perf16 perf256 perfruns pages]\n"); return 2; }
	printf("{");
	bench("16", argv[1], atoi(argv[3]), atoi(argv[4]), 1);
	bench("256", argv[2], atoi(argv[3]), atoi(argv[4]), 0);
	if (argc == 9) {
		bench_perf("16", argv[5], atoi(argv[7]), atoi(argv[8]), atoi(argv[4]));
		bench_perf("256", argv[6], atoi(argv[7]), atoi(argv[8]), atoi(argv[4]));
	}
	printf(",\"sink\":%llu}\n", sink);
	return 0;
}
