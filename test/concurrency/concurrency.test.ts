/**
 * Concurrency: two ring buffer readers fed by another process at once, a reader closed from
 * inside its own callback, and a hash map iterated while another process updates and deletes
 * its keys. Nothing here waits for a time to pass: the other process and this one meet
 * through handshakes on the child's stdin/stdout, so each scenario is deterministic in what
 * it checks however the two are scheduled.
 *
 * Each scenario runs {@link REPEAT} times in a row (3 in the suite); set
 * `TSBPF_CONCURRENCY_REPEAT=100` for the 100-in-a-row check.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { BpfMap, IterationAbortedError } from '../../src/maps/index.js';
import { ReaderClosedError, RingbufReader, type RingRecord } from '../../src/ringbuf/index.js';
import { describeKernel } from '../helpers/env.js';
import { repoRoot } from '../helpers/fixtures.js';
import { fixedProducer, run } from '../ringbuf/producer.js';

const REPEAT = Number(process.env.TSBPF_CONCURRENCY_REPEAT ?? 3);
const fds = (): number => readdirSync('/proc/self/fd').length;

type Child = ChildProcessByStdio<Writable, Readable, null>;

/** Starts test/concurrency/child.ts; `lines` yields its stdout lines. */
function child(args: string[]): { proc: Child; lines: AsyncIterator<string>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/concurrency/child.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return { proc, lines, exited };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const r = await lines.next();
  if (r.done) throw new Error('the child exited without answering');
  return r.value;
}

function ringbuf(name: string, size = 1 << 20): BpfMap {
  return BpfMap.create({ type: 'ringbuf', name, keySize: 0, valueSize: 0, maxEntries: size });
}

/** Index in its run (the producer's payload u64) of a record. */
const index = (r: RingRecord): number => Number(r.view.getBigUint64(0, true));

describeKernel('concurrency', () => {
  it(`two readers on two ring buffers, fed at once by another process (${REPEAT}x)`, async () => {
    const RUNS = 200;
    const N = 64;
    for (let rep = 0; rep < REPEAT; rep++) {
      const baseFds = fds();
      {
        using a = ringbuf('conc_a');
        using b = ringbuf('conc_b');
        using ra = RingbufReader.open(a);
        using rb = RingbufReader.open(b);
        const seen = { a: [] as number[], b: [] as number[] };
        const wrong: string[] = [];
        let early = { a: 0, b: 0 };
        ra.on((r) => {
          if (r.length !== 16) wrong.push(`ring a got a ${r.length}-byte record`);
          seen.a.push(index(r));
        });
        rb.on((r) => {
          if (r.length !== 24) wrong.push(`ring b got a ${r.length}-byte record`);
          seen.b.push(index(r));
        });
        // Handshake: the child produces one round on each ring and says so; both readers must
        // deliver it (through the event loop) while the child waits; then it produces the rest.
        const c = child(['ringbuf', String(a.id), String(b.id), String(RUNS), String(N)]);
        try {
          await ready(c.lines, 'ready');
          while (seen.a.length < N || seen.b.length < N) await new Promise((r) => setImmediate(r));
          early = { a: seen.a.length, b: seen.b.length };
          c.proc.stdin.write('go\n');
          const { drops } = JSON.parse(await nextLine(c.lines)) as { drops: [number, number] };
          expect(await c.exited).toBe(0);
          // What the event loop has not delivered yet.
          ra.consume();
          rb.consume();
          expect(wrong).toEqual([]);
          expect(drops).toEqual([0, 0]);
          const expected = Array.from({ length: (RUNS + 1) * N }, (_, i) => i % N);
          expect(seen.a).toEqual(expected);
          expect(seen.b).toEqual(expected);
          expect(early.a).toBeGreaterThanOrEqual(N);
          expect(early.b).toBeGreaterThanOrEqual(N);
        } finally {
          c.proc.kill();
        }
      }
      expect(fds()).toBe(baseFds);
    }
  }, 60_000 + REPEAT * 20_000);

  /** Runs `body` REPEAT times with a 64 KiB ring and a producer of 100 16-byte records a run; checks fds after each. */
  async function withRing(body: (rb: BpfMap, produce: () => void) => Promise<void>): Promise<void> {
    for (let rep = 0; rep < REPEAT; rep++) {
      const baseFds = fds();
      {
        using rb = ringbuf('conc_close', 1 << 16);
        using prog = fixedProducer(rb.fd, 100, 16);
        await body(rb, () => expect(run(prog)).toBe(0));
      }
      expect(fds()).toBe(baseFds);
    }
  }

  it(`a reader closed inside its on() callback gets no further record (${REPEAT}x)`, async () => {
    await withRing(async (rb, produce) => {
      // Close on the 10th record, with 90 more waiting in the same ring.
      const reader = RingbufReader.open(rb);
      produce();
      const errors: unknown[] = [];
      let calls = 0;
      let afterClose = 0;
      let lastView = -1;
      const closedAt = new Promise<void>((resolve) => {
        reader.on(
          (r) => {
            if (reader.closed) afterClose++;
            calls++;
            if (calls === 10) {
              reader.close();
              // The record is still readable inside its window after close.
              lastView = index(r);
              resolve();
            }
          },
          (e) => errors.push(e),
        );
      });
      await closedAt;
      // More data and more event-loop turns: nothing may reach the closed reader.
      produce();
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
      expect({ calls, afterClose, lastView, errors }).toEqual({ calls: 10, afterClose: 0, lastView: 9, errors: [] });
      expect(() => reader.consume(() => {})).toThrow(ReaderClosedError);
      await expect(reader.poll(10, () => {})).rejects.toThrow(ReaderClosedError);
      reader.close();
    });
  }, 60_000);

  it(`a reader closed inside a consume() callback gets no further record (${REPEAT}x)`, async () => {
    await withRing(async (rb, produce) => {
      const reader = RingbufReader.open(rb);
      produce();
      let n = 0;
      let after = 0;
      const got = reader.consume((r) => {
        if (reader.closed) after++;
        void index(r);
        if (++n === 5) reader.close();
      });
      expect({ n, after, got }).toEqual({ n: 5, after: 0, got: 5 });
    });
  }, 60_000);

  it(`a reader closed inside a for-await body ends the loop (${REPEAT}x)`, async () => {
    await withRing(async (rb, produce) => {
      const reader = RingbufReader.open(rb);
      produce();
      let k = 0;
      for await (const r of reader) {
        void index(r);
        if (++k === 3) reader.close();
        if (k > 3) break;
      }
      expect(k).toBe(3);
    });
  }, 60_000);

  it(`a hash map iterated while another process updates and deletes its keys (${REPEAT}x)`, async () => {
    const STABLE = 100;
    const HI = 1100;
    const u32 = (k: number): Uint8Array => new Uint8Array(new Uint32Array([k]).buffer);
    const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
    for (let rep = 0; rep < REPEAT; rep++) {
      const baseFds = fds();
      {
        using m = BpfMap.create({ type: 'hash', name: 'conc_churn', keySize: 4, valueSize: 8, maxEntries: 2048 });
        // Keys below STABLE never change; the child churns [STABLE, HI). A value is always key * 3 + 1.
        for (let k = 0; k < 600; k++) m.updateBytes(u32(k), u64(BigInt(k) * 3n + 1n));
        const c = child(['churn', String(m.id), '100000', String(STABLE), String(HI)]);
        let complete = 0;
        let aborted = 0;
        const problems: string[] = [];
        let exited = false;
        void c.exited.then(() => (exited = true));
        try {
          await ready(c.lines, 'ready');
          c.proc.stdin.write('go\n');
          // Walk until the child has finished, at least 3 times.
          for (let walk = 0; walk < 3 || !exited; walk++) {
            const stable = new Set<number>();
            try {
              for (const [kb, vb] of m.entries()) {
                const k = new DataView(kb.buffer, kb.byteOffset).getUint32(0, true);
                const v = new DataView(vb.buffer, vb.byteOffset).getBigUint64(0, true);
                if (k >= HI) problems.push(`key ${k} out of range`);
                if (v !== BigInt(k) * 3n + 1n) problems.push(`key ${k}: value ${v}`);
                if (k < STABLE) stable.add(k);
              }
              complete++;
              // A walk that reached the end visited every key present all along.
              if (stable.size !== STABLE) problems.push(`a complete walk saw ${stable.size} of ${STABLE} stable keys`);
            } catch (e) {
              if (!(e instanceof IterationAbortedError)) throw e;
              aborted++;
            }
            await new Promise((r) => setImmediate(r));
            if (walk > 100_000) throw new Error('the child never finished');
          }
          const done = JSON.parse(await nextLine(c.lines)) as { updates: number; deletes: number };
          expect(await c.exited).toBe(0);
          expect(problems.slice(0, 5)).toEqual([]);
          expect(complete).toBeGreaterThan(0);
          expect(done.updates + done.deletes).toBeGreaterThan(0);
          void aborted;
        } finally {
          c.proc.kill();
        }
      }
      expect(fds()).toBe(baseFds);
    }
  }, 60_000 + REPEAT * 20_000);
});

/** Waits for the child's `word` line. */
async function ready(lines: AsyncIterator<string>, word: string): Promise<void> {
  const line = await nextLine(lines);
  if (line !== word) throw new Error(`the child said '${line}', expected '${word}'`);
}
