/**
 * Runs a TypeScript example (`examples/NAME.ts`) as a child process the way a user would
 * (`tsx examples/NAME.ts ...`), waits until it says it is tracing, lets the test cause the
 * traced activity, then stops it with SIGINT (as Ctrl-C) and returns what it printed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';

const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');

/** Options of {@link runExample}. */
export interface RunExampleOptions {
  /** Arguments after the script. */
  args?: string[];
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Printed once the example is attached (default: its header, any first line). */
  ready?: RegExp;
  /** What the test does while the example traces. */
  trigger: () => unknown | Promise<unknown>;
  /** Stop as soon as stdout matches this (default: right after `trigger`). */
  until?: RegExp;
  /** Longest wait for `ready` and `until` (ms). */
  timeoutMs?: number;
}

/** What the example printed and how it ended. */
export interface ExampleRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs `examples/<script>`; throws (with everything the example printed) when it does not get
 * ready, `until` never matches, or it does not exit after SIGINT.
 */
export async function runExample(script: string, o: RunExampleOptions): Promise<ExampleRun> {
  const argv = [tsx, join('examples', script), ...(o.args ?? [])];
  const [cmd, ...args] = o.netns ? ['ip', 'netns', 'exec', o.netns, ...argv] : argv;
  const child = spawn(cmd!, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const timeout = o.timeoutMs ?? 30_000;
  const waitFor = async (re: RegExp, what: string): Promise<void> => {
    const start = Date.now();
    while (!re.test(stdout)) {
      if (done) throw new Error(`${script} exited before ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      if (Date.now() - start > timeout) throw new Error(`${script}: no ${what} after ${timeout} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await waitFor(o.ready ?? /\n/, 'ready line');
    await o.trigger();
    if (o.until) await waitFor(o.until, `output matching ${o.until}`);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  const end = await exited;
  clearTimeout(timer);
  if (end.signal === 'SIGKILL') throw new Error(`${script} did not exit after SIGINT\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  return { stdout, stderr, ...end };
}

/** The counts of a BCC-style histogram printed by `printLog2Hist`: `low -> high : count |...|`. */
export function histRows(text: string): { low: number; high: number; count: number }[] {
  const rows: { low: number; high: number; count: number }[] = [];
  for (const m of text.matchAll(/^\s*(\d+) -> (\d+)\s*: (\d+)\s+\|/gm)) rows.push({ low: Number(m[1]), high: Number(m[2]), count: Number(m[3]) });
  return rows;
}

/** A pause that lets the kernel's work (and the example's poll) catch up. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
