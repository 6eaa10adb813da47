/**
 * The fuzz smoke run: a short campaign over every parser (3.5 s each, under 30 s in
 * all), plus checks of the fuzzer itself. The long campaign is `npm run fuzz`.
 *
 * The seed is fixed so the suite is repeatable; set `TSBPF_FUZZ_SEED` to explore others. A
 * finding is saved under `test/fixtures/fuzz/<parser>/` (replayed by regressions.test.ts) and
 * fails this test with the error and stack.
 */
import { describe, expect, it } from 'vitest';
import { TsbpfError } from '../../src/errors.js';
import { campaign, corpus, signature } from './campaign.js';
import { Rng, mutateBytes, mutateText } from './mutate.js';
import { PARSERS, TARGETS, type Target } from './targets.js';

const seed = Number(process.env.TSBPF_FUZZ_SEED ?? 13);
const PER_PARSER_MS = 3500;

describe('fuzz smoke run', () => {
  for (const parser of PARSERS) {
    it(`${parser}: no input escapes as an untyped error or runs over 1 s`, () => {
      const seeds = corpus(TARGETS[parser]).seeds.length;
      const c = campaign(parser, { seed, maxMs: PER_PARSER_MS, maxInputs: 50_000 });
      const report = c.findings.map((f) => `${f.kind} (${f.context}${f.file ? `, saved as test/fixtures/fuzz/${parser}/${f.file}` : ''}): ${f.stack ?? f.error}`);
      expect(report, `seed ${seed}`).toEqual([]);
      expect(c.escapes + c.slow).toBe(0);
      // Every seed ran once unmutated, and mutants ran beyond them.
      expect(c.inputs).toBeGreaterThan(seeds);
      // Seeds are accepted: a target that rejects everything fuzzes nothing.
      expect(c.accepted).toBeGreaterThanOrEqual(seeds);
    }, 30_000);
  }
});

describe('the fuzzer', () => {
  it('seeds every parser with the fixtures and logs', () => {
    for (const p of PARSERS) expect(corpus(TARGETS[p]).seeds.length, p).toBeGreaterThan(0);
    // Every fixture object is an ELF and object seed.
    expect(corpus(TARGETS.object).seeds.length).toBe(corpus(TARGETS.elf).seeds.length);
  });

  it('reports an untyped error and a typed one differently', () => {
    // A target with a planted bug: a TypeError for inputs whose first byte is odd.
    const buggy: Target = {
      name: 'elf',
      text: false,
      seeds: () => [{ context: 'planted', bytes: new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]), regions: [{ offset: 0, length: 1 }] }],
      run: ({ bytes }) => {
        if ((bytes[0] ?? 0) & 1) (undefined as unknown as { x: number }).x;
        if (bytes.length < 8) throw new TsbpfError('short');
      },
    };
    const c = campaign(buggy, { seed: 1, maxInputs: 2000, save: false });
    expect(c.escapes).toBeGreaterThan(0);
    expect(c.rejected).toBeGreaterThan(0);
    expect(c.accepted).toBeGreaterThan(0);
    // Deduplicated by signature: one planted bug, one finding.
    expect(c.findings).toHaveLength(1);
    expect(c.findings[0]).toMatchObject({ kind: 'escape', context: 'planted' });
    expect(c.findings[0]!.error).toMatch(/^TypeError: /);
  });

  it('mutates deterministically from a seed', () => {
    const base = new Uint8Array(256).map((_, i) => i);
    const a = mutateBytes(new Rng(7), base, [], [base]);
    const b = mutateBytes(new Rng(7), base, [], [base]);
    expect(a).toEqual(b);
    expect(base[5]).toBe(5);
    const text = new TextEncoder().encode('0: (b7) r0 = 0\n1: (95) exit\nR0 !read_ok\n');
    expect(mutateText(new Rng(3), text, [])).toEqual(mutateText(new Rng(3), text, []));
    let changed = 0;
    const rng = new Rng(11);
    for (let i = 0; i < 200; i++) if (!equal(mutateBytes(rng, base, [], []), base)) changed++;
    expect(changed).toBeGreaterThan(150);
  });

  it('names a finding by its error and first src/ frame', () => {
    const e = new RangeError('offset is outside the bounds of the DataView');
    e.stack = `RangeError: x\n    at DataView.getUint32 (<anonymous>)\n    at ByteReader.u32 (/r/src/bytes/reader.ts:40:12)\n    at f (/r/src/elf/file.ts:9:1)`;
    expect(signature(e)).toBe('RangeError: ByteReader.u32 (/r/src/bytes/reader.ts:40');
    // In the campaign's bundle every frame is in one file: the function tells findings apart.
    e.stack = `RangeError: x\n    at BigInt (<anonymous>)\n    at calcField (file:///r/node_modules/.cache/tsbpf-fuzz/fuzz.mjs:3281:35)`;
    expect(signature(e)).toBe('RangeError: calcField (file:///r/node_modules/.cache/tsbpf-fuzz/fuzz.mjs:3281');
  });
});

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
