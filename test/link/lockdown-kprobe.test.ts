/**
 * fentry/fexit/fmod_ret/lsm under lockdown (refused with EPERM: the error says "lockdown"),
 * kprobes on a kernel without CONFIG_KPROBES (the error says so), and BTF attach-target
 * resolution without the kernel.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { parseElf } from '../../src/elf/index.js';
import { btfFromElf } from '../../src/btf/index.js';
import { AttachType, BpfError, ProgType } from '../../src/syscall/index.js';
import {
  AttachError,
  attachKprobe,
  attachKprobeMulti,
  attachKsyscall,
  attachTracing,
  explainLockdown,
  LockdownError,
  lockdownSensitive,
  pmuType,
  resolveAttachTarget,
  syscallSymbol,
} from '../../src/link/index.js';
import { counter, kernelBtf, type Counter } from './programs.js';

let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

describe('attach targets from BTF (no kernel)', () => {
  const elf = parseElf(readFileSync(fixturePath('minimal')));
  const btf = btfFromElf(elf)!.btf;
  const funcs = Array.from({ length: 200 }, (_, i) => i + 1).filter((id) => btf.has(id) && btf.kindOf(id) === 12);
  const fname = btf.nameOf(funcs[0]!);

  it('fentry/fexit/fmod_ret resolve a FUNC by its own name', () => {
    for (const kind of ['fentry', 'fexit', 'fmod_ret'] as const) {
      const t = resolveAttachTarget(btf, kind, fname);
      expect(t).toEqual({ kind, target: fname, btfName: fname, btfId: funcs[0] });
    }
  });

  it('lsm, iter and tp_btf add the kernel prefixes, and missing types are named', () => {
    expect(() => resolveAttachTarget(btf, 'lsm', fname)).toThrow(`lsm '${fname}': kernel BTF has no func 'bpf_lsm_${fname}'`);
    expect(() => resolveAttachTarget(btf, 'tp_btf', 'sched_switch')).toThrow("tp_btf 'sched_switch': kernel BTF has no typedef 'btf_trace_sched_switch'");
    expect(() => resolveAttachTarget(btf, 'iter', 'task')).toThrow(/bpf_iter_task/);
    expect(() => resolveAttachTarget(btf, 'fentry', '')).toThrow(/no target/);
  });

  it('knows which programs lockdown refuses', () => {
    expect(lockdownSensitive(ProgType.TRACING, AttachType.TRACE_FENTRY)).toBe(true);
    expect(lockdownSensitive(ProgType.TRACING, AttachType.TRACE_FEXIT)).toBe(true);
    expect(lockdownSensitive(ProgType.TRACING, AttachType.MODIFY_RETURN)).toBe(true);
    expect(lockdownSensitive(ProgType.LSM, AttachType.LSM_MAC)).toBe(true);
    expect(lockdownSensitive(ProgType.TRACING, AttachType.TRACE_RAW_TP)).toBe(false);
    expect(lockdownSensitive(ProgType.TRACING, AttachType.TRACE_ITER)).toBe(false);
    const eperm = new BpfError('BPF_PROG_LOAD', 1);
    const x = explainLockdown(eperm, { name: 'p', type: ProgType.TRACING, expectedAttachType: AttachType.TRACE_FENTRY });
    if (process.geteuid?.() === 0) expect(x).toBeInstanceOf(LockdownError);
    expect(explainLockdown(eperm, { name: 'p', type: ProgType.XDP })).toBe(eperm);
  });

  it('syscall symbols use the architecture prefix', () => {
    expect(syscallSymbol('getpid')).toMatch(/^__(x64|arm64|se)_sys_getpid$/);
  });
});

describeKernel('lockdown-refused tracing programs', () => {
  const cases = [
    { kind: 'fentry', at: AttachType.TRACE_FENTRY, type: ProgType.TRACING, target: 'do_unlinkat', resolve: 'fentry' },
    { kind: 'fexit', at: AttachType.TRACE_FEXIT, type: ProgType.TRACING, target: 'do_unlinkat', resolve: 'fexit' },
    { kind: 'fmod_ret', at: AttachType.MODIFY_RETURN, type: ProgType.TRACING, target: 'security_file_open', resolve: 'fmod_ret' },
    { kind: 'lsm', at: AttachType.LSM_MAC, type: ProgType.LSM, target: 'file_open', resolve: 'lsm' },
  ] as const;
  for (const k of cases) {
    it(`${k.kind}: either loads, attaches and runs, or the error says "lockdown"`, () => {
      const t = resolveAttachTarget(kernelBtf(), k.resolve, k.target);
      let c: Counter;
      try {
        c = counter({ type: k.type, name: `${k.kind}_t`, expectedAttachType: k.at, attachBtfId: t.btfId });
      } catch (e) {
        const errno = (e as { errno?: number }).errno;
        expect(errno).toBe(1); // EPERM
        const x = explainLockdown(new BpfError('BPF_PROG_LOAD', errno!), { name: `${k.kind}_t`, type: k.type, expectedAttachType: k.at });
        expect(x).toBeInstanceOf(LockdownError);
        expect((x as Error).message).toMatch(/refused by kernel lockdown/);
        expect((x as Error).message).not.toMatch(/are you root/);
        return;
      }
      open.push(c);
      // No lockdown on this kernel: the program really attaches.
      using link = attachTracing(c.prog, { target: k.target });
      expect(link.info().id).toBeGreaterThan(0);
    });
  }
});

describeKernel('kprobes', () => {
  it('kprobe/kretprobe/ksyscall/kprobe.multi: attach, or say the kernel has no kprobes', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'kp' });
    open.push(c);
    const tries = [
      () => attachKprobe(c.prog, 'do_unlinkat'),
      () => attachKprobe(c.prog, 'do_unlinkat', { retprobe: true }),
      () => attachKsyscall(c.prog, 'getppid'),
      () => attachKprobeMulti(c.prog, 'do_unlink*'),
    ];
    if (pmuType('kprobe') === undefined) {
      for (const t of tries) expect(t).toThrow(/kernel built without CONFIG_KPROBES/);
      expect(tries[0]).toThrow(AttachError);
      expect(tries[0]).toThrow("kprobe 'do_unlinkat': kernel built without CONFIG_KPROBES");
    } else {
      for (const t of tries.slice(0, 3)) t().close();
    }
  });

  it('refuses a program of another type before looking for kprobes', () => {
    const c = counter({ type: ProgType.TRACEPOINT, name: 'not_kp' });
    open.push(c);
    expect(() => attachKprobe(c.prog, 'do_unlinkat')).toThrow("kprobe 'do_unlinkat': program 'not_kp' has type tracepoint; kprobe needs kprobe");
  });
});
