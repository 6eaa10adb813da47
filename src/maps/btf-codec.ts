/**
 * Typed keys and values: a {@link MapCodec} from a BTF type, and maps that build their codecs
 * from the BTF the kernel keeps for them.
 *
 * A map created with BTF (`btf_fd`, `btf_key_type_id`, `btf_value_type_id`, as every map a
 * libbpf-style loader creates from `.maps`) remembers those ids; `BPF_OBJ_GET_INFO_BY_FD`
 * returns them with the BTF object's id (`btf_id`). {@link typedMap} reads that BTF back and
 * gives a `BpfMap` whose keys and values are plain JS objects, the way cilium/ebpf's
 * `Map.Lookup` fills a Go struct:
 * ```ts
 * using m = typedMapFromPin<number, { pid: number; comm: string; ts: bigint }>('/sys/fs/bpf/events_by_pid');
 * m.update(42, { pid: 42, comm: 'bash', ts: 0n });
 * m.update(43, { pid: 43, comm: 'a-very-long-command', ts: 0n }); // MapError: ...: value.comm: string of 19 bytes does not fit char[16]
 * ```
 * ({@link typedMap} does the same for a `BpfMap` already open, {@link typedMapFromId} by id.)
 * The marshalling itself is `src/btf`'s ({@link valueCodec}); this file adds the byte order
 * (the kernel stores values in host order) and the kernel lookups.
 * @module
 */
import { readKernelBtf, valueCodec, type Btf, type BtfValue, type BtfValueCodec } from '../btf/index.js';
import { hostLittleEndian, Fd, type MapInfo } from '../syscall/index.js';
import { bytesCodec, type MapCodec } from './codec.js';
import { CodecError, MapError } from './errors.js';
import { loadBtfById } from './kernel-btf.js';
import { BpfMap, type MapCodecs } from './map.js';

/** Options of {@link btfCodec}. */
export interface BtfCodecOptions {
  /** Byte order of the stored bytes; default the host's (what kernel maps hold). */
  littleEndian?: boolean;
  /** `key` or `value`: the start of error paths (`value.comm: ...`). */
  what?: string;
}

/**
 * A codec for values of BTF type `typeId` (see `src/btf/value.ts` for the JS mapping).
 * Encoding errors are {@link CodecError}s whose message starts with the member path.
 * @throws {@link BtfError} when the type has no value layout.
 */
export function btfCodec<T = BtfValue>(
  btf: Btf,
  typeId: number,
  options: BtfCodecOptions = {},
): MapCodec<T> & {
  /** The compiled BTF codec behind it (layout, size, byte order). */
  readonly btf: BtfValueCodec;
} {
  const c = valueCodec(btf, typeId, { littleEndian: options.littleEndian ?? hostLittleEndian });
  const what = options.what ?? 'value';
  return {
    size: c.size,
    btf: c,
    encode(v: T): Uint8Array {
      try {
        return c.encode(v as BtfValue, what);
      } catch (e) {
        throw new CodecError(e instanceof Error ? e.message : String(e), { cause: e });
      }
    },
    decode(b: Uint8Array): T {
      return c.decode(b, 0, what) as T;
    },
  };
}

/** The BTF of a map and the codecs built from it. */
export interface MapBtfCodecs<K, V> extends MapCodecs<K, V> {
  /** The map's BTF object (`btf_id`). */
  btf: Btf;
  /** `btf_key_type_id`, 0 when the key has no BTF type (the key codec is then raw bytes). */
  keyTypeId: number;
  /** `btf_value_type_id`, or `btf_vmlinux_value_type_id` (struct_ops, a type of vmlinux). */
  valueTypeId: number;
}

/**
 * Reads the BTF a map was created with (`btf_id` of its info, `BPF_BTF_GET_FD_BY_ID`, needs
 * CAP_SYS_ADMIN) and builds key and value codecs from its key and value type ids.
 * @throws {@link MapError} when the map has no BTF.
 */
export function mapBtfCodecs<K = BtfValue, V = BtfValue>(info: MapInfo, options: { vmlinux?: Btf } = {}): MapBtfCodecs<K, V> {
  if (!info.btfId) throw new MapError(info.name, 'map has no BTF', 'create it with btf_fd and key/value type ids (MapSpec.btf), as loaders do for .maps');
  const { btf } = loadBtfById(info.btfId, { base: options.vmlinux });
  const key: MapCodec<K> = info.btfKeyTypeId ? btfCodec<K>(btf, info.btfKeyTypeId, { what: 'key' }) : (bytesCodec as unknown as MapCodec<K>);
  let valueBtf = btf;
  let valueTypeId = info.btfValueTypeId;
  if (info.btfVmlinuxValueTypeId) {
    valueBtf = options.vmlinux ?? readKernelBtf();
    valueTypeId = info.btfVmlinuxValueTypeId;
  }
  const value: MapCodec<V> = valueTypeId ? btfCodec<V>(valueBtf, valueTypeId, { what: 'value' }) : (bytesCodec as unknown as MapCodec<V>);
  return { btf, key, value, keyTypeId: info.btfKeyTypeId, valueTypeId };
}

/**
 * A second handle on `map` (a dup'd fd; the caller owns it, and still owns `map`) whose keys
 * and values are JS values marshalled by the map's BTF. `K` and `V` are what you assert the
 * BTF types look like in JS; they are not checked at compile time, but every encode is
 * checked against the BTF at run time.
 * @throws {@link MapError} when the map has no BTF; `BpfError` (EPERM) without CAP_SYS_ADMIN.
 */
export function typedMap<K = BtfValue, V = BtfValue>(map: BpfMap<unknown, unknown>, options: { vmlinux?: Btf } = {}): BpfMap<K, V> {
  const { key, value } = mapBtfCodecs<K, V>(map.info(), options);
  return BpfMap.fromFd<K, V>(dupRaw(map.fd), { key, value });
}

/** A new owned `Fd` for the object behind `raw`, which stays owned by its current owner. */
function dupRaw(raw: number): Fd {
  const borrowed = new Fd(raw);
  try {
    return borrowed.dup();
  } finally {
    borrowed.disown();
  }
}

/**
 * Opens the map pinned at `path` with typed keys and values (cilium/ebpf's
 * `LoadPinnedMap`, plus the BTF codecs of {@link typedMap}). The caller owns the result.
 */
export function typedMapFromPin<K = BtfValue, V = BtfValue>(path: string, options: { vmlinux?: Btf } = {}): BpfMap<K, V> {
  const raw = BpfMap.fromPin(path);
  try {
    return typedMap<K, V>(raw, options);
  } finally {
    raw.close();
  }
}

/**
 * Opens the map with kernel id `id` with typed keys and values (cilium/ebpf's
 * `NewMapFromID`, plus the BTF codecs of {@link typedMap}). The caller owns the result.
 */
export function typedMapFromId<K = BtfValue, V = BtfValue>(id: number, options: { vmlinux?: Btf } = {}): BpfMap<K, V> {
  const raw = BpfMap.fromId(id);
  try {
    return typedMap<K, V>(raw, options);
  } finally {
    raw.close();
  }
}
