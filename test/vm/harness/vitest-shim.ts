/**
 * The part of vitest's API the kernel tests use, for running them inside the matrix VMs.
 *
 * Under QEMU's software emulation, vitest itself (vite, workers, on-the-fly TypeScript) costs
 * a minute before the first test runs. `scripts/kernel-matrix/bundle.mjs` therefore bundles
 * each test file ahead of time with `vitest` aliased to this module, and `run.ts` executes the
 * bundles in one node process. The assertions are vitest's own: `expect` is chai with
 * `@vitest/expect`'s Jest matchers, as in vitest; only the collector and runner are ours.
 *
 * Supported: `describe`/`it`/`test` (with `.skip`, `.skipIf`, `.runIf`, `.each`, `.only` run
 * as plain), `beforeAll`/`afterAll`/`beforeEach`/`afterEach`, `onTestFinished`, `expect`.
 * Collection is synchronous, as vitest's is for these files.
 * @module
 */
import * as chai from 'chai';
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  getState,
  setState,
} from '@vitest/expect';

type Fn = () => unknown;

/** A collected test. */
export interface TestCase {
  kind: 'test';
  name: string;
  fn: Fn;
  skip: boolean;
  timeoutMs?: number;
  suite: Suite;
}

/** A `describe` block, or a file's root. */
export interface Suite {
  kind: 'suite';
  name: string;
  parent?: Suite;
  skip: boolean;
  children: (Suite | TestCase)[];
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
}

function newSuite(name: string, parent: Suite | undefined, skip: boolean): Suite {
  return { kind: 'suite', name, parent, skip, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] };
}

let current: Suite = newSuite('', undefined, false);
const finishHooks: Fn[] = [];
let running = false;

/** Starts collecting a new file; returns its root suite. */
export function startFile(name: string): Suite {
  current = newSuite(name, undefined, false);
  return current;
}

/** `onTestFinished` callbacks registered by the running test (drained by the runner). */
export function takeFinishHooks(): Fn[] {
  return finishHooks.splice(0);
}

/** Marks whether a test body is running (onTestFinished is legal only then). */
export function setRunning(on: boolean): void {
  running = on;
}

// vitest's `it.each` name formatting: printf-style `%s %d %i %j %o %%` and `$key` for objects.
function formatName(name: string, args: unknown[], row: unknown): string {
  let i = 0;
  let out = name.replace(/%[sdijo%]/g, (m) => {
    if (m === '%%') return '%';
    const v = args[i++];
    if (m === '%j' || m === '%o') return JSON.stringify(v);
    if (m === '%d' || m === '%i') return String(Number(v));
    return String(v);
  });
  if (row && typeof row === 'object' && !Array.isArray(row)) {
    out = out.replace(/\$([A-Za-z_][\w.]*)/g, (m, k: string) => (k in (row as object) ? String((row as Record<string, unknown>)[k]) : m));
  }
  return out;
}

/** The arguments of `it(name, fn, timeout)` and `it(name, options, fn)`. */
function split(a: unknown, b: unknown): { fn: Fn | undefined; timeoutMs: number | undefined } {
  if (typeof a === 'function') return { fn: a as Fn, timeoutMs: typeof b === 'number' ? b : (b as { timeout?: number } | undefined)?.timeout };
  if (typeof b === 'function') return { fn: b as Fn, timeoutMs: typeof a === 'number' ? a : (a as { timeout?: number } | undefined)?.timeout };
  return { fn: undefined, timeoutMs: undefined };
}

function addTest(name: string, a: unknown, b: unknown, skip: boolean): void {
  const { fn, timeoutMs } = split(a, b);
  current.children.push({ kind: 'test', name, fn: fn ?? (() => undefined), skip: skip || fn === undefined, suite: current, ...(timeoutMs ? { timeoutMs } : {}) });
}

function addSuite(name: string, fn: Fn | undefined, skip: boolean): void {
  const s = newSuite(name, current, skip || current.skip);
  current.children.push(s);
  const outer = current;
  current = s;
  try {
    const r = fn?.();
    if (r && typeof (r as Promise<unknown>).then === 'function') throw new Error(`describe '${name}': async describe bodies are not supported in the VM runner`);
  } finally {
    current = outer;
  }
}

function eachOf<T>(add: (name: string, a: unknown, b: unknown) => void) {
  return (table: readonly T[]) =>
    (name: string, fn: (...args: unknown[]) => unknown, timeout?: number) => {
      for (const row of table) {
        const args = Array.isArray(row) ? (row as unknown[]) : [row];
        add(formatName(name, args, row), () => fn(...args), timeout);
      }
    };
}

interface TestApi {
  (name: string, a?: unknown, b?: unknown): void;
  skip: (name: string, a?: unknown, b?: unknown) => void;
  only: (name: string, a?: unknown, b?: unknown) => void;
  todo: (name: string) => void;
  skipIf: (cond: unknown) => (name: string, a?: unknown, b?: unknown) => void;
  runIf: (cond: unknown) => (name: string, a?: unknown, b?: unknown) => void;
  each: <T>(table: readonly T[]) => (name: string, fn: (...args: never[]) => unknown, timeout?: number) => void;
}

function makeTestApi(): TestApi {
  const run = (name: string, a?: unknown, b?: unknown) => addTest(name, a, b, false);
  const skip = (name: string, a?: unknown, b?: unknown) => addTest(name, a, b, true);
  return Object.assign(run, {
    skip,
    only: run,
    todo: (name: string) => addTest(name, undefined, undefined, true),
    skipIf: (cond: unknown) => (cond ? skip : run),
    runIf: (cond: unknown) => (cond ? run : skip),
    each: eachOf(run) as TestApi['each'],
  });
}

/** vitest's `it`. */
export const it: TestApi = makeTestApi();
/** vitest's `test`. */
export const test: TestApi = it;

interface DescribeApi {
  (name: string, fn?: Fn): void;
  skip: (name: string, fn?: Fn) => void;
  only: (name: string, fn?: Fn) => void;
  skipIf: (cond: unknown) => (name: string, fn?: Fn) => void;
  runIf: (cond: unknown) => (name: string, fn?: Fn) => void;
  each: <T>(table: readonly T[]) => (name: string, fn: (...args: never[]) => unknown) => void;
}

const describeRun = (name: string, fn?: Fn) => addSuite(name, fn, false);
const describeSkip = (name: string, fn?: Fn) => addSuite(name, fn, true);
/** vitest's `describe`. */
export const describe: DescribeApi = Object.assign(describeRun, {
  skip: describeSkip,
  only: describeRun,
  skipIf: (cond: unknown) => (cond ? describeSkip : describeRun),
  runIf: (cond: unknown) => (cond ? describeRun : describeSkip),
  each: eachOf((name, a) => addSuite(name, a as Fn, false)) as DescribeApi['each'],
});

/** vitest's hooks; at module level they belong to the file. */
export const beforeAll = (fn: Fn): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Fn): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Fn): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Fn): void => void current.afterEach.push(fn);
/** Runs `fn` after the current test, pass or fail. */
export function onTestFinished(fn: Fn): void {
  if (!running) throw new Error('onTestFinished() must be called inside a test');
  finishHooks.push(fn);
}

// expect: chai with vitest's Jest-compatible matchers and asymmetric matchers.
chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const expectFn: any = (value: unknown, message?: string) => {
  const s = getState(expectFn as never) as { assertionCalls?: number } | undefined;
  setState({ assertionCalls: (s?.assertionCalls ?? 0) + 1 }, expectFn as never);
  return chai.expect(value, message);
};
Object.assign(expectFn, chai.expect);
Object.assign(expectFn, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
expectFn.getState = () => getState(expectFn as never);
expectFn.setState = (state: object) => setState(state as never, expectFn as never);
setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null }, expectFn as never);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expectFn;

/** vitest's `expect` (chai + `@vitest/expect` matchers). */
export const expect = expectFn as typeof import('vitest').expect;
