/*
 * The consumer callbacks of the ring buffer peers (ringbuf.c, inproc/ringbuf.c): each reads
 * the first u64 of a record, as the TypeScript side reads the first u32, and counts it.
 * Included once per program or library: the counters are that file's own.
 */
#ifndef BENCH_PEER_CONSUMER_H
#define BENCH_PEER_CONSUMER_H

#include <linux/types.h>
#include <stddef.h>

static unsigned long long sink;
static long consumed;
static long lost;

/* ring_buffer_sample_fn */
static int on_record(void *ctx, void *data, size_t len)
{
	sink += *(unsigned long long *)data;
	consumed++;
	return 0;
}

/* perf_buffer_sample_fn */
static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	sink += *(unsigned long long *)data;
	consumed++;
}

/* perf_buffer_lost_fn */
static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	lost += cnt;
}

#endif
