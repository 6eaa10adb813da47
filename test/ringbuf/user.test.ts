/**
 * The user ring buffer producer (BPF_MAP_TYPE_USER_RINGBUF) against a real BPF consumer:
 * test/fixtures/src/ringbuf_user.bpf.c drains the ring with bpf_user_ringbuf_drain and
 * checks each record's sequence number.
 */
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { parseObject } from '../../src/object/index.js';
import { loadCollection, type Collection } from '../../src/collection/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { MapType } from '../../src/uapi/bpf.js';
import { RingbufMapError, UserRingbuf, UserRingbufFullError, type UserRecord } from '../../src/ringbuf/index.js';

function load(): Collection {
  return loadCollection(parseObject(readFixture('ringbuf_user'), { fileName: fixturePath('ringbuf_user') }));
}

function drain(c: Collection): number {
  c.program('drain')!.testRun({});
  return Number(c.variable('last_drain').getBigInt());
}

const sample = (r: UserRecord, seq: number, value: bigint): void => {
  r.view.setBigUint64(0, BigInt(seq), true);
  r.view.setBigUint64(8, value, true);
};

describeKernel('user ring buffer producer', () => {
  it('records written in order reach the program exactly once, across many wraparounds', () => {
    using c = load();
    using rb = UserRingbuf.open(c.map('input')!);
    let seq = 0;
    let expected = 0n;
    let drained = 0;
    // 4096-byte ring, 24-byte records (16 + 8 header): ~170 per fill, 3000 in all.
    while (seq < 3000) {
      let n = 0;
      while (rb.available >= 24 && seq < 3000) {
        const r = rb.reserve(16);
        sample(r, seq, BigInt(seq) * 3n);
        expected += BigInt(seq) * 3n;
        rb.submit(r);
        seq++;
        n++;
      }
      const got = drain(c);
      expect(got).toBe(n);
      drained += got;
    }
    expect(drained).toBe(3000);
    expect(c.variable('count').getBigUint()).toBe(3000n);
    expect(c.variable('sum').getBigUint()).toBe(expected);
    expect(c.variable('out_of_order').getBigUint()).toBe(0n);
    expect(c.variable('short_records').getBigUint()).toBe(0n);
  });

  it('discarded records are skipped; a reserved, uncommitted record holds back the ones after it', () => {
    using c = load();
    using rb = UserRingbuf.open(c.map('input')!);
    const a = rb.reserve(16);
    sample(a, 0, 10n);
    const junk = rb.reserve(16);
    sample(junk, 99, 1000n);
    const b = rb.reserve(16);
    sample(b, 1, 20n);
    rb.submit(a);
    rb.discard(junk);
    // b is still BUSY: the kernel consumes `a`, skips the discarded record, stops at `b`.
    drain(c);
    expect(c.variable('count').getBigUint()).toBe(1n);
    rb.submit(b);
    drain(c);
    expect(c.variable('count').getBigUint()).toBe(2n);
    expect(c.variable('sum').getBigUint()).toBe(30n);
    expect(c.variable('out_of_order').getBigUint()).toBe(0n);
    expect(() => rb.submit(b)).toThrow(/already submitted or discarded/);
  });

  it('write() copies and submits; records shorter than the program expects are seen as short', () => {
    using c = load();
    using rb = UserRingbuf.open(c.map('input')!);
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(8, 7n, true);
    rb.write(bytes);
    rb.write(new Uint8Array(4));
    drain(c);
    expect(c.variable('count').getBigUint()).toBe(1n);
    expect(c.variable('sum').getBigUint()).toBe(7n);
    expect(c.variable('short_records').getBigUint()).toBe(1n);
  });

  it('a full ring: reserve throws ENOSPC, reserveAsync waits until the program drains', async () => {
    using c = load();
    using rb = UserRingbuf.open(c.map('input')!);
    let seq = 0;
    while (rb.available >= 24) {
      const r = rb.reserve(16);
      sample(r, seq++, 1n);
      rb.submit(r);
    }
    expect(() => rb.reserve(16)).toThrow(UserRingbufFullError);
    expect(() => rb.reserve(16)).toThrow(/ENOSPC/);
    await expect(rb.reserveAsync(16, { timeoutMs: 50 })).rejects.toThrow(/timed out/);
    const pending = rb.reserveAsync(16, { timeoutMs: 5000 });
    setTimeout(() => drain(c), 20);
    const r = await pending;
    sample(r, seq++, 1n);
    rb.submit(r);
    drain(c);
    expect(c.variable('count').getBigUint()).toBe(BigInt(seq));
    expect(c.variable('out_of_order').getBigUint()).toBe(0n);
  });

  it('bad input: a record that can never fit, a map of another type, a closed producer', () => {
    using c = load();
    using rb = UserRingbuf.open(c.map('input')!);
    expect(() => rb.reserve(4096)).toThrow(/E2BIG.*does not fit in a 4096-byte ring/);
    expect(() => rb.reserve(-1)).toThrow(/E2BIG/);
    using other = BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'plain_rb' });
    expect(() => UserRingbuf.open(other)).toThrow(RingbufMapError);
    expect(() => UserRingbuf.open(other)).toThrow(/not user_ringbuf \(a ring buffer is read with RingbufReader\)/);
    rb.close();
    rb.close();
    expect(() => rb.reserve(8)).toThrow(/closed/);
  });
});
