/** PerfReader against the real kernel, with an XDP producer run by BPF_PROG_TEST_RUN. */
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { BpfMap } from '../../src/maps/index.js';
import { PerfReader } from '../../src/perf/index.js';
import { ReaderClosedError, RingbufMapError, type RingRecord } from '../../src/ringbuf/index.js';
import { possibleCpus } from '../../src/syscall/index.js';
import { patternByte, perfDrops, perfProducer, perfSource, recordSize, runPerf } from './producer.js';

const PER_RUN = 64;

function perfArray(): BpfMap {
  return BpfMap.create({ type: 'perf_event_array', name: 'events', keySize: 4, valueSize: 4, maxEntries: possibleCpus() });
}

/** Checks a record; returns its sequence number (1-based). */
function check(rec: RingRecord, perRun = PER_RUN): number {
  const d = rec.data;
  const o = rec.offset;
  const seq = Number(d.getBigUint64(o, true));
  const i = (seq - 1) % perRun;
  const size = recordSize(i);
  // The kernel pads raw samples so that u32 size + data is 8-byte aligned.
  if (rec.length < size || rec.length > size + 7) throw new Error(`record ${seq}: length ${rec.length}, expected ${size}`);
  for (let k = 16; k < size; k += 37) if (d.getUint8(o + k) !== patternByte(k)) throw new Error(`record ${seq}: byte ${k} corrupt`);
  if (size > 16 && d.getUint8(o + size - 1) !== patternByte(size - 1)) throw new Error(`record ${seq}: last byte corrupt`);
  return seq;
}

describeKernel('PerfReader (kernel)', () => {
  it('delivers 100,000 mixed records (8 B - 2 KiB, wrapped ones reassembled) exactly once, in order per CPU', () => {
    using events = perfArray();
    using src = perfSource();
    using prog = perfProducer(events.fd, src.fd, PER_RUN);
    using reader = PerfReader.open(events, { pagesPerCpu: 64 });
    const seen = new Uint8Array(100_000 + PER_RUN + 1);
    const lastPerCpu = new Map<number, number>();
    let received = 0;
    let wrapped = 0;
    const fn = (rec: RingRecord): void => {
      const seq = check(rec);
      // Reassembled records live in the reader's 64 KiB scratch area, not in the 256 KiB ring.
      if (rec.ring.byteLength === 1 << 16) wrapped++;
      if (seen[seq]) throw new Error(`record ${seq} twice`);
      seen[seq] = 1;
      const last = lastPerCpu.get(rec.source) ?? 0;
      if (seq <= last) throw new Error(`cpu ${rec.source}: record ${seq} after ${last}`);
      lastPerCpu.set(rec.source, seq);
      received++;
    };
    let produced = 0;
    while (produced < 100_000) {
      runPerf(prog);
      produced += PER_RUN;
      reader.consume(fn);
    }
    expect(perfDrops(src)).toBe(0);
    expect(reader.lost).toBe(0);
    expect(received).toBe(produced);
    expect(wrapped).toBeGreaterThan(10);
  });

  it('counts PERF_RECORD_LOST: received + lost equals produced', () => {
    using events = perfArray();
    using src = perfSource();
    using prog = perfProducer(events.fd, src.fd, PER_RUN);
    using one = perfProducer(events.fd, src.fd, 1);
    let lostReports = 0;
    using reader = PerfReader.open(events, { pagesPerCpu: 2, onLost: () => lostReports++ });
    let received = 0;
    // Ten runs without reading overflow 8 KiB rings.
    for (let k = 0; k < 10; k++) runPerf(prog);
    received += reader.consume(() => {});
    // The kernel writes the LOST record before the next record that fits: produce one more.
    runPerf(one);
    received += reader.consume(() => {});
    const drops = perfDrops(src);
    expect(drops).toBeGreaterThan(0);
    expect(reader.lost).toBe(drops);
    expect(lostReports).toBeGreaterThan(0);
    expect(received + reader.lost).toBe(10 * PER_RUN + 1);
  });

  it('poll() and for await deliver records through the event loop; close ends the iteration', async () => {
    using events = perfArray();
    using src = perfSource();
    using prog = perfProducer(events.fd, src.fd, 4);
    const reader = PerfReader.open(events);
    setTimeout(() => runPerf(prog), 5);
    await expect(reader.poll(5000, () => {})).resolves.toBe(4);
    setTimeout(() => runPerf(prog), 5);
    let n = 0;
    for await (const rec of reader) {
      check(rec, 4);
      if (++n === 4) setTimeout(() => reader.close(), 1);
    }
    expect(n).toBe(4);
    expect(() => reader.consume(() => {})).toThrow(ReaderClosedError);
  });

  it('on(): samples arrive through the event loop; close() removes the fds from the map', async () => {
    using events = perfArray();
    using src = perfSource();
    using prog = perfProducer(events.fd, src.fd, 4);
    const reader = PerfReader.open(events);
    const seqs: number[] = [];
    await new Promise<void>((resolve) => {
      reader.on((rec) => {
        seqs.push(check(rec, 4));
        if (seqs.length === 8) resolve();
      });
      setTimeout(() => runPerf(prog), 2);
      setTimeout(() => runPerf(prog), 10);
    });
    expect(seqs.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    reader.close();
    reader.close();
    // With no perf event in the array, bpf_perf_event_output fails (ENOENT): drops grow.
    runPerf(prog);
    expect(perfDrops(src)).toBe(4);
  });

  it('refuses a map that is not a perf event array', () => {
    using rb = BpfMap.create({ type: 'ringbuf', name: 'rb', keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
    expect(() => PerfReader.open(rb)).toThrow(RingbufMapError);
    expect(() => PerfReader.open(rb)).toThrow("map 'rb' is of type ringbuf, not perf_event_array");
  });
});
