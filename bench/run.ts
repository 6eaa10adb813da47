/**
 * `npm run bench`: bundles each `bench/*.ts` with esbuild (as users run tsbpf: compiled
 * ES modules, not through a TypeScript loader, whose module getters distort timings),
 * runs it under node, and prints one JSON document with every figure.
 *
 *   npm run bench              # every benchmark
 *   npm run bench -- elf btf   # only these
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { machine, type Figure } from './lib.js';
import { repoRoot } from '../test/helpers/fixtures.js';

const benchDir = join(repoRoot, 'bench');
const outDir = join(benchDir, 'build');
const wanted = process.argv.slice(2);
const names = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !['lib.ts', 'run.ts'].includes(f))
  .map((f) => f.slice(0, -3))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

mkdirSync(outDir, { recursive: true });
const figures: Figure[] = [];
for (const name of names) {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(benchDir, `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi', 'esbuild'],
    logLevel: 'warning',
  });
  process.stderr.write(`bench: ${name}\n`);
  const out = execFileSync(process.execPath, ['--expose-gc', outfile], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  figures.push(...(JSON.parse(out) as { figures: Figure[] }).figures);
}
process.stdout.write(JSON.stringify({ machine: machine(), figures }, null, 2) + '\n');
