/* biolatency: block I/O latency (issue to completion) as a log2 histogram in microseconds,
 * one histogram per disk, like BCC's biolatency -D.
 *
 * A request is known by its disk and first sector from issue to completion.
 *   tsbpf run examples/bpf/biolatency.bpfel.o --interval 1
 * User-space version: examples/biolatency.ts. */
#include "tsbpf.h"
#include "kernel.h"

const volatile __u32 targ_dev = 0;	/* only this disk, as the kernel's dev_t major << 20 | minor (0: all) */

struct request_key {
	__u32 dev;
	__u32 pad;
	__u64 sector;
};

/* Issue time (ns) of each request in flight. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request_key);
	__type(value, __u64);
} start SEC(".maps");

/* One histogram per disk, keyed by dev_t. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct hist);
} hist_usecs SEC(".maps");

SEC("tracepoint/block/block_rq_issue")
int block_rq_issue(struct trace_event_raw_block_rq *ctx)
{
	struct request_key k = { .dev = ctx->dev, .sector = ctx->sector };
	__u64 ts;

	if (targ_dev && targ_dev != ctx->dev)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &k, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int block_rq_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	struct request_key k = { .dev = ctx->dev, .sector = ctx->sector };
	struct hist zero = {};
	struct hist *h;
	__u64 *tsp;
	__u32 slot, dev = ctx->dev;

	tsp = bpf_map_lookup_elem(&start, &k);
	if (!tsp)
		return 0;
	slot = hist_slot((bpf_ktime_get_ns() - *tsp) / 1000);
	bpf_map_delete_elem(&start, &k);
	h = bpf_map_lookup_elem(&hist_usecs, &dev);
	if (!h) {
		bpf_map_update_elem(&hist_usecs, &dev, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hist_usecs, &dev);
		if (!h)
			return 0;
	}
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
