/**
 * Map operations beyond one type: pin and reopen, batch operations, iteration under
 * deletion, freeze, mmapable arrays, info, clone; and bad input giving typed errors.
 */
import { existsSync, mkdtempSync, rmSync, unlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { BpfMap, BPFFS_MOUNT_HINT, MapError, u32Codec, u64Codec } from '../../src/maps/index.js';
import { NotSupportedError } from '../../src/errors.js';
import { BpfError, btfLoad, MapFlags, MapType, possibleCpus, UpdateFlags } from '../../src/syscall/index.js';
import { localStorageBtf } from '../../src/features/index.js';
import { ensureBpffs } from './kernel-objects.js';

const u32 = (n: number) => u32Codec.encode(n);

describeKernel('map operations', () => {
  const pinDir = `/sys/fs/bpf/tsbpf-test-maps-${process.pid}`;
  beforeAll(() => {
    ensureBpffs();
    rmSync(pinDir, { recursive: true, force: true });
    // bpffs supports mkdir.
    import('node:fs').then((fs) => fs.mkdirSync(pinDir));
  });
  afterAll(() => rmSync(pinDir, { recursive: true, force: true }));

  it('pins, reopens by path and by id, unpins', async () => {
    const fs = await import('node:fs');
    if (!existsSync(pinDir)) fs.mkdirSync(pinDir);
    const path = join(pinDir, 'counts');
    using m = BpfMap.create({ name: 'counts', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 }, { key: u32Codec, value: u64Codec });
    m.update(1, 11n);
    m.pin(path);
    expect(existsSync(path)).toBe(true);
    {
      using byPath = BpfMap.fromPin(path, { key: u32Codec, value: u64Codec });
      expect(byPath.name).toBe('counts');
      expect(byPath.type).toBe(MapType.HASH);
      expect(byPath.lookup(1)).toBe(11n);
      byPath.update(2, 22n); // same kernel map
      expect(m.lookup(2)).toBe(22n);
    }
    {
      using byId = BpfMap.fromId(m.id, { key: u32Codec, value: u64Codec });
      expect(byId.id).toBe(m.id);
      expect(byId.keySize).toBe(4);
      expect(byId.valueSize).toBe(8);
      expect(byId.maxEntries).toBe(8);
      expect(new Map(byId.entries())).toEqual(new Map([[1, 11n], [2, 22n]]));
    }
    m.unpin(path);
    expect(existsSync(path)).toBe(false);
    expect(() => BpfMap.fromPin(path)).toThrow(/ENOENT/);
  });

  it('refuses a pin path outside bpffs with the mount command', () => {
    using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-'));
    try {
      expect(() => m.pin(join(dir, 'x'))).toThrow(MapError);
      expect(() => m.pin(join(dir, 'x'))).toThrow(BPFFS_MOUNT_HINT);
      expect(() => BpfMap.fromPin(join(dir, 'x'))).toThrow(/not on a bpffs/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('batch update, lookup and delete 10,000 entries', () => {
    using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 10_000 }, { key: u32Codec, value: u64Codec });
    const entries: [number, bigint][] = Array.from({ length: 10_000 }, (_, i) => [i, BigInt(i) * 10n]);
    expect(m.batchUpdate(entries)).toBe(10_000);
    const raw = m.batchLookupRaw(1000)!;
    expect(raw.count).toBe(10_000);
    const got = new Map(m.batchEntries(777));
    expect(got.size).toBe(10_000);
    for (const [k, v] of entries) expect(got.get(k)).toBe(v);
    expect(m.batchDelete(Array.from({ length: 5000 }, (_, i) => i * 2))).toBe(5000);
    expect([...m.keys()].length).toBe(5000);
    const drained = m.batchLookupBytes(512, true);
    expect(drained.keys.length).toBe(5000);
    expect([...m.keys()].length).toBe(0);
  });

  it('batch lookup with chunks smaller than a hash bucket (ENOSPC) still returns everything', () => {
    using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4096 }, { key: u32Codec, value: u32Codec });
    m.batchUpdate(Array.from({ length: 3000 }, (_, i) => [i, i] as [number, number]));
    // 3000 entries in 4096 buckets: many buckets hold 2 or more, so a chunk of 1 hits ENOSPC.
    const r = m.batchLookupRaw(1)!;
    expect(r.count).toBe(3000);
    const keys = new Set(Array.from({ length: r.count }, (_, i) => u32Codec.decode(r.keys.subarray(i * 4, i * 4 + 4))));
    expect(keys.size).toBe(3000);
    const drained = m.batchLookupBytes(2, true);
    expect(drained.keys.length).toBe(3000);
    expect(m.nextKey()).toBeUndefined();
  });

  it('batch on arrays and per-CPU maps', () => {
    using a = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 100 }, { key: u32Codec, value: u32Codec });
    a.batchUpdate(Array.from({ length: 100 }, (_, i) => [i, i + 1] as [number, number]));
    expect(a.batchEntries(33).map(([, v]) => v)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    using p = BpfMap.create({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 16 }, { key: u32Codec, value: u32Codec });
    const vals = Array.from({ length: possibleCpus() }, (_, i) => i * 5);
    p.updatePerCpu(3, vals);
    const r = p.batchLookupBytes(4);
    expect(r.keys.length).toBe(1);
    expect(p.splitPerCpu(r.values[0]!)).toEqual(vals);
  });

  it('falls back to key-by-key when a map type has no batch support', () => {
    // devmap has no batch operations (EINVAL): batch lookup still returns everything.
    using t = BpfMap.create({ type: 'devmap', keySize: 4, valueSize: 4, maxEntries: 8 }, { key: u32Codec, value: u32Codec });
    t.update(3, 1);
    expect(t.batchLookupRaw()).toBeUndefined();
    const r = t.batchLookupBytes();
    expect(r.keys).toEqual([u32(3)]);
    expect(r.values).toEqual([u32(1)]);
    expect(t.batchEntries()).toEqual([[3, 1]]);
    expect(t.batchUpdate([[4, 1]])).toBe(1);
    expect(t.lookup(4)).toBe(1);
    expect(t.batchDelete([3, 4])).toBe(2);
  });

  it('iteration survives deleting every yielded key, and concurrent deletes ahead', () => {
    using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 256 }, { key: u32Codec, value: u32Codec });
    for (let i = 0; i < 200; i++) m.update(i, i);
    const seen = new Set<number>();
    for (const k of m.keys()) {
      seen.add(k);
      m.delete(k);
    }
    expect(seen.size).toBe(200);
    expect(m.nextKey()).toBeUndefined();
    for (let i = 0; i < 200; i++) m.update(i, i);
    // Delete entries ahead of the cursor while iterating: no crash, no entry yielded twice
    // more than the bound, and values read are never stale.
    const got: [number, number][] = [];
    let n = 0;
    for (const [k, v] of m.entries()) {
      got.push([k, v]);
      if (n++ < 50) m.delete((k + 1) % 200);
    }
    for (const [k, v] of got) expect(v).toBe(k);
  });

  it('lookupAndDelete, flags, nextKey', () => {
    using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 }, { key: u32Codec, value: u32Codec });
    m.update(1, 10);
    expect(m.nextKey()).toBe(1);
    expect(m.nextKey(1)).toBeUndefined();
    expect(m.lookupAndDelete(1)).toBe(10);
    expect(m.lookupAndDelete(1)).toBeUndefined();
    expect(m.has(1)).toBe(false);
    for (let i = 0; i < 4; i++) m.update(i, i);
    expect(() => m.update(9, 9)).toThrow(/E2BIG|map is full/);
  });

  it('keys and values of odd and large sizes round-trip', () => {
    // Up to 32 bytes are copied byte by byte (3, 5, 13), larger ones with set() (300, 4056, 5000).
    const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
    for (const [keySize, valueSize] of [[3, 5], [13, 13], [8, 4056], [300, 5000]] as const) {
      using m = BpfMap.create({ type: 'hash', keySize, valueSize, maxEntries: 4 });
      const k1 = bytes(keySize, 1);
      const k2 = bytes(keySize, 2);
      m.updateBytes(k1, bytes(valueSize, 10));
      m.updateBytes(k2, bytes(valueSize, 20));
      const out = new Uint8Array(valueSize);
      expect(m.lookupInto(k1, out)).toBe(true);
      expect(out).toEqual(bytes(valueSize, 10));
      expect(m.lookupBytes(k2)).toEqual(bytes(valueSize, 20));
      expect(m.lookupInto(bytes(keySize, 3), out)).toBe(false);
      const keys = [...m.keys()].map((k) => Buffer.from(k).toString('hex')).sort();
      expect(keys).toEqual([k1, k2].map((k) => Buffer.from(k).toString('hex')).sort());
      expect(m.lookupAndDelete(k1)).toEqual(bytes(valueSize, 10));
      expect(m.delete(k2)).toBe(true);
      expect(m.delete(k2)).toBe(false);
      expect(m.lookupBytes(k2)).toBeUndefined();
    }
  });

  it('freeze makes updates fail with a typed error', () => {
    using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 }, { key: u32Codec, value: u32Codec });
    m.update(0, 5);
    m.freeze();
    expect(m.lookup(0)).toBe(5);
    expect(() => m.update(0, 6)).toThrow(MapError);
    expect(() => m.update(0, 6)).toThrow(/map is frozen/);
    // A second handle to the same frozen map knows too (read from fdinfo).
    using c = m.clone();
    expect(() => c.update(1, 1)).toThrow(/map is frozen/);
  });

  it('mmapable array: zero-copy view shares memory with lookups', () => {
    using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4, flags: MapFlags.MMAPABLE }, { key: u32Codec, value: u64Codec });
    using v = m.mmap();
    const dv = new DataView(v.bytes.buffer);
    dv.setBigUint64(8 * 2, 777n, true);
    expect(m.lookup(2)).toBe(777n);
    m.update(3, 99n);
    expect(dv.getBigUint64(8 * 3, true)).toBe(99n);
    using plain = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(() => plain.mmap()).toThrow(/not mmapable/);
  });

  it('BPF_F_LOCK: update and lookup under the value\'s bpf_spin_lock', () => {
    // The probe BTF: [1] int, [3] struct val { int cnt; struct bpf_spin_lock l; } (8 bytes).
    using btf = btfLoad(localStorageBtf());
    using m = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, btf: { fd: btf.raw, keyTypeId: 1, valueTypeId: 3 } }, { key: u32Codec });
    const v = new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0]);
    m.update(1, v);
    m.update(1, new Uint8Array([10, 0, 0, 0, 0, 0, 0, 0]), UpdateFlags.F_LOCK | UpdateFlags.EXIST);
    expect(m.lookup(1, UpdateFlags.F_LOCK)![0]).toBe(10);
    expect(m.info().btfValueTypeId).toBe(3);
    // A map without a spin lock refuses the flag.
    using plain = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }, { key: u32Codec });
    plain.update(1, v);
    expect(() => plain.update(1, v, UpdateFlags.F_LOCK)).toThrow(/EINVAL/);
  });

  it('info() matches the spec', () => {
    using m = BpfMap.create({ name: 'info_test', type: 'lru_hash', keySize: 8, valueSize: 16, maxEntries: 32 });
    const i = m.info();
    expect(i).toMatchObject({ type: MapType.LRU_HASH, keySize: 8, valueSize: 16, maxEntries: 32, name: 'info_test' });
    expect(i.id).toBeGreaterThan(0);
  });
});

describeKernel('map bad input', () => {
  it('wrong key or value size is a MapError before any syscall', () => {
    using m = BpfMap.create({ name: 'sizes', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(() => m.lookup(new Uint8Array(3))).toThrow("map 'sizes': key is 3 bytes, expected 4");
    expect(() => m.update(new Uint8Array(4), new Uint8Array(9))).toThrow('value is 9 bytes, expected 8');
    expect(() => m.delete(new Uint8Array(5))).toThrow(MapError);
    expect(() => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }, { key: u64Codec })).toThrow(/key codec encodes 8 bytes/);
    using q = BpfMap.create({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 4 });
    expect(() => q.update(new Uint8Array(4), new Uint8Array(4))).toThrow(/have no key/);
  });

  it('operations on a closed map are a MapError; close is idempotent', () => {
    const m = BpfMap.create({ name: 'closed', type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
    m.close();
    m.close();
    m[Symbol.dispose]();
    expect(m.closed).toBe(true);
    expect(() => m.lookup(u32(0))).toThrow("map 'closed': map is closed");
    expect(() => [...m.keys()]).toThrow(/map is closed/);
  });

  it('unknown and unsupported map types', () => {
    expect(() => BpfMap.create({ type: 'no_such_type', keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/unknown map type 'no_such_type'/);
    // 4096 is no map type any kernel has: the error names it as unsupported, not a bare EINVAL.
    expect(() => BpfMap.create({ type: 4096, keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(NotSupportedError);
    expect(() => BpfMap.create({ type: 4096, keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow("map type '4096' not supported by this kernel");
    expect(() => BpfMap.create({ type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1 })).toThrow(MapError);
    try {
      BpfMap.create({ type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1 });
    } catch (e) {
      expect((e as MapError).cause).toBeInstanceOf(BpfError);
      expect(((e as MapError).cause as BpfError).errno).toBe('EINVAL');
    }
    expect(() => BpfMap.create({ type: 'hash', keySize: -1, valueSize: 4, maxEntries: 1 })).toThrow(/not a u32/);
    expect(() => BpfMap.create({ name: 'a_name_that_is_too_long', type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/at most 15/);
  });

  it('wrong operation for the map type', () => {
    using h = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => h.pop()).toThrow(/needs a queue, stack or bloom filter/);
    expect(() => h.lookupPerCpu(u32(0))).toThrow(/needs a per-CPU map/);
    expect(() => h.mayContain(u32(0))).toThrow(/needs a bloom_filter/);
    expect(() => h.innerMap(u32(0))).toThrow(/needs a map-in-map/);
  });

  it('a pinned path that does not exist', () => {
    ensureBpffs();
    expect(() => BpfMap.fromPin('/sys/fs/bpf/tsbpf-definitely-missing')).toThrow(/ENOENT.*no such pinned path/);
    void unlinkSync;
    void readdirSync;
  });
});
