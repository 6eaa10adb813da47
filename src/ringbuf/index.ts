/**
 * Layer 3 (runtime): `BPF_MAP_TYPE_RINGBUF` consumers over mapped memory, and the producer
 * side of `BPF_MAP_TYPE_USER_RINGBUF` ({@link UserRingbuf}).
 *
 * Records are read where the kernel wrote them (zero-copy, valid during the callback),
 * with the kernel's ordering rules (`Atomics` on the mapped pages), and readers wait inside
 * Node's event loop, never blocking it.
 *
 * May import: `src/errors.ts`, `src/syscall`, `src/maps`, `src/btf` and `src/object` (typed events). Imported by the CLI and `src/index.ts`.
 * @module
 */
export { RingbufReader, type RingbufReaderOptions, type RecordCallback } from './reader.js';
export { RingRecord } from './record.js';
export { Ring, StopReason, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './ring.js';
export { ReaderClosedError, RingbufCorruptedError, RingbufMapError } from './errors.js';
export { UserRingbuf, UserRingbufFullError, type UserRecord, type ReserveOptions } from './user.js';
export { eventType, eventDecoder, EventTypeError, type EventDecoder, type EventTypeOrigin } from './decode.js';
