/**
 * The checks both ends of a ring make on the map before mapping it: open, of the right type,
 * and a data area the offsets can be computed for.
 * @module
 */
import type { BpfMap } from '../maps/index.js';
import { MapType, pageSize } from '../syscall/index.js';
import { RingbufMapError } from './errors.js';

const hints: Record<number, string> = {
  [MapType.RINGBUF]: ' (a ring buffer is read with RingbufReader)',
  [MapType.USER_RINGBUF]: ' (a user ring buffer is written with UserRingbuf, not read)',
  [MapType.PERF_EVENT_ARRAY]: ' (use PerfReader)',
};

/**
 * The data area size of ring map `map` (its `max_entries`), after checking that it is open and
 * of type `type` (`RINGBUF` or `USER_RINGBUF`). Throws {@link RingbufMapError} otherwise.
 */
export function ringDataSize(map: BpfMap, type: typeof MapType.RINGBUF | typeof MapType.USER_RINGBUF): number {
  if (map.closed) throw new RingbufMapError(`map '${map.name}' is closed`);
  if (map.type !== type) {
    const want = type === MapType.RINGBUF ? 'ringbuf' : 'user_ringbuf';
    throw new RingbufMapError(`map '${map.name}' is of type ${map.traits.name}, not ${want}${hints[map.type] ?? ''}`);
  }
  const page = pageSize();
  const size = map.maxEntries;
  // The kernel enforces this at map creation (ringbuf_map_alloc); check before computing offsets.
  if (size < page || (size & (size - 1)) !== 0 || size % page !== 0 || size > 0x8000_0000) {
    throw new RingbufMapError(`map '${map.name}': max_entries ${size} is not a power-of-two multiple of the page size ${page}`);
  }
  return size;
}
