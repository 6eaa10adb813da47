/**
 * Tracepoint, raw tracepoint and tp_btf links on the real kernel: the program runs on a
 * syscall this test makes, stops on close, survives as a pin, and attach/detach cycles leak
 * no fd.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { BpfMap } from '../../src/maps/index.js';
import { NotSupportedError } from '../../src/errors.js';
import { afterEach, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { AttachType, hostLittleEndian, ProgType, linkInfo, LinkType } from '../../src/syscall/index.js';
import {
  AttachError,
  attachRawTracepoint,
  attachTracepoint,
  attachTracing,
  FdLink,
  LegacyAttachment,
  loadPinnedLink,
  resolveAttachTarget,
  tracepointId,
} from '../../src/link/index.js';
import { counter, kernelBtf, openFds, type Counter } from './programs.js';

const pid = process.pid;
/** A getppid(2) per call: Node's `process.ppid` is a getter that asks the kernel each time. */
function syscalls(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}

let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});
function track(c: Counter): Counter {
  open.push(c);
  return c;
}

describeKernel('tracepoint links', () => {
  it('counts getppid calls through syscalls/sys_enter_getppid, and stops on close', () => {
    const c = track(counter({ type: ProgType.TRACEPOINT, name: 'tp_getppid', tgid: pid }));
    const link = attachTracepoint(c.prog, 'syscalls', 'sys_enter_getppid');
    expect(link).toBeInstanceOf(FdLink);
    syscalls(5);
    expect(c.count()).toBeGreaterThanOrEqual(5n);
    const info = link.info();
    expect(info.id).toBeGreaterThan(0);
    expect((info as { type: number }).type).toBe(LinkType.PERF_EVENT);
    link.close();
    link.close(); // idempotent
    expect(link.closed).toBe(true);
    const before = c.count();
    syscalls(5);
    expect(c.count()).toBe(before);
  });

  it('the ioctl path (kernels before 5.15): runs, has no link object, stops on close', () => {
    const c = track(counter({ type: ProgType.TRACEPOINT, name: 'tp_ioctl', tgid: pid }));
    const att = attachTracepoint(c.prog, 'syscalls', 'sys_enter_getppid', { perfLink: false });
    expect(att).toBeInstanceOf(LegacyAttachment);
    expect(att.info()).toEqual({ id: undefined, kind: 'tracepoint (ioctl)', target: 'syscalls/sys_enter_getppid', program: 'tp_ioctl' });
    expect(() => att.pin('/sys/fs/bpf/never')).toThrow(NotSupportedError);
    syscalls(4);
    expect(c.count()).toBeGreaterThanOrEqual(4n);
    att.close();
    const before = c.count();
    syscalls(4);
    expect(c.count()).toBe(before);
  });

  it('reads the id from tracefs and names an unknown tracepoint', () => {
    expect(tracepointId('syscalls', 'sys_enter_getppid')).toBeGreaterThan(0);
    const c = track(counter({ type: ProgType.TRACEPOINT, name: 'tp_bad' }));
    expect(() => attachTracepoint(c.prog, 'syscalls', 'sys_enter_no_such_call')).toThrow(AttachError);
    expect(() => attachTracepoint(c.prog, 'syscalls', 'sys_enter_no_such_call')).toThrow(/tracepoint 'syscalls\/sys_enter_no_such_call': no such tracepoint/);
    expect(() => attachTracepoint(c.prog, '../x', 'y')).toThrow(/not a tracepoint name/);
  });

  it('refuses a program of another type, naming the target', () => {
    const c = track(counter({ type: ProgType.SOCKET_FILTER, name: 'not_a_tp' }));
    expect(() => attachTracepoint(c.prog, 'syscalls', 'sys_enter_getppid')).toThrow(
      "tracepoint 'syscalls/sys_enter_getppid': program 'not_a_tp' has type socket_filter; tracepoint needs tracepoint",
    );
  });

  it('a pinned perf_event link keeps its perf event after close, and reopens', () => {
    const c = track(counter({ type: ProgType.TRACEPOINT, name: 'tp_pinned', tgid: pid }));
    const path = `/sys/fs/bpf/tsbpf-link-tp-${pid}`;
    rmSync(path, { force: true });
    try {
      const link = attachTracepoint(c.prog, 'syscalls', 'sys_enter_getppid');
      link.pin(path);
      link.close();
      syscalls(2);
      expect(c.count()).toBeGreaterThanOrEqual(2n);
      using again = loadPinnedLink(path);
      expect(again.kind).toBe('perf_event');
      rmSync(path);
      again.close();
      const before = c.count();
      syscalls(2);
      expect(c.count()).toBe(before);
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('leaks no fd over 20 attach/detach cycles', () => {
    const c = track(counter({ type: ProgType.TRACEPOINT, name: 'tp_cycle' }));
    const before = openFds();
    for (let i = 0; i < 20; i++) attachTracepoint(c.prog, 'syscalls', 'sys_enter_getppid').close();
    expect(openFds()).toBe(before);
  });
});

describeKernel('raw tracepoint links', () => {
  it('counts syscalls through raw_tp sys_enter, stops on close', () => {
    const c = track(counter({ type: ProgType.RAW_TRACEPOINT, name: 'raw_sys_enter', tgid: pid }));
    const link = attachRawTracepoint(c.prog, 'sys_enter');
    syscalls(3);
    expect(c.count()).toBeGreaterThanOrEqual(3n);
    const info = link.info();
    expect(info.rawTracepoint).toBe('sys_enter');
    expect(info.type).toBe(LinkType.RAW_TRACEPOINT);
    link.close();
    const before = c.count();
    syscalls(3);
    expect(c.count()).toBe(before);
  });

  it('names an unknown raw tracepoint', () => {
    const c = track(counter({ type: ProgType.RAW_TRACEPOINT, name: 'raw_bad' }));
    expect(() => attachRawTracepoint(c.prog, 'no_such_tracepoint_xyz')).toThrow(/raw_tracepoint 'no_such_tracepoint_xyz': no such tracepoint/);
  });

  it('pinned links keep running without an fd, reopen, and stop when unpinned', () => {
    const c = track(counter({ type: ProgType.RAW_TRACEPOINT, name: 'raw_pinned', tgid: pid }));
    const path = `/sys/fs/bpf/tsbpf-link-test-${pid}`;
    rmSync(path, { force: true });
    try {
      const link = attachRawTracepoint(c.prog, 'sys_enter');
      const id = link.info().id;
      link.pin(path);
      link.close();
      const before = c.count();
      syscalls(3);
      expect(c.count()).toBeGreaterThan(before);
      using again = loadPinnedLink(path);
      expect(again.info().id).toBe(id);
      expect(again.kind).toBe('raw_tracepoint');
      rmSync(path);
      again.close();
      const after = c.count();
      syscalls(3);
      expect(c.count()).toBe(after);
    } finally {
      rmSync(path, { force: true });
    }
    expect(existsSync(path)).toBe(false);
  });

  it('a link pinned by another process outlives it and reopens here', () => {
    const linkPin = `/sys/fs/bpf/tsbpf-link-child-${pid}`;
    const mapPin = `/sys/fs/bpf/tsbpf-link-child-map-${pid}`;
    rmSync(linkPin, { force: true });
    rmSync(mapPin, { force: true });
    try {
      const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
      execFileSync(tsx, [new URL('./pin-child.ts', import.meta.url).pathname, String(pid), linkPin, mapPin], { stdio: 'pipe' });
      using map = BpfMap.fromPin(mapPin);
      const read = () => new DataView(map.lookupBytes(new Uint8Array(4))!.buffer).getBigUint64(0, hostLittleEndian);
      const before = read();
      syscalls(3);
      expect(read()).toBeGreaterThanOrEqual(before + 3n);
      const link = loadPinnedLink(linkPin);
      expect(link.info().rawTracepoint).toBe('sys_enter');
      rmSync(linkPin);
      link.close();
      const after = read();
      syscalls(3);
      expect(read()).toBe(after);
    } finally {
      rmSync(linkPin, { force: true });
      rmSync(mapPin, { force: true });
    }
  });

  it('update swaps the program in place (BPF_LINK_UPDATE is refused for raw_tp: EOPNOTSUPP/EINVAL)', () => {
    const a = track(counter({ type: ProgType.RAW_TRACEPOINT, name: 'raw_a' }));
    const b = track(counter({ type: ProgType.RAW_TRACEPOINT, name: 'raw_b' }));
    using link = attachRawTracepoint(a.prog, 'sys_enter');
    expect(() => link.update(b.prog)).toThrow(/BPF_LINK_UPDATE: (EOPNOTSUPP|EINVAL|ENOTSUPP)/);
  });

  it('leaks no fd over 500 attach/detach cycles', () => {
    const c = track(counter({ type: ProgType.RAW_TRACEPOINT, name: 'raw_cycle' }));
    const before = openFds();
    for (let i = 0; i < 500; i++) attachRawTracepoint(c.prog, 'sys_enter').close();
    expect(openFds()).toBe(before);
  });
});

describeKernel('tp_btf links', () => {
  it('counts syscalls through tp_btf/sys_enter, stops on close', () => {
    const t = resolveAttachTarget(kernelBtf(), 'tp_btf', 'sys_enter');
    expect(t.btfName).toBe('btf_trace_sys_enter');
    const c = track(counter({ type: ProgType.TRACING, name: 'btf_sys_enter', expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: t.btfId, tgid: pid }));
    const link = attachTracing(c.prog, { target: 'sys_enter' });
    expect(link.kind).toBe('tp_btf');
    syscalls(3);
    expect(c.count()).toBeGreaterThanOrEqual(3n);
    // BPF_RAW_TRACEPOINT_OPEN makes a raw_tracepoint link for tp_btf programs (bpf_raw_tp_link).
    expect(linkInfo(link.fd).type).toBe(LinkType.RAW_TRACEPOINT);
    link.close();
    const before = c.count();
    syscalls(3);
    expect(c.count()).toBe(before);
  });

  it('leaks no fd over 500 attach/detach cycles', () => {
    const t = resolveAttachTarget(kernelBtf(), 'tp_btf', 'sys_enter');
    const c = track(counter({ type: ProgType.TRACING, name: 'btf_cycle', expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: t.btfId }));
    const before = openFds();
    for (let i = 0; i < 500; i++) attachTracing(c.prog).close();
    expect(openFds()).toBe(before);
  });
});
