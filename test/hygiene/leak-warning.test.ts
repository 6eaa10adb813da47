/**
 * The leak warning (src/syscall/leak-warning.ts): an Fd garbage-collected while open is
 * reported, naming the kernel object and where it was created; the fd is not closed; a closed
 * or disowned Fd is not reported; `TSBPF_LEAK_WARNINGS=0` turns it off.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fd, mapCreate, MapType, progLoad } from '../../src/syscall/index.js';
import { describeFd, leakMessage } from '../../src/syscall/leak-warning.js';
import { ProgType } from '../../src/uapi/bpf.js';
import { describeKernel } from '../helpers/env.js';
import { repoRoot } from '../helpers/fixtures.js';
import { collectGarbage } from './gc.js';

let warnings: string[] = [];
const onWarning = (w: Error): void => {
  if (w.name === 'TsbpfFdLeak') warnings.push(w.message);
};
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** The warnings about fd `raw` (other tests' leaks in this process are not ours). */
function about(raw: number): string[] {
  return warnings.filter((w) => w.includes(` on fd ${raw} was`));
}

/** Runs `create` in a scope it cannot escape and returns only the fd number. */
function dropped(create: () => Fd): number {
  return create().raw;
}

// mov64 r0, 0; exit (host byte order is little-endian on every machine tsbpf runs on).
const retZero = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

describe('leak warning text', () => {
  it('names a file and says how to get the creating stack', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(describeFd(fd)).toBe("file '/dev/null'");
      expect(leakMessage(fd, undefined)).toBe(
        `tsbpf: file '/dev/null' on fd ${fd} was garbage-collected without close() (set TSBPF_TRACE_FDS=1 to record where it was created)`,
      );
      expect(leakMessage(fd, '    at f (x.ts:1:1)')).toMatch(/without close\(\); created at:\n {4}at f \(x\.ts:1:1\)$/);
    } finally {
      closeSync(fd);
    }
    expect(describeFd(fd)).toBe('object');
  });
});

describeKernel('leak warning', () => {
  it('reports a dropped map by name, type and id with its creating stack, and leaves it open', async () => {
    const raw = dropped(() => mapCreate({ map_type: MapType.HASH, key_size: 4, value_size: 8, max_entries: 4, map_name: 'hyg_leak' }));
    await collectGarbage();
    try {
      const [w, ...more] = about(raw);
      expect(more).toEqual([]);
      expect(w).toMatch(new RegExp(`^tsbpf: BPF map 'hyg_leak' \\(hash, id \\d+\\) on fd ${raw} was garbage-collected without close\\(\\); created at:\\n`));
      // The stack starts at the caller of `new Fd` and reaches this test.
      expect(w!.split('\n')[1]).toMatch(/at mapCreate /);
      expect(w).toContain('leak-warning.test.ts');
      // Not a closer: the map is still open.
      expect(existsSync(`/proc/self/fd/${raw}`)).toBe(true);
      expect(describeFd(raw)).toMatch(/^BPF map 'hyg_leak'/);
    } finally {
      closeSync(raw);
    }
  });

  it('reports a dropped program by name and type', async () => {
    const raw = dropped(() => progLoad({ prog_type: ProgType.SOCKET_FILTER, insns: retZero, license: 'GPL', prog_name: 'hyg_leak_prog' }));
    await collectGarbage();
    try {
      expect(about(raw)).toHaveLength(1);
      expect(about(raw)[0]).toMatch(/^tsbpf: BPF program 'hyg_leak_prog' \(socket_filter, id \d+\) on fd \d+ was garbage-collected/);
    } finally {
      closeSync(raw);
    }
  });

  it('does not report a closed, disposed or disowned fd', async () => {
    const closed = dropped(() => {
      const fd = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
      fd.close();
      return fd;
    });
    const disposed = dropped(() => {
      using fd = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
      return fd;
    });
    let kept = -1;
    dropped(() => {
      const fd = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
      const f = fd.dup();
      fd.close();
      kept = f.disown();
      return f;
    });
    // The control: one leak in the same collection is reported.
    const leaked = dropped(() => mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 }));
    await collectGarbage();
    try {
      expect(about(leaked)).toHaveLength(1);
      expect(closed).toBe(-1);
      expect(disposed).toBe(-1);
      expect(about(kept)).toEqual([]);
      expect(warnings.filter((w) => w.includes(`on fd ${kept} `))).toEqual([]);
    } finally {
      closeSync(kept);
      closeSync(leaked);
    }
  });

  function child(env: Record<string, string | undefined>): string[] {
    const e = { ...process.env, ...env };
    delete e.VITEST;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/hygiene/leak-child.ts')], { cwd: repoRoot, encoding: 'utf8', env: e, stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out.trim()) as { warnings: string[] }).warnings.filter((w) => w.startsWith('TsbpfFdLeak'));
  }

  it('outside tests, warns without a stack unless TSBPF_TRACE_FDS=1', () => {
    const plain = child({ TSBPF_TRACE_FDS: undefined, TSBPF_LEAK_WARNINGS: undefined });
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatch(/^TsbpfFdLeak: tsbpf: BPF map 'hyg_child' \(array, id \d+\) on fd \d+ was garbage-collected without close\(\) \(set TSBPF_TRACE_FDS=1/);
    const traced = child({ TSBPF_TRACE_FDS: '1', TSBPF_LEAK_WARNINGS: undefined });
    expect(traced).toHaveLength(1);
    expect(traced[0]).toMatch(/created at:\n\s+at mapCreate /);
    expect(traced[0]).toContain('leak-child.ts');
  });

  it('TSBPF_LEAK_WARNINGS=0 turns it off', () => {
    expect(child({ TSBPF_TRACE_FDS: '1', TSBPF_LEAK_WARNINGS: '0' })).toEqual([]);
  });
});
