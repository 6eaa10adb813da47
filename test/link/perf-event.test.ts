/** perf_event programs on a software event on every CPU (a profiler's setup). */
import { afterEach, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { LinkType, ProgType } from '../../src/syscall/index.js';
import { AttachError, attachPerfEvent, encodePerfEventAttr, LinkGroup, onlineCpus, PerfSwId, PerfType, PERF_ATTR_SIZE } from '../../src/link/index.js';
import { counter, type Counter } from './programs.js';

let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

/** Burns CPU on this thread until `done()` or `ms` of wall time; returns whether done() held. */
function spinUntil(done: () => boolean, ms = 2000): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    let x = 0;
    for (let i = 0; i < 100000; i++) x += i;
    if (x < 0) break;
    if (done()) return true;
  }
  return done();
}

it('encodes perf_event_attr (type, size, config, period/freq bit)', () => {
  const a = encodePerfEventAttr({ type: 1, config: 0n, sample: 99n, freq: true, disabled: true });
  const v = new DataView(a.buffer);
  expect(a.length).toBe(PERF_ATTR_SIZE);
  expect(v.getUint32(0, true)).toBe(1);
  expect(v.getUint32(4, true)).toBe(PERF_ATTR_SIZE);
  expect(v.getBigUint64(16, true)).toBe(99n);
  expect(v.getBigUint64(40, true)).toBe((1n << 10n) | 1n);
});

describeKernel('perf_event links', () => {
  it('samples cpu-clock on every online CPU; close stops it', () => {
    const c = counter({ type: ProgType.PERF_EVENT, name: 'pe_clock' });
    open.push(c);
    const g = attachPerfEvent(c.prog, { type: PerfType.SOFTWARE, config: PerfSwId.CPU_CLOCK, frequency: 1000 });
    expect(g).toBeInstanceOf(LinkGroup);
    expect(g.links.length).toBe(onlineCpus().length);
    expect((g.info() as { type: number }).type).toBe(LinkType.PERF_EVENT);
    expect(spinUntil(() => c.count() >= 5n)).toBe(true);
    g.close();
    g.close();
    expect(g.closed).toBe(true);
    const before = c.count();
    spinUntil(() => false, 200);
    expect(c.count()).toBe(before);
  });

  it('refuses a program of another type', () => {
    const c = counter({ type: ProgType.TRACEPOINT, name: 'pe_wrong' });
    open.push(c);
    expect(() => attachPerfEvent(c.prog, { type: PerfType.SOFTWARE, config: 0 })).toThrow(AttachError);
  });
});
