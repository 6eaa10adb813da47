/**
 * `BpfMap`: a live BPF map, owning one fd.
 *
 * One class serves every map type; the differences (keyless queues, per-CPU values, fd
 * values, storage maps keyed by fd) come from {@link MapTraits}. Keys and values pass through
 * a {@link MapCodec}; whatever the codec produces is checked against the map's `key_size` and
 * `value_size` before any syscall, so a wrong size is a {@link MapError}, never a kernel read
 * past a buffer.
 * @module
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { NotSupportedError } from '../errors.js';
import {
  align8,
  BpfError,
  Errno,
  Fd,
  hostLittleEndian,
  isBpffs,
  Mapping,
  MapFlags,
  MapType,
  mapCreate,
  mapDeleteBatch,
  mapDeleteElem,
  mapFreeze,
  mapGetNextKey,
  mapInfo,
  mapLookupAndDeleteElem,
  mapLookupBatch,
  mapLookupElem,
  mapLookupElemCopy,
  mapLookupElemValueIn,
  mapUpdateBatch,
  mapUpdateElem,
  objGet,
  objGetFdById,
  objPin,
  possibleCpus,
  PROT_READ,
  PROT_WRITE,
  UpdateFlags,
  type MapInfo,
} from '../syscall/index.js';
import { probeMapType } from '../features/probe.js';
import { ensureMemlock } from '../features/memlock.js';
import { bytesCodec, type MapCodec } from './codec.js';
import { IterationAbortedError, MapError } from './errors.js';
import type { MapSpec } from './spec.js';
import { mapTraits, mapTypeOf, type MapTraits } from './types.js';

/** Codecs for a map's keys and values; raw bytes when omitted. */
export interface MapCodecs<K, V> {
  /** Encodes keys to `key_size` bytes and back. */
  key?: MapCodec<K>;
  /** Encodes values to `value_size` bytes and back (for per-CPU maps: one CPU's value). */
  value?: MapCodec<V>;
}

/** The mount command to print when a pin path is not on a bpffs. */
export const BPFFS_MOUNT_HINT = 'mount bpffs with `mount -t bpf bpf /sys/fs/bpf` and pin below it';

/**
 * A BPF map. Create it from a {@link MapSpec} with {@link BpfMap.create}, or open an existing
 * one with {@link BpfMap.fromPin}, {@link BpfMap.fromId} or {@link BpfMap.fromFd}.
 *
 * The map owns its fd: call {@link BpfMap.close} (or use `using`); closing twice is harmless.
 * Type parameters `K` and `V` are what the codecs produce (`Uint8Array` by default).
 */
export class BpfMap<K = Uint8Array, V = Uint8Array> {
  readonly #fd: Fd;
  /** `map_name` ('' when unnamed). */
  readonly name: string;
  /** `map_type` as a number (`MapType.*`). */
  readonly type: number;
  /** What this type is like. */
  readonly traits: MapTraits;
  /** `key_size` (0 for keyless maps: queue, stack, bloom filter, ring buffers). */
  readonly keySize: number;
  /** `value_size` (for per-CPU maps: per CPU). */
  readonly valueSize: number;
  /** `max_entries` (for ring buffers: the data area's size in bytes). */
  readonly maxEntries: number;
  /** `map_flags`. */
  readonly flags: number;
  /** How keys are encoded (raw bytes unless a codec was given, e.g. by `typedMap`). */
  readonly keyCodec: MapCodec<K>;
  /** How values are encoded. */
  readonly valueCodec: MapCodec<V>;
  #frozen = false;
  readonly #valueBytes: number;
  /** `#fd.raw`, cached for the hot paths; -1 after close(). */
  #raw: number;

  private constructor(fd: Fd, info: Pick<MapInfo, 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags' | 'name'>, codecs: MapCodecs<K, V>) {
    this.#fd = fd;
    this.#raw = fd.raw;
    this.name = info.name;
    this.type = info.type;
    this.traits = mapTraits.get(info.type) ?? unknownTraits(info.type, info.keySize);
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.flags;
    this.#valueBytes = this.traits.perCpu ? align8(this.valueSize) * possibleCpus() : this.valueSize;
    this.keyCodec = (codecs.key ?? bytesCodec) as MapCodec<K>;
    this.valueCodec = (codecs.value ?? bytesCodec) as MapCodec<V>;
    for (const [what, c, size] of [
      ['key', this.keyCodec, this.keySize],
      ['value', this.valueCodec, this.valueSize],
    ] as const) {
      if (c.size !== undefined && c.size !== size) {
        throw new MapError(this.name, `${what} codec encodes ${c.size} bytes but the map's ${what} size is ${size}`);
      }
    }
  }

  /**
   * Creates a map (`BPF_MAP_CREATE`). Throws {@link MapError} for a spec tsbpf can tell is
   * wrong, `NotSupportedError` when this kernel lacks the map type, `BpfError` otherwise.
   * The caller owns the returned map.
   */
  static create<K = Uint8Array, V = Uint8Array>(spec: MapSpec, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const name = spec.name ?? '';
    ensureMemlock();
    // A number tsbpf does not know yet goes to the kernel as is (newer kernels add types).
    const traits = mapTypeOf(spec.type) ?? (typeof spec.type === 'number' && Number.isInteger(spec.type) && spec.type > 0 ? unknownTraits(spec.type, spec.keySize) : undefined);
    if (!traits) throw new MapError(name, `unknown map type '${String(spec.type)}'`, 'use a MapType value or a bpftool name such as \'hash\'');
    if (name.length > 15) throw new MapError(name, `name is ${name.length} bytes, at most 15 fit in map_name`);
    for (const [k, v] of [
      ['keySize', spec.keySize],
      ['valueSize', spec.valueSize],
      ['maxEntries', spec.maxEntries],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new MapError(name, `${k} ${v} is not a u32`);
    }
    if (traits.keyless && spec.keySize !== 0) {
      throw new MapError(name, `${traits.name} maps have no key, but keySize is ${spec.keySize}`, 'set keySize to 0');
    }
    let inner: BpfMap | undefined;
    if (traits.type === MapType.ARRAY_OF_MAPS || traits.type === MapType.HASH_OF_MAPS) {
      if (!spec.innerMap) throw new MapError(name, `${traits.name} needs innerMap (the inner map template)`);
      inner = BpfMap.create({ ...spec.innerMap, name: spec.innerMap.name ?? '' });
    }
    let fd: Fd;
    try {
      fd = mapCreate({
        map_type: traits.type,
        key_size: spec.keySize,
        value_size: spec.valueSize,
        max_entries: spec.maxEntries,
        map_flags: spec.flags ?? 0,
        inner_map_fd: inner?.fd ?? 0,
        numa_node: spec.numaNode ?? 0,
        map_name: name,
        map_ifindex: spec.ifindex ?? 0,
        btf_fd: spec.btf?.fd ?? 0,
        btf_key_type_id: spec.btf?.keyTypeId ?? 0,
        btf_value_type_id: spec.btf?.valueTypeId ?? 0,
        btf_vmlinux_value_type_id: spec.btfVmlinuxValueTypeId ?? 0,
        map_extra: spec.mapExtra ?? 0n,
      });
    } catch (e) {
      if (e instanceof BpfError && (e.errnoNumber === Errno.EINVAL || e.errnoNumber === Errno.EOPNOTSUPP || e.errnoNumber === Errno.ENOTSUPP)) {
        let supported = true;
        try {
          supported = probeMapType(traits.type);
        } catch {
          // A failing probe must not hide the original error.
        }
        if (!supported) throw new NotSupportedError(`map type '${traits.name}'`, traits.minKernel || undefined, { cause: e });
      }
      throw new MapError(name, `cannot create ${traits.name} map: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
    } finally {
      inner?.close();
    }
    return new BpfMap<K, V>(
      fd,
      { type: traits.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags ?? 0, name },
      codecs,
    );
  }

  /**
   * Takes ownership of an fd that refers to a map (reads its type and sizes with
   * `BPF_OBJ_GET_INFO_BY_FD`). On failure the fd is closed.
   */
  static fromFd<K = Uint8Array, V = Uint8Array>(fd: Fd, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    try {
      return new BpfMap<K, V>(fd, mapInfo(fd.raw), codecs);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** Opens the map pinned at `path` (`BPF_OBJ_GET`). */
  static fromPin<K = Uint8Array, V = Uint8Array>(path: string, codecs: MapCodecs<K, V> = {}, fileFlags = 0): BpfMap<K, V> {
    checkBpffs(path, '', 'open');
    return BpfMap.fromFd(objGet(path, fileFlags), codecs);
  }

  /** Opens the map with kernel id `id` (`BPF_MAP_GET_FD_BY_ID`, needs CAP_SYS_ADMIN). */
  static fromId<K = Uint8Array, V = Uint8Array>(id: number, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const fd = objGetFdById('map', id);
    if (!fd) throw new MapError(`id ${id}`, 'no map with this id');
    return BpfMap.fromFd(fd, codecs);
  }

  /** The fd number; throws {@link MapError} when the map is closed. */
  get fd(): number {
    const fd = this.#raw;
    if (fd < 0) throw new MapError(this.name, 'map is closed', 'it was closed with close() or disposed');
    return fd;
  }

  /** Whether {@link BpfMap.close} was called. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** Bytes of one value as the kernel copies it: per-CPU maps hold one 8-byte-aligned slot per possible CPU. */
  get valueBytes(): number {
    return this.#valueBytes;
  }

  /** `BPF_OBJ_GET_INFO_BY_FD`: the kernel's view (id, BTF ids, flags...). */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  /** The kernel's id of this map. */
  get id(): number {
    return this.info().id;
  }

  // --- encoding ---

  #key(key: K | null | undefined): Uint8Array | null {
    if (this.traits.keyless) {
      if (key !== undefined && key !== null) throw new MapError(this.name, `${this.traits.name} maps have no key`);
      return null;
    }
    if (key === undefined || key === null) throw new MapError(this.name, 'a key is required');
    const b = encodeWith(this.keyCodec, key, this.name, 'key');
    if (!(b instanceof Uint8Array) || b.length !== this.keySize) {
      throw new MapError(this.name, `key is ${b instanceof Uint8Array ? b.length : typeof b} bytes, expected ${this.keySize}`);
    }
    return b;
  }

  #value(value: V): Uint8Array {
    const b = encodeWith(this.valueCodec, value, this.name, 'value');
    if (!(b instanceof Uint8Array) || b.length !== this.valueSize) {
      throw new MapError(this.name, `value is ${b instanceof Uint8Array ? b.length : typeof b} bytes, expected ${this.valueSize}`);
    }
    return b;
  }

  #badKey(key: Uint8Array | null): never {
    throw new MapError(this.name, key === null ? 'a key is required' : `key is ${key.length} bytes, expected ${this.keySize}`);
  }

  #notPerCpu(op: string): void {
    if (this.traits.perCpu) {
      throw new MapError(this.name, `${op} on a per-CPU map`, `use ${op}PerCpu(), which takes one value per possible CPU`);
    }
  }

  #elemOps(op: string): void {
    if (this.traits.noElemOps) throw new MapError(this.name, `${this.traits.name} maps have no ${op} operation`);
  }

  #wrap(e: unknown, op: string): never {
    if (e instanceof BpfError) {
      if (e.errnoNumber === Errno.EPERM && this.#isFrozen()) {
        throw new MapError(this.name, `${op}: map is frozen`, 'a frozen map is read-only for user space; BPF programs may still write it', { cause: e });
      }
      if (e.errnoNumber === Errno.EOPNOTSUPP || e.errnoNumber === Errno.ENOTSUPP) {
        throw new MapError(this.name, `${op} is not supported on ${this.traits.name} maps`, undefined, { cause: e });
      }
      if (e.errnoNumber === Errno.EBADF && this.#fd.closed) throw new MapError(this.name, 'map is closed');
    }
    throw e;
  }

  #isFrozen(): boolean {
    if (this.#frozen) return true;
    try {
      return /^frozen:\s*1$/m.test(readFileSync(`/proc/self/fdinfo/${this.#fd.raw}`, 'utf8'));
    } catch {
      return false;
    }
  }

  // --- element operations ---

  /** Raw `BPF_MAP_LOOKUP_ELEM`: the value bytes, or undefined when the key is absent. */
  lookupBytes(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    if (key === null ? this.keySize !== 0 : key.length !== this.keySize) this.#badKey(key);
    try {
      return mapLookupElemCopy(this.fd, key, this.#valueBytes, flags);
    } catch (e) {
      this.#wrap(e, 'lookup');
    }
  }

  /**
   * Raw `BPF_MAP_LOOKUP_ELEM` into a buffer the caller owns (`out.length` must be
   * {@link BpfMap.valueBytes}); returns false when the key is absent. Allocates nothing: the
   * form for hot loops.
   */
  lookupInto(key: Uint8Array | null, out: Uint8Array, flags = 0): boolean {
    if (out.length !== this.#valueBytes) throw new MapError(this.name, `output buffer is ${out.length} bytes, expected ${this.#valueBytes}`);
    if (key === null ? this.keySize !== 0 : key.length !== this.keySize) this.#badKey(key);
    try {
      return mapLookupElem(this.fd, key, out, flags);
    } catch (e) {
      this.#wrap(e, 'lookup');
    }
  }

  /** The value for `key`, or undefined when absent. `flags` may be `UpdateFlags.F_LOCK`. */
  lookup(key: K, flags = 0): V | undefined {
    this.#notPerCpu('lookup');
    this.#elemOps('lookup');
    const b = this.lookupBytes(this.#key(key), flags);
    return b === undefined ? undefined : this.valueCodec.decode(b);
  }

  /** Whether `key` is present. */
  has(key: K): boolean {
    this.#elemOps('lookup');
    return this.lookupBytes(this.#key(key)) !== undefined;
  }

  /**
   * Raw `BPF_MAP_UPDATE_ELEM` with key and value bytes (`value.length` must be
   * {@link BpfMap.valueBytes}, so per-CPU maps take all CPUs' slots). The form for hot loops.
   */
  updateBytes(key: Uint8Array | null, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    if (key === null ? this.keySize !== 0 : key.length !== this.keySize) this.#badKey(key);
    if (value.length !== this.#valueBytes) throw new MapError(this.name, `value is ${value.length} bytes, expected ${this.#valueBytes}`);
    if (this.traits.noElemOps) this.#elemOps('update');
    try {
      mapUpdateElem(this.fd, key, value, flags);
    } catch (e) {
      this.#wrap(e, 'update');
    }
  }

  /**
   * Sets `key` to `value` (`BPF_MAP_UPDATE_ELEM`). `flags`: `UpdateFlags.ANY` (default),
   * `NOEXIST`, `EXIST`, optionally `| F_LOCK`.
   */
  update(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    this.#notPerCpu('update');
    this.#elemOps('update');
    const k = this.#key(key);
    const v = this.#value(value);
    try {
      mapUpdateElem(this.fd, k, v, flags);
    } catch (e) {
      this.#wrap(e, 'update');
    }
  }

  /** Deletes `key`; false when it was absent. */
  delete(key: K): boolean {
    this.#elemOps('delete');
    if (this.traits.array) throw new MapError(this.name, `elements of ${this.traits.name} maps cannot be deleted`, 'overwrite the value instead');
    const k = this.#key(key);
    try {
      return mapDeleteElem(this.fd, k);
    } catch (e) {
      this.#wrap(e, 'delete');
    }
  }

  /** The key after `key` (the first key when `key` is undefined), or undefined at the end. */
  nextKey(key?: K): K | undefined {
    this.#iterable();
    const k = key === undefined ? null : this.#key(key);
    const out = new Uint8Array(this.keySize);
    try {
      return mapGetNextKey(this.fd, k, out) ? this.keyCodec.decode(out) : undefined;
    } catch (e) {
      this.#wrap(e, 'next key');
    }
  }

  #iterable(): void {
    if (!this.traits.iterable || this.traits.keyless) {
      throw new MapError(this.name, `${this.traits.name} maps cannot be iterated`, this.traits.keyless ? 'use pop() or peek()' : undefined);
    }
  }

  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM` for a key (hash maps, 5.14+): the removed value, or undefined. */
  lookupAndDelete(key: K): V | undefined {
    this.#notPerCpu('lookupAndDelete');
    const k = this.#key(key);
    const out = new Uint8Array(this.valueBytes);
    try {
      return mapLookupAndDeleteElem(this.fd, k, out) ? this.valueCodec.decode(out) : undefined;
    } catch (e) {
      this.#wrap(e, 'lookup and delete');
    }
  }

  // --- queue, stack, bloom filter ---

  #keylessOnly(op: string): void {
    if (!this.traits.keyless || this.traits.noElemOps) throw new MapError(this.name, `${op} needs a queue, stack or bloom filter map, not ${this.traits.name}`);
  }

  /** Queue/stack: pushes `value` (`flags` `UpdateFlags.EXIST` overwrites the oldest when full). Bloom filter: adds it. */
  push(value: V, flags = 0): void {
    this.#keylessOnly('push');
    const v = this.#value(value);
    try {
      mapUpdateElem(this.fd, null, v, flags);
    } catch (e) {
      this.#wrap(e, 'push');
    }
  }

  /** Queue/stack: removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    this.#keylessOnly('pop');
    const out = new Uint8Array(this.valueSize);
    try {
      return mapLookupAndDeleteElem(this.fd, null, out) ? this.valueCodec.decode(out) : undefined;
    } catch (e) {
      this.#wrap(e, 'pop');
    }
  }

  /** Queue/stack: the next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    this.#keylessOnly('peek');
    const out = new Uint8Array(this.valueSize);
    try {
      return mapLookupElem(this.fd, null, out) ? this.valueCodec.decode(out) : undefined;
    } catch (e) {
      this.#wrap(e, 'peek');
    }
  }

  /**
   * Bloom filter: false when `value` was certainly never added, true when it may have been
   * (false positives are possible, false negatives are not).
   */
  mayContain(value: V): boolean {
    if (this.type !== MapType.BLOOM_FILTER) throw new MapError(this.name, `mayContain needs a bloom_filter map, not ${this.traits.name}`);
    const v = this.#value(value);
    try {
      // BPF_MAP_LOOKUP_ELEM with no key: the value is the input; ENOENT means "not present".
      return mapLookupElemValueIn(this.fd, v);
    } catch (e) {
      this.#wrap(e, 'bloom filter check');
    }
  }

  // --- per-CPU ---

  /** Per-CPU maps: one value per possible CPU, or undefined when the key is absent. */
  lookupPerCpu(key: K): V[] | undefined {
    this.#perCpuOnly('lookupPerCpu');
    const b = this.lookupBytes(this.#key(key));
    return b === undefined ? undefined : this.#splitPerCpu(b);
  }

  /** Per-CPU maps: sets one value per possible CPU (`values.length` must be `possibleCpus()`). */
  updatePerCpu(key: K, values: V[], flags: number = UpdateFlags.ANY): void {
    this.#perCpuOnly('updatePerCpu');
    const k = this.#key(key);
    const b = this.#joinPerCpu(values);
    try {
      mapUpdateElem(this.fd, k, b, flags);
    } catch (e) {
      this.#wrap(e, 'update');
    }
  }

  #perCpuOnly(op: string): void {
    if (!this.traits.perCpu) throw new MapError(this.name, `${op} needs a per-CPU map, not ${this.traits.name}`);
  }

  #splitPerCpu(b: Uint8Array): V[] {
    const stride = align8(this.valueSize);
    const n = possibleCpus();
    const out: V[] = [];
    for (let i = 0; i < n; i++) out.push(this.valueCodec.decode(b.slice(i * stride, i * stride + this.valueSize)));
    return out;
  }

  #joinPerCpu(values: V[]): Uint8Array {
    const n = possibleCpus();
    if (values.length !== n) {
      throw new MapError(this.name, `per-CPU update has ${values.length} values, expected ${n} (one per possible CPU)`);
    }
    const stride = align8(this.valueSize);
    const b = new Uint8Array(stride * n);
    values.forEach((v, i) => b.set(this.#value(v), i * stride));
    return b;
  }

  // --- iteration ---

  /**
   * The raw key walk behind every iterator: `BPF_MAP_GET_NEXT_KEY` from the start. Safe
   * against concurrent deletion: when the current key disappears the kernel restarts from the
   * first key (`htab_map_get_next_key`), so the walk stops with {@link IterationAbortedError}
   * after more than `maxEntries` steps rather than loop forever (cilium/ebpf `MapIterator`
   * rule). Each yielded array is fresh and owned by the caller.
   */
  *#rawKeys(): Generator<Uint8Array> {
    this.#iterable();
    let cur: Uint8Array | null = null;
    let steps = 0;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      let more: boolean;
      try {
        more = mapGetNextKey(this.fd, cur, next);
      } catch (e) {
        this.#wrap(e, 'iteration');
      }
      if (!more) return;
      if (++steps > this.maxEntries + 1) {
        throw new IterationAbortedError(this.name, `iteration aborted after ${steps - 1} keys`, 'entries are being added and deleted faster than they can be read');
      }
      cur = next;
      yield next;
    }
  }

  /** `[key bytes, value bytes]` pairs; entries gone between NEXT_KEY and LOOKUP are skipped. */
  *#rawEntries(): Generator<[Uint8Array, Uint8Array]> {
    for (const k of this.#rawKeys()) {
      const v = this.lookupBytes(k);
      // Deleted concurrently, or an empty slot of an fd array (prog_array, map-in-map).
      if (v !== undefined) yield [k, v];
    }
  }

  /** Every key (see {@link BpfMap.entries} for the concurrency rules). Deleting the yielded key inside the loop is fine. */
  *keys(): Generator<K> {
    for (const k of this.#rawKeys()) yield this.keyCodec.decode(k);
  }

  /**
   * Every `[key, value]`, walking keys with `BPF_MAP_GET_NEXT_KEY`. Safe against concurrent
   * deletion: entries deleted meanwhile are skipped, and constant churn ends in
   * {@link IterationAbortedError} instead of an endless loop.
   */
  *entries(): Generator<[K, V]> {
    this.#notPerCpu('entries');
    for (const [k, v] of this.#rawEntries()) yield [this.keyCodec.decode(k), this.valueCodec.decode(v)];
  }

  /** Per-CPU maps: every `[key, values]` with one value per possible CPU. */
  *entriesPerCpu(): Generator<[K, V[]]> {
    this.#perCpuOnly('entriesPerCpu');
    for (const [k, v] of this.#rawEntries()) yield [this.keyCodec.decode(k), this.#splitPerCpu(v)];
  }

  /** Every value. */
  *values(): Generator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  /** `for (const [key, value] of map)`: the same as {@link BpfMap.entries}. */
  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }

  // --- batch ---

  /**
   * Reads the whole map with `BPF_MAP_LOOKUP_BATCH` in chunks of `chunk` entries (falls back
   * to key-by-key iteration when the kernel or map type has no batch support). Values of
   * per-CPU maps come back as the raw per-CPU bytes; use {@link BpfMap.splitPerCpu}.
   */
  batchLookupBytes(
    chunk = 4096,
    andDelete = false,
  ): {
    /** Every key, one array per element. */
    keys: Uint8Array[];
    /** Every value, same order (per-CPU maps: all CPUs' bytes). */
    values: Uint8Array[];
  } {
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    const r = this.batchLookupRaw(chunk, andDelete);
    if (r === undefined) {
      for (const [k, v] of this.#rawEntries()) {
        keys.push(k);
        values.push(v);
        if (andDelete) mapDeleteElem(this.fd, k);
      }
      return { keys, values };
    }
    const vb = this.valueBytes;
    for (let i = 0; i < r.count; i++) {
      keys.push(r.keys.slice(i * this.keySize, (i + 1) * this.keySize));
      values.push(r.values.slice(i * vb, (i + 1) * vb));
    }
    return { keys, values };
  }

  /**
   * The whole map as packed arrays (`count` keys of `keySize` bytes, `count` values of
   * {@link BpfMap.valueBytes}), read with `BPF_MAP_LOOKUP_BATCH` chunk by chunk; undefined when
   * batch operations are not supported (EINVAL/ENOTSUPP on the first call).
   */
  batchLookupRaw(
    chunk = 4096,
    andDelete = false,
  ):
    | {
        /** `count` keys back to back, `key_size` bytes each. */
        keys: Uint8Array;
        /** `count` values back to back (per-CPU maps: every CPU's value, 8-byte aligned). */
        values: Uint8Array;
        /** Number of elements read. */
        count: number;
      }
    | undefined {
    if (!this.traits.iterable || this.traits.keyless) this.#iterable();
    if (!Number.isInteger(chunk) || chunk < 1) throw new MapError(this.name, `batch chunk ${chunk} must be a positive integer`);
    const ks = this.keySize;
    const vb = this.#valueBytes;
    const cap = Math.max(1, this.maxEntries);
    // Each call writes straight into the result arrays. They start one entry larger than the
    // map can hold, so reading a full map ends with a 1-entry call that only confirms the end
    // (ENOENT) instead of growing the arrays; they grow when entries keep coming (churn).
    let capacity = Math.max(chunk, Math.min(cap, 1 << 16)) + 1;
    let keys = new Uint8Array(capacity * ks);
    let values = new Uint8Array(capacity * vb);
    const grow = (to: number) => {
      capacity = to;
      const nk = new Uint8Array(capacity * ks);
      nk.set(keys.subarray(0, count * ks));
      keys = nk;
      const nv = new Uint8Array(capacity * vb);
      nv.set(values.subarray(0, count * vb));
      values = nv;
    };
    let count = 0;
    let want = chunk;
    // Hash maps use a bucket index as the batch token; 8 bytes fits every kernel's token.
    const token = new Uint8Array(Math.max(ks, 8));
    let inBatch: Uint8Array | null = null;
    for (;;) {
      if (count === capacity) grow(2 * capacity);
      const n = Math.min(want, capacity - count);
      let r: { count: number; done: boolean };
      try {
        r = mapLookupBatch(
          this.fd,
          { inBatch, outBatch: token, keys: keys.subarray(count * ks, (count + n) * ks), values: values.subarray(count * vb, (count + n) * vb), count: n },
          andDelete,
        );
      } catch (e) {
        if (inBatch === null && count === 0 && e instanceof BpfError && unsupported(e.errnoNumber)) return undefined;
        // ENOSPC: the next hash bucket holds more than `n` entries. The kernel copied (and,
        // for lookup-and-delete, deleted) nothing, so retry from the same token with room.
        if (e instanceof BpfError && e.errnoNumber === Errno.ENOSPC) {
          if (n < want) {
            grow(count + want);
            continue;
          }
          if (want < cap) {
            want = Math.min(cap, want * 4);
            if (count + want > capacity) grow(count + want);
            continue;
          }
        }
        this.#wrap(e, 'batch lookup');
      }
      count += r.count;
      if (r.done) break;
      inBatch = token.slice();
    }
    return { keys: keys.subarray(0, count * ks), values: values.subarray(0, count * vb), count };
  }

  /** Every `[key, value]` read with batch lookups (key-by-key when batches are unsupported). */
  batchEntries(chunk = 4096): [K, V][] {
    this.#notPerCpu('batchEntries');
    const { keys, values } = this.batchLookupBytes(chunk);
    return keys.map((k, i) => [this.keyCodec.decode(k), this.valueCodec.decode(values[i]!)]);
  }

  /**
   * Writes all pairs with `BPF_MAP_UPDATE_BATCH` (one `update` per pair when unsupported).
   * Returns the number written.
   */
  batchUpdate(entries: Iterable<[K, V]>, flags: number = UpdateFlags.ANY): number {
    this.#notPerCpu('batchUpdate');
    const list = [...entries];
    const keys = new Uint8Array(list.length * this.keySize);
    const values = new Uint8Array(list.length * this.valueSize);
    list.forEach(([k, v], i) => {
      keys.set(this.#key(k)!, i * this.keySize);
      values.set(this.#value(v), i * this.valueSize);
    });
    if (list.length === 0) return 0;
    try {
      return mapUpdateBatch(this.fd, keys, values, list.length, flags);
    } catch (e) {
      if (e instanceof BpfError && unsupported(e.errnoNumber)) {
        for (const [k, v] of list) this.update(k, v, flags);
        return list.length;
      }
      this.#wrap(e, 'batch update');
    }
  }

  /** Deletes all keys with `BPF_MAP_DELETE_BATCH` (one `delete` per key when unsupported). Returns the number deleted. */
  batchDelete(keys: Iterable<K>): number {
    const list = [...keys];
    if (list.length === 0) return 0;
    const b = new Uint8Array(list.length * this.keySize);
    list.forEach((k, i) => b.set(this.#key(k)!, i * this.keySize));
    try {
      return mapDeleteBatch(this.fd, b, list.length);
    } catch (e) {
      if (e instanceof BpfError && unsupported(e.errnoNumber)) {
        let n = 0;
        for (const k of list) if (this.delete(k)) n++;
        return n;
      }
      this.#wrap(e, 'batch delete');
    }
  }

  /** Per-CPU raw value bytes split into one value per possible CPU. */
  splitPerCpu(bytes: Uint8Array): V[] {
    return this.#splitPerCpu(bytes);
  }

  // --- map of maps ---

  /** `array_of_maps`/`hash_of_maps`: opens the inner map stored at `key` (by its id), or undefined. */
  innerMap(key: K): BpfMap | undefined {
    if (this.type !== MapType.ARRAY_OF_MAPS && this.type !== MapType.HASH_OF_MAPS) {
      throw new MapError(this.name, `innerMap needs a map-in-map, not ${this.traits.name}`);
    }
    const b = this.lookupBytes(this.#key(key));
    if (!b) return undefined;
    const id = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, hostLittleEndian);
    return BpfMap.fromId(id);
  }

  // --- lifecycle ---

  /**
   * `BPF_MAP_FREEZE`: the map becomes read-only for user space (updates then fail with a
   * {@link MapError} saying so). BPF programs can still write unless the map is `RDONLY_PROG`.
   */
  freeze(): void {
    try {
      mapFreeze(this.fd);
      this.#frozen = true;
    } catch (e) {
      this.#wrap(e, 'freeze');
    }
  }

  /**
   * Maps an `array` created with `MapFlags.MMAPABLE` (or an arena) into memory: `bytes`
   * aliases the map's values (element `i` at `i * align8(valueSize)`). Read-only for a
   * frozen map. Close the view before or after the map; each view must be closed.
   */
  mmap(): MapView {
    if (!(this.flags & MapFlags.MMAPABLE) && this.type !== MapType.ARENA) {
      throw new MapError(this.name, 'map is not mmapable', 'create an array with flags MapFlags.MMAPABLE');
    }
    const page = 4096;
    const len = this.type === MapType.ARENA ? this.maxEntries * page : Math.ceil((align8(this.valueSize) * this.maxEntries) / page) * page;
    const prot = this.#isFrozen() ? PROT_READ : PROT_READ | PROT_WRITE;
    return new MapView(new Mapping(this.fd, len, prot));
  }

  /**
   * Pins the map at `path` on a bpffs (`BPF_OBJ_PIN`). Throws {@link MapError} with the mount
   * command when the directory is not on a bpffs.
   */
  pin(path: string): void {
    checkBpffs(path, this.name, 'pin');
    try {
      objPin(this.fd, path);
    } catch (e) {
      this.#wrap(e, 'pin');
    }
  }

  /** Removes the pin at `path` (the map stays alive while this object is open). */
  unpin(path: string): void {
    checkBpffs(path, this.name, 'unpin');
    try {
      unlinkSync(path);
    } catch (e) {
      throw new MapError(this.name, `cannot unpin '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`, undefined, { cause: e });
    }
  }

  /** A second, independent `BpfMap` for the same kernel map (dup'd fd). */
  clone(): BpfMap<K, V> {
    return new BpfMap<K, V>(this.#fd.dup(), this, { key: this.keyCodec, value: this.valueCodec });
  }

  /** Closes the fd. Harmless when already closed. */
  close(): void {
    this.#raw = -1;
    this.#fd.close();
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A memory mapping of a map's values; `bytes` aliases kernel memory. */
export class MapView {
  readonly #m: Mapping;
  /** The mapped bytes; invalid after close(). */
  readonly bytes: Uint8Array;
  constructor(m: Mapping) {
    this.#m = m;
    this.bytes = new Uint8Array(m.buffer);
  }
  /** Unmaps. Harmless when already closed. */
  close(): void {
    this.#m.close();
  }
  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Traits for a map type number tsbpf has no table entry for: assume the plain hash-like rules. */
function unknownTraits(type: number, keySize: number): MapTraits {
  return {
    type,
    name: String(type),
    minKernel: '',
    keyless: keySize === 0,
    perCpu: false,
    fdValue: false,
    fdKey: false,
    iterable: true,
    array: false,
    noElemOps: false,
  };
}

function encodeWith<T>(codec: MapCodec<T>, v: T, map: string, what: string): Uint8Array {
  try {
    return codec.encode(v);
  } catch (e) {
    if (e instanceof MapError) throw e;
    throw new MapError(map, `cannot encode ${what}: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
  }
}

/** errnos meaning "this command or flag is not known here". */
function unsupported(errno: number): boolean {
  return errno === Errno.EINVAL || errno === Errno.ENOTSUPP || errno === Errno.EOPNOTSUPP;
}

function checkBpffs(path: string, name: string, op: string): void {
  const dir = op === 'pin' ? dirname(path) : path;
  if (!isBpffs(dir) && !(op !== 'pin' && isBpffs(dirname(path)))) {
    throw new MapError(name, `cannot ${op} '${path}': not on a bpffs`, BPFFS_MOUNT_HINT);
  }
}
