/**
 * BTF-typed values: JS objects <-> bytes by a BTF type, both byte orders, checked against what
 * clang laid out (the fixture's initialised globals) and by round-trip properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_BTF_FEATURES,
  btfFromElf,
  BtfError,
  BtfValueError,
  dumpBtfData,
  encodeBtf,
  JsonWriter,
  StringTable,
  compileValueLayout,
  parseBtf,
  sanitizeBtf,
  valueCodec,
  type Btf,
  type BtfValue,
  type CompositeLayout,
  type ValueLayout,
} from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';

const endians = ['bpfel', 'bpfeb'] as const;

function fixtureBtf(name: string, endian: 'bpfel' | 'bpfeb'): { btf: Btf; elf: ReturnType<typeof parseElf> } {
  const elf = parseElf(readFixture(name, endian));
  const sanitized = sanitizeBtf(btfFromElf(elf)!.btf, ALL_BTF_FEATURES, { elf });
  return { btf: parseBtf(sanitized.bytes), elf };
}

describe.each(endians)('values of btf_types (%s)', (endian) => {
  const { btf, elf } = fixtureBtf('btf_types', endian);

  it('decodes .data exactly as clang initialised it (bitfields, enums, signedness)', () => {
    const data = valueCodec(btf, btf.findByName('.data', 'DATASEC')!).decode(elf.section('.data')!.data) as Record<string, BtfValue>;
    expect(data.global_counter).toBe(3);
    expect(data.global_bits).toEqual({ a: 5, b: 0, c: -2, d: 0n, e: 0, f: 0 });
    expect(data.global_sbig).toBe(-0x100000000n);
    const ro = valueCodec(btf, btf.findByName('.rodata', 'DATASEC')!).decode(elf.section('.rodata')!.data) as Record<string, BtfValue>;
    expect(ro.ro_setting).toBe(42n);
  });

  it('encodes .data back to the bytes clang wrote', () => {
    const c = valueCodec(btf, btf.findByName('.data', 'DATASEC')!);
    const bytes = elf.section('.data')!.data;
    expect(c.encode(c.decode(bytes))).toEqual(new Uint8Array(bytes));
  });

  it('flattens anonymous members and maps pointers, floats, strings', () => {
    const c = valueCodec(btf, btf.findByName('with_anon', 'STRUCT')!);
    const v = {
      kind: -1,
      lo: 1,
      hi: 2,
      named: { tag: 'ab', flag: 1 },
      handlers: [1n, 2n, 3n, 4n],
      raw_handlers: [0n, 0n],
      fp_returning_fp: 0n,
      next: 0xffff_8880_0000_1000n,
      ratio: 0.5,
      precise: Math.PI,
      uptr: 0n,
      rptr: 0n,
      counter: 2n ** 64n - 1n,
    };
    const bytes = c.encode(v);
    expect(bytes.length).toBe(c.size);
    const back = c.decode(bytes) as Record<string, BtfValue>;
    expect(back).toMatchObject({ ...v, flex: [] });
    expect(back.both).toBe(endian === 'bpfel' ? (2n << 32n) | 1n : (1n << 32n) | 2n);
    // The union's other view can be written instead.
    const { lo: _lo, hi: _hi, ...rest } = v;
    expect(c.decode(c.encode({ ...rest, both: 5n }))).toMatchObject({ both: 5n });
  });

  it('names the member path of a wrong-shaped value', () => {
    const c = valueCodec(btf, btf.findByName('with_anon', 'STRUCT')!);
    const good = c.decode(new Uint8Array(c.size)) as Record<string, BtfValue>;
    const bad = (patch: Record<string, unknown>) => () => c.encode({ ...good, ...patch } as BtfValue);
    expect(bad({ named: { tag: 'abcd', flag: 0 } })).toThrow(new BtfValueError('value.named.tag', 'string of 4 bytes does not fit char[3]'));
    expect(bad({ named: { tag: 'a', flag: 2 } })).toThrow(/^value\.named\.flag: 2 does not fit unsigned int:1 \(0\.\.1\)$/);
    expect(bad({ kind: 2 ** 31 })).toThrow(/^value\.kind: 2147483648 does not fit int/);
    expect(bad({ kind: 1.5 })).toThrow(/^value\.kind: 1\.5 is not an integer/);
    expect(bad({ handlers: [1n, 2n] })).toThrow(/^value\.handlers: expected an array of 4 for handler_fn\[4\]/);
    expect(bad({ handlers: [1n, 2n, 'x', 4n] })).toThrow(/^value\.handlers\[2\]: expected a bigint address/);
    expect(bad({ nope: 1 })).toThrow(/^value\.nope: no such member in struct with_anon$/);
    expect(bad({ counter: undefined })).toThrow(/^value\.counter: missing/);
    expect(() => c.decode(new Uint8Array(3))).toThrow(BtfValueError);
    const u = valueCodec(btf, btf.findByName('u_sample', 'UNION')!);
    expect(() => u.encode({})).toThrow(/^value: no member of union u_sample given/);
    expect(u.decode(u.encode({ bytes: [1, 2, 3, 4] }))).toMatchObject({ bytes: [1, 2, 3, 4] });
  });

  it('refuses types without a value', () => {
    expect(() => compileValueLayout(btf, btf.findByName('helper', 'FUNC')!)).toThrow(/FUNC has no value/);
  });
});

describe('char arrays, bools and byte order', () => {
  // A hand-made BTF: struct s { char comm[4]; _Bool ok; unsigned char mac[2]; short x; }.
  function tiny(le: boolean): Btf {
    const strs = '\0char\0_Bool\0unsigned char\0short\0s\0comm\0ok\0mac\0x\0int\0';
    const off = (n: string) => strs.indexOf(`\0${n}\0`) + 1;
    const types = [
      [off('char'), 0x01000000, 1, 0x01000008], // [1] char (signed)
      [off('_Bool'), 0x01000000, 1, 0x04000008], // [2] _Bool
      [off('unsigned char'), 0x01000000, 1, 0x00000008], // [3]
      [off('short'), 0x01000000, 2, 0x01000010], // [4]
      [0, 0x03000000, 0, 1, 7, 4], // [5] char[4]
      [0, 0x03000000, 0, 3, 7, 2], // [6] unsigned char[2]
      [off('int'), 0x01000000, 4, 0x01000020], // [7] int
      [off('s'), 0x04000004, 10, off('comm'), 5, 0, off('ok'), 2, 32, off('mac'), 6, 40, off('x'), 4, 64], // [8]
    ].flat();
    const s = new TextEncoder().encode(strs);
    const out = new Uint8Array(24 + types.length * 4 + s.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, le);
    out[2] = 1;
    v.setUint32(4, 24, le);
    v.setUint32(12, types.length * 4, le);
    v.setUint32(16, types.length * 4, le);
    v.setUint32(20, s.length, le);
    types.forEach((x, i) => v.setUint32(24 + 4 * i, x >>> 0, le));
    out.set(s, 24 + types.length * 4);
    return parseBtf(out);
  }

  it.each([true, false])('little-endian %s', (le) => {
    const btf = tiny(le);
    const c = valueCodec(btf, 8);
    const b = c.encode({ comm: 'ab', ok: true, mac: [0xaa, 0xbb], x: -2 });
    expect([...b]).toEqual([0x61, 0x62, 0, 0, 1, 0xaa, 0xbb, 0, ...(le ? [0xfe, 0xff] : [0xff, 0xfe])]);
    expect(c.decode(b)).toEqual({ comm: 'ab', ok: true, mac: [0xaa, 0xbb], x: -2 });
    // A string may fill the array without its NUL; one byte more is an error, not a truncation.
    expect(c.decode(c.encode({ comm: 'abcd', ok: false, mac: [0, 0], x: 0 }))).toMatchObject({ comm: 'abcd' });
    expect(() => c.encode({ comm: 'abcde', ok: false, mac: [0, 0], x: 0 })).toThrow('value.comm: string of 5 bytes does not fit char[4]');
    // Bytes that are not UTF-8 come back as bytes, and encode back the same.
    const raw = new Uint8Array(10);
    raw.set([0xff, 0xfe], 0);
    expect((c.decode(raw) as Record<string, BtfValue>).comm).toEqual(new Uint8Array([0xff, 0xfe]));
    expect(c.encode(c.decode(raw))).toEqual(raw);
    // The byte order can be chosen explicitly (a kernel map holds host-order values).
    const other = valueCodec(btf, 8, { littleEndian: !le });
    expect([...other.encode({ comm: '', ok: false, mac: [0, 0], x: 1 }).subarray(8)]).toEqual(le ? [0, 1] : [1, 0]);
  });
});

// --- property: random values of every struct/union shape in the fixtures round-trip ---

function arb(l: ValueLayout): fc.Arbitrary<BtfValue> {
  switch (l.kind) {
    case 'int': {
      if (l.bool) return fc.boolean();
      const bits = l.bits;
      const lo = l.signed ? -(1n << BigInt(bits - 1)) : 0n;
      const hi = l.signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
      const big = fc.bigInt({ min: lo, max: hi });
      return l.size <= 4 ? big.map(Number) : big;
    }
    case 'float':
      return l.size === 4 ? fc.float({ noNaN: true }).map(Math.fround) : fc.double({ noNaN: true });
    case 'ptr':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'bytes':
      return fc.uint8Array({ minLength: l.size, maxLength: l.size });
    case 'string':
      return fc.string({ unit: fc.constantFrom(...'abcxyz_-0123 é'), maxLength: l.size }).filter((s) => new TextEncoder().encode(s).length <= l.size);
    case 'array':
      return fc.array(arb(l.elem), { minLength: l.length, maxLength: l.length });
    case 'struct':
    case 'union':
      return composite(l);
  }
}

function composite(l: CompositeLayout): fc.Arbitrary<BtfValue> {
  const parts = l.fields.map((f) => {
    if (f.name === '') return composite(f.layout as CompositeLayout) as fc.Arbitrary<Record<string, BtfValue>>;
    const il = f.bitfieldSize ? { ...(f.layout as Extract<ValueLayout, { kind: 'int' }>), bits: f.bitfieldSize } : f.layout;
    return arb(il).map((v) => ({ [f.name]: v }));
  });
  if (l.kind === 'union') return fc.oneof(...parts) as fc.Arbitrary<BtfValue>;
  return fc.tuple(...parts).map((xs) => Object.assign({}, ...xs) as BtfValue);
}

function hasUnion(l: ValueLayout): boolean {
  if (l.kind === 'union') return true;
  if (l.kind === 'struct') return l.fields.some((f) => hasUnion(f.layout));
  return l.kind === 'array' && hasUnion(l.elem);
}

describe('property: encode/decode round-trips', () => {
  const shapes: { label: string; btf: Btf; id: number }[] = [];
  for (const f of allFixtures()) {
    const found = btfFromElf(parseElf(readFixture(f.name, f.endian)));
    if (!found) continue;
    const { btf } = found;
    for (let id = 1; id <= btf.maxId; id++) {
      const k = btf.type(id).kind;
      if (k !== 'STRUCT' && k !== 'UNION') continue;
      try {
        compileValueLayout(btf, id);
      } catch {
        continue; // e.g. a struct with a member of a FWD-only type
      }
      shapes.push({ label: `${f.file} [${id}] ${btf.nameOf(id) || '(anon)'}`, btf, id });
    }
  }

  it('found shapes to test', () => {
    expect(shapes.length).toBeGreaterThan(10);
  });

  it('value -> bytes -> value -> bytes is stable, and exact without unions', () => {
    for (const s of shapes) {
      const c = valueCodec(s.btf, s.id);
      fc.assert(
        fc.property(arb(c.layout), (v) => {
          const b1 = c.encode(v);
          const back = c.decode(b1);
          expect(c.encode(back), s.label).toEqual(b1);
          if (!hasUnion(c.layout)) expect(back, s.label).toEqual(v);
        }),
        { numRuns: 25 },
      );
    }
  });

  it('any bytes -> value -> bytes keeps every non-padding bit of a union-free struct', () => {
    for (const s of shapes) {
      const c = valueCodec(s.btf, s.id);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: c.size, maxLength: c.size }), (b) => {
          const v = c.decode(b);
          // Stable after one normalisation (padding zeroed, bools 0/1, bytes after a NUL dropped).
          const once = c.encode(v);
          expect(c.encode(c.decode(once)), s.label).toEqual(once);
        }),
        { numRuns: 25 },
      );
    }
  });
});

describe('mutated fixture BTF: values and bpftool data dumps raise only our errors', () => {
  const btfBytes = btfFromElf(parseElf(readFixture('btf_types')))!.btf.bytes;
  it('compile, decode, encode, dump (1500 cases)', () => {
    fc.assert(
      fc.property(mutations(btfBytes.length), (m) => {
        let btf: Btf;
        try {
          btf = parseBtf(applyMutations(btfBytes, m));
        } catch (e) {
          if (e instanceof BtfError) return;
          throw e;
        }
        for (let id = 1; id <= btf.maxId; id++) {
          try {
            const c = valueCodec(btf, id);
            if (c.size > 1 << 16) continue;
            const b = new Uint8Array(c.size).map((_, i) => i * 7 + id);
            c.encode(c.decode(b));
            dumpBtfData(new JsonWriter(true), btf, id, b, { plainText: true, littleEndian: true });
          } catch (e) {
            if (!(e instanceof BtfError) && !(e instanceof BtfValueError)) throw e;
          }
        }
      }),
      { numRuns: 1500, seed: 0x7a1e },
    );
  });
});

describe('bad shapes are typed errors', () => {
  it('a huge array of zero-size elements is refused, not allocated', () => {
    const s = new StringTable();
    const btf = parseBtf(
      encodeBtf(
        [
          { id: 1, kind: 'STRUCT', name: 'e', nameOff: s.add('e'), size: 0, kindFlag: false, members: [] },
          { id: 2, kind: 'INT', name: 'int', nameOff: s.add('int'), size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 },
          { id: 3, kind: 'ARRAY', name: '', nameOff: 0, type: 1, indexType: 2, nelems: 0xffffffff },
        ],
        s.bytes(),
      ),
    );
    expect(() => valueCodec(btf, 3)).toThrow(/type \[3\] ARRAY: array of 4294967295 zero-size elements/);
    expect(() => dumpBtfData(new JsonWriter(true), btf, 3, new Uint8Array(0), { plainText: true, littleEndian: true })).toThrow(BtfValueError);
    // An empty struct is a value: {}.
    expect(valueCodec(btf, 1).decode(new Uint8Array(0))).toEqual({});
  });
});
