/**
 * Attach mechanisms this machine's kernel refuses, run for real in the kernel matrix VMs
 * (`npm run test:kernels`: Debian 6.1 and 6.12, with kprobes and without lockdown):
 * kprobe, kretprobe, ksyscall, kprobe.multi (6.12), fentry, fexit, fmod_ret, lsm, and
 * freplace. Each program counts the calls of this process only, and the test makes an exact
 * number of them.
 *
 * On a kernel without kprobes, or under lockdown, the same fixtures must fail with the
 * clear error instead. Inside the matrix (`TSBPF_KERNEL_MATRIX=1`) the error path is not
 * accepted: there the kernels have kprobes and no lockdown, so a failure to attach fails.
 */
import { mkdirSync, openSync, readFileSync, closeSync, rmSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';
import { encodeInstructions } from '../../src/asm/index.js';
import { Collection, loadCollection, LoadError, readKallsyms, readKernelConfig } from '../../src/collection/index.js';
import { parseObject, resolveCalls, type ObjectSpec } from '../../src/object/index.js';
import { BpfError, Fd, hostLittleEndian, ProgType, progLoadRaw } from '../../src/syscall/index.js';
import { Program } from '../../src/programs/index.js';
import { AttachError, attachFreplace, attachKprobeMulti, explainLockdown, LockdownError, lockdownMode, pmuType } from '../../src/link/index.js';

/** Set by scripts/kernel-matrix: kprobes and trampolines must work here. */
const inMatrix = process.env.TSBPF_KERNEL_MATRIX === '1';
const dir = `/tmp/tsbpf-vm-attach-${process.pid}`;

const spec = (name: string): ObjectSpec => parseObject(readFixture(name), { fileName: `${name}.bpfel.o` });

/** Creates and unlinks `n` files (n calls of do_unlinkat from this process). */
function unlinkFiles(n: number): void {
  for (let i = 0; i < n; i++) {
    const f = join(dir, `u${i}`);
    writeFileSync(f, '');
    unlinkSync(f);
  }
}

/** Opens and closes an existing file `n` times (n calls of security_file_open). */
function openFile(n: number): void {
  const f = join(dir, 'open-me');
  for (let i = 0; i < n; i++) closeSync(openSync(f, 'r'));
}

function counter(c: Collection, name: string): bigint {
  return c.variable(name).getBigUint();
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'open-me'), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kprobes = pmuType('kprobe') !== undefined;

/**
 * Loads programs of matrix_trampoline; outside the matrix, returns the kernel's refusal
 * (EPERM: lockdown on this machine) for {@link expectLockdownRefusal} to check.
 */
function loadTrampolines(programs: string[]): Collection | LoadError | LockdownError {
  try {
    return loadCollection(spec('matrix_trampoline'), { programs });
  } catch (e) {
    if (inMatrix) throw e;
    if (e instanceof LockdownError) return e;
    if (!(e instanceof LoadError) || !(e.cause instanceof BpfError) || e.cause.errno !== 'EPERM') throw e;
    return e;
  }
}

/**
 * A refused trampoline/LSM/freplace load names the program and EPERM, and says lockdown: the
 * loader's own {@link LockdownError}, or a `LoadError`/`BpfError` that `explainLockdown` turns into one.
 */
function expectLockdownRefusal(err: LoadError | LockdownError | BpfError, prog: string, type?: number, expectedAttachType?: number): void {
  if (err instanceof LockdownError) {
    expect(err.message).toContain(`program '${prog}' refused by kernel lockdown`);
    expect(err.cause).toBeInstanceOf(BpfError);
    expect((err.cause as BpfError).errno).toBe('EPERM');
    return;
  }
  const p = spec(prog.startsWith('matrix_repl') ? 'matrix_freplace' : 'matrix_trampoline').programs.get(prog)!;
  const cause = err instanceof LoadError ? err.cause : err;
  if (err instanceof LoadError) expect(err.message).toMatch(new RegExp(`program '${prog}'.*EPERM.*lockdown`, 's'));
  expect(cause).toBeInstanceOf(BpfError);
  expect((cause as BpfError).errno).toBe('EPERM');
  const x = explainLockdown(cause, { name: prog, type: type ?? p.type, expectedAttachType: expectedAttachType ?? p.expectedAttachType });
  expect(x).toBeInstanceOf(LockdownError);
  expect((x as Error).message).toContain(`program '${prog}' refused by kernel lockdown`);
}

describeKernel('kprobe, kretprobe, ksyscall (matrix_kprobe)', () => {
  it('inside the matrix the kernel has kprobes', () => {
    if (inMatrix) expect(kprobes, 'the matrix kernels are built with CONFIG_KPROBES').toBe(true);
  });

  it(kprobes ? 'count exactly the unlinks and getppid calls this process makes' : 'attaching says the kernel has no kprobes', () => {
    using coll = loadCollection(spec('matrix_kprobe'));
    if (!kprobes) {
      expect(() => coll.attachAll()).toThrow(AttachError);
      for (const only of ['matrix_kprobe', 'matrix_kretprobe', 'matrix_ksyscall']) {
        expect(() => coll.attachAll({ only: [only] })).toThrow(/kernel built without CONFIG_KPROBES/);
      }
      return;
    }
    coll.variable('target_tgid').set(process.pid);
    using links = coll.attachAll();
    // ksyscall is a kprobe on the architecture's syscall entry symbol.
    expect(links.links.map((l) => `${l.kind} ${l.target}`).sort()).toEqual(['kprobe __x64_sys_getppid', 'kprobe do_unlinkat', 'kretprobe do_unlinkat']);
    unlinkFiles(5);
    let ppid = 0;
    for (let i = 0; i < 7; i++) ppid = process.ppid;
    expect(ppid).toBeGreaterThan(0);
    expect(counter(coll, 'kprobe_hits')).toBe(5n);
    expect(counter(coll, 'kretprobe_hits')).toBe(5n);
    // kretprobe reads the return value: every unlink succeeded.
    expect(counter(coll, 'kretprobe_ok')).toBe(5n);
    expect(counter(coll, 'ksyscall_hits')).toBe(7n);
    links.close();
    unlinkFiles(2);
    expect(counter(coll, 'kprobe_hits')).toBe(5n);
  });
});

describeKernel('kprobe.multi and kretprobe.multi (matrix_kprobe_multi)', () => {
  // CONFIG_FPROBE: Debian's 6.12 has it, 6.1 does not.
  // The matrix VMs see their own config at /boot/config-$(uname -r) (the guest init puts it there).
  const fprobe = readKernelConfig()?.get('CONFIG_FPROBE');

  it('count each function of one multi-kprobe link, or say what the kernel lacks', () => {
    using coll = loadCollection(spec('matrix_kprobe_multi'));
    if (!kprobes) {
      expect(() => coll.attachAll()).toThrow(/kernel built without CONFIG_KPROBES/);
      return;
    }
    if (fprobe === undefined || fprobe === 'n') {
      expect(() => coll.attachAll()).toThrow(/kprobe\.multi 'do_unlinka\?': attaching to 1 function\(s\) failed: kernel without kprobe_multi links \(needs Linux >= 5\.18 with CONFIG_FPROBE\)/);
      return;
    }
    coll.variable('target_tgid').set(process.pid);
    const ksyms = readKallsyms(new Set(['do_unlinkat', 'do_rmdir']));
    const unlinkAddr = ksyms.get('do_unlinkat');
    const rmdirAddr = ksyms.get('do_rmdir');
    expect(unlinkAddr).toBeDefined();
    expect(rmdirAddr).toBeDefined();
    coll.variable('unlink_addr').set(unlinkAddr!);
    coll.variable('rmdir_addr').set(rmdirAddr!);
    {
      // By section: the glob 'do_unlinka?' matches do_unlinkat only.
      using links = coll.attachAll();
      expect(links.links.map((l) => `${l.kind} ${l.target}`).sort()).toEqual(['kprobe.multi do_unlinka?', 'kretprobe.multi do_unlinka?']);
      unlinkFiles(4);
      expect(counter(coll, 'unlink_hits')).toBe(4n);
      expect(counter(coll, 'return_hits')).toBe(4n);
    }
    // By list: one link, two functions.
    using link = attachKprobeMulti(coll.program('matrix_kprobe_multi')!, ['do_unlinkat', 'do_rmdir']);
    unlinkFiles(3);
    for (let i = 0; i < 2; i++) {
      mkdirSync(join(dir, 'd'));
      rmdirSync(join(dir, 'd'));
    }
    expect(counter(coll, 'unlink_hits')).toBe(7n);
    expect(counter(coll, 'rmdir_hits')).toBe(2n);
    expect(counter(coll, 'other_hits')).toBe(0n);
    expect(counter(coll, 'return_hits')).toBe(4n);
    link.close();
    expect(() => attachKprobeMulti(coll.program('matrix_kprobe_multi')!, 'tsbpf_no_such_function_*')).toThrow(
      "kprobe.multi 'tsbpf_no_such_function_*': no kernel function matches",
    );
  });
});

describeKernel('fentry, fexit, fmod_ret, lsm (matrix_trampoline)', () => {
  it('inside the matrix the kernel has no lockdown and the BPF LSM is active', () => {
    if (!inMatrix) return;
    expect(lockdownMode()).toBe('none');
    expect(readFileSync('/sys/kernel/security/lsm', 'utf8').split(',')).toContain('bpf');
  });

  it('fentry and fexit count exactly the unlinks; fexit sees their return values', () => {
    const loaded = loadTrampolines(['matrix_fentry', 'matrix_fexit']);
    if (!(loaded instanceof Collection)) return expectLockdownRefusal(loaded, 'matrix_fentry');
    using coll = loaded;
    coll.variable('target_tgid').set(process.pid);
    using links = coll.attachAll();
    expect(links.links.map((l) => l.kind).sort()).toEqual(['fentry', 'fexit']);
    unlinkFiles(6);
    expect(() => unlinkSync(join(dir, 'missing'))).toThrow(/ENOENT/);
    expect(counter(coll, 'fentry_hits')).toBe(7n);
    expect(counter(coll, 'fexit_hits')).toBe(7n);
    expect(counter(coll, 'fexit_ok')).toBe(6n);
    links.close();
    unlinkFiles(1);
    expect(counter(coll, 'fentry_hits')).toBe(7n);
  });

  for (const k of [
    { prog: 'matrix_fmod_ret', hits: 'fmod_ret_hits', deny: 1 },
    { prog: 'matrix_lsm', hits: 'lsm_hits', deny: 2 },
  ]) {
    it(`${k.prog.slice(7)} counts the opens and refuses them with EPERM when told to`, () => {
      const loaded = loadTrampolines([k.prog]);
      if (!(loaded instanceof Collection)) return expectLockdownRefusal(loaded, k.prog);
      using coll = loaded;
      coll.variable('target_tgid').set(process.pid);
      using links = coll.attachAll();
      openFile(4);
      expect(counter(coll, k.hits)).toBe(4n);
      coll.variable('deny').set(k.deny);
      try {
        expect(() => openFile(1)).toThrow(/EPERM/);
      } finally {
        coll.variable('deny').set(0);
      }
      openFile(2);
      expect(counter(coll, k.hits)).toBe(7n);
      links.close();
      openFile(1);
      expect(counter(coll, k.hits)).toBe(7n);
    });
  }
});

describeKernel('freplace (matrix_freplace)', () => {
  it('replaces a global function of a loaded XDP program while the link lives', () => {
    const s = spec('matrix_freplace');
    using coll = loadCollection(s, { programs: ['matrix_xdp'] });
    const xdp = coll.program('matrix_xdp')!;
    const packet = new Uint8Array(64);
    const XDP_DROP = 1;
    const XDP_PASS = 2;
    expect(xdp.testRun({ data: packet }).retval).toBe(XDP_PASS);

    // loadCollection does not load freplace programs yet (they need the target program's
    // fd): load it as libbpf does after bpf_program__set_attach_target().
    const p = s.programs.get('matrix_replacement')!;
    const insns = p.instructions.map((i) => ({ ...i }));
    resolveCalls(insns, p.name);
    const funcInfo = new Uint8Array(8);
    new DataView(funcInfo.buffer).setUint32(4, insns[0]!.funcTypeId!, hostLittleEndian);
    const targetBtfId = s.btf!.findByName('matrix_verdict', 'FUNC');
    expect(targetBtfId).toBeDefined();
    const r = progLoadRaw({
      prog_type: ProgType.EXT,
      insns: encodeInstructions(insns, hostLittleEndian),
      license: p.license,
      prog_name: 'matrix_replace',
      prog_btf_fd: coll.btfFd!,
      func_info_rec_size: 8,
      func_info: funcInfo,
      attach_prog_fd: xdp.fd,
      attach_btf_id: targetBtfId!,
      log_size: 1 << 16,
    });
    if (!r.fd && r.errno === 1 && !inMatrix) {
      // Lockdown refuses extension programs as it refuses trampolines (they use one).
      return expectLockdownRefusal(new BpfError('BPF_PROG_LOAD', r.errno), 'matrix_replacement', ProgType.EXT, 0);
    }
    if (!r.fd) throw new Error(`loading the freplace program failed: errno ${r.errno}\n${r.log}`);
    using ext = new Program(r.fd as Fd, 'matrix_replacement', ProgType.EXT);
    {
      using link = attachFreplace(ext);
      expect(link.kind).toBe('freplace');
      expect(xdp.testRun({ data: packet }).retval).toBe(XDP_DROP);
    }
    expect(xdp.testRun({ data: packet }).retval).toBe(XDP_PASS);
  });
});
