/**
 * attachBySection over every program of the `sections` fixture (one program per section
 * kind, each `return 0`), loaded with a minimal encoder: what `collection.attachAll()` will
 * do. Each program gets a link, `undefined` (no target in its section), or one of our typed
 * errors -- never a crash -- and the kinds this kernel supports attach.
 */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { TsbpfError } from '../../src/errors.js';
import { encodeInstructions } from '../../src/asm/index.js';
import { findSectionDef, parseObject, resolveCalls, type ProgramSpec } from '../../src/object/index.js';
import { hostLittleEndian, progLoadRaw, ProgType, type Fd } from '../../src/syscall/index.js';
import { attachBySection, explainLockdown, resolveAttachTarget, type BtfAttachKind, type Link } from '../../src/link/index.js';
import { BpfError } from '../../src/syscall/index.js';
import { kernelBtf } from './programs.js';

/** Loads a map-free fixture program; returns the fd or the (lockdown-explained) error. */
function load(p: ProgramSpec): Fd | unknown {
  const insns = p.instructions.map((i) => ({ ...i }));
  resolveCalls(insns, p.name);
  let attachBtfId: number | undefined;
  const kind = p.section.split('/')[0]!.replace(/\.s$/, '') as BtfAttachKind;
  if (['tp_btf', 'fentry', 'fexit', 'fmod_ret', 'lsm', 'iter'].includes(kind)) {
    try {
      attachBtfId = resolveAttachTarget(kernelBtf(), kind, p.attachTarget ?? '').btfId;
    } catch (e) {
      return e;
    }
  }
  const r = progLoadRaw({
    prog_type: p.type,
    insns: encodeInstructions(insns, hostLittleEndian),
    license: p.license,
    prog_name: p.name.slice(0, 15),
    expected_attach_type: p.expectedAttachType,
    prog_flags: p.flags,
    ...(attachBtfId !== undefined ? { attach_btf_id: attachBtfId } : {}),
  });
  if (r.fd) return r.fd;
  return explainLockdown(new BpfError('BPF_PROG_LOAD', r.errno), { name: p.name, type: p.type, expectedAttachType: p.expectedAttachType });
}

const fds: Fd[] = [];
const links: Link[] = [];
afterAll(() => {
  for (const l of links) l.close();
  for (const f of fds) f.close();
});

describeKernel('attachBySection over the sections fixture', () => {
  it('every program attaches, is skipped, or fails with a typed error', () => {
    const spec = parseObject(readFileSync(fixturePath('sections')));
    const outcome: Record<string, string> = {};
    for (const p of spec.programs.values()) {
      const fd = load(p);
      if (!(fd && typeof fd === 'object' && 'raw' in fd)) {
        expect(fd).toBeInstanceOf(TsbpfError);
        outcome[p.section] = `load: ${(fd as Error).constructor.name}`;
        continue;
      }
      fds.push(fd as Fd);
      const prog = { fd: (fd as Fd).raw, name: p.name, type: p.type, expectedAttachType: p.expectedAttachType };
      try {
        const link = attachBySection(prog, findSectionDef(p.section)!);
        if (link) links.push(link);
        outcome[p.section] = link ? `link ${link.kind}` : 'none';
      } catch (e) {
        expect(e).toBeInstanceOf(TsbpfError);
        outcome[p.section] = `attach: ${(e as Error).constructor.name}`;
      }
    }
    // What this kernel (no kprobes, lockdown on trampolines) must give.
    expect(outcome).toMatchObject({
      'tracepoint/sched/sched_process_exec': 'link tracepoint',
      'tp/syscalls/sys_enter_openat': 'link tracepoint',
      'raw_tracepoint/sched_switch': 'link raw_tracepoint',
      'raw_tp/sys_exit': 'link raw_tracepoint',
      'tp_btf/sched_wakeup': 'link tp_btf',
      'iter/task': 'link iter',
      'iter/bpf_map': 'link iter',
      'uprobe/libc.so.6:malloc': 'link uprobe',
      'uretprobe/libc.so.6:malloc': 'link uretprobe',
      xdp: 'none',
      'tcx/ingress': 'none',
      'cgroup/sock_create': 'none',
      socket: 'none',
    });
    for (const s of ['fentry/do_unlinkat', 'fexit/do_unlinkat', 'fmod_ret/security_file_open', 'lsm/file_open']) {
      expect([`load: LockdownError`, `link ${s.split('/')[0]}`]).toContain(outcome[s]);
    }
    for (const s of ['kprobe/do_unlinkat', 'kretprobe/do_unlinkat', 'ksyscall/openat', 'kprobe.multi/vfs_*']) {
      expect(outcome[s]).toMatch(/^(attach: AttachError|link)/);
    }
    // Debian's libc carries no USDT notes: the error names the probe; elsewhere it attaches.
    expect(outcome['usdt/libc.so.6:libc:setjmp']).toMatch(/^(attach: AttachError|link usdt)$/);
    expect(Object.keys(outcome).length).toBe(spec.programs.size);
    expect(spec.programs.size).toBeGreaterThan(40);
  });
});
