/**
 * What each map type is like: whether it has keys, per-CPU values, fd values, iteration; its
 * bpftool name and the first kernel that has it.
 * @module
 */
import { MapType, mapTypeName } from '../syscall/index.js';

/** The behaviour of one `enum bpf_map_type`, as the map operations need it. */
export interface MapTraits {
  /** `enum bpf_map_type`. */
  type: number;
  /** bpftool's name: `hash`, `lru_percpu_hash`. */
  name: string;
  /** First Linux release with the type, for "not supported" errors. */
  minKernel: string;
  /** No key at all (`key_size` 0): queue, stack, bloom filter, ring buffers, arena. */
  keyless: boolean;
  /** Values are per possible CPU, each rounded up to 8 bytes. */
  perCpu: boolean;
  /** Updates take an fd as the value (lookup returns an id or nothing). */
  fdValue: boolean;
  /** The key is an fd (socket, inode file, pidfd, cgroup) of the object storage hangs off. */
  fdKey: boolean;
  /** `BPF_MAP_GET_NEXT_KEY` works. */
  iterable: boolean;
  /** Elements cannot be deleted (array-like: every index always exists). */
  array: boolean;
  /** Has no user-space element operations at all (ring buffers, arena, struct_ops lookup only). */
  noElemOps: boolean;
}

const T = MapType;

function t(type: number, minKernel: string, o: Partial<Omit<MapTraits, 'type' | 'name' | 'minKernel'>> = {}): MapTraits {
  return {
    type,
    name: mapTypeName[type]!,
    minKernel,
    keyless: o.keyless ?? false,
    perCpu: o.perCpu ?? false,
    fdValue: o.fdValue ?? false,
    fdKey: o.fdKey ?? false,
    iterable: o.iterable ?? true,
    array: o.array ?? false,
    noElemOps: o.noElemOps ?? false,
  };
}

const keyless = { keyless: true, iterable: false };
const storage = { fdKey: true, iterable: false };

/** Traits of every map type tsbpf knows, by number. */
export const mapTraits: ReadonlyMap<number, MapTraits> = new Map(
  [
    t(T.HASH, '3.19'),
    t(T.ARRAY, '3.19', { array: true }),
    t(T.PROG_ARRAY, '4.2', { fdValue: true }),
    t(T.PERF_EVENT_ARRAY, '4.3', { fdValue: true }),
    t(T.PERCPU_HASH, '4.6', { perCpu: true }),
    t(T.PERCPU_ARRAY, '4.6', { perCpu: true, array: true }),
    t(T.STACK_TRACE, '4.6'),
    t(T.CGROUP_ARRAY, '4.8', { fdValue: true }),
    t(T.LRU_HASH, '4.10'),
    t(T.LRU_PERCPU_HASH, '4.10', { perCpu: true }),
    t(T.LPM_TRIE, '4.11'),
    t(T.ARRAY_OF_MAPS, '4.12', { fdValue: true }),
    t(T.HASH_OF_MAPS, '4.12', { fdValue: true }),
    t(T.DEVMAP, '4.14'),
    t(T.SOCKMAP, '4.14', { fdValue: true }),
    t(T.CPUMAP, '4.15'),
    t(T.XSKMAP, '4.18', { fdValue: true }),
    t(T.SOCKHASH, '4.18', { fdValue: true }),
    t(T.CGROUP_STORAGE, '4.19'),
    t(T.REUSEPORT_SOCKARRAY, '4.19', { fdValue: true }),
    t(T.PERCPU_CGROUP_STORAGE, '4.20', { perCpu: true }),
    t(T.QUEUE, '4.20', keyless),
    t(T.STACK, '4.20', keyless),
    t(T.SK_STORAGE, '5.2', storage),
    t(T.DEVMAP_HASH, '5.4'),
    t(T.STRUCT_OPS, '5.6'),
    t(T.RINGBUF, '5.8', { ...keyless, noElemOps: true }),
    t(T.INODE_STORAGE, '5.10', storage),
    t(T.TASK_STORAGE, '5.11', storage),
    t(T.BLOOM_FILTER, '5.16', keyless),
    t(T.USER_RINGBUF, '6.1', { ...keyless, noElemOps: true }),
    t(T.CGRP_STORAGE, '6.2', storage),
    t(T.ARENA, '6.9', { ...keyless, noElemOps: true }),
  ].map((x) => [x.type, x]),
);

/** Map type by number or bpftool name (`'hash'`, `'percpu_array'`); undefined when unknown. */
export function mapTypeOf(type: number | string): MapTraits | undefined {
  if (typeof type === 'number') return mapTraits.get(type);
  const n = type.toLowerCase().replace(/^bpf_map_type_/, '');
  for (const tr of mapTraits.values()) if (tr.name === n) return tr;
  return undefined;
}
