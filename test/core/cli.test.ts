/** `tsbpf object core OBJ [--btf PATH] [--json]`. */
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';
import { runCli as run } from '../helpers/cli.js';

describe('tsbpf object core', () => {
  const target = ['--btf', fixturePath('core_target_a')];

  it('prints each relocation: insn, relo #, kind, access, old -> new, candidate', async () => {
    const r = await run(['object', 'core', fixturePath('core_relos'), ...target]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^core_fields:$/m);
    expect(r.out).toMatch(/^ {2}insn #12 +relo #5 +byte_off +core_point\.u_b \(0:6:1\) +48 -> 82 {2}\[1\] STRUCT 'core_point' 0:7:1:1$/m);
    expect(r.out).toMatch(/^ {2}insn #10 +relo #15 +byte_off +core_point\.sz16 \(0:12\) +62 -> 96 \(size 2 -> 4\) {2}\[1\] STRUCT 'core_point' 0:14$/m);
    expect(r.out).toMatch(/^ {2}insn #14 +relo #48 +enumval_value +core_gone::CORE_GONE_A \(0\) +poisoned: 'core_gone::CORE_GONE_A': no type named 'core_gone'/m);
    expect(r.out).toMatch(/^ {6}core_relos\.bpf\.c:\d+: /m);
  });

  it('--json gives every fixup with numbers and the poison reason', async () => {
    const r = await run(['object', 'core', fixturePath('core_relos'), ...target, '--json']);
    expect(r.code).toBe(0);
    const fixups = JSON.parse(r.out) as Record<string, unknown>[];
    expect(fixups).toHaveLength(62); // 61 records, one of them in a subprogram linked into two programs
    expect(fixups.find((f) => f.access === "'core_big::CORE_BIG_HUGE'")).toMatchObject({ kind: 'enumval_value', local: 4294967296, target: 8589934592, poison: null });
    expect(fixups.find((f) => f.program === 'core_missing')).toMatchObject({ target: 100, candidate: { accessStr: '0:15' } });
  });

  it('reports an ambiguous relocation as an error', async () => {
    const r = await run(['object', 'core', fixturePath('core_relos'), '--btf', fixturePath('core_target_c')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: program 'core_fields': relocation #0 \(insn #0, core_relos\.bpf\.c:\d+\): field offset ambiguity/);
  });

  it('needs exactly one object', async () => {
    const r = await run(['object', 'core']);
    expect(r.code).toBe(2);
  });
});
