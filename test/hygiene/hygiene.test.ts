/**
 * Resource hygiene: every fixture collection is loaded, attached (the programs `attachAll`
 * can attach here), read (map entries, ring buffer records, global variables through their
 * mmapped maps) and closed, over and over; the process must end with the fds, memory
 * mappings and memory it started with, and no leak warning.
 *
 * How many cycles: 100 for every fixture whose cycle is cheap (under 7 ms); for the others
 * a fixed time share ({@link SHARE_MS}) but at least {@link MIN_CYCLES} (`sections` attaches
 * eleven links incl. three uprobes, which resolve libc's symbols, ~1 s a cycle on this busy
 * machine; `loader` reads kallsyms, ~0.3 s), so the file stays near a minute on a busy 2-core
 * machine. fds are checked exactly after each fixture: a leak of one fd per cycle shows after
 * five cycles as well as after a hundred. Of the objects that only fail to load here (the
 * `verifier_*` and `err_*` ones, CO-RE poison, a missing kfunc), two representatives run 100
 * failing loads, `core` 20 and the rest 5. `TSBPF_HYGIENE_CYCLES=100` gives every fixture
 * 100 cycles (several minutes); `TSBPF_HYGIENE_VERBOSE=1` prints the per-fixture counts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveMappings } from '../../src/syscall/index.js';
import { describeKernel } from '../helpers/env.js';
import { allFixtures } from '../helpers/fixtures.js';
import { cycle, planFor, type Plan } from './cycles.js';
import { collectGarbage } from './gc.js';

const FULL = Number(process.env.TSBPF_HYGIENE_CYCLES ?? 0);
const SHARE_MS = 700;
const MIN_CYCLES = 5;
/** Failing loads that run 100 times: a verifier rejection and a missing kfunc (a CO-RE poison, `core`, costs 50 ms a load: 20). */
const FAILING_100 = new Set(['verifier_null_deref', 'linker_a']);

const fds = (): number => readdirSync('/proc/self/fd').length;
const mapsLines = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').length;

function cyclesFor(p: Plan): number {
  if (FULL > 0) return FULL;
  if (p.failing) return FAILING_100.has(p.fixture.name) ? 100 : p.fixture.name === 'core' ? 20 : 5;
  return Math.max(MIN_CYCLES, Math.min(100, Math.floor(SHARE_MS / Math.max(p.cycleMs, 1))));
}

interface Snapshot {
  fds: number;
  maps: number;
  mappings: number;
  rss: number;
  heap: number;
}

async function snapshot(): Promise<Snapshot> {
  await collectGarbage(4);
  const m = process.memoryUsage();
  return { fds: fds(), maps: mapsLines(), mappings: liveMappings(), rss: m.rss, heap: m.heapUsed };
}

describeKernel('resource hygiene: load, attach, read, close every fixture collection', () => {
  const fixtures = allFixtures().filter((f) => f.endian === 'bpfel');
  const plans: Plan[] = [];
  const leaks: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'TsbpfFdLeak') leaks.push(w.message);
  };
  let start: Snapshot;
  // Pinned-by-name maps (loader, maps) go here, not into /sys/fs/bpf itself.
  const pinRoot = `/sys/fs/bpf/hygiene-${process.pid}`;

  beforeAll(async () => {
    process.on('warning', onWarning);
    // A run that was killed leaves its directory: remove those of processes that are gone.
    for (const d of readdirSync('/sys/fs/bpf').filter((n) => /^hygiene-\d+$/.test(n))) {
      if (!existsSync(`/proc/${d.slice('hygiene-'.length)}`)) rmSync(`/sys/fs/bpf/${d}`, { recursive: true, force: true });
    }
    mkdirSync(pinRoot, { recursive: true });
    // Planning loads each fixture twice: that also warms every cache a load fills once per
    // process (kernel BTF, feature probes, kconfig), so growth after it is per-cycle growth.
    for (const f of fixtures) plans.push(planFor(f, pinRoot));
    start = await snapshot();
  }, 120_000);

  afterAll(() => {
    process.off('warning', onWarning);
    rmSync(pinRoot, { recursive: true, force: true });
  });

  it('plans every fixture: only objects that are not standalone are left out', () => {
    expect(plans.length).toBe(fixtures.length);
    const unusable = plans.filter((p) => p.unusable).map((p) => `${p.fixture.file}: ${p.unusable}`);
    for (const u of unusable) expect(u).toMatch(/: not a standalone object: /);
    // The run covers loads that succeed, attach, and fail.
    expect(plans.filter((p) => !p.unusable && !p.failing).length).toBeGreaterThan(10);
    expect(plans.some((p) => p.links > 0)).toBe(true);
    expect(plans.some((p) => p.failing)).toBe(true);
  });

  it('cycles every fixture with no fd, mapping, memory or leak-warning growth', async () => {
    const report: string[] = [];
    for (const p of plans) {
      if (p.unusable) continue;
      const n = cyclesFor(p);
      const before = fds();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) cycle(p);
      const ms = performance.now() - t0;
      const after = fds();
      report.push(`${p.fixture.name}: ${n} cycles${p.failing ? ' (failing load)' : ''}, ${p.links} links, fds ${before} -> ${after}, ${Math.round(ms)} ms`);
      // fds are closed synchronously by close(): exact, per fixture.
      expect(after, `${p.fixture.file} after ${n} cycles`).toBe(before);
    }
    const end = await snapshot();
    const summary = `${report.join('\n')}\nstart ${JSON.stringify(start)}\nend   ${JSON.stringify(end)}`;
    if (process.env.TSBPF_HYGIENE_VERBOSE === '1') console.log(summary);
    expect(end.fds, summary).toBe(start.fds);
    // Ring buffer and data-map mappings are unmapped when their views are collected.
    expect(end.mappings, summary).toBeLessThanOrEqual(start.mappings);
    // /proc/self/maps also holds V8's own heap pages, which come and go: a tolerance. In the
    // default run it grew by 13-43 lines on 2026-11-27, with that day's loader and the one
    // before it alike, and by 32 in a run of 100 cycles of everything. One leaked mapping per
    // cycle would add thousands of lines (the default run makes about 2,000 cycles); the
    // mappings tsbpf makes itself are counted exactly above.
    expect(end.maps - start.maps, summary).toBeLessThan(100);
    expect(end.heap - start.heap, summary).toBeLessThan(16 << 20);
    expect(end.rss - start.rss, summary).toBeLessThan(64 << 20);
    expect(leaks, summary).toEqual([]);
  }, FULL > 0 ? 3_600_000 : 180_000);
});
