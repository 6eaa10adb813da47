/**
 * `minCoreBtf` (bpftool's `gen min_core_btf`): the minimal BTF relocates each CO-RE fixture to
 * the same instructions as the full vmlinux BTF, is a tiny fraction of it, and is byte for
 * byte what bpftool writes for the same inputs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBtf, rawDump } from '../../src/btf/index.js';
import { minCoreBtf } from '../../src/check/index.js';
import { applyFixups, BPF_CORE_TYPE_ID_TARGET, computeFixups } from '../../src/core/index.js';
import type { ObjectSpec } from '../../src/object/index.js';
import { describeWithTool, runWithKernelBtf } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { kernelBtf, loadSpec } from './helpers.js';

const CORE_FIXTURES = ['core', 'core_kernel', 'core_e2e', 'core_relos'];
const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The relocated instructions of every program, type_id_target sites blanked (see below). */
function relocated(spec: ObjectSpec, target: ReturnType<typeof kernelBtf>): Map<string, unknown[]> {
  const fixups = computeFixups(spec, target);
  const out = new Map<string, unknown[]>();
  for (const p of spec.programs.values()) {
    // bpf_core_type_id_kernel() is a type id *in the BTF relocated against*: it differs in
    // a minimised BTF by construction (as with bpftool's), so that one value is left out.
    const typeIdSlots = new Set(fixups.filter((f) => f.program === p.name && f.kind === BPF_CORE_TYPE_ID_TARGET).map((f) => f.insn));
    let slot = 0;
    out.set(
      p.name,
      applyFixups(p.instructions, fixups, p.name).map((insn) => {
        const s = slot;
        slot += insn.opcode === 0x18 ? 2 : 1;
        const { opcode, dst, src, off, imm, imm64 } = insn;
        return typeIdSlots.has(s) ? { opcode, dst, src, off, typeId: 'target' } : { opcode, dst, src, off, imm, imm64 };
      }),
    );
  }
  return out;
}

describe.runIf(runWithKernelBtf)('minCoreBtf', () => {
  for (const name of CORE_FIXTURES) {
    it(`${name}: relocates to the same instructions as vmlinux, at under 1% of its size`, () => {
      const vmlinux = kernelBtf();
      const spec = loadSpec(name);
      const min = minCoreBtf(vmlinux, [spec]);
      expect(min.bytes.length).toBeLessThan(vmlinux.bytes.length / 100);
      const btf = parseBtf(min.bytes, { section: 'min' });
      expect(btf.typeCount).toBe(min.types.length);
      expect(relocated(spec, btf)).toEqual(relocated(spec, vmlinux));
      // The same fixups, poisons included (with the same reasons, but the candidate ids).
      const strip = (f: ReturnType<typeof computeFixups>[number]) => ({ insn: f.insn, program: f.program, kind: f.kind, target: f.kind === BPF_CORE_TYPE_ID_TARGET ? 0n : f.target, poison: f.poison === undefined });
      expect(computeFixups(spec, btf).map(strip)).toEqual(computeFixups(spec, vmlinux).map(strip));
    });
  }

  it('keeps only the members relocations touch, at their original offsets', () => {
    const vmlinux = kernelBtf();
    const full = vmlinux.type(vmlinux.findByName('task_struct', 'STRUCT')!);
    const min = minCoreBtf(vmlinux, [loadSpec('core_e2e')]);
    const task = min.types.find((t) => t.kind === 'STRUCT' && t.name === 'task_struct');
    if (task?.kind !== 'STRUCT' || full.kind !== 'STRUCT') throw new Error('no task_struct');
    expect(task.size).toBe(full.size);
    expect(task.members.length).toBeLessThan(10);
    for (const m of task.members) {
      expect(full.members.find((f) => f.name === m.name)?.bitsOffset, m.name).toBe(m.bitsOffset);
    }
    expect(task.members.map((m) => m.name)).toEqual(expect.arrayContaining(['pid', 'tgid', 'comm']));
    // Ids are renumbered from 1 in the original order; references to dropped types are void.
    expect(min.types.map((t) => t.id)).toEqual(min.types.map((_, i) => i + 1));
    expect(min.sourceIds).toEqual([...min.sourceIds].sort((a, b) => a - b));
  });

  it('an object without .BTF.ext is refused with its name', () => {
    const spec = loadSpec('core_kernel');
    expect(() => minCoreBtf(kernelBtf(), [{ ...spec, name: 'bare', btfExt: undefined }])).toThrow("min_core_btf: object 'bare' has no .BTF.ext section");
  });
});

describeWithTool('gen min_core_btf compared with bpftool', ['bpftool'], () => {
  const sets = [...CORE_FIXTURES.map((f) => [f]), CORE_FIXTURES];
  for (const set of sets) {
    it(`${set.join(' + ')}: byte-identical output`, async () => {
      const theirs = join(tmp, `bpftool-${set.join('-')}.btf`);
      const ours = join(tmp, `tsbpf-${set.join('-')}.btf`);
      const objs = set.map((f) => fixturePath(f));
      const b = spawnSync('bpftool', ['gen', 'min_core_btf', '/sys/kernel/btf/vmlinux', theirs, ...objs], { encoding: 'utf8' });
      expect(b.status, b.stderr).toBe(0);
      const r = await runCli(['gen', 'min_core_btf', '/sys/kernel/btf/vmlinux', ours, ...objs]);
      expect(r.code, r.err).toBe(0);
      const a = readFileSync(ours);
      const t = readFileSync(theirs);
      // On a difference, show both as bpftool's raw dump rather than bytes.
      if (!a.equals(t)) expect(rawDump(parseBtf(new Uint8Array(a)))).toEqual(rawDump(parseBtf(new Uint8Array(t))));
      expect(a.equals(t)).toBe(true);
    });
  }
});
