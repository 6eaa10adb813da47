/**
 * `PerfRing` over plain memory laid out like a perf mmap (`perf_event_mmap_page`, then the
 * data pages), so that wrapped, lost and corrupt records can be written by hand. The
 * kernel-backed tests are in perf.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PerfRing } from '../../src/perf/ring.js';
import { RingbufCorruptedError } from '../../src/ringbuf/index.js';
import { hostLittleEndian } from '../../src/syscall/index.js';

const PAGE = 4096;
const SIZE = 4096;
const le = hostLittleEndian;

/** A fake perf mapping; `sample(payload)` and `lost(n)` append records at the head. */
function fake(startAt = 0) {
  const mapping = new ArrayBuffer(PAGE + SIZE);
  const meta = new DataView(mapping, 0, PAGE);
  meta.setBigUint64(1040, BigInt(PAGE), le); // data_offset
  meta.setBigUint64(1048, BigInt(SIZE), le); // data_size
  meta.setBigUint64(1024, BigInt(startAt), le); // data_head
  meta.setBigUint64(1032, BigInt(startAt), le); // data_tail
  const data = new Uint8Array(mapping, PAGE, SIZE);
  let head = startAt;
  const put = (bytes: Uint8Array): void => {
    for (let i = 0; i < bytes.length; i++) data[(head + i) % SIZE] = bytes[i]!;
    head += bytes.length;
    meta.setBigUint64(1024, BigInt(head), le);
  };
  const record = (type: number, body: Uint8Array): void => {
    const r = new Uint8Array(8 + body.length);
    const v = new DataView(r.buffer);
    v.setUint32(0, type, le);
    v.setUint16(6, r.length, le);
    r.set(body, 8);
    put(r);
  };
  /** PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: u32 size + payload, padded to 8 like the kernel. */
  const sample = (payload: Uint8Array): void => {
    const raw = (payload.length + 4 + 7) & ~7;
    const body = new Uint8Array(raw);
    new DataView(body.buffer).setUint32(0, raw - 4, le);
    body.set(payload, 4);
    record(PERF_RECORD_SAMPLE, body);
  };
  const lost = (n: number): void => {
    const body = new Uint8Array(16);
    new DataView(body.buffer).setBigUint64(8, BigInt(n), le);
    record(PERF_RECORD_LOST, body);
  };
  const tail = (): bigint => meta.getBigUint64(1032, le);
  return { ring: new PerfRing(mapping, PAGE, 0), sample, lost, record, tail, head: () => head };
}

describe('PerfRing (fake memory)', () => {
  it('hands samples in order, counts lost records, publishes data_tail', () => {
    const f = fake();
    f.sample(new Uint8Array([1, 1, 1, 1]));
    f.lost(7);
    f.sample(new Uint8Array([2, 2, 2, 2]));
    const seen: number[] = [];
    expect(f.ring.drain((r) => seen.push(r.bytes[0]!), Infinity)).toBe(2);
    expect(seen).toEqual([1, 2]);
    expect(f.ring.lost).toBe(7);
    expect(f.tail()).toBe(BigInt(f.head()));
  });

  it('reassembles a sample that wraps past the end of the data area', () => {
    const f = fake(SIZE - 16);
    const payload = new Uint8Array(40).map((_, i) => i + 1);
    f.sample(payload);
    f.sample(new Uint8Array([9, 9, 9, 9]));
    const got: Uint8Array[] = [];
    expect(f.ring.drain((r) => got.push(r.copy()), Infinity)).toBe(2);
    expect(got[0]!.subarray(0, 40)).toEqual(payload);
    expect(got[1]![0]).toBe(9);
  });

  it('a throwing callback stops the pass; its sample counts as consumed', () => {
    const f = fake();
    for (let i = 1; i <= 3; i++) f.sample(new Uint8Array([i, 0, 0, 0]));
    const seen: number[] = [];
    const fn = (r: { bytes: Uint8Array }): void => {
      seen.push(r.bytes[0]!);
      if (r.bytes[0] === 2) throw new Error('boom');
    };
    expect(() => f.ring.drain(fn, Infinity)).toThrow('boom');
    expect(f.tail()).toBe(32n); // past the first two 16-byte records
    expect(f.ring.drain(fn, Infinity)).toBe(1);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('peek keeps a sample until release', () => {
    const f = fake();
    f.sample(new Uint8Array([5, 5, 5, 5]));
    expect(f.ring.peek()?.bytes[0]).toBe(5);
    expect(f.ring.peek()?.bytes[0]).toBe(5);
    expect(f.tail()).toBe(0n);
    f.ring.release();
    expect(f.tail()).toBe(16n);
    expect(f.ring.peek()).toBeUndefined();
  });

  it('raises RingbufCorruptedError for a record size past the published bytes, reading nothing', () => {
    const f = fake();
    f.record(PERF_RECORD_SAMPLE, new Uint8Array(8));
    // Claim a 64-byte record where 16 bytes were published.
    new DataView(f.ring.record.data.buffer, PAGE).setUint16(6, 64, le);
    let calls = 0;
    expect(() => f.ring.drain(() => calls++, Infinity)).toThrow(RingbufCorruptedError);
    expect(() => f.ring.drain(() => calls++, Infinity)).toThrow(/record size 64 \(16 bytes published\)/);
    expect(calls).toBe(0);
    expect(f.tail()).toBe(0n);
  });

  it('raises RingbufCorruptedError for a record size that is not a multiple of 8, reading nothing', () => {
    // The kernel keeps every record 8-byte aligned; a size of 13 would put the next header
    // at an odd offset, where the host-order views cannot read it.
    const f = fake();
    f.record(PERF_RECORD_SAMPLE, new Uint8Array([4, 0, 0, 0, 9]));
    f.sample(new Uint8Array([1, 2, 3, 4]));
    let calls = 0;
    expect(() => f.ring.drain(() => calls++, Infinity)).toThrow(/record size 13 \(not a multiple of 8\)/);
    expect(calls).toBe(0);
    expect(f.tail()).toBe(0n);
  });

  it('raises RingbufCorruptedError for an unaligned record at the end of the data area', () => {
    // Walked from an odd offset to the last bytes of the area, a header read would fall past
    // the views' ends (undefined, not an exception): the alignment check stops it first.
    const f = fake(SIZE - 64);
    f.record(PERF_RECORD_SAMPLE, new Uint8Array(51)); // size 59
    f.sample(new Uint8Array(4));
    expect(() => f.ring.drain(() => {}, Infinity)).toThrow(RingbufCorruptedError);
    expect(f.tail()).toBe(BigInt(SIZE - 64));
  });

  it('raises RingbufCorruptedError for a raw size past its record', () => {
    const f = fake();
    const body = new Uint8Array(8);
    new DataView(body.buffer).setUint32(0, 100, le);
    f.record(PERF_RECORD_SAMPLE, body);
    expect(() => f.ring.drain(() => {}, Infinity)).toThrow(/raw sample of 100 bytes in a 16-byte record/);
  });
});

/** A record laid out by the property below: a type, a total size and a raw-sample size. */
interface Laid {
  type: number;
  size: number;
  raw: number;
}

const laidRecord: fc.Arbitrary<Laid> = fc.record({
  type: fc.constantFrom(PERF_RECORD_SAMPLE, PERF_RECORD_SAMPLE, PERF_RECORD_SAMPLE, PERF_RECORD_LOST, 1),
  // Mostly sizes the kernel writes (multiples of 8 from the header up), some that break it.
  size: fc.oneof(fc.integer({ min: 1, max: 40 }).map((k) => k * 8), fc.integer({ min: 0, max: 600 })),
  raw: fc.nat(600),
});

describe('PerfRing over random records (property)', () => {
  it('hands only views inside its memory, fails only with RingbufCorruptedError, and keeps data_tail in [tail, head]', () => {
    fc.assert(
      fc.property(fc.array(laidRecord, { maxLength: 40 }), fc.nat(3 * SIZE), fc.integer({ min: -16, max: 16 }), fc.boolean(), (records, tail, cut, alignTail) => {
        const start = alignTail ? tail & ~7 : tail;
        const mapping = new ArrayBuffer(PAGE + SIZE);
        const meta = new DataView(mapping, 0, PAGE);
        const data = new DataView(mapping, PAGE, SIZE);
        meta.setBigUint64(1040, BigInt(PAGE), le);
        meta.setBigUint64(1048, BigInt(SIZE), le);
        meta.setBigUint64(1032, BigInt(start), le);
        let head = start;
        for (const r of records) {
          // Header and raw size, written byte by byte so that they wrap like the kernel's.
          const bytes = new Uint8Array(12);
          const v = new DataView(bytes.buffer);
          v.setUint32(0, r.type, le);
          v.setUint16(6, r.size, le);
          v.setUint32(8, r.raw, le);
          for (let i = 0; i < bytes.length; i++) data.setUint8((head + i) % SIZE, bytes[i]!);
          head += Math.max(r.size, 1);
        }
        const published = Math.max(start, head + cut);
        meta.setBigUint64(1024, BigInt(published), le);
        const ring = new PerfRing(mapping, PAGE, 0);
        for (let pass = 0; pass < 3; pass++) {
          try {
            ring.drain((rec) => {
              if (!(rec.offset >= 0 && rec.length >= 0 && rec.offset + rec.length <= rec.ring.length)) throw new Error(`view ${rec.offset}+${rec.length} outside ${rec.ring.length} bytes`);
            }, Infinity);
          } catch (e) {
            if (!(e instanceof RingbufCorruptedError)) throw e;
          }
        }
        const t = Number(meta.getBigUint64(1032, le));
        return t >= start && t <= published;
      }),
      { numRuns: 500 },
    );
  });
});
