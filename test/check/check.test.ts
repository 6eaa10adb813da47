/**
 * `checkObject` against the running kernel's BTF and against a copy of it with task_struct
 * edited (a field removed, one renamed, one retyped): the verdicts, and the closest candidate
 * each failed relocation names.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkObject, kernelBtfFacts, btfFeaturesOf, type CheckItem, type CheckReport } from '../../src/check/index.js';
import { BPF_FUNC } from '../../src/asm/index.js';
import { MapType, ProgType } from '../../src/uapi/bpf.js';
import { runWithKernelBtf } from '../helpers/env.js';
import { kernelBtf, loadSpec, modifiedKernel, type Modification } from './helpers.js';

const core = (r: CheckReport, subject: string): CheckItem[] => r.items.filter((i) => i.area === 'core' && i.subject === subject);

describe.runIf(runWithKernelBtf)('checkObject against vmlinux', () => {
  it("reads the kernel's BPF features from its UAPI enums", () => {
    const f = kernelBtfFacts(kernelBtf());
    expect(f.helpers?.get(BPF_FUNC.ringbuf_output)).toBe('BPF_FUNC_ringbuf_output');
    expect(f.mapTypes?.get(MapType.RINGBUF)).toBe('BPF_MAP_TYPE_RINGBUF');
    expect(f.progTypes?.get(ProgType.TRACING)).toBe('BPF_PROG_TYPE_TRACING');
    expect(f.helpers?.has(100000)).toBe(false);
    // Linux 6.18 knows every BTF kind tsbpf writes.
    expect(btfFeaturesOf(f)).toEqual({ btfFunc: true, btfFuncGlobal: true, btfDatasec: true, btfQmarkDatasec: true, btfFloat: true, btfDeclTag: true, btfTypeTag: true, btfEnum64: true });
  });

  it('core_kernel loads: every relocation resolves, existence checks of absent fields are notes', () => {
    const r = checkObject(loadSpec('core_kernel'), { name: 'vmlinux', vmlinux: kernelBtf() });
    expect(r.verdict).toBe('ok');
    expect(r.items.filter((i) => i.verdict === 'fail' || i.verdict === 'warn')).toEqual([]);
    const pid = core(r, 'task_struct.pid <byte_off>')[0]!;
    expect(pid.verdict).toBe('ok');
    expect(pid.detail).toMatch(/moved: offset 0 -> \d+ \(\[\d+\] STRUCT 'task_struct' 0:\d+\)/);
    const old = core(r, 'task_struct___old.state <field_exists>')[0]!;
    expect(old.verdict).toBe('note');
    // Linux 5.14 renamed task_struct.state to __state: the note says so.
    expect(old.closest).toMatchObject({ change: 'renamed', local: 'task_struct.state', candidate: 'task_struct.__state', distance: 2, offset: 24 });
    // Helpers, program and map types are in the kernel's enums; the attach target exists.
    expect(r.items.find((i) => i.area === 'helper' && i.subject === 'bpf_get_current_task')).toMatchObject({ verdict: 'ok', detail: 'BPF_FUNC_get_current_task = 35' });
    expect(r.items.find((i) => i.area === 'attach')).toMatchObject({ verdict: 'ok', subject: 'raw_tp/sys_enter' });
    expect(r.items.find((i) => i.area === 'attach')!.detail).toMatch(/^TYPEDEF 'btf_trace_sys_enter' in vmlinux/);
  });

  it('a poisoned access the program cannot reach is not a failure; one it reaches is', () => {
    // core.bpf.c reads 'struct bits', which no kernel has, in straight-line code.
    const r = checkObject(loadSpec('core'), { name: 'vmlinux', vmlinux: kernelBtf() });
    expect(r.verdict).toBe('fail');
    const b = core(r, 'bits.b <byte_off>')[0]!;
    expect(b.verdict).toBe('fail');
    expect(b.detail).toMatch(/poisoned and reachable: no type 'struct bits' in this kernel/);
    expect(b.closest).toMatchObject({ change: 'missing-type', local: 'struct bits' });
  });

  it('a GPL-only helper with a non-GPL license fails', () => {
    const spec = loadSpec('core_kernel');
    spec.license = 'MIT';
    const r = checkObject(spec, { name: 'vmlinux', vmlinux: kernelBtf() });
    expect(r.verdict).toBe('fail');
    // bpf_get_current_task, and bpf_probe_read_kernel inside BPF_CORE_READ.
    expect(r.items.filter((i) => i.area === 'license')).toEqual([
      expect.objectContaining({ subject: 'bpf_get_current_task', verdict: 'fail', detail: expect.stringMatching(/GPL-only helper, but the license is 'MIT'/) }),
      expect.objectContaining({ subject: 'bpf_probe_read_kernel', verdict: 'fail' }),
    ]);
    // 'Dual BSD/GPL' is GPL-compatible (license_is_gpl_compatible).
    spec.license = 'Dual BSD/GPL';
    expect(checkObject(spec, { name: 'vmlinux', vmlinux: kernelBtf() }).items.filter((i) => i.area === 'license')).toEqual([]);
  });

  it('attach targets: tracepoints, tp_btf, fentry, lsm and iter targets of sections.bpf.c all exist', () => {
    const r = checkObject(loadSpec('sections'), { name: 'vmlinux', vmlinux: kernelBtf() });
    const attach = r.items.filter((i) => i.area === 'attach');
    expect(attach.length).toBeGreaterThan(5);
    expect(attach.filter((i) => i.verdict !== 'ok')).toEqual([]);
    expect(attach.map((i) => i.detail).join('\n')).toMatch(/FUNC 'bpf_lsm_/);
  });

  it('kfuncs resolve in vmlinux with a compatible prototype; a missing one fails', () => {
    const spec = loadSpec('loader');
    const r = checkObject(spec, { name: 'vmlinux', vmlinux: kernelBtf() });
    const kfuncs = r.items.filter((i) => i.area === 'kfunc');
    expect(kfuncs.map((i) => [i.subject, i.verdict])).toEqual([
      ['bpf_task_from_pid', 'ok'],
      ['bpf_task_release', 'ok'],
    ]);
    // The same object against a BTF without those functions (the object's own BTF, whose
    // FUNCs for them are extern declarations).
    const alone = checkObject(spec, { name: 'self', vmlinux: spec.btf! });
    // Missing, but this BTF is no whole vmlinux (it has no UAPI enums): a warning, not a failure.
    expect(alone.items.filter((i) => i.area === 'kfunc').map((i) => i.verdict)).toEqual(['warn', 'warn']);
    expect(alone.items.find((i) => i.area === 'kfunc')!.detail).toMatch(/^kfunc not in this kernel's BTF \(vmlinux\) \(but this BTF is not a whole vmlinux BTF/);
    // Without the kernel's enums nothing is called missing: BTF cannot tell.
    expect(alone.items.filter((i) => i.area === 'map')).toEqual([expect.objectContaining({ subject: 'enum bpf_map_type', verdict: 'warn', detail: 'not in this BTF: map types cannot be checked' })]);
  });
});

describe.runIf(runWithKernelBtf)('checkObject against a modified vmlinux', () => {
  let mod: Modification;
  let report: CheckReport;
  beforeAll(() => {
    mod = modifiedKernel();
    report = checkObject(loadSpec('core_kernel'), { name: 'modified', vmlinux: mod.btf });
  }, 60_000);

  it('fails, and only the relocations of the edited fields fail', () => {
    expect(report.verdict).toBe('fail');
    const failed = report.items.filter((i) => i.verdict === 'fail').map((i) => i.subject);
    expect(failed).toEqual([
      'task_struct.pid <byte_off>',
      'task_struct.tgid <byte_off>',
      'task_struct.comm <byte_sz>',
      'task_struct.comm <byte_off>',
      'task_struct.comm[3] <byte_off>',
    ]);
    for (const s of ['task_struct.flags <field_exists>', 'task_struct.real_parent <byte_off>', 'task_struct.in_execve <byte_off>']) {
      expect(core(report, s)[0]!.verdict, s).toBe('ok');
    }
  });

  it('names the renamed field', () => {
    const pid = core(report, 'task_struct.pid <byte_off>')[0]!;
    expect(pid.closest).toMatchObject({ change: 'renamed', local: 'task_struct.pid', candidate: 'task_struct.__pid', distance: 2, offset: mod.pidOffset, targetType: 'pid_t' });
    expect(pid.detail).toContain(`closest: 'task_struct.__pid' (offset ${mod.pidOffset}, pid_t), distance 2`);
  });

  it('says a removed field vanished', () => {
    const tgid = core(report, 'task_struct.tgid <byte_off>')[0]!;
    expect(tgid.closest?.change).toBe('vanished');
    expect(tgid.closest?.local).toBe('task_struct.tgid');
    expect(tgid.detail).toMatch(/'task_struct\.tgid' vanished from this kernel/);
  });

  it('names the new type of a retyped field', () => {
    for (const s of ['task_struct.comm <byte_sz>', 'task_struct.comm <byte_off>', 'task_struct.comm[3] <byte_off>']) {
      expect(core(report, s)[0]!.closest, s).toMatchObject({
        change: 'retyped',
        local: 'task_struct.comm',
        localType: 'char[16]',
        targetType: 'long unsigned int',
        offset: mod.commOffset,
      });
    }
  });

  it('a field that moved still relocates, and says where to', () => {
    // Removing tgid moved every later member of task_struct.
    const flags = core(report, 'task_struct.real_parent <byte_off>')[0]!;
    const original = core(checkObject(loadSpec('core_kernel'), { name: 'vmlinux', vmlinux: kernelBtf() }), 'task_struct.real_parent <byte_off>')[0]!;
    expect(flags.fixup!.target).toBe(original.fixup!.target);
    expect(flags.detail).toMatch(/moved: offset \d+ -> \d+/);
  });
});
