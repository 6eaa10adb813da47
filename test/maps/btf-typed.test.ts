/**
 * Typed maps on the real kernel: a map created with BTF ids, reopened with `typedMap`, takes
 * and returns plain JS values marshalled by the BTF the kernel kept for it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL_BTF_FEATURES, btfFromElf, parseBtf, sanitizeBtf, type Btf } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { BpfMap, btfCodec, CodecError, MapError, mapBtfCodecs, typedMap, typedMapFromId, typedMapFromPin } from '../../src/maps/index.js';
import { mkdirSync, rmSync } from 'node:fs';
import { ensureBpffs } from './kernel-objects.js';
import { btfLoad, possibleCpus, type Fd } from '../../src/syscall/index.js';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

describeKernel('typed maps from kernel BTF', () => {
  const elf = parseElf(readFixture('btf_types'));
  const sanitized = sanitizeBtf(btfFromElf(elf)!.btf, ALL_BTF_FEATURES, { elf });
  const btf: Btf = parseBtf(sanitized.bytes);
  const u32 = btf.findByName('__u32', 'TYPEDEF')!;
  let fd: Fd;
  const open: { close(): void }[] = [];
  beforeAll(() => {
    fd = btfLoad(sanitized.bytes);
  });
  afterAll(() => {
    for (const o of open) o.close();
    fd.close();
  });

  function create(type: string, value: string, kind: 'STRUCT' | 'UNION'): BpfMap {
    const vid = btf.findByName(value, kind)!;
    const m = BpfMap.create({ name: `t_${value}`.slice(0, 15), type, keySize: 4, valueSize: btf.sizeOrTypeOf(vid), maxEntries: 4, btf: { fd: fd.raw, keyTypeId: u32, valueTypeId: vid } });
    open.push(m);
    return m;
  }

  it('round-trips struct values with bitfields, and the raw bytes agree with a codec built locally', () => {
    const raw = create('hash', 'bits', 'STRUCT');
    using m = typedMap<number, { a: number; b: number; c: number; d: bigint; e: number; f: number }>(raw);
    const v = { a: 5, b: 31, c: -64, d: 2n ** 40n - 1n, e: 255, f: 1 };
    m.update(7, v);
    expect(m.lookup(7)).toEqual(v);
    expect([...m.entries()]).toEqual([[7, v]]);
    // The same bytes through the untyped handle, decoded with a codec from the local BTF.
    const local = btfCodec(btf, btf.findByName('bits', 'STRUCT')!);
    expect(local.decode(raw.lookupBytes(new Uint8Array([7, 0, 0, 0]))!)).toEqual(v);
    // The typed handle is a second fd: closing it leaves the original usable.
    m.close();
    expect(raw.lookupBytes(new Uint8Array([7, 0, 0, 0]))).toBeDefined();
  });

  it('unions, anonymous members and strings', () => {
    using m = typedMap(create('array', 'with_anon', 'STRUCT'));
    const zero = m.lookup(0) as Record<string, unknown>;
    expect(zero).toMatchObject({ kind: 0, lo: 0, hi: 0, both: 0n, named: { tag: '', flag: 0 }, flex: [] });
    // A union is written from the members given, widest last: to set one view, drop the other.
    const { both: _both, ...noBoth } = zero;
    m.update(1, { ...noBoth, kind: -3, lo: 1, hi: 2, named: { tag: 'ab', flag: 1 }, ratio: 0.25, next: 0xffff_8880_1234_0000n } as never);
    expect(m.lookup(1)).toMatchObject({ kind: -3, lo: 1, hi: 2, both: (2n << 32n) | 1n, named: { tag: 'ab', flag: 1 }, ratio: 0.25, next: 0xffff_8880_1234_0000n });
    using u = typedMap(create('array', 'u_sample', 'UNION'));
    u.update(0, { word: 0x04030201 });
    expect(u.lookup(0)).toMatchObject({ word: 0x04030201, bytes: [1, 2, 3, 4] });
  });

  it('per-CPU values are typed one by one', () => {
    using m = typedMap<number, { x: number; y: bigint }>(create('percpu_array', 'tagged', 'STRUCT'));
    const values = Array.from({ length: possibleCpus() }, (_, i) => ({ x: i, y: BigInt(-i) }));
    m.updatePerCpu(0, values);
    expect(m.lookupPerCpu(0)).toEqual(values);
  });

  it('a wrong-shaped value is a typed error naming the member, before any syscall', () => {
    using m = typedMap(create('hash', 'with_anon', 'STRUCT'));
    const zero = m.valueCodec.decode(new Uint8Array(m.valueSize)) as Record<string, unknown>;
    const err = (() => {
      try {
        m.update(1, { ...zero, named: { tag: 'abcd', flag: 0 } } as never);
      } catch (e) {
        return e;
      }
    })() as MapError;
    expect(err).toBeInstanceOf(MapError);
    expect(err.cause).toBeInstanceOf(CodecError);
    expect(err.message).toBe("map 't_with_anon': cannot encode value: value.named.tag: string of 4 bytes does not fit char[3]");
    expect(() => m.update(2 ** 32 as never, zero as never)).toThrow(/key: 4294967296 does not fit __u32/);
    expect(m.has(1 as never)).toBe(false);
  });

  it('opens typed maps by id and by pin', () => {
    const raw = create('array', 'tagged', 'STRUCT');
    using byId = typedMapFromId<number, { x: number; y: bigint }>(raw.id);
    byId.update(2, { x: -1, y: 1n << 62n });
    ensureBpffs();
    const dir = `/sys/fs/bpf/tsbpf-typed-${process.pid}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    try {
      raw.pin(`${dir}/m`);
      using byPin = typedMapFromPin<number, { x: number; y: bigint }>(`${dir}/m`);
      expect(byPin.lookup(2)).toEqual({ x: -1, y: 1n << 62n });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a map without BTF cannot be typed', () => {
    using plain = BpfMap.create({ name: 'plain', type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => typedMap(plain)).toThrow(/map 'plain': map has no BTF/);
    expect(() => mapBtfCodecs(plain.info())).toThrow(MapError);
  });
});
