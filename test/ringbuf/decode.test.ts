/**
 * Typed events: records from a real tracepoint (syscalls/sys_enter_getppid, fired by this
 * process) decoded by the BTF type the object declares, for a ring buffer (`__type(value, ...)`)
 * and a perf buffer (`__tsbpf_event_<map>` global); and the type lookup's errors.
 */
import { expect, it, describe } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { parseObject } from '../../src/object/index.js';
import { loadCollection } from '../../src/collection/index.js';
import { EventTypeError, eventDecoder, eventType, RingbufReader, type RingRecord } from '../../src/ringbuf/index.js';
import { PerfReader } from '../../src/perf/index.js';

const spec = () => parseObject(readFixture('ringbuf_typed'), { fileName: fixturePath('ringbuf_typed') });

describe('eventType', () => {
  it('finds the declared type of each map, or the named one', () => {
    const s = spec();
    const btf = s.btf!;
    const ring = eventType(s, 'ring_events');
    expect(ring.origin).toBe('map value');
    expect(btf.type(ring.typeId).name).toBe('ring_event');
    const perf = eventType(s, 'perf_events');
    expect(perf.origin).toBe('global');
    expect(btf.type(perf.typeId).name).toBe('perf_event_rec');
    const named = eventType(s, 'perf_events', 'struct ring_event');
    expect(named).toEqual({ typeId: ring.typeId, origin: 'name' });
  });

  it('names what is missing', () => {
    const s = spec();
    expect(() => eventType(s, 'nope')).toThrow(/no map 'nope' in object 'ringbuf_typed'/);
    expect(() => eventType(s, 'ring_events', 'no_such')).toThrow(EventTypeError);
    expect(() => eventType(s, 'ring_events', 'no_such')).toThrow(/no struct, union or typedef 'no_such'/);
    const plain = parseObject(readFixture('ringbuf'), { fileName: fixturePath('ringbuf') });
    expect(() => eventType(plain, 'events')).toThrow(/declares no event type: add `__type\(value, struct event\)`/);
    expect(() => eventType({ ...plain, btf: undefined }, 'events')).toThrow(/has no BTF/);
  });
});

describeKernel('typed events from a tracepoint', () => {
  it('ring buffer and perf buffer records decode to the values the program wrote', async () => {
    const s = spec();
    using c = loadCollection(s, { constants: { target_pid: process.pid } });
    using links = c.attachAll();
    expect(links.closed).toBe(false);
    using ring = RingbufReader.open(c.map('ring_events')!);
    using perf = PerfReader.open(c.map('perf_events')!);
    const decodeRing = eventDecoder<{ pid: number; delta: number; cookie: bigint; comm: string }>(s, 'ring_events');
    const decodePerf = eventDecoder<{ pid: number; kind: number; flags: number[]; comm: string }>(s, 'perf_events');
    void process.ppid; // getppid(2)
    const rings: ReturnType<typeof decodeRing>[] = [];
    const perfs: ReturnType<typeof decodePerf>[] = [];
    for (let i = 0; i < 50 && (rings.length === 0 || perfs.length === 0); i++) {
      await ring.poll(20, (r: RingRecord) => void rings.push(decodeRing(r)));
      await perf.poll(20, (r: RingRecord) => void perfs.push(decodePerf(r)));
    }
    expect(rings.length).toBeGreaterThanOrEqual(1);
    expect(rings[0]).toEqual({ pid: process.pid, delta: -7, cookie: 0x1122334455667788n, comm: expect.any(String) });
    expect(rings[0]!.comm.length).toBeGreaterThan(0);
    expect(perfs.length).toBeGreaterThanOrEqual(1);
    expect(perfs[0]).toMatchObject({ pid: process.pid, kind: 513, flags: [1, 2] });
    expect(perfs[0]!.comm).toBe(rings[0]!.comm);
  });
});
