/**
 * The loader and CO-RE fixtures against the running kernel's BTF and features: each object
 * loads whole with `loadCollection`, or fails with an error that names the missing feature
 * ("requires Linux >= X" / "needs Linux >= X"). Run on the host and in each kernel matrix VM
 * (Debian 6.1 and 6.12), which print the outcomes as one table per kernel: under
 * `TSBPF_MATRIX_OUT` the rows are written to `load-table.json` there.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { loadCollection } from '../../src/collection/index.js';
import { parseObject } from '../../src/object/index.js';

/**
 * The fixtures whose every program should load on any kernel that has what they use (not
 * `asm_isa` or `core`, which hold programs meant to fail, nor `sections`, one of each kind).
 */
const fixtures = [
  'minimal',
  'maps',
  'globals',
  'subprogs',
  'loader',
  'collection_many',
  'packet',
  'insns_v4',
  'ringbuf',
  'ringbuf_typed',
  'core_kernel',
  'core_e2e',
].filter((f) => existsSync(fixturePath(f)));

/** One row of the table: a fixture and what loading it gave. */
export interface LoadRow {
  fixture: string;
  ok: boolean;
  programs: number;
  maps: number;
  /** The error's first line when it failed. */
  error?: string;
}

/**
 * What a failure must say: the feature and the first kernel that has it, or the kernel
 * function (kfunc) the kernel does not have: kfuncs come and go without a version.
 */
const namesFeature = /(requires|needs) Linux >= \d+\.\d+|kfunc '\w+' not found in kernel BTF/;

describeKernel(`loader and CO-RE fixtures on ${release()}`, () => {
  const rows: LoadRow[] = [];
  const pinRoot = `/sys/fs/bpf/vm-load-table-${process.pid}`;
  afterAll(() => rmSync(pinRoot, { recursive: true, force: true }));
  for (const f of fixtures) {
    it(`${f}: loads, or the error names the missing feature`, () => {
      const spec = parseObject(readFixture(f), { fileName: `${f}.bpfel.o` });
      try {
        using coll = loadCollection(spec, { pinRoot });
        rows.push({ fixture: f, ok: true, programs: coll.programs.size, maps: coll.maps.size });
        expect(coll.programs.size).toBe(spec.programs.size);
      } catch (e) {
        const error = (e as Error).message.split('\n')[0]!;
        rows.push({ fixture: f, ok: false, programs: spec.programs.size, maps: spec.maps.size, error });
        // Print the whole error: this row is what the matrix reports as a gap.
        expect((e as Error).message, (e as Error).message).toMatch(namesFeature);
      }
    });
  }
  it('writes the table', () => {
    expect(rows.length).toBe(fixtures.length);
    const out = process.env.TSBPF_MATRIX_OUT;
    if (out) writeFileSync(join(out, 'load-table.json'), JSON.stringify({ kernel: release(), rows }, null, 1));
  });
});
