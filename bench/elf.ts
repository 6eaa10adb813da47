/**
 * ELF parsing: `parseElf` on every fixture object (header, sections, names, symbols,
 * relocations, all validated), against libelf doing the same walk in C.
 * Run: `npx tsx bench/elf.ts` (or `npm run bench`). Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { parseElf } from '../src/elf/index.js';
import { allFixtures } from '../test/helpers/fixtures.js';
import { figure, measure, report, runPeer, type Figure, type Stats } from './lib.js';

export function bench(): Figure[] {
  const runs = 9;
  const iterations = 200;
  const fixtures = allFixtures();
  const peer = runPeer<Record<string, Stats>>(
    'elf',
    [String(runs), String(iterations), ...fixtures.map((f) => f.path)],
    ['elf'],
  );
  const figures: Figure[] = [];
  for (const f of fixtures) {
    const bytes = new Uint8Array(readFileSync(f.path));
    const ts = measure(() => parseElf(bytes), { runs, iterations, unit: 'us' });
    figures.push(figure(`elf: parse ${f.file} (${bytes.length} bytes)`, 'us/object', ts, peer[f.path]));
  }
  // One summary figure: the median over objects of the per-object medians.
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const ts = figures.map((x) => x.tsbpf.median);
  const c = figures.map((x) => x.c!.median);
  figures.push(
    figure(
      'elf: parse, median over all fixtures',
      'us/object',
      { median: med(ts), min: Math.min(...ts), max: Math.max(...ts), runs: ts.length },
      { median: med(c), min: Math.min(...c), max: Math.max(...c), runs: c.length },
    ),
  );
  return figures;
}

// Run directly (bench/run.ts bundles this file and runs it): print the figures.
if (import.meta.url === `file://${process.argv[1]}`) report(bench());
