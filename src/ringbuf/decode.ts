/**
 * Typed events: decoding ring buffer and perf buffer records into plain JS objects by the BTF
 * struct the program sends.
 *
 * Decoding is a function you call on a record, never something the reader does for you, so a
 * consumer that reads its fields itself (`rec.data.getUint32(rec.offset, true)`) stays
 * zero-copy and allocation-free. The decoder reads straight from the mapped ring.
 *
 * Which type: the name you give, else what the object declares for the map:
 * - `__type(value, struct event)` in the ring buffer's map definition (the loader drops it
 *   before `BPF_MAP_CREATE`, which wants no value size for these maps, as libbpf does);
 * - a global `struct event *__tsbpf_event_<map>` (the convention `tsbpf run` documents).
 * @module
 */
import { TsbpfError } from '../errors.js';
import { valueCodec, type BtfValue, type BtfValueCodec } from '../btf/index.js';
import { declaredEventType, type ObjectSpec } from '../object/index.js';
import type { RingRecord } from './record.js';

/** The object names no event type for a map, or names one that does not exist. */
export class EventTypeError extends TsbpfError {}

/** Where {@link eventType} found a map's event type. */
export type EventTypeOrigin = 'name' | 'map value' | 'global';

/**
 * The BTF type id of the records of ring/perf buffer `map` in `spec`: the struct called
 * `typeName` when given, else the one the object declares (see the module comment).
 * @throws {@link EventTypeError} naming the map and what was looked for.
 */
export function eventType(
  spec: ObjectSpec,
  map: string,
  typeName?: string,
): {
  /** The event struct's type id in the object's BTF. */
  typeId: number;
  /** How it was found: see {@link EventTypeOrigin}. */
  origin: EventTypeOrigin;
} {
  const btf = spec.btf;
  if (!btf) throw new EventTypeError(`object '${spec.name}' has no BTF: events of map '${map}' cannot be typed`);
  if (typeName !== undefined) {
    const bare = typeName.replace(/^(struct|union)\s+/, '');
    const id = btf.findByName(bare, 'STRUCT') ?? btf.findByName(bare, 'UNION') ?? btf.findByName(bare, 'TYPEDEF');
    if (id === undefined) throw new EventTypeError(`no struct, union or typedef '${bare}' in the BTF of object '${spec.name}'`);
    return { typeId: id, origin: 'name' };
  }
  if (!spec.maps.has(map)) throw new EventTypeError(`no map '${map}' in object '${spec.name}'`);
  const declared = declaredEventType(spec, map);
  if (declared) return declared;
  throw new EventTypeError(
    `map '${map}' of object '${spec.name}' declares no event type: add \`__type(value, struct event)\` to its definition, ` +
      `a global \`struct event *__tsbpf_event_${map}\`, or name the type`,
  );
}

/** Decodes one record; throws a `BtfValueError` when the record is shorter than the type. */
export type EventDecoder<T = BtfValue> = (record: RingRecord) => T;

/**
 * A decoder for the records of `map` (see {@link eventType}). Records longer than the type
 * (perf buffer padding, variable-length tails) decode their first `sizeof` bytes.
 *
 * ```ts
 * const decode = eventDecoder<{ pid: number; comm: string }>(spec, 'events');
 * reader.on((rec) => console.log(decode(rec).comm));
 * ```
 */
export function eventDecoder<T = BtfValue>(
  spec: ObjectSpec,
  map: string,
  typeName?: string,
): EventDecoder<T> & {
  /** The BTF codec of the event type, in the object's byte order. */
  codec: BtfValueCodec;
} {
  const { typeId } = eventType(spec, map, typeName);
  const codec = valueCodec(spec.btf!, typeId, { littleEndian: spec.littleEndian });
  const decode = (rec: RingRecord): T => {
    // Bound the read by the record, not by the ring: the bytes after it belong to others.
    if (rec.length < codec.size) return codec.decode(rec.bytes, 0, map) as T;
    return codec.decode(rec.ring, rec.offset, map) as T;
  };
  return Object.assign(decode, { codec });
}
