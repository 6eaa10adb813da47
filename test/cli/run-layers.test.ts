/**
 * `tsbpf run`'s pure parts (discovery, rendering, histograms, stacks, recordings, replay)
 * import neither the kernel layers (src/syscall and the runtime above it) nor the file
 * system: they are unit-tested without privileges, and `tsbpf replay` runs anywhere. Only
 * the live parts may.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/fixtures.js';

const dir = join(repoRoot, 'src', 'cli', 'run');
/** The files that load, attach, read the kernel or /proc. */
const LIVE = new Set(['session.ts', 'trace-pipe.ts', 'symbolize.ts', 'prepare.ts']);
const KERNEL = ['syscall', 'maps', 'features', 'programs', 'link', 'ringbuf', 'perf', 'collection'];

describe('src/cli/run layering', () => {
  it('keeps the pure files away from the kernel and the file system', () => {
    const pure = readdirSync(dir).filter((f) => f.endsWith('.ts') && !LIVE.has(f));
    expect(pure.length).toBeGreaterThan(8);
    const violations: string[] = [];
    for (const f of pure) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec === 'node:fs' || spec === 'koffi' || spec === 'node:child_process') violations.push(`${f} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = relative(join(repoRoot, 'src'), join(dir, spec)).split('/');
        if (KERNEL.includes(target[0]!)) violations.push(`${f} imports ${target.join('/')}`);
        if (target[0] === 'cli' && target[1] === 'run' && LIVE.has(target[2]!.replace(/\.js$/, '.ts'))) violations.push(`${f} imports live ${target[2]}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
