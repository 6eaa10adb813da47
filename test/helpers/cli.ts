/**
 * Runs the tsbpf CLI in-process and collects what it prints, with the same newline rule
 * as the real stdout/stderr writers of src/cli/main.ts (a line gets '\n' unless it has one).
 */
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/command.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const line = (t: string) => (t.endsWith('\n') ? t : t + '\n');
  const io: CliIo = { out: (t) => out.push(line(t)), err: (t) => err.push(line(t)) };
  const code = await main(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}
