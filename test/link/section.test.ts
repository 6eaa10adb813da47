/**
 * attachBySection: what a section name says, attached as libbpf's auto-attach does; and the
 * `tsbpf link pin|detach` commands.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { findSectionDef } from '../../src/object/index.js';
import { AttachType, ProgType } from '../../src/syscall/index.js';
import { AttachError, attachBySection, attachRawTracepoint, IterLink, loadPinnedLink, resolveAttachTarget } from '../../src/link/index.js';
import { counter, kernelBtf, type Counter } from './programs.js';

const pid = process.pid;
let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});
function sec(name: string) {
  const s = findSectionDef(name);
  if (!s) throw new Error(`no section def for ${name}`);
  return s;
}

describeKernel('attachBySection', () => {
  it('tracepoint/<cat>/<name> and raw_tp/<name> attach and run', () => {
    const tp = counter({ type: ProgType.TRACEPOINT, name: 'sec_tp', tgid: pid });
    const raw = counter({ type: ProgType.RAW_TRACEPOINT, name: 'sec_raw', tgid: pid });
    open.push(tp, raw);
    using a = attachBySection(tp.prog, sec('tracepoint/syscalls/sys_enter_getppid'))!;
    using b = attachBySection(raw.prog, sec('raw_tp/sys_enter'))!;
    expect([a.kind, a.target, b.kind, b.target]).toEqual(['tracepoint', 'syscalls/sys_enter_getppid', 'raw_tracepoint', 'sys_enter']);
    void process.ppid;
    expect(tp.count()).toBeGreaterThanOrEqual(1n);
    expect(raw.count()).toBeGreaterThanOrEqual(1n);
  });

  it('tp_btf and iter sections', () => {
    const t = resolveAttachTarget(kernelBtf(), 'tp_btf', 'sys_enter');
    const c = counter({ type: ProgType.TRACING, name: 'sec_btf', expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: t.btfId, tgid: pid });
    const it_ = counter({ type: ProgType.TRACING, name: 'sec_iter', expectedAttachType: AttachType.TRACE_ITER, attachBtfId: resolveAttachTarget(kernelBtf(), 'iter', 'task').btfId, seqWrite: true });
    open.push(c, it_);
    using l = attachBySection(c.prog, sec('tp_btf/sys_enter'))!;
    expect(l.kind).toBe('tp_btf');
    void process.ppid;
    expect(c.count()).toBeGreaterThanOrEqual(1n);
    using i = attachBySection(it_.prog, sec('iter/task'))!;
    expect(i).toBeInstanceOf(IterLink);
    expect((i as IterLink).readText().length).toBeGreaterThan(2);
  });

  it('sections without a target return undefined; malformed targets are named', () => {
    const x = counter({ type: ProgType.XDP, name: 'sec_xdp', expectedAttachType: AttachType.XDP, ret: 2 });
    const tp = counter({ type: ProgType.TRACEPOINT, name: 'sec_tp_bad' });
    open.push(x, tp);
    expect(attachBySection(x.prog, sec('xdp'))).toBeUndefined();
    expect(attachBySection(tp.prog, sec('tracepoint'))).toBeUndefined();
    expect(() => attachBySection(tp.prog, sec('tracepoint/nocategory'))).toThrow(AttachError);
    expect(() => attachBySection(tp.prog, sec('tracepoint/sched/no_such_event'))).toThrow("tracepoint 'sched/no_such_event': no such tracepoint");
    expect(() => attachBySection(tp.prog, sec('uprobe/nocolon'))).toThrow(/must be uprobe\/<path>:<function>/);
    expect(() => attachBySection(tp.prog, sec('kprobe/do_unlinkat'))).toThrow(/has type tracepoint; kprobe needs kprobe/);
  });
});

describeKernel('tsbpf link pin|detach', () => {
  it('pins a link by id; detach explains link types that cannot be detached', async () => {
    const c = counter({ type: ProgType.RAW_TRACEPOINT, name: 'cli_raw', tgid: pid });
    open.push(c);
    const path = `/sys/fs/bpf/tsbpf-link-cli-${pid}`;
    rmSync(path, { force: true });
    try {
      using link = attachRawTracepoint(c.prog, 'sys_enter');
      const id = link.info().id;
      const r = await runCli(['link', 'pin', 'id', String(id), path]);
      expect(r).toEqual({ code: 0, out: '', err: '' });
      using again = loadPinnedLink(path);
      expect(again.info().id).toBe(id);
      const d = await runCli(['link', 'detach', 'pinned', path]);
      expect(d.code).toBe(1);
      expect(d.err).toMatch(/raw_tracepoint links cannot be detached/);
      const bad = await runCli(['link', 'pin', 'id', '999999999', path + '-x']);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/no link with id 999999999/);
    } finally {
      rmSync(path, { force: true });
    }
    expect(existsSync(path)).toBe(false);
  });
});
