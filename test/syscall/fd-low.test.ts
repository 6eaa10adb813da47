/**
 * fd hygiene that needs its own process. fds 0..2 are never kept: when the kernel hands out a stdio number (stdin closed), tsbpf
 * moves the object above 2 with F_DUPFD_CLOEXEC and closes the low number.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { repoRoot } from '../helpers/fixtures.js';

describeKernel('low fds', () => {
  it('a map created with stdin closed gets an fd >= 3 and fd 0 stays free', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/syscall/low-fd-child.ts')], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim()) as { fd: number; zeroOpen: boolean; maxEntries: number };
    expect(r.fd).toBeGreaterThan(2);
    expect(r.zeroOpen).toBe(false);
    expect(r.maxEntries).toBe(1);
  });

  it('an Fd garbage-collected while open is reported with its creation stack; a closed one is not', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(repoRoot, 'test/syscall/leak-child.ts')], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, TSBPF_TRACE_FDS: '1' },
    });
    const { warnings } = JSON.parse(out.trim()) as { warnings: string[] };
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/^TsbpfFdLeak: tsbpf: BPF map \(array, id \d+\) on fd \d+ was garbage-collected without close\(\); created at:/);
    expect(warnings[0]).toContain('leak-child.ts');
  });
});
