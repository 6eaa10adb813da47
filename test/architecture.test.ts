/**
 * The layering rule, checked on every import in src/: a layer never imports a higher one,
 * and only src/syscall touches koffi.
 *
 * 1. pure: errors.ts, bytes, uapi, elf, btf, asm, object, core, verifier-log
 * 2. syscall
 * 3. runtime: maps, features (and later programs, link, ringbuf, perf, collection)
 * 4. cli, index.ts
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/fixtures.js';

const src = join(repoRoot, 'src');
const layerOf: Record<string, number> = {
  'errors.ts': 1,
  bytes: 1,
  uapi: 1,
  elf: 1,
  btf: 1,
  asm: 1,
  object: 1,
  core: 1,
  'verifier-log': 1,
  gen: 1,
  check: 1,
  linker: 1,
  syscall: 2,
  maps: 3,
  features: 3,
  programs: 3,
  link: 3,
  ringbuf: 3,
  perf: 3,
  collection: 3,
  preflight: 3,
  cli: 4,
  'index.ts': 4,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const top = (path: string) => relative(src, path).split('/')[0]!;

describe('architecture', () => {
  const all = files(src);

  it('knows the layer of every top-level entry of src/', () => {
    const unknown = [...new Set(all.map(top))].filter((t) => layerOf[t] === undefined);
    expect(unknown, 'add new folders to layerOf in test/architecture.test.ts').toEqual([]);
  });

  it('never imports a higher layer, and only src/syscall imports koffi', () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = layerOf[top(file)]!;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec === 'koffi' && top(file) !== 'syscall') violations.push(`${relative(src, file)} imports koffi`);
        if (!spec.startsWith('.')) continue;
        const target = join(file, '..', spec);
        const to = layerOf[top(target)];
        if (to !== undefined && to > from) violations.push(`${relative(src, file)} (layer ${from}) imports ${relative(src, target)} (layer ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
