/*
 * In-process C peer of bench/ringbuf.ts: libbpf's ring_buffer__consume, built as a shared
 * library that the benchmark loads with koffi, so that libbpf and tsbpf consume rings in the
 * same process, alternating (bench/peer/ringbuf.c runs libbpf in a fresh process instead).
 * The callback is the one bench/peer/ringbuf.c uses: it reads the first u64 and counts.
 */
#include <bpf/libbpf.h>
#include <stddef.h>

static unsigned long long sink;
static long consumed;

static int on_record(void *ctx, void *data, size_t len)
{
	sink += *(unsigned long long *)data;
	consumed++;
	return 0;
}

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
