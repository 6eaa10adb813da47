/**
 * vitest global setup: when running as root, mount what kernel tests need and is missing
 * (bpffs at /sys/fs/bpf, tracefs at /sys/kernel/tracing, securityfs at /sys/kernel/security),
 * as `.ci/run` also does.
 * Not being root is not an error here: kernel tests then skip, or fail under
 * TSBPF_REQUIRE_KERNEL=1 (see test/helpers/env.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

function mounted(fsType: string, path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => {
      const [, mnt, type] = line.split(' ');
      return mnt === path && type === fsType;
    });
}

export default function setup(): void {
  if (process.platform !== 'linux' || process.geteuid?.() !== 0) return;
  for (const [type, path] of [
    ['bpf', '/sys/fs/bpf'],
    ['tracefs', '/sys/kernel/tracing'],
    // /sys/kernel/security/lockdown: lockdown errors name the active mode.
    ['securityfs', '/sys/kernel/security'],
  ] as const) {
    if (existsSync(path) && !mounted(type, path)) {
      try {
        execFileSync('mount', ['-t', type, type === 'bpf' ? 'bpf' : 'nodev', path]);
      } catch (e) {
        console.warn(`could not mount ${type} at ${path}: ${(e as Error).message}`);
      }
    }
  }
}
