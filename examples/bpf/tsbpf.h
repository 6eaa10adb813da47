/* tsbpf.h: what the bundled examples share.
 *
 * The examples are kernel-side-only programs: `tsbpf run NAME.bpfel.o` loads one, attaches
 * every program whose section says where, and prints what its maps collect. These
 * conventions tell `tsbpf run` how (docs/run.md has the details):
 *   - ring buffers name their record type with `__type(value, struct event)`;
 *   - perf event arrays (whose key and value are 4-byte fds for the kernel) name it with
 *     TSBPF_EVENT(map, struct event);
 *   - histograms are maps whose name contains `hist` and a unit (`hist_usecs`), holding
 *     log2 slot counts (an array indexed by slot, or `struct hist` values);
 *   - `const volatile` globals are parameters: `tsbpf run X.bpfel.o --set targ_pid=42`.
 */
#ifndef TSBPF_H
#define TSBPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Records of the ring buffer or perf event array `map` are `type`: a global pointer named
 * `__tsbpf_event_<map>` whose BTF type is what `tsbpf run` decodes them with. Nothing reads
 * the pointer; it costs 8 bytes of .bss. */
#define TSBPF_EVENT(map, type) type *__tsbpf_event_##map

/* Slots of a log2 histogram: slot i counts values in [2^i, 2^(i+1)), slot 0 also 0. */
#define MAX_SLOTS 27

/* BCC's histogram value layout, for histograms kept per key (per disk, per process). */
struct hist {
	__u32 slots[MAX_SLOTS];
};

/* floor(log2(v)) for v > 0, 0 for v == 0, with no loops (the verifier likes it straight). */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* The histogram slot of v, clamped to the last slot. */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 slot = log2_u64(v);

	return slot < MAX_SLOTS ? slot : MAX_SLOTS - 1;
}

#endif /* TSBPF_H */
