/**
 * `npm run fuzz -- --minutes N [--parser X] [--inputs N] [--jobs J] [--seed S] [--out FILE]`:
 * bundles the fuzzer (`test/fuzz/cli.ts`) with esbuild and runs it under plain node, as the
 * benchmarks are run: a TypeScript loader's module getters would slow every parser call.
 * Options are described in `test/fuzz/cli.ts`. Findings land in `test/fixtures/fuzz/<parser>/`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../../test/helpers/fixtures.js';

// Under node_modules/ so it is ignored by git and found below the repository root.
const outDir = join(repoRoot, 'node_modules', '.cache', 'tsbpf-fuzz');
const outfile = join(outDir, 'fuzz.mjs');
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(repoRoot, 'test', 'fuzz', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi', 'esbuild'],
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
