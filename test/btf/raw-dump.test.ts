import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithTool, runWithKernelBtf } from '../helpers/env.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';
import { encodeBtf, parseBtf, StringTable, type BtfType } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { runCli as tsbpf } from '../helpers/cli.js';

function bpftool(args: string[]): string {
  return execFileSync('bpftool', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
}

/** The first line where two texts differ, for a short failure message (never a 12 MB diff). */
function firstDifference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}:\n  tsbpf:   ${JSON.stringify(la[i])}\n  bpftool: ${JSON.stringify(lb[i])}`;
  }
  return 'texts differ';
}

describeWithTool('btf dump file (raw) matches bpftool', ['bpftool'], () => {
  it('for every fixture object', async () => {
    const fixtures = allFixtures();
    expect(fixtures.length).toBeGreaterThan(5);
    for (const f of fixtures) {
      const ours = await tsbpf(['btf', 'dump', 'file', f.path]);
      expect(ours.code, `${f.file}: ${ours.err}`).toBe(0);
      expect(firstDifference(ours.out, bpftool(['btf', 'dump', 'file', f.path])), f.file).toBeUndefined();
    }
  });

  it.runIf(runWithKernelBtf)('for /sys/kernel/btf/vmlinux, line for line', async () => {
    const ours = await tsbpf(['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux']);
    expect(ours.code).toBe(0);
    const theirs = bpftool(['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux']);
    expect(theirs.split('\n').length).toBeGreaterThan(100_000);
    expect(firstDifference(ours.out, theirs)).toBeUndefined();
  });

  // A kernel built without modules has none; split BTF is then covered by the -B test below.
  const mods = existsSync('/sys/kernel/btf') ? readdirSync('/sys/kernel/btf').filter((m) => m !== 'vmlinux') : [];
  it.skipIf(mods.length === 0)('for kernel module BTF (split on vmlinux, found automatically)', async () => {
    for (const m of mods.slice(0, 3)) {
      const path = `/sys/kernel/btf/${m}`;
      const ours = await tsbpf(['btf', 'dump', 'file', path]);
      expect(ours.code, ours.err).toBe(0);
      expect(firstDifference(ours.out, bpftool(['btf', 'dump', 'file', path])), path).toBeUndefined();
    }
  });

  it('for split BTF on an explicit base (-B / --base-btf)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-split-'));
    try {
      const baseBytes = parseElf(readFixture('btf_types')).section('.BTF')!.data;
      const base = parseBtf(baseBytes);
      const strOff = base.stringsLength; // split string offsets continue the base's
      const strings = new StringTable(new TextEncoder().encode('\0mod_struct\0p\0sec\0'));
      const at = (s: string): number => strOff + strings.add(s);
      const first = base.maxId + 1;
      const types: BtfType[] = [
        { id: first, kind: 'PTR', name: '', nameOff: 0, type: base.findByName('bits')!, kindFlag: false },
        {
          id: first + 1,
          kind: 'STRUCT',
          name: 'mod_struct',
          nameOff: at('mod_struct'),
          size: 24,
          kindFlag: false,
          members: [
            { name: 'p', nameOff: at('p'), type: first, bitsOffset: 0, bitfieldSize: 0 },
            // A name from the base's string section ('int' is there).
            { name: 'int', nameOff: base.nameOffOf(base.findByName('int')!), type: base.findByName('int')!, bitsOffset: 64, bitfieldSize: 0 },
          ],
        },
        { id: first + 2, kind: 'DATASEC', name: 'sec', nameOff: at('sec'), size: 32, vars: [{ type: base.findByName('global_counter', 'VAR')!, offset: 0, size: 4 }] },
      ];
      const split = encodeBtf(types, strings.bytes());
      writeFileSync(join(dir, 'base.btf'), baseBytes);
      writeFileSync(join(dir, 'split.btf'), split);
      const ours = await tsbpf(['btf', 'dump', 'file', join(dir, 'split.btf'), '--base-btf', join(dir, 'base.btf')]);
      expect(ours.code, ours.err).toBe(0);
      expect(ours.out.startsWith(`[${first}] PTR`)).toBe(true);
      expect(firstDifference(ours.out, bpftool(['btf', 'dump', 'file', join(dir, 'split.btf'), '-B', join(dir, 'base.btf')]))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--json matches bpftool --json for a fixture', async () => {
    const f = allFixtures().find((x) => x.name === 'btf_types' && x.endian === 'bpfel')!;
    const ours = await tsbpf(['btf', 'dump', 'file', f.path, '--json']);
    expect(ours.code).toBe(0);
    expect(JSON.parse(ours.out)).toEqual(JSON.parse(bpftool(['--json', 'btf', 'dump', 'file', f.path])));
  });
});

it('btf dump reports usage errors and bad files', async () => {
  expect((await tsbpf(['btf', 'dump', 'map', 'x'])).code).toBe(2);
  expect((await tsbpf(['btf', 'dump', 'file', '/nonexistent/file'])).code).toBe(1);
  const bad = await tsbpf(['btf', 'dump', 'file', 'package.json']);
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/^Error: /);
  expect((await tsbpf(['btf', 'dump', 'file', 'package.json', 'format', 'xml'])).code).toBe(2);
});
