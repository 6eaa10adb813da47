/**
 * The test runner of the kernel matrix VMs: imports each bundled test file (built by
 * `scripts/kernel-matrix/bundle.mjs`, with `vitest` aliased to `vitest-shim.ts`), runs what it
 * collected in order with its hooks, prints one line per test file and every failure, and
 * writes the results as JSON.
 *
 *   node run.mjs [--results FILE] [--base DIR] [--timeout MS] a.test.mjs b.test.mjs ...
 *
 * `--base` is the bundle's folder: files are named relative to it (`test/link/x.test.ts`).
 *
 * Exit code 0 when every test passed (skips allowed), 1 otherwise.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setRunning, startFile, takeFinishHooks, type Suite, type TestCase } from './vitest-shim.js';

/** One test's outcome, as written to the results file. */
export interface TestResult {
  file: string;
  name: string;
  state: 'pass' | 'fail' | 'skip';
  ms: number;
  error?: string;
}

const args = process.argv.slice(2);
let resultsFile: string | undefined;
let timeoutMs = 300_000;
let base = process.cwd();
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--results') resultsFile = args[++i];
  else if (args[i] === '--timeout') timeoutMs = Number(args[++i]);
  else if (args[i] === '--base') base = args[++i]!;
  else files.push(args[i]!);
}

const results: TestResult[] = [];
// An error thrown outside any awaited promise (a callback, a timer) fails the running test,
// as vitest reports it; without a running test it fails the file.
const stray: unknown[] = [];
process.on('uncaughtException', (e) => stray.push(e));
process.on('unhandledRejection', (e) => stray.push(e));

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const stack = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 6).join('\n');
    let s = `${e.name}: ${e.message}${stack ? '\n' + stack : ''}`;
    if (e.cause) s += `\ncause: ${describeError(e.cause)}`;
    return s;
  }
  return String(e);
}

async function withTimeout(fn: () => unknown, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function fullName(t: TestCase): string {
  const parts = [t.name];
  for (let s: Suite | undefined = t.suite; s?.parent; s = s.parent) parts.unshift(s.name);
  return parts.join(' > ');
}

function tests(s: Suite): TestCase[] {
  return s.children.flatMap((c) => (c.kind === 'test' ? [c] : tests(c)));
}

function chain(s: Suite, pick: (s: Suite) => (() => unknown)[]): (() => unknown)[] {
  const out: (() => unknown)[] = [];
  for (let x: Suite | undefined = s; x; x = x.parent) out.unshift(...pick(x));
  return out;
}

async function runTest(file: string, t: TestCase): Promise<void> {
  const name = fullName(t);
  if (t.skip || t.suite.skip) {
    results.push({ file, name, state: 'skip', ms: 0 });
    return;
  }
  const start = performance.now();
  const errors: unknown[] = [];
  const limit = t.timeoutMs ? Math.max(t.timeoutMs, timeoutMs) : timeoutMs;
  try {
    for (const h of chain(t.suite, (s) => s.beforeEach)) await withTimeout(h, limit, 'beforeEach');
    setRunning(true);
    await withTimeout(t.fn, limit, 'test');
  } catch (e) {
    errors.push(e);
  } finally {
    setRunning(false);
  }
  for (const h of [...takeFinishHooks().reverse(), ...chain(t.suite, (s) => s.afterEach).reverse()]) {
    try {
      await withTimeout(h, limit, 'afterEach');
    } catch (e) {
      errors.push(e);
    }
  }
  // Let callbacks queued by the test run, so their errors belong to it.
  await new Promise((r) => setImmediate(r));
  errors.push(...stray.splice(0));
  const ms = Math.round(performance.now() - start);
  if (errors.length) {
    const error = errors.map(describeError).join('\n');
    results.push({ file, name, state: 'fail', ms, error });
    process.stdout.write(`  FAIL ${name} (${ms} ms)\n${error.replace(/^/gm, '      ')}\n`);
  } else {
    results.push({ file, name, state: 'pass', ms });
    process.stdout.write(`  ok ${name} (${ms} ms)\n`);
  }
}

async function runSuite(file: string, s: Suite): Promise<void> {
  const all = tests(s);
  const live = all.filter((t) => !t.skip && !t.suite.skip);
  if (live.length === 0) {
    for (const t of all) results.push({ file, name: fullName(t), state: 'skip', ms: 0 });
    return;
  }
  try {
    for (const h of s.beforeAll) await withTimeout(h, timeoutMs, 'beforeAll');
  } catch (e) {
    const error = `beforeAll failed: ${describeError(e)}`;
    process.stdout.write(`  FAIL ${s.name || file}: ${error}\n`);
    for (const t of all) results.push({ file, name: fullName(t), state: t.skip ? 'skip' : 'fail', ms: 0, ...(t.skip ? {} : { error }) });
    await runAfterAll(file, s);
    return;
  }
  for (const c of s.children) {
    if (c.kind === 'test') await runTest(file, c);
    else await runSuite(file, c);
  }
  await runAfterAll(file, s);
}

async function runAfterAll(file: string, s: Suite): Promise<void> {
  for (const h of [...s.afterAll].reverse()) {
    try {
      await withTimeout(h, timeoutMs, 'afterAll');
    } catch (e) {
      const error = `afterAll failed: ${describeError(e)}`;
      process.stdout.write(`  FAIL ${s.name || file}: ${error}\n`);
      results.push({ file, name: `${s.name || '(file)'} > afterAll`, state: 'fail', ms: 0, error });
    }
  }
}

const started = performance.now();
for (const f of files) {
  const file = relative(base, f).replace(/\.m?js$/, '.ts');
  const root = startFile(file);
  const before = results.length;
  const t0 = performance.now();
  try {
    await import(pathToFileURL(f).href);
    await runSuite(file, root);
  } catch (e) {
    const error = `cannot run the file: ${describeError(e)}`;
    results.push({ file, name: '(file)', state: 'fail', ms: 0, error });
    process.stdout.write(`  FAIL ${file}: ${error}\n`);
  }
  if (stray.length) {
    const error = stray.splice(0).map(describeError).join('\n');
    results.push({ file, name: '(outside any test)', state: 'fail', ms: 0, error });
  }
  const mine = results.slice(before);
  const failed = mine.filter((r) => r.state === 'fail').length;
  const skipped = mine.filter((r) => r.state === 'skip').length;
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(
    `${failed ? 'FAIL' : 'ok  '} ${file} (${mine.length} tests${failed ? `, ${failed} failed` : ''}${skipped ? `, ${skipped} skipped` : ''}) ${ms} ms\n`,
  );
}

const count = (s: TestResult['state']) => results.filter((r) => r.state === s).length;
const summary = { passed: count('pass'), failed: count('fail'), skipped: count('skip'), files: files.length, ms: Math.round(performance.now() - started) };
process.stdout.write(`tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (${summary.files} files, ${summary.ms} ms)\n`);
if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ summary, results }, null, 1));
// Tests may leave handles (pollers, timers): the exit code is decided here.
process.exit(summary.failed ? 1 : 0);
