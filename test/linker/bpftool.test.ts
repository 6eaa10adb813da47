/**
 * Issue 14's acceptance for static linking: `tsbpf gen object` against `bpftool gen object`
 * (libbpf's linker) on the same inputs, and the linked programs in the kernel.
 *
 * - the output is byte for byte bpftool's (so the BTF type count is the same);
 * - bpftool refuses the same inputs tsbpf refuses;
 * - loaded by bpftool and by tsbpf, the programs of tsbpf's output are, instruction for
 *   instruction (`bpftool prog dump xlated`, map ids renumbered), those of bpftool's output
 *   loaded by bpftool; and they compute what the C source says.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { btfFromElf } from '../../src/btf/index.js';
import { loadCollection } from '../../src/collection/index.js';
import { parseElf } from '../../src/elf/index.js';
import { linkObjects } from '../../src/linker/index.js';
import { parseObject } from '../../src/object/index.js';
import { runCli } from '../helpers/cli.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { allFixtures, fixturePath, readFixture } from '../helpers/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'tsbpf-linker-'));
const pins = `/sys/fs/bpf/linker-test-${process.pid}`;
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(pins, { recursive: true, force: true });
});

function bpftool(args: string[]): string {
  return execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `bpftool gen object` of fixtures `names`: the output's bytes, or undefined when it refuses. */
function bpftoolLink(out: string, names: string[]): Uint8Array | undefined {
  try {
    bpftool(['gen', 'object', out, ...names.map((n) => fixturePath(n))]);
  } catch {
    return undefined;
  }
  return new Uint8Array(readFileSync(out));
}

const tsbpfLink = (names: string[], allowUnresolved = false) =>
  linkObjects(names.map((n) => ({ name: `${n}.bpfel.o`, bytes: readFixture(n) })), { allowUnresolved });

/** `map[id:17]` -> `map[#0]`, numbered by first appearance. */
function normalise(dump: string): string {
  const ids = new Map<string, number>();
  return dump.replace(/map\[id:(\d+)\]/g, (_, id: string) => {
    if (!ids.has(id)) ids.set(id, ids.size);
    return `map[#${ids.get(id)}]`;
  });
}

describeWithTool('tsbpf gen object vs bpftool gen object', ['bpftool'], () => {
  it.each([
    [['linker_a', 'linker_b']],
    [['linker_b', 'linker_a']],
    [['linker_a', 'linker_c']],
  ])('links %j to the bytes bpftool writes', (names) => {
    const theirs = bpftoolLink(join(work, `${names.join('_')}.o`), names)!;
    expect(theirs).toBeDefined();
    const ours = tsbpfLink(names);
    const count = (b: Uint8Array) => btfFromElf(parseElf(b))!.btf.typeCount;
    expect(count(ours)).toBeLessThanOrEqual(count(theirs));
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('links every little-endian fixture alone to the bytes bpftool writes', () => {
    const compared: string[] = [];
    for (const f of allFixtures().filter((x) => x.endian === 'bpfel')) {
      const theirs = bpftoolLink(join(work, `single_${f.name}.o`), [f.name]);
      expect(theirs, f.name).toBeDefined();
      expect(Buffer.from(tsbpfLink([f.name], true)).equals(Buffer.from(theirs!)), f.name).toBe(true);
      compared.push(f.name);
    }
    expect(compared.length).toBeGreaterThan(30);
  });

  it.each([
    [['linker_b', 'linker_c'], 'linker_scale'],
    [['linker_a', 'linker_d'], 'linker_scale'],
  ])('refuses %j, as bpftool does', (names, symbol) => {
    expect(bpftoolLink(join(work, 'refused.o'), names)).toBeUndefined();
    expect(() => tsbpfLink(names)).toThrow(new RegExp(`symbol '${symbol}'`));
  });

  it('tsbpf gen object writes the file bpftool writes, and reports errors with exit code 1', async () => {
    const out = join(work, 'cli.o');
    const r = await runCli(['gen', 'object', out, fixturePath('linker_a'), fixturePath('linker_b')]);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    const theirs = bpftoolLink(join(work, 'cli_theirs.o'), ['linker_a', 'linker_b'])!;
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(theirs))).toBe(true);
    const json = await runCli(['gen', 'object', out, fixturePath('linker_a'), fixturePath('linker_b'), '--json']);
    expect(JSON.parse(json.out)).toEqual({ file: out, inputs: [fixturePath('linker_a'), fixturePath('linker_b')], size: theirs.byteLength });
    const bad = await runCli(['gen', 'object', out, fixturePath('linker_a')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/symbol 'linker_scale': unresolved extern/);
    expect((await runCli(['gen', 'object', out, fixturePath('linker_a'), '--allow-unresolved'])).code).toBe(0);
    expect((await runCli(['gen', 'object', out])).code).toBe(2);
  });

  describeKernel('linked programs in the kernel', () => {
    /**
     * Links `names` with tsbpf and with bpftool, loads bpftool's output with bpftool (the
     * reference) and tsbpf's with bpftool and (when `withTsbpf`) tsbpf; compares xlated dumps.
     */
    async function compareLoads(names: string[], programs: string[], withTsbpf: boolean): Promise<void> {
      const tag = names.join('_');
      const mine = join(work, `${tag}_tsbpf.o`);
      expect((await runCli(['gen', 'object', mine, ...names.map((n) => fixturePath(n))])).code).toBe(0);
      const theirs = join(work, `${tag}_bpftool.o`);
      bpftool(['gen', 'object', theirs, ...names.map((n) => fixturePath(n))]);
      const reference = join(pins, 'ref');
      const dirs = [join(pins, 'bpftool'), ...(withTsbpf ? [join(pins, 'tsbpf')] : [])];
      mkdirSync(pins, { recursive: true });
      try {
        bpftool(['prog', 'loadall', theirs, reference]);
        bpftool(['prog', 'loadall', mine, dirs[0]!]);
        if (withTsbpf) {
          const r = await runCli(['prog', 'loadall', mine, dirs[1]!]);
          expect(r.err).toBe('');
          expect(r.code).toBe(0);
        }
        expect(readdirSync(reference).sort()).toEqual(programs);
        for (const dir of dirs) expect(readdirSync(dir).sort()).toEqual(programs);
        for (const n of programs) {
          const want = normalise(bpftool(['prog', 'dump', 'xlated', 'pinned', join(reference, n)]));
          // The source lines come from .BTF.ext: they show the BTF was loaded too.
          expect(want).toContain('; return linker_');
          for (const dir of dirs) expect(normalise(bpftool(['prog', 'dump', 'xlated', 'pinned', join(dir, n)])), `${dir}/${n}`).toBe(want);
        }
      } finally {
        rmSync(pins, { recursive: true, force: true });
      }
    }

    it("loads linker_a + linker_b with bpftool and tsbpf to the instructions of bpftool's own link", async () => {
      await compareLoads(['linker_a', 'linker_b'], ['linker_prog_a', 'linker_prog_b'], true);
    }, 120_000);

    it("loads linker_a + linker_c (statics of the same names) with bpftool and tsbpf to the instructions of bpftool's own link", async () => {
      // Two static functions 'helper_a' (keyed 'helper_a' and 'helper_a#2') and two statics
      // 'linker_calls': each program must call its own.
      await compareLoads(['linker_a', 'linker_c'], ['linker_prog_a', 'linker_prog_c'], true);
    }, 120_000);

    it('runs the linked programs: calls across objects, the shared map and the extern variable', () => {
      const spec = parseObject(tsbpfLink(['linker_a', 'linker_b']), { fileName: 'ab.o' });
      using coll = loadCollection(spec);
      const data = new Uint8Array(64);
      // linker_add(1, 2) + linker_pick(3): (1 + linker_bias_a 5) + 2 + linker_b's 3 + 200.
      expect(coll.programs.get('linker_prog_a')!.testRun({ data }).retval).toBe(211);
      // linker_scale(2) + linker_pick(1): (2 * 3 - 9) - 1 + 201.
      expect(coll.programs.get('linker_prog_b')!.testRun({ data }).retval).toBe(197);
      // linker_total, defined by linker_a (= 1) and incremented there once.
      expect(coll.variable('linker_total').getNumber()).toBe(2);
      const events = coll.maps.get('linker_events')!;
      expect(events.keySize).toBe(4);
      expect(events.valueSize).toBe(24);
    });
  });
});

describe('tsbpf gen object usage', () => {
  it('needs an output and an input', async () => {
    const r = await runCli(['gen', 'object']);
    expect(r.code).toBe(2);
  });
});
