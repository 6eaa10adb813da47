/*
 * In-process C peer of bench/ringbuf.ts: libbpf's ring_buffer__consume and
 * perf_buffer__consume, built as a shared library that the benchmark loads with koffi, so
 * that libbpf and tsbpf consume in the same process, taking turns (bench/peer/ringbuf.c runs
 * libbpf in a fresh process instead), with the same callbacks (consumer.h).
 */
#include <bpf/libbpf.h>
#include "../consumer.h"

/* ring_buffer__new on a BPF_MAP_TYPE_RINGBUF fd; NULL on failure (errno set). */
struct ring_buffer *peer_ring_new(int map_fd)
{
	return ring_buffer__new(map_fd, on_record, NULL, NULL);
}

/* Drains the ring; returns the records handed to the callback, or a negative error. */
long peer_ring_consume(struct ring_buffer *rb)
{
	int err;

	consumed = 0;
	err = ring_buffer__consume(rb);
	return err < 0 ? err : consumed;
}

void peer_ring_free(struct ring_buffer *rb)
{
	ring_buffer__free(rb);
}

/* perf_buffer__new on a BPF_MAP_TYPE_PERF_EVENT_ARRAY fd, `pages` data pages per CPU. */
struct perf_buffer *peer_perf_new(int map_fd, int pages)
{
	return perf_buffer__new(map_fd, pages, on_sample, on_lost, NULL, NULL);
}

/* Drains every CPU's buffer; returns the samples handed to the callback plus those lost. */
long peer_perf_consume(struct perf_buffer *pb)
{
	int err;

	consumed = 0;
	lost = 0;
	err = perf_buffer__consume(pb);
	return err < 0 ? err : consumed + lost;
}

void peer_perf_free(struct perf_buffer *pb)
{
	perf_buffer__free(pb);
}
