/**
 * The record type an object declares for a ring buffer or perf event array, the two ways
 * tsbpf reads (docs/run.md): `__type(value, struct event)` in the map definition (kept as a
 * hint; the loader sends no value size for these maps), or a global
 * `struct event *__tsbpf_event_<map>`. Shared by `eventDecoder` and `tsbpf run`.
 * @module
 */
import { skipModifiers } from '../btf/index.js';
import type { ObjectSpec } from './spec.js';

/** A record type an object declares for a ring or perf buffer. */
export interface DeclaredEventType {
  /** The struct or union's BTF id (modifiers and typedefs skipped). */
  typeId: number;
  /** Where it is declared: `__type(value, ...)` in the map definition, or `__tsbpf_event_<map>`. */
  origin: 'map value' | 'global';
}

/**
 * The BTF id of the struct or union the object declares for the records of `map`, and where
 * the declaration is; undefined when it declares none (or has no BTF).
 */
export function declaredEventType(spec: ObjectSpec, map: string): DeclaredEventType | undefined {
  const btf = spec.btf;
  if (!btf) return undefined;
  const def = spec.maps.get(map);
  if (def?.valueTypeId) {
    const k = btf.type(skipModifiers(btf, def.valueTypeId)).kind;
    if (k === 'STRUCT' || k === 'UNION') return { typeId: def.valueTypeId, origin: 'map value' };
  }
  const hint = btf.findByName(`__tsbpf_event_${map}`, 'VAR');
  if (hint === undefined) return undefined;
  const v = btf.type(hint);
  const ptr = v.kind === 'VAR' ? btf.type(skipModifiers(btf, v.type)) : undefined;
  return ptr?.kind === 'PTR' && ptr.type ? { typeId: ptr.type, origin: 'global' } : undefined;
}
