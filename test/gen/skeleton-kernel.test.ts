/**
 * A generated skeleton against the kernel: a typed program (test/gen/skeleton-files.ts,
 * `programSource`) opens the skeleton of `gen_skeleton.bpfel.o`, sets `.rodata` constants,
 * loads and attaches it, and reads typed ring buffer and perf buffer events, a typed hash map
 * value and live `.data`/`.bss` variables.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';
import { LoadError } from '../../src/collection/index.js';
import { openSkeleton, type SkeletonTypes } from '../../src/collection/skeleton.js';
import { planSkeleton } from '../../src/gen/skeleton/index.js';
import { parseObject } from '../../src/object/index.js';
import { readFixture, repoRoot } from '../helpers/fixtures.js';
import { describeKernel } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { outDir, programSource, removeOutDir, writeSkeleton } from './skeleton-files.js';

/** What `programSource`'s `run` returns, as the test reads it. */
interface Result {
  attachKind: string;
  ringEvents: Record<string, unknown>[];
  perfEvents: Record<string, unknown>[];
  iterated: Record<string, unknown>;
  stats: Record<string, unknown> | undefined;
  eventsSent: bigint;
  seenPid: number;
  rodata: Record<string, unknown>;
  readOnlyError: string;
  afterBssWrite: Record<string, unknown>;
}

describeKernel('generated skeleton (gen_skeleton.bpfel.o) against the kernel', () => {
  it('sets .rodata before load, reads a typed map, typed ring and perf events and live globals', async () => {
    const dir = outDir('kernel');
    onTestFinished(({ task }) => void (task.result?.state === 'pass' && removeOutDir(dir))); // kept for a look when it fails
    writeSkeleton(dir, 'gen_skeleton.bpfel', fixturePath('gen_skeleton'), { types: false });
    writeFileSync(join(dir, 'program.ts'), programSource);
    const program = (await import(pathToFileURL(join(dir, 'program.ts')).href)) as { run(pid: number, trigger: () => void): Promise<Result> };

    const r = await program.run(process.pid, () => void process.ppid);

    expect(r.attachKind).toBe('tracepoint');
    expect(r.rodata).toEqual({ target_pid: process.pid, magic: 0x1234_5678_9abc_def0n, tag_name: 'tsbpf' });
    expect(r.readOnlyError).toMatch(/variable 'target_pid' is read-only after load/);
    const expected = {
      pid: process.pid,
      kind: 1,
      where: { x: -3, y: 4 },
      flags: [1, 2, 3],
      ok: true,
      tag: { as_u32: 0x9abc_def0, as_bytes: [0xf0, 0xde, 0xbc, 0x9a] },
      low: 5,
      high: 10,
      ret: -7,
    };
    expect(r.ringEvents.length).toBeGreaterThan(0);
    expect(r.ringEvents[0]).toMatchObject({ ...expected, seq: 1n });
    expect(typeof r.ringEvents[0]!.comm).toBe('string');
    expect(typeof r.ringEvents[0]!.cpu).toBe('number');
    expect(r.perfEvents.length).toBeGreaterThan(0);
    expect(r.perfEvents[0]).toMatchObject(expected);
    expect(r.iterated).toMatchObject(expected);
    expect(r.afterBssWrite).toMatchObject({ ...expected, seq: 1001n });

    expect(r.stats).toMatchObject({ last_ret: -7, name: 'tsbpf' });
    expect(r.stats!.calls as bigint).toBeGreaterThanOrEqual(BigInt(r.ringEvents.length));
    expect(r.eventsSent).toBeGreaterThanOrEqual(1001n);
    expect(r.seenPid).toBe(process.pid);
  });

  it('loads once, fixes constants at load, owns its maps, links and readers until close', () => {
    interface T extends SkeletonTypes {
      programs: { on_getppid: { section: string; attachKind: 'tracepoint' } };
      maps: { stats: { key: { pid: number; slot: number }; value: { calls: bigint; last_ret: number; name: string } } };
      sections: { rodata: { target_pid: number } };
      events: { events: unknown };
    }
    const bytes = readFixture('gen_skeleton');
    const layout = planSkeleton(parseObject(bytes, { fileName: 'gen_skeleton.bpfel.o' })).layout;
    const skel = openSkeleton<T>({ bytes }, layout);
    skel.rodata.target_pid = 1;
    const live = skel.load();
    try {
      expect(() => skel.load()).toThrow(new LoadError("skeleton 'gen_skeleton' is already loaded"));
      expect(() => (skel.rodata.target_pid = 2)).toThrow("skeleton 'gen_skeleton' is loaded: set 'target_pid' before load(), or through the loaded skeleton");
      expect(live.rodata.target_pid).toBe(1);

      // A typed map: objects in, objects out, checked against the BTF.
      live.maps.stats.update({ pid: 7, slot: 2 }, { calls: 3n, last_ret: -1, name: 'x' });
      expect(live.maps.stats.lookup({ pid: 7, slot: 2 })).toEqual({ calls: 3n, last_ret: -1, name: 'x' });
      expect(() => live.maps.stats.update({ pid: 7, slot: 2 }, { calls: 3n, last_ret: -1, name: 'too long!' })).toThrow("map 'stats': cannot encode value: value.name: string of 9 bytes does not fit char[8]");

      const links = live.attach();
      expect(links.links).toHaveLength(1);
      expect(live.links).toBe(links);
      expect(() => live.attach()).toThrow('skeleton is already attached: detach() first');
      live.detach();
      expect(links.closed).toBe(true);
      const one = live.progs.on_getppid.attach();
      expect(one.links).toHaveLength(1);
      one.close();

      const events = live.events.events;
      const ring = events.reader;
      expect(ring.closed).toBe(false);
      live.close();
      live.close();
      expect(ring.closed).toBe(true);
      expect(() => events.reader).toThrow("event reader of 'events' is closed");
      expect(() => live.maps.stats.lookup({ pid: 7, slot: 2 })).toThrow();
      expect(() => live.attach()).toThrow('skeleton is closed');
    } catch (e) {
      live.close();
      throw e;
    }
  });

  it('types the events of the bundled execsnoop example', async () => {
    const dir = outDir('kernel-execsnoop');
    onTestFinished(({ task }) => void (task.result?.state === 'pass' && removeOutDir(dir))); // kept for a look when it fails
    writeSkeleton(dir, 'execsnoop', join(repoRoot, 'examples', 'bpf', 'execsnoop.bpfel.o'), { embed: false, types: false });
    type Exec = { pid: number; ppid: number; uid: number; comm: string; filename: string };
    const skel = (await import(pathToFileURL(join(dir, 'execsnoop.skel.ts')).href)) as {
      openAndLoad(): { attach(): unknown; events: { events: { poll(ms: number, fn: (e: Exec) => void): Promise<number> } }; close(): void };
    };
    const live = skel.openAndLoad();
    try {
      live.attach();
      const child = spawnSync('/bin/true');
      const seen: Exec[] = [];
      for (let i = 0; i < 50 && !seen.some((e) => e.pid === child.pid); i++) await live.events.events.poll(100, (e) => seen.push(e));
      expect(seen.find((e) => e.pid === child.pid)).toMatchObject({ pid: child.pid, ppid: process.pid, uid: 0, comm: 'true', filename: '/bin/true' });
    } finally {
      live.close();
    }
  });
});
