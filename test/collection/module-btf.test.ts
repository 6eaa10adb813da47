/**
 * kfuncs and typed ksyms looked up in vmlinux and then module BTF (src/collection/module-btf.ts):
 * what a failed search says, the kernel version rules, the module list made lazily and once,
 * fd_array indexes from 1, and no BTF fd left open. The kernel matrix loads a real module's
 * kfuncs (test/vm/module-kfunc.test.ts); this host has no modules.
 */
import { readdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_BTF_FEATURES, btfFromElf, parseBtf, readKernelBtf, sanitizeBtf } from '../../src/btf/index.js';
import { kernelVersionCode, loadCollection, LoadError } from '../../src/collection/index.js';
import { describeSearch, KernelSymbolBtf, listModuleBtfs, moduleSymbolsUnsupported, type ModuleBtfList } from '../../src/collection/module-btf.js';
import { parseElf } from '../../src/elf/index.js';
import { NotSupportedError } from '../../src/errors.js';
import { parseObject, type ObjectSpec, type ProgramSpec } from '../../src/object/index.js';
import { btfLoadRaw } from '../../src/syscall/index.js';
import { slotCount } from '../../src/asm/index.js';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

const spec = (name: string): ObjectSpec => parseObject(readFixture(name), { fileName: `${name}.bpfel.o` });
const openFds = () => readdirSync('/proc/self/fd').length;
const pinRoot = `/sys/fs/bpf/tsbpf_test_modbtf_${process.pid}`;

/** `spec` with program `prog`'s reference named `from` renamed to `to` (and made strong and, for a ksym, typed). */
function renamed(s: ObjectSpec, prog: string, from: string, to: string): { spec: ObjectSpec; insn: number } {
  const p = s.programs.get(prog)!;
  let slot = 0;
  let at = -1;
  const instructions = p.instructions.map((i) => {
    const here = slot;
    slot += slotCount(i);
    const r = i.reference;
    if (!r || (r.kind !== 'kfunc' && r.kind !== 'ksym') || r.name !== from) return i;
    at = here;
    return { ...i, reference: r.kind === 'kfunc' ? { ...r, name: to, weak: false } : { ...r, name: to, weak: false, typed: true } };
  });
  expect(at, `program '${prog}' refers to '${from}'`).toBeGreaterThanOrEqual(0);
  const programs = new Map<string, ProgramSpec>([[prog, { ...p, instructions }]]);
  return { spec: { ...s, programs }, insn: at };
}

describe('what a failed search says (pure)', () => {
  it('names vmlinux and the number of module BTFs searched', () => {
    expect(describeSearch(undefined)).toBe('vmlinux');
    const fake = (n: number): ModuleBtfList => ({ modules: Array.from({ length: n }, () => ({}) as never) });
    expect(describeSearch(fake(1))).toBe('vmlinux and 1 module BTF');
    expect(describeSearch(fake(3))).toBe('vmlinux and 3 module BTFs');
  });

  it('says when no module BTF exists, and since when kernels have it', () => {
    expect(describeSearch({ modules: [] }, kernelVersionCode(6, 1, 0))).toBe('vmlinux; no module BTF is loaded');
    expect(describeSearch({ modules: [] }, kernelVersionCode(5, 10, 0))).toBe('vmlinux; no module BTF is loaded (module BTF requires Linux >= 5.11)');
  });

  it('says when the module list could not be made', () => {
    expect(describeSearch({ modules: [], unavailable: 'BPF_BTF_GET_NEXT_ID: EPERM' })).toBe(
      'vmlinux; the module BTF list is incomplete: BPF_BTF_GET_NEXT_ID: EPERM',
    );
  });
});

describe('kernel version rules for module symbols (pure)', () => {
  const kfunc = { kind: 'kfunc' as const, name: 'bpf_xdp_ct_lookup', module: 'nf_conntrack', insn: 23 };
  const ksym = { kind: 'ksym' as const, name: 'some_percpu_var', module: 'some_mod', insn: 4 };

  it('module kfunc calls need Linux 5.16', () => {
    const e = moduleSymbolsUnsupported('xdp_ct', [kfunc], new Error('E2BIG'), kernelVersionCode(5, 15, 0))!;
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.message).toBe(
      "program 'xdp_ct': insn #23: kfunc 'bpf_xdp_ct_lookup' is in module 'nf_conntrack' BTF: calls to a module's kfuncs (module BTF fd in fd_array, indexed by the call's off) not supported by this kernel (requires Linux >= 5.16)",
    );
    expect(e.cause).toBeInstanceOf(Error);
    expect(moduleSymbolsUnsupported('xdp_ct', [kfunc], undefined, kernelVersionCode(5, 16, 0))).toBeUndefined();
  });

  it('module typed ksyms need Linux 5.12', () => {
    expect(moduleSymbolsUnsupported('p', [ksym], undefined, kernelVersionCode(5, 11, 0))?.message).toBe(
      "program 'p': insn #4: ksym 'some_percpu_var' is in module 'some_mod' BTF: a module's typed ksyms (module BTF fd in ld_imm64) not supported by this kernel (requires Linux >= 5.12)",
    );
    expect(moduleSymbolsUnsupported('p', [ksym], undefined, kernelVersionCode(5, 12, 0))).toBeUndefined();
    // On 5.14 the ksym is fine but the kfunc is not.
    expect(moduleSymbolsUnsupported('p', [ksym, kfunc], undefined, kernelVersionCode(5, 14, 0))?.message).toMatch(/kfunc 'bpf_xdp_ct_lookup'.*>= 5\.16/);
    // Unknown kernel version, or nothing from modules: no explanation to give.
    expect(moduleSymbolsUnsupported('p', [kfunc], undefined, 0)).toBeUndefined();
    expect(moduleSymbolsUnsupported('p', [], undefined, kernelVersionCode(5, 4, 0))).toBeUndefined();
  });
});

describeKernel('kfuncs and typed ksyms in vmlinux and module BTF', () => {
  afterAll(() => rmSync(pinRoot, { recursive: true, force: true }));

  it('lists the module BTF objects sysfs shows, and closes their fds', () => {
    const before = openFds();
    const sysfs = readdirSync('/sys/kernel/btf').filter((n) => n !== 'vmlinux').sort();
    const list = listModuleBtfs();
    expect(list.unavailable).toBeUndefined();
    expect(list.modules.map((m) => m.name).sort()).toEqual(sysfs);
    for (const m of list.modules) m.fd.close();
    expect(openFds()).toBe(before);
  });

  it('makes the module list only when a name misses vmlinux, and once per load', () => {
    const vmlinux = readKernelBtf();
    let listed = 0;
    const symbols = new KernelSymbolBtf(vmlinux, () => vmlinux, () => {
      listed++;
      return { modules: [] };
    });
    expect(symbols.find('bpf_map_lookup_elem', 'FUNC')?.module).toBeUndefined();
    expect(listed).toBe(0);
    expect(symbols.searched()).toBe('vmlinux');
    expect(symbols.find('bpf_tsbpf_no_such_kfunc', 'FUNC')).toBeUndefined();
    expect(symbols.find('tsbpf_no_such_var', 'VAR')).toBeUndefined();
    expect(listed).toBe(1);
    expect(symbols.fdArray).toBeUndefined();
    symbols.close();
  });

  it('takes a name missing from vmlinux from the first BTF that has it; its fd gets fd_array index 1, once; close closes it', () => {
    // A real BTF object (the loader fixture's) stands in for a module's: its FUNC read_config is not in vmlinux.
    const elf = parseElf(readFixture('loader'));
    const btf = parseBtf(sanitizeBtf(btfFromElf(elf)!.btf, ALL_BTF_FEATURES, { elf }).bytes);
    const loaded = btfLoadRaw(btf.bytes);
    expect(loaded.errno).toBe(0);
    const fd = loaded.fd!;
    const vmlinux = readKernelBtf();
    const symbols = new KernelSymbolBtf(vmlinux, () => vmlinux, () => ({ modules: [{ name: 'tsbpf_fake', id: 0, fd, btf, fdArrayIndex: 0 }] }));
    const found = symbols.find('read_config', 'FUNC')!;
    expect(found.module?.name).toBe('tsbpf_fake');
    expect(found.id).toBe(btf.findByName('read_config', 'FUNC'));
    expect(symbols.fdArrayIndex(found.module!)).toBe(1);
    expect(symbols.fdArrayIndex(found.module!)).toBe(1);
    expect(symbols.fdArray).toEqual([0, fd.raw]);
    expect(symbols.searched()).toBe('vmlinux and 1 module BTF');
    symbols.close();
    expect(fd.closed).toBe(true);
  });

  it('a missing kfunc names the program, the instruction and what was searched; nothing stays open', () => {
    // The loader fixture's use_kfunc calls bpf_task_from_pid: renamed to a kfunc no kernel has.
    const { spec: s, insn } = renamed(spec('loader'), 'use_kfunc', 'bpf_task_from_pid', 'bpf_tsbpf_no_such_kfunc');
    const before = openFds();
    let err: unknown;
    try {
      loadCollection(s, { programs: ['use_kfunc'], pinRoot }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    const e = err as LoadError;
    expect([e.program, e.insn, e.symbol]).toEqual(['use_kfunc', insn, 'bpf_tsbpf_no_such_kfunc']);
    const modules = readdirSync('/sys/kernel/btf').length - 1;
    const searched = modules ? `vmlinux and ${modules} module BTF${modules === 1 ? '' : 's'}` : 'vmlinux; no module BTF is loaded';
    expect(e.message).toBe(`program 'use_kfunc': insn #${insn}: kfunc 'bpf_tsbpf_no_such_kfunc' not found in kernel BTF (searched ${searched})`);
    expect(openFds()).toBe(before);
  });

  it('a missing typed ksym says so the same way', () => {
    // read_config takes the address of the untyped ksym bpf_prog_put: made a typed one no kernel has.
    const { spec: s, insn } = renamed(spec('loader'), 'read_config', 'bpf_prog_put', 'tsbpf_no_such_var');
    const before = openFds();
    expect(() => loadCollection(s, { programs: ['read_config'], pinRoot })).toThrow(
      new RegExp(`^program 'read_config': insn #${insn}: ksym 'tsbpf_no_such_var' not found in kernel BTF \\(no VAR of that name; searched vmlinux(; no module BTF is loaded| and \\d+ module BTFs?)\\)$`),
    );
    expect(openFds()).toBe(before);
  });
});
