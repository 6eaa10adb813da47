/**
 * `MapSpec`: the plain description of a map to create; no fds, editable, printable.
 * @module
 */

/** BTF ids describing a map's key and value (from a loaded BTF object). */
export interface MapBtf {
  /** fd of the loaded BTF object (`btf_fd`); the caller keeps it open until creation. */
  fd: number;
  /** `btf_key_type_id` */
  keyTypeId: number;
  /** `btf_value_type_id` */
  valueTypeId: number;
}

/** Everything `BPF_MAP_CREATE` needs, as plain data. */
export interface MapSpec {
  /** `map_name`: up to 15 bytes of `[A-Za-z0-9_.]`. */
  name?: string;
  /** `map_type`: number (`MapType.HASH`) or bpftool name (`'hash'`). */
  type: number | string;
  /** `key_size` in bytes (0 for queue, stack, bloom filter, ring buffers). */
  keySize: number;
  /** `value_size` in bytes (per CPU for per-CPU maps). */
  valueSize: number;
  /** `max_entries` (ring buffers: the size in bytes, a power of 2 multiple of the page size). */
  maxEntries: number;
  /** `map_flags` (`MapFlags.*`). */
  flags?: number;
  /** For `array_of_maps`/`hash_of_maps`: the inner map's template. */
  innerMap?: MapSpec;
  /** `numa_node` (needs `MapFlags.NUMA_NODE`). */
  numaNode?: number;
  /** `map_extra`: bloom filter hash count, arena address hint. */
  mapExtra?: bigint;
  /** Key/value BTF, required by local storage maps and spin locks. */
  btf?: MapBtf;
  /** `btf_vmlinux_value_type_id` (struct_ops). */
  btfVmlinuxValueTypeId?: number;
  /** `map_ifindex`: offload device. */
  ifindex?: number;
}
