/**
 * kfuncs of a kernel module (matrix_module_kfunc): `bpf_xdp_ct_lookup` and `bpf_ct_release`
 * are in the BTF of `nf_conntrack`, not vmlinux. In the kernel matrix VMs (Debian 6.1 and 6.12,
 * with nf_conntrack and its dependencies extracted by kernel.sh) the test modprobes the module,
 * loads the XDP program (the calls carry the module's BTF fd index in `off`, the fd goes in
 * `fd_array`) and runs it with BPF_PROG_TEST_RUN: the lookup finds no connection, so the
 * kernel function writes -ENOENT into `opts.error`. A kernel with nf_conntrack built in (this
 * host: it has no modules) has both in vmlinux, and the same program loads and runs with
 * plain vmlinux calls. On a kernel with neither, the load fails naming the kfunc and what was
 * searched. In every case no module BTF fd stays open.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';
import { loadCollection, LoadError } from '../../src/collection/index.js';
import { KernelSymbolBtf } from '../../src/collection/module-btf.js';
import { readKernelBtf } from '../../src/btf/index.js';
import { parseObject } from '../../src/object/index.js';

/** Set by scripts/kernel-matrix: nf_conntrack is there to load. */
const inMatrix = process.env.TSBPF_KERNEL_MATRIX === '1';
const XDP_DROP = 1;
const ENOENT = 2;

/** This process's open BTF object fds (`anon_inode:btf`). */
function btfFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:btf') n++;
    } catch {
      // closed while listing (readdir's own fd)
    }
  }
  return n;
}

const spec = () => parseObject(readFixture('matrix_module_kfunc'), { fileName: 'matrix_module_kfunc.bpfel.o' });

/**
 * Where this kernel has the conntrack kfuncs: in vmlinux (nf_conntrack built in), in the
 * module's BTF (loaded here with modprobe when needed), or nowhere.
 */
function conntrackKfuncs(): 'vmlinux' | 'module' | 'missing' {
  if (readKernelBtf().findByName('bpf_xdp_ct_lookup', 'FUNC') !== undefined) return 'vmlinux';
  if (!existsSync('/sys/kernel/btf/nf_conntrack')) {
    try {
      execFileSync('modprobe', ['nf_conntrack'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      if (inMatrix) throw e;
    }
  }
  return existsSync('/sys/kernel/btf/nf_conntrack') ? 'module' : 'missing';
}

describeKernel('kfuncs in module BTF (matrix_module_kfunc, nf_conntrack)', () => {
  const where = conntrackKfuncs();
  const haveModule = where === 'module';

  it(`the conntrack kfuncs are in ${where === 'missing' ? 'no BTF' : where}${inMatrix ? ' (the matrix kernels build nf_conntrack as a module)' : ''}`, () => {
    if (inMatrix) expect(where, 'kernel.sh extracts nf_conntrack and its dependencies').toBe('module');
  });

  it.runIf(haveModule)('finds both kfuncs in nf_conntrack, not vmlinux', () => {
    const vmlinux = readKernelBtf();
    const symbols = new KernelSymbolBtf(vmlinux, () => vmlinux);
    try {
      for (const name of ['bpf_xdp_ct_lookup', 'bpf_ct_release']) {
        expect(vmlinux.findByName(name, 'FUNC')).toBeUndefined();
        const found = symbols.find(name, 'FUNC');
        expect(found?.module?.name, name).toBe('nf_conntrack');
        // Split BTF: the module's ids come after vmlinux's.
        expect(found!.id).toBeGreaterThan(vmlinux.maxId);
        expect(symbols.fdArrayIndex(found!.module!)).toBe(1);
      }
      expect(symbols.fdArray).toHaveLength(2);
      expect(symbols.searched()).toMatch(/^vmlinux and \d+ module BTFs?$/);
    } finally {
      symbols.close();
    }
  });

  it.runIf(where !== 'missing')(`loads the XDP program and runs it: the ${where === 'module' ? 'module' : 'vmlinux'} kfunc is called`, () => {
    const before = btfFds();
    {
      using c = loadCollection(spec());
      // The object's own BTF is open; a module's BTF fd was closed when the load returned.
      expect(btfFds()).toBe(before + 1);
      const r = c.program('matrix_ct_lookup')!.testRun({ data: new Uint8Array(64) });
      expect(r.retval).toBe(XDP_DROP);
      // Written by bpf_xdp_ct_lookup itself: no connection matches the tuple.
      expect(c.variable('lookup_error').getBigInt()).toBe(BigInt(-ENOENT));
    }
    expect(btfFds()).toBe(before);
  });

  it.runIf(where === 'missing')('without the module the load fails naming the kfunc and what was searched', () => {
    const before = btfFds();
    let err: unknown;
    try {
      loadCollection(spec()).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    const e = err as LoadError;
    expect(e.program).toBe('matrix_ct_lookup');
    expect(e.symbol).toBe('bpf_xdp_ct_lookup');
    expect(e.message).toMatch(/^program 'matrix_ct_lookup': insn #\d+: kfunc 'bpf_xdp_ct_lookup' not found in kernel BTF \(searched vmlinux(; no module BTF is loaded| and \d+ module BTFs?)\)$/);
    expect(btfFds()).toBe(before);
  });
});
