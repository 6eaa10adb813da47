/**
 * The long fuzz campaign (`npm run fuzz -- --minutes N [--parser X] [--inputs N] [--jobs J]`),
 * run bundled under plain node by `scripts/fuzz/run.ts`.
 *
 * Each parser's campaign runs in a worker thread. Before each input the worker copies it into
 * shared memory and bumps a sequence number; the main thread watches the number. A worker stuck
 * on one input for {@link HANG_MS} is terminated (V8 stops even a synchronous loop) and the input
 * saved as a `hang`; a worker that dies of heap exhaustion has its input saved as `oom`. Either
 * way the campaign goes on in a fresh worker with a new seed. Inputs over 1 s that do finish
 * are caught by the worker itself (`slow`).
 *
 * Options:
 *   --minutes N   wall-clock budget for the whole run (default 1), shared by the parsers
 *                 (time a parser leaves unused goes to the ones after it)
 *   --parser X    only this parser (repeatable, or comma-separated): elf, btf, btf-ext, core,
 *                 verifier-log, object
 *   --inputs N    stop a parser after N inputs (even with time left)
 *   --jobs J      parsers fuzzed at the same time (default 1)
 *   --seed S      first PRNG seed (default: from the clock)
 *   --out FILE    also write the final JSON report to FILE
 *
 * Prints progress on stderr and one JSON report on stdout: per parser, inputs, accepted,
 * rejected (typed errors), escapes, slow, hangs, ooms and the saved findings.
 */
import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { campaign, saveFinding, type CampaignCounts, type Finding } from './campaign.js';
import { PARSERS, type FuzzInput, type ParserName } from './targets.js';

/** A worker that has not moved on from one input for this long is stuck. Generous: the run is niced on a busy machine. */
const HANG_MS = 30_000;
/** Before its first input a worker parses every seed (all fixtures): slow on a busy machine, not a hang. */
const STARTUP_MS = 600_000;
/** Heap limit of a worker: a parser that allocates from an unchecked count dies here, not the machine. */
const WORKER_HEAP_MB = 768;
// Shared memory: Int32 [seq, byteLength, contextLength], then the context (256 bytes), then the input.
const HEADER = 12;
const CONTEXT_MAX = 256;
const INPUT_MAX = 8 << 20;

interface WorkerJob {
  parser: ParserName;
  seed: number;
  maxMs: number;
  maxInputs: number;
  shared: SharedArrayBuffer;
}

type FromWorker = { type: 'progress'; counts: CampaignCounts } | { type: 'done'; counts: CampaignCounts };

if (!isMainThread) workerMain(workerData as WorkerJob);
else await main();

function workerMain(job: WorkerJob): void {
  const header = new Int32Array(job.shared, 0, 3);
  const context = new Uint8Array(job.shared, HEADER, CONTEXT_MAX);
  const data = new Uint8Array(job.shared, HEADER + CONTEXT_MAX);
  const encoder = new TextEncoder();
  const publish = (input: FuzzInput): void => {
    const c = encoder.encode(input.context).subarray(0, CONTEXT_MAX);
    context.set(c);
    header[2] = c.length;
    if (input.bytes.length <= data.length) {
      data.set(input.bytes);
      header[1] = input.bytes.length;
    } else {
      header[1] = -1;
    }
    Atomics.add(header, 0, 1);
  };
  const counts = campaign(job.parser, {
    seed: job.seed,
    maxMs: job.maxMs,
    maxInputs: job.maxInputs,
    before: publish,
    progressEvery: 2000,
    progress: (c) => parentPort!.postMessage({ type: 'progress', counts: c } satisfies FromWorker),
  });
  parentPort!.postMessage({ type: 'done', counts } satisfies FromWorker);
}

interface ParserReport {
  parser: ParserName;
  inputs: number;
  accepted: number;
  rejected: number;
  escapes: number;
  slow: number;
  hangs: number;
  ooms: number;
  workers: number;
  seconds: number;
  findings: Finding[];
  /** Why the campaign could not run at all. */
  error?: string;
}

function parseArgs(argv: string[]): { minutes: number; parsers: ParserName[]; inputs: number; jobs: number; seed: number; out?: string } {
  const opts = { minutes: 1, parsers: [] as ParserName[], inputs: Infinity, jobs: 1, seed: Date.now() >>> 0, out: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number`);
      return n;
    };
    if (a === '--minutes') opts.minutes = number();
    else if (a === '--inputs') opts.inputs = Math.floor(number());
    else if (a === '--jobs') opts.jobs = Math.floor(number());
    else if (a === '--seed') opts.seed = Math.floor(number()) >>> 0;
    else if (a === '--out') opts.out = value();
    else if (a === '--parser') {
      for (const p of value().split(',')) {
        if (!(PARSERS as readonly string[]).includes(p)) throw new Error(`unknown parser '${p}' (one of ${PARSERS.join(', ')})`);
        opts.parsers.push(p as ParserName);
      }
    } else throw new Error(`unknown option '${a}'`);
  }
  if (opts.parsers.length === 0) opts.parsers = [...PARSERS];
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const jobs = Math.min(opts.jobs, opts.parsers.length);
  const deadline = started.getTime() + opts.minutes * 60_000;
  const reports = new Map<ParserName, ParserReport>();
  const queue = [...opts.parsers];
  let nextSeed = opts.seed;
  process.stderr.write(`fuzz: ${opts.parsers.join(', ')}; ${opts.minutes} min, ${jobs} at a time, first seed ${opts.seed}\n`);

  // A parser taken from the queue gets an equal share of the time left among the parsers not
  // started yet, `jobs` at a time: time a parser leaves unused (it reached --inputs) goes to
  // the ones after it.
  const runners = Array.from({ length: jobs }, async () => {
    for (let parser = queue.shift(); parser; parser = queue.shift()) {
      const rounds = Math.ceil((queue.length + 1) / jobs);
      await fuzzParser(parser, Math.max(0, deadline - Date.now()) / rounds, opts.inputs, () => nextSeed++, reports);
    }
  });
  const snapshot = (done: boolean): string =>
    JSON.stringify(
      {
        started: started.toISOString(),
        [done ? 'finished' : 'updated']: new Date().toISOString(),
        machine: { kernel: release(), cores: cpus().length, node: process.version },
        firstSeed: opts.seed,
        parsers: opts.parsers.filter((p) => reports.has(p)).map((p) => reports.get(p)!),
      },
      null,
      2,
    ) + '\n';
  // Progress every 30 s on stderr, and the report so far in --out (a long run can be read early).
  const ticker = setInterval(() => {
    const line = [...reports.values()].map((r) => `${r.parser} ${r.inputs}${r.escapes + r.hangs + r.ooms + r.slow ? ` (${r.escapes + r.hangs + r.ooms + r.slow} findings)` : ''}`);
    process.stderr.write(`fuzz: ${line.join(', ')}\n`);
    if (opts.out) writeFileSync(opts.out, snapshot(false));
  }, 30_000);
  await Promise.all(runners);
  clearInterval(ticker);

  const json = snapshot(true);
  if (opts.out) writeFileSync(opts.out, json);
  process.stdout.write(json);
  const bad = [...reports.values()].reduce((n, r) => n + r.escapes + r.slow + r.hangs + r.ooms + (r.error ? 1 : 0), 0);
  process.exitCode = bad ? 1 : 0;
}

/**
 * Fuzzes one parser for `budgetMs` (or `maxInputs`), restarting its worker after a hang or
 * crash. The parser's entry in `reports` is kept up to date while it runs.
 */
async function fuzzParser(parser: ParserName, budgetMs: number, maxInputs: number, seed: () => number, reports: Map<ParserName, ParserReport>): Promise<void> {
  const report: ParserReport = { parser, inputs: 0, accepted: 0, rejected: 0, escapes: 0, slow: 0, hangs: 0, ooms: 0, workers: 0, seconds: 0, findings: [] };
  const done = { inputs: 0, accepted: 0, rejected: 0, escapes: 0, slow: 0 };
  reports.set(parser, report);
  const start = Date.now();
  const show = (c: CampaignCounts | undefined): void => {
    report.inputs = done.inputs + (c?.inputs ?? 0);
    report.accepted = done.accepted + (c?.accepted ?? 0);
    report.rejected = done.rejected + (c?.rejected ?? 0);
    report.escapes = done.escapes + (c?.escapes ?? 0);
    report.slow = done.slow + (c?.slow ?? 0);
    report.seconds = Math.round((Date.now() - start) / 1000);
  };
  while (Date.now() - start < budgetMs && report.inputs < maxInputs) {
    report.workers++;
    const r = await runWorker(parser, seed(), budgetMs - (Date.now() - start), maxInputs - report.inputs, show);
    const c = r.counts;
    if (c) {
      done.inputs += c.inputs;
      done.accepted += c.accepted;
      done.rejected += c.rejected;
      done.escapes += c.escapes;
      done.slow += c.slow;
      report.findings.push(...c.findings);
    }
    show(undefined);
    if (r.fatal) {
      report.error = r.fatal;
      process.stderr.write(`fuzz: ${parser}: cannot run: ${r.fatal}\n`);
      break;
    }
    if (r.stopped) {
      done.inputs++;
      report.inputs++;
      if (r.stopped.kind === 'hang') report.hangs++;
      else if (r.stopped.kind === 'oom') report.ooms++;
      else {
        done.escapes++;
        report.escapes++;
      }
      report.findings.push(r.stopped);
      process.stderr.write(`fuzz: ${parser}: ${r.stopped.kind}: ${r.stopped.error}${r.stopped.file ? ` -> test/fixtures/fuzz/${parser}/${r.stopped.file}` : ''}\n`);
    }
    if (!r.stopped && c && (c.inputs === 0 || r.finished)) break;
  }
  report.seconds = Math.round((Date.now() - start) / 1000);
}

interface WorkerResult {
  counts?: CampaignCounts;
  /** The worker was stopped (hang) or died (oom, or another crash) on an input. */
  stopped?: Finding;
  /** The worker died before its first input. */
  fatal?: string;
  finished: boolean;
}

function runWorker(parser: ParserName, seed: number, maxMs: number, maxInputs: number, progress: (c: CampaignCounts) => void): Promise<WorkerResult> {
  const shared = new SharedArrayBuffer(HEADER + CONTEXT_MAX + INPUT_MAX);
  const header = new Int32Array(shared, 0, 3);
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { parser, seed, maxMs, maxInputs, shared } satisfies WorkerJob,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    stdout: false,
    stderr: false,
  });
  let last: CampaignCounts | undefined;
  let lastSeq = -1;
  let lastChange = Date.now();

  /** The input the worker is on, from shared memory. */
  const current = (): FuzzInput | undefined => {
    const len = Atomics.load(header, 1);
    if (len < 0 || Atomics.load(header, 0) === 0) return undefined;
    const context = new TextDecoder().decode(new Uint8Array(shared, HEADER, Atomics.load(header, 2)));
    return { context, bytes: new Uint8Array(shared, HEADER + CONTEXT_MAX, len).slice() };
  };
  const stopped = (kind: Finding['kind'], error: string): Finding => {
    const input = current();
    const finding = { context: input?.context ?? '?', kind, error };
    const file = input ? saveFinding(parser, input, finding) : undefined;
    return { parser, ...finding, ...(file ? { file } : {}) };
  };

  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: WorkerResult): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(r);
    };
    const watchdog = setInterval(() => {
      const seq = Atomics.load(header, 0);
      if (seq !== lastSeq) {
        lastSeq = seq;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > (seq === 0 ? STARTUP_MS : HANG_MS)) {
        const finding = stopped('hang', `no progress for ${HANG_MS} ms on one input`);
        void worker.terminate();
        // Counts since the last progress message are lost with the worker; the last report stands.
        settle({ counts: last, stopped: finding, finished: false });
      }
    }, 250);
    worker.on('message', (m: FromWorker) => {
      last = m.counts;
      progress(m.counts);
      if (m.type === 'done') settle({ counts: m.counts, finished: true });
    });
    worker.on('error', (e: Error & { code?: string }) => {
      // Died before its first input: the campaign cannot start (no seeds, a missing fixture).
      if (Atomics.load(header, 0) === 0) {
        settle({ counts: last, fatal: `${e.name}: ${e.message}`, finished: true });
        return;
      }
      // Out of memory, or an error the campaign loop could not catch (it catches every throw).
      const kind = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'escape';
      settle({ counts: last, stopped: stopped(kind, `worker died: ${e.code ?? e.name}: ${e.message}`), finished: false });
    });
    worker.on('exit', () => settle({ counts: last, finished: true }));
  });
}
