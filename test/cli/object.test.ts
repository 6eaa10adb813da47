import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';
import { runCli as run } from '../helpers/cli.js';

describe('tsbpf CLI', () => {
  it('prints help listing its commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tsbpf object show OBJ/);
  });

  it('object show lists programs, maps and relocations', async () => {
    const r = await run(['object', 'show', fixturePath('maps')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^programs:\n {2}socket +tail_a +insns 2 +offset 0\n {2}socket +use_maps +insns 60 +offset 16$/m);
    expect(r.out).toMatch(/^ {2}counts +section \.maps/m);
    expect(r.out).toMatch(/^ {4}insn 56 +R_BPF_64_64 +jumps$/m);
    // The object model's view: typed programs and maps.
    expect(r.out).toMatch(/^ {2}prog use_maps: socket_filter {2}insns 54\n {4}references: map counts, map array, map percpu, map jumps$/m);
    expect(r.out).toMatch(/^ {2}map outer: array_of_maps {2}key 4B {2}value 4B {2}max_entries 4$/m);
  });

  it('object show names subprograms, attach types and targets', async () => {
    const subprogs = await run(['object', 'show', fixturePath('subprogs')]);
    expect(subprogs.out).toMatch(/^ {2}prog first: xdp {2}attach xdp {2}insns 24\n {4}subprograms: loop_cb, add\n {4}references: func loop_cb, call add$/m);
    const sections = await run(['object', 'show', fixturePath('sections'), '--json']);
    const tp = JSON.parse(sections.out).spec.programs.find((p: { name: string }) => p.name === 'tp_exec');
    expect(tp).toMatchObject({ type: 'tracepoint', attachTarget: 'sched/sched_process_exec' });
  });

  it('object show --json gives the same data as JSON', async () => {
    const r = await run(['object', 'show', fixturePath('subprogs'), '--json']);
    const o = JSON.parse(r.out);
    expect(o.endian).toBe('little');
    expect(o.programs.map((p: { name: string; kind: string }) => `${p.name}:${p.kind}`)).toEqual([
      'global_mul:subprog',
      'loop_cb:subprog',
      'add:subprog',
      'a_mid:subprog',
      'b_leaf:subprog',
      'c_leaf:subprog',
      'third:program',
      'first:program',
      'second:program',
    ]);
    const xdp = o.relocations.find((t: { section: string }) => t.section === 'xdp');
    expect(xdp.entries.map((e: { insn: number }) => e.insn)).toEqual([5, 12, 20, 23]);
  });

  it('reports a bad object as a typed error with exit code 1', async () => {
    const r = await run(['object', 'show', 'package.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: .*bad magic: not an ELF file/);
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await run(['object', 'show'])).code).toBe(2);
    expect((await run(['no-such-command'])).code).toBe(2);
  });

  it('builds into dist/ and runs as a bundled script', () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'pipe' });
    const out = execFileSync(process.execPath, ['dist/cli.js', 'object', 'show', fixturePath('minimal'), '--json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out).programs[0].name).toBe('accept_all');
  }, 120_000);
});
