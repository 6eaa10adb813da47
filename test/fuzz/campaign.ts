/**
 * A fuzz campaign over one target: mutate a seed, run it, classify what happened.
 *
 * Outcomes per input: *accepted* (the parser returned), *rejected* (it threw a TsbpfError),
 * *escaped* (anything else was thrown) or *slow* (it took longer than {@link SLOW_MS} of
 * wall-clock and CPU time, confirmed by re-running it).
 * Escapes and slow inputs are saved as regression fixtures under
 * `test/fixtures/fuzz/<parser>/<sha256>.bin`, with a `.json` beside it naming the context, the
 * error and its stack; `test/fuzz/regressions.test.ts` replays them. Escapes with the same
 * signature (error name and the first stack frame in `src/`) are saved once and counted.
 *
 * Hangs and out-of-memory cannot be caught in-process: the long-campaign runner
 * (`test/fuzz/cli.ts`) runs this loop in a worker and saves the input the worker was on.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';
import { Rng, mutateBytes, mutateText } from './mutate.js';
import { TARGETS, isTyped, type FuzzInput, type ParserName, type Seed, type Target } from './targets.js';

/** An input that runs longer than this is a finding. */
export const SLOW_MS = 1000;

export const regressionsDir = join(repoRoot, 'test', 'fixtures', 'fuzz');

/** What a saved regression fixture records next to its bytes. */
export interface Finding {
  parser: ParserName;
  context: string;
  /** `escape`: a non-TsbpfError was thrown; `slow`: over {@link SLOW_MS}; `hang`/`oom`: the worker had to be stopped. */
  kind: 'escape' | 'slow' | 'hang' | 'oom';
  error: string;
  stack?: string;
  ms?: number;
  /** Name of the saved `.bin` file (relative to `test/fixtures/fuzz/<parser>/`). */
  file?: string;
}

export interface CampaignCounts {
  parser: ParserName;
  inputs: number;
  accepted: number;
  rejected: number;
  escapes: number;
  slow: number;
  /** Distinct findings (by signature) in this campaign. */
  findings: Finding[];
  ms: number;
}

export interface CampaignOptions {
  seed: number;
  /** Stop after this many inputs. */
  maxInputs?: number;
  /** Stop after this many milliseconds. */
  maxMs?: number;
  /** Save findings as regression fixtures (default true). */
  save?: boolean;
  /** Called before each input runs (the worker publishes the input for its watchdog). */
  before?: (input: FuzzInput) => void;
  /** Called every ~`progressEvery` inputs with the running counts. */
  progress?: (counts: CampaignCounts) => void;
  progressEvery?: number;
}

/**
 * The signature under which findings are deduplicated: error name and first frame of tsbpf's
 * code (`src/...` from sources, the function in the campaign's bundle).
 */
export function signature(e: unknown): string {
  if (!(e instanceof Error)) return `throw ${typeof e}`;
  const frame = (e.stack ?? '')
    .split('\n')
    .slice(1)
    .find((l) => /src[/\\]|\.mjs:/.test(l));
  return `${e.name}: ${frame?.trim().replace(/^at /, '').replace(/:\d+\)?$/, '') ?? '?'}`;
}

/** Saves `input` as a regression fixture for `parser`; returns the file name. */
export function saveFinding(parser: ParserName, input: FuzzInput, finding: Omit<Finding, 'file' | 'parser'>): string {
  const dir = join(regressionsDir, parser);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(input.context).update(input.bytes).digest('hex').slice(0, 16);
  const file = `${hash}.bin`;
  if (!existsSync(join(dir, file))) {
    writeFileSync(join(dir, file), input.bytes);
    writeFileSync(join(dir, `${hash}.json`), JSON.stringify({ parser, ...finding, file }, null, 2) + '\n');
  }
  return file;
}

/** Every saved regression fixture: its finding record and bytes. */
export function savedFindings(): { finding: Finding; input: FuzzInput; path: string }[] {
  if (!existsSync(regressionsDir)) return [];
  const out: { finding: Finding; input: FuzzInput; path: string }[] = [];
  for (const parser of readdirSync(regressionsDir).sort()) {
    const dir = join(regressionsDir, parser);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const finding = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Finding;
      const path = join(dir, f.replace(/\.json$/, '.bin'));
      out.push({ finding, input: { context: finding.context, bytes: new Uint8Array(readFileSync(path)) }, path });
    }
  }
  return out;
}

/** Runs one input: the outcome and, for an escape, the error. */
export function runOne(target: Target, input: FuzzInput): { outcome: 'accepted' | 'rejected' | 'escaped'; error?: unknown; ms: number } {
  const t0 = performance.now();
  try {
    target.run(input);
    return { outcome: 'accepted', ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    return isTyped(e) ? { outcome: 'rejected', ms } : { outcome: 'escaped', error: e, ms };
  }
}

/**
 * Whether an input that took over {@link SLOW_MS} once is really slow: a niced campaign on a
 * loaded machine can be descheduled for seconds. Three more runs; slow only if the fastest
 * still takes over the limit in wall-clock time *and* the process used that much CPU
 * meanwhile (process-wide CPU time over-counts, never under-counts, this thread's).
 * Returns the fastest time, or undefined.
 */
function confirmSlow(target: Target, input: FuzzInput): number | undefined {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const cpu0 = process.cpuUsage();
    const r = runOne(target, input);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (r.ms <= SLOW_MS || cpuMs <= SLOW_MS) return undefined;
    best = Math.min(best, r.ms);
  }
  return best;
}

/** The seeds of a target, with their donors for splicing. */
export function corpus(target: Target): { seeds: Seed[]; donors: Uint8Array[] } {
  const seeds = target.seeds();
  if (seeds.length === 0) throw new Error(`fuzz target '${target.name}' has no seeds`);
  return { seeds, donors: seeds.map((s) => s.bytes) };
}

/** Runs a campaign over `parser` (or a target given directly) until `maxInputs` or `maxMs` is reached. */
export function campaign(which: ParserName | Target, options: CampaignOptions): CampaignCounts {
  const target = typeof which === 'string' ? TARGETS[which] : which;
  const parser = target.name;
  const { seeds, donors } = corpus(target);
  const rng = new Rng(options.seed);
  const counts: CampaignCounts = { parser, inputs: 0, accepted: 0, rejected: 0, escapes: 0, slow: 0, findings: [], ms: 0 };
  const seen = new Set<string>();
  const start = performance.now();
  const maxInputs = options.maxInputs ?? Infinity;
  const maxMs = options.maxMs ?? Infinity;
  const every = options.progressEvery ?? 1000;

  // Every seed runs once unmutated first: a seed that escapes is the cheapest finding.
  let i = 0;
  while (counts.inputs < maxInputs) {
    if ((counts.inputs & 63) === 0 && performance.now() - start > maxMs) break;
    const seed = i < seeds.length ? seeds[i]! : rng.pick(seeds);
    const bytes = i < seeds.length ? seed.bytes : target.text ? mutateText(rng, seed.bytes, donors) : mutateBytes(rng, seed.bytes, seed.regions, donors);
    i++;
    const input = { context: seed.context, bytes };
    options.before?.(input);
    const r = runOne(target, input);
    counts.inputs++;
    if (r.outcome === 'accepted') counts.accepted++;
    else if (r.outcome === 'rejected') counts.rejected++;
    else counts.escapes++;

    let finding: Omit<Finding, 'parser' | 'file'> | undefined;
    let key = '';
    if (r.outcome === 'escaped') {
      const e = r.error;
      key = signature(e);
      finding = { context: input.context, kind: 'escape', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined };
    } else if (r.ms > SLOW_MS) {
      const ms = confirmSlow(target, input);
      if (ms !== undefined) {
        counts.slow++;
        key = `slow: ${input.context}`;
        finding = { context: input.context, kind: 'slow', error: `ran ${Math.round(ms)} ms (limit ${SLOW_MS} ms)`, ms };
      }
    }
    if (finding && !seen.has(key)) {
      seen.add(key);
      const file = options.save === false ? undefined : saveFinding(parser, input, finding);
      counts.findings.push({ parser, ...finding, ...(file ? { file } : {}) });
    }
    if (options.progress && counts.inputs % every === 0) {
      counts.ms = performance.now() - start;
      options.progress(counts);
    }
  }
  counts.ms = performance.now() - start;
  return counts;
}
