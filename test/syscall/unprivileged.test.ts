/**
 * Without privileges, map creation fails with a BpfError that says what is missing:
 * root or CAP_BPF, and the value of kernel.unprivileged_bpf_disabled when it blocks.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { repoRoot } from '../helpers/fixtures.js';

describeKernel('unprivileged errors', () => {
  it('BPF_MAP_CREATE as nobody: EPERM with the capability and sysctl hint', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/syscall/unprivileged-child.ts')], { cwd: repoRoot, encoding: 'utf8' });
    const r = JSON.parse(out.trim());
    const sysctl = readFileSync('/proc/sys/kernel/unprivileged_bpf_disabled', 'utf8').trim();
    if (sysctl === '0') {
      // Unprivileged BPF is allowed here: a hash map is among what unprivileged users may create.
      expect(r.ok).toBe(true);
      return;
    }
    expect(r.ok).toBe(false);
    expect(r.cause.command).toBe('BPF_MAP_CREATE');
    expect(r.cause.errno).toBe('EPERM');
    expect(r.cause.message).toMatch(/^BPF_MAP_CREATE: EPERM \(operation not permitted\): needs root or CAP_BPF/);
    expect(r.cause.hint).toContain(`kernel.unprivileged_bpf_disabled is ${sysctl}`);
    // The map-level error carries the whole story in its message (the CLI prints only that).
    expect(r.message).toMatch(/^map '': cannot create hash map: BPF_MAP_CREATE: EPERM .*needs root or CAP_BPF.*unprivileged_bpf_disabled/);
  });
});
