/**
 * The consumer protocol of `Ring` over plain memory laid out like the kernel's mapping
 * (consumer page | producer page | data | data again), so that BUSY, DISCARD and corrupt
 * headers can be written by hand. The kernel-backed tests are in reader.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, Ring, RingbufCorruptedError, StopReason } from '../../src/ringbuf/index.js';

const PAGE = 4096;
const SIZE = 4096;

/** A fake ring: `write(pos, len, flags, fill)` writes a record at producer position `pos`. */
function fake() {
  const consumer = new ArrayBuffer(PAGE);
  const producer = new ArrayBuffer(PAGE + 2 * SIZE);
  const prod = new BigUint64Array(producer, 0, 1);
  const data = new DataView(producer, PAGE, 2 * SIZE);
  const u8 = new Uint8Array(producer, PAGE, 2 * SIZE);
  // Writes into both copies of the data area, as the kernel's double mapping shows it.
  const put = (pos: number, bytes: Uint8Array): void => {
    for (let i = 0; i < bytes.length; i++) {
      const o = (pos + i) % SIZE;
      u8[o] = bytes[i]!;
      u8[o + SIZE] = bytes[i]!;
    }
  };
  const write = (pos: number, len: number, flags = 0, fill = 0xab): number => {
    const h = new Uint8Array(8);
    new DataView(h.buffer).setUint32(0, (len | flags) >>> 0, true);
    put(pos, h);
    put(pos + 8, new Uint8Array(len).fill(fill));
    return pos + ((len + 8 + 7) & ~7);
  };
  const setHeader = (pos: number, value: number): void => {
    const h = new Uint8Array(4);
    new DataView(h.buffer).setUint32(0, value >>> 0, true);
    put(pos, h);
  };
  const ring = new Ring(consumer, producer, PAGE, SIZE, 'fake', 0);
  return { ring, prod, write, setHeader, consumerPos: new BigUint64Array(consumer, 0, 1), data };
}

/** A fake ring holding `n` committed 8-byte records whose bytes are 0, 1, 2, ... */
function withRecords(n: number): ReturnType<typeof fake> {
  const f = fake();
  let p = 0;
  for (let i = 0; i < n; i++) p = f.write(p, 8, 0, i);
  f.prod[0] = BigInt(p);
  return f;
}

describe('Ring (fake memory)', () => {
  it('hands records in order, skips discarded ones, publishes the consumer position', () => {
    const f = fake();
    let p = f.write(0, 5, 0, 1);
    p = f.write(p, 16, BPF_RINGBUF_DISCARD_BIT, 2);
    p = f.write(p, 3, 0, 3);
    f.prod[0] = BigInt(p);
    const seen: number[][] = [];
    const out = [0];
    expect(f.ring.drain((r) => seen.push([...r.bytes]), Infinity, out)).toBe(StopReason.Empty);
    expect(out[0]).toBe(2);
    expect(seen).toEqual([[1, 1, 1, 1, 1], [3, 3, 3]]);
    expect(f.consumerPos[0]).toBe(BigInt(p));
  });

  it('reads a record that wraps past the end contiguously', () => {
    const f = fake();
    f.consumerPos[0] = BigInt(SIZE - 16);
    const ring = new Ring(f.consumerPos.buffer as ArrayBuffer, f.prod.buffer as ArrayBuffer, PAGE, SIZE, 'fake', 0);
    const end = f.write(SIZE - 16, 100, 0, 7);
    f.prod[0] = BigInt(end);
    let got: Uint8Array | undefined;
    ring.drain((r) => (got = r.copy()), Infinity, [0]);
    expect(got).toEqual(new Uint8Array(100).fill(7));
  });

  it('stops at a BUSY record without consuming it, and resumes after the commit', () => {
    const f = fake();
    let p = f.write(0, 8, 0, 1);
    const busyAt = p;
    p = f.write(p, 8, BPF_RINGBUF_BUSY_BIT, 2);
    f.prod[0] = BigInt(p);
    const out = [0];
    expect(f.ring.drain(() => {}, Infinity, out)).toBe(StopReason.Busy);
    expect(out[0]).toBe(1);
    // Published up to the BUSY header, so the kernel's commit would wake us.
    expect(f.consumerPos[0]).toBe(BigInt(busyAt));
    f.setHeader(busyAt, 8);
    expect(f.ring.drain(() => {}, Infinity, out)).toBe(StopReason.Empty);
    expect(out[0]).toBe(1);
  });

  it('peek keeps the record until release', () => {
    const f = fake();
    const p = f.write(0, 8, 0, 9);
    f.prod[0] = BigInt(p);
    const rec = f.ring.peek();
    expect(rec?.length).toBe(8);
    expect(f.consumerPos[0]).toBe(0n);
    f.ring.release();
    expect(f.consumerPos[0]).toBe(BigInt(p));
    expect(f.ring.peek()).toBeUndefined();
  });

  it('raises RingbufCorruptedError for a length past the data area, before reading it', () => {
    const f = fake();
    f.setHeader(0, SIZE + 100);
    f.prod[0] = BigInt(SIZE);
    let calls = 0;
    expect(() => f.ring.drain(() => calls++, Infinity, [0])).toThrow(RingbufCorruptedError);
    expect(() => f.ring.drain(() => calls++, Infinity, [0])).toThrow(/corrupt record at position 0: length 4196/);
    expect(calls).toBe(0);
  });

  it('raises RingbufCorruptedError for a length past the producer position', () => {
    const f = fake();
    f.setHeader(0, 64);
    f.prod[0] = 16n;
    expect(() => f.ring.drain(() => {}, Infinity, [0])).toThrow(/exceeds the 16 bytes the producer published/);
  });

  it('raises RingbufCorruptedError for a consumer position that is not 8-byte aligned, reading nothing', () => {
    // Found by the property below: from position 4089 the header word read was the aligned
    // one at 4088, and a record was handed at 4097, past the first copy of the data.
    const f = fake();
    f.consumerPos[0] = BigInt(SIZE - 7);
    f.prod[0] = BigInt(SIZE + 1);
    const ring = new Ring(f.consumerPos.buffer as ArrayBuffer, f.prod.buffer as ArrayBuffer, PAGE, SIZE, 'fake', 0);
    let calls = 0;
    expect(() => ring.drain(() => calls++, Infinity, [0])).toThrow(/position 4089: consumer position is not 8-byte aligned/);
    expect(() => ring.peek()).toThrow(RingbufCorruptedError);
    expect(calls).toBe(0);
    expect(f.consumerPos[0]).toBe(BigInt(SIZE - 7));
  });

  it('a throwing callback stops the pass; its record counts as consumed and the rest stay', () => {
    const f = fake();
    let p = f.write(0, 8, 0, 1);
    const second = p;
    p = f.write(p, 8, 0, 2);
    const third = p;
    p = f.write(p, 8, 0, 3);
    f.prod[0] = BigInt(p);
    const seen: number[] = [];
    const fn = (r: { bytes: Uint8Array }): void => {
      seen.push(r.bytes[0]!);
      if (r.bytes[0] === 2) throw new Error('boom');
    };
    expect(() => f.ring.drain(fn, Infinity, [0])).toThrow('boom');
    expect(f.consumerPos[0]).toBe(BigInt(third));
    expect(second).toBeLessThan(third);
    const out = [0];
    f.ring.drain(fn, Infinity, out);
    expect(seen).toEqual([1, 2, 3]);
    expect(out[0]).toBe(1);
  });

  it('stop() from inside the callback ends the pass after that record', () => {
    const f = withRecords(5);
    const seen: number[] = [];
    const out = [0];
    const reason = f.ring.drain((r) => {
      seen.push(r.bytes[0]!);
      if (seen.length === 2) f.ring.stop();
    }, Infinity, out);
    expect(reason).toBe(StopReason.Limit);
    expect(seen).toEqual([0, 1]);
    expect(out[0]).toBe(2);
    expect(f.consumerPos[0]).toBe(32n); // two 16-byte records
  });

  it('hands at most `limit` records and resumes where it stopped', () => {
    const f = withRecords(5);
    const seen: number[] = [];
    const out = [0];
    expect(f.ring.drain((r) => seen.push(r.bytes[0]!), 3, out)).toBe(StopReason.Limit);
    expect(out[0]).toBe(3);
    expect(f.ring.drain((r) => seen.push(r.bytes[0]!), Infinity, out)).toBe(StopReason.Empty);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps exact positions past 2^32 bytes (a long-lived ring), publishing them whole', () => {
    const f = fake();
    const start = 2 ** 32 * 3 + SIZE - 24; // a record wraps, and the position is a double
    f.consumerPos[0] = BigInt(start);
    const ring = new Ring(f.consumerPos.buffer as ArrayBuffer, f.prod.buffer as ArrayBuffer, PAGE, SIZE, 'fake', 0);
    let p = start;
    for (let i = 0; i < 4; i++) p = f.write(p, 16, 0, 10 + i);
    f.prod[0] = BigInt(p);
    const seen: number[] = [];
    const out = [0];
    expect(ring.drain((r) => seen.push(r.bytes[0]!, r.bytes[15]!), Infinity, out)).toBe(StopReason.Empty);
    expect(seen).toEqual([10, 10, 11, 11, 12, 12, 13, 13]);
    expect(f.consumerPos[0]).toBe(BigInt(p));
  });

  it('publishes the consumer position during a long pass, not only at its end', () => {
    // A 64 KiB ring: the position is published every quarter of it (16 KiB).
    const size = 64 << 10;
    const consumer = new ArrayBuffer(PAGE);
    const producer = new ArrayBuffer(PAGE + 2 * size);
    const hdr = new DataView(producer, PAGE);
    let p = 0;
    for (let i = 0; i < 4000; i++) {
      hdr.setUint32(p, 8, true);
      p += 16;
    }
    new BigUint64Array(producer, 0, 1)[0] = BigInt(p);
    const cons = new BigUint64Array(consumer, 0, 1);
    const ring = new Ring(consumer, producer, PAGE, size, 'big', 0);
    const seenPositions = new Set<bigint>();
    ring.drain(() => seenPositions.add(cons[0]!), Infinity, [0]);
    expect(cons[0]).toBe(BigInt(p));
    // Published at 16 KiB and 32 KiB while records were still being handed out.
    expect([...seenPositions].filter((x) => x > 0n).length).toBeGreaterThanOrEqual(2);
  });
});

describe('Ring over random records (property)', () => {
  it('hands only views inside one copy of the data, fails only with RingbufCorruptedError, and keeps the consumer position in [cons, prod]', () => {
    const laid = fc.record({
      len: fc.oneof(fc.nat(300), fc.integer({ min: 0, max: 0x3fff_ffff })),
      flags: fc.constantFrom(0, 0, 0, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_BUSY_BIT),
    });
    fc.assert(
      fc.property(fc.array(laid, { maxLength: 30 }), fc.nat(3 * SIZE), fc.integer({ min: -16, max: 16 }), fc.boolean(), (records, cons, cut, alignCons) => {
        const f = fake();
        const start = alignCons ? cons & ~7 : cons;
        f.consumerPos[0] = BigInt(start);
        const ring = new Ring(f.consumerPos.buffer as ArrayBuffer, f.prod.buffer as ArrayBuffer, PAGE, SIZE, 'fake', 0);
        let p = start;
        for (const r of records) {
          // The header only (a payload of up to 1 GiB is not written), then the next record
          // where the kernel would put it.
          f.setHeader(p, r.len | r.flags);
          p += (r.len + 15) & ~7;
        }
        // At most 4 ring sizes published: a walk over zeroed memory takes 8 bytes a step.
        const prod = Math.max(start, Math.min(p + cut, start + 4 * SIZE));
        f.prod[0] = BigInt(prod);
        for (let pass = 0; pass < 3; pass++) {
          try {
            ring.drain((rec) => {
              // The payload starts within the first copy (after its 8-byte header) and is no
              // longer than one copy less that header, so it never reads a byte twice.
              const inside = rec.offset >= 8 && rec.offset <= SIZE && rec.length >= 0 && rec.length <= SIZE - 8 && rec.offset + rec.length <= rec.ring.length;
              if (!inside) throw new Error(`view ${rec.offset}+${rec.length} not inside one copy of ${SIZE} bytes`);
            }, Infinity, [0]);
          } catch (e) {
            if (!(e instanceof RingbufCorruptedError)) throw e;
          }
        }
        const c = Number(f.consumerPos[0]);
        return c >= start && c <= prod;
      }),
      { numRuns: 500 },
    );
  });
});
