/**
 * `tsbpf prog loadall` and `tsbpf prog dump xlated`: pin names as bpftool's, and the dump's
 * whole text (function headers, `;` source lines, instructions) equal to `bpftool prog dump xlated`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';

const root = `/sys/fs/bpf/tsbpf_test_cli_${process.pid}`;

/**
 * bpftool's dump (function headers, `;` source lines, instructions). Debian's bpftool (6.1 disassembler) prints the per-CPU address
 * move `BPF_MOV64_PERCPU_REG` as a plain `rX = rY`; tsbpf prints it as the running kernel's
 * disassembler does, `rX = &(void __percpu *)(rY)`.
 */
function bpftoolLines(path: string): string[] {
  return execFileSync('bpftool', ['prog', 'dump', 'xlated', 'pinned', path], { encoding: 'utf8' })
    .trimEnd()
    .split('\n');
}

describeWithTool('tsbpf prog loadall / dump xlated', ['bpftool'], () => {
  describeKernel('against bpftool', () => {
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    for (const name of ['subprogs', 'maps', 'globals', 'loader', 'packet']) {
      it(`${name}: pins every program by name, maps with pinmaps; dump matches bpftool`, async () => {
        const progs = join(root, name, 'progs');
        const maps = join(root, name, 'maps');
        const r = await runCli(['prog', 'loadall', fixturePath(name), progs, 'pinmaps', maps, '--pin-root', join(root, name)]);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        // libbpf's pin names: the map name with '.' as '_' (bpffs refuses dots).
        if (name === 'globals') expect(readdirSync(maps).sort()).toEqual(['globals_bss', 'globals_data', 'globals_rodata', '_data_slots'].sort());
        const names = readdirSync(progs);
        expect(names.length).toBeGreaterThan(0);
        for (const n of names) {
          const d = await runCli(['prog', 'dump', 'xlated', 'pinned', join(progs, n)]);
          expect(d.code).toBe(0);
          const mine = d.out.trimEnd().split('\n').map((l) => l.replace(/= &\(void __percpu \*\)\((r\d+)\)$/, '= $1'));
          expect(mine).toEqual(bpftoolLines(join(progs, n)));
        }
      });
    }

    it('dump xlated needs id ID or pinned PATH', async () => {
      const r = await runCli(['prog', 'dump', 'xlated', 'name', 'x']);
      expect(r.code).toBe(2);
    });
  });
});
