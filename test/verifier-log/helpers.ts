/** Shared by the verifier-log tests: the failing fixtures and their captured logs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../helpers/fixtures.js';

export const logsDir = join(fixturesDir, '..', 'logs');

/** A captured log: `level` 1 is `bpftool prog load`, 2 is `bpftool -d prog load` (log_level 7). */
export function readLog(fixture: string, level: 1 | 2): string {
  return readFileSync(join(logsDir, `${fixture}.l${level}.log`), 'utf8');
}

/** The 1-based line of the fixture's source marked with a `FAIL:` comment. */
export function failLine(fixture: string): number {
  const lines = readFileSync(join(fixturesDir, `${fixture}.bpf.c`), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes('/* FAIL:'));
  if (i < 0) throw new Error(`${fixture}.bpf.c has no FAIL comment`);
  return i + 1;
}
