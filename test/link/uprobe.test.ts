/**
 * Uprobes on the real kernel: a PIE and a shared library built here with the host C
 * compiler, probed by symbol (+offset), with and without a pid filter; uretprobes; errors
 * naming the binary and symbol.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { parseElf } from '../../src/elf/index.js';
import { ProgType } from '../../src/syscall/index.js';
import { AttachError, attachUprobe, parseUprobeTarget, resolveBinaryPath, symbolFileOffset, uprobeOffset } from '../../src/link/index.js';
import { counter, type Counter } from './programs.js';

const here = new URL('.', import.meta.url).pathname;
let dir = '';
let bin = '';
let lib = '';
let open: Counter[] = [];

function buildTarget(): void {
  if (dir) return;
  dir = mkdtempSync(join(tmpdir(), 'tsbpf-uprobe-'));
  bin = join(dir, 'target');
  lib = join(dir, 'libtsbpftarget.so');
  execFileSync('gcc', ['-O1', '-shared', '-fPIC', '-o', lib, join(here, 'uprobe-lib.c')]);
  execFileSync('gcc', ['-O1', '-fPIE', '-pie', '-o', bin, join(here, 'uprobe-target.c'), `-L${dir}`, '-ltsbpftarget', `-Wl,-rpath,${dir}`]);
}
function run(n: number): void {
  execFileSync(bin, [String(n)]);
}

afterEach(() => {
  for (const c of open) c.close();
  open = [];
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeWithTool('uprobe offsets against readelf', ['gcc', 'readelf'], () => {
  beforeAll(buildTarget);
  it('symbol offsets equal readelf addresses mapped through the executable PT_LOAD', () => {
    for (const [file, sym] of [
      [bin, 'tsbpf_target_fn'],
      [lib, 'tsbpf_lib_fn'],
    ] as const) {
      const out = execFileSync('readelf', ['-Ws', file], { encoding: 'utf8' });
      const line = out.split('\n').find((l) => l.trim().endsWith(` ${sym}`))!;
      const value = BigInt('0x' + line.trim().split(/\s+/)[1]);
      // gcc's default layout puts .text in a segment with p_vaddr == p_offset.
      expect(uprobeOffset(file, sym)).toBe(value);
    }
  });

  it('libc.so.6 is found by name and its dynamic symbols resolve', () => {
    const path = resolveBinaryPath('libc.so.6');
    const off = uprobeOffset(path, 'getpid');
    expect(off).toBeGreaterThan(0n);
    const elf = parseElf(readFileSync(path), { machine: 'any' });
    expect(symbolFileOffset(elf, 'getpid', path)).toBe(off);
  });

  it('names the binary and symbol when the symbol is missing', () => {
    expect(() => uprobeOffset(bin, 'no_such_fn')).toThrow(AttachError);
    expect(() => uprobeOffset(bin, 'no_such_fn')).toThrow(`uprobe '${bin}:no_such_fn': symbol 'no_such_fn' not found in '${bin}'`);
    expect(() => resolveBinaryPath('/no/such/binary')).toThrow("uprobe '/no/such/binary': no such file");
    expect(() => uprobeOffset('/etc/hostname', 'x')).toThrow(/not a readable ELF file/);
  });

  it('parses section targets', () => {
    expect(parseUprobeTarget('/bin/bash:readline')).toEqual({ binary: '/bin/bash', symbol: 'readline' });
    expect(parseUprobeTarget('libc.so.6:malloc+0x10')).toEqual({ binary: 'libc.so.6', symbol: 'malloc', offset: 16n });
    expect(parseUprobeTarget('/bin/x:0x1234')).toEqual({ binary: '/bin/x', offset: 0x1234n });
    expect(parseUprobeTarget('nocolon')).toBeUndefined();
  });
});

describeKernel('uprobe links', () => {
  beforeAll(buildTarget);

  it('counts every call into a PIE function, stops on close', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'up_pie' });
    open.push(c);
    const link = attachUprobe(c.prog, bin, { symbol: 'tsbpf_target_fn' });
    run(7);
    expect(c.count()).toBe(7n);
    link.close();
    run(3);
    expect(c.count()).toBe(7n);
  });

  it('probes a shared library function, uretprobe too', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'up_lib' });
    const r = counter({ type: ProgType.KPROBE, name: 'uret_lib' });
    open.push(c, r);
    using a = attachUprobe(c.prog, lib, { symbol: 'tsbpf_lib_fn' });
    using b = attachUprobe(r.prog, lib, { symbol: 'tsbpf_lib_fn', retprobe: true });
    expect(b.kind).toBe('uretprobe');
    expect(a.info().id).toBeGreaterThan(0);
    run(5);
    expect(c.count()).toBe(5n);
    expect(r.count()).toBe(5n);
  });

  it('a bare file offset, and a pid filter: only the chosen process is counted', async () => {
    const off = uprobeOffset(bin, 'tsbpf_target_fn');
    const other = counter({ type: ProgType.KPROBE, name: 'up_other' });
    const mine = counter({ type: ProgType.KPROBE, name: 'up_mine' });
    const all = counter({ type: ProgType.KPROBE, name: 'up_all' });
    open.push(other, mine, all);
    // The child waits for a line, then execs the target: same pid, so the filter applies.
    const child = spawn('bash', ['-c', `read line; exec ${bin} 6`], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((r) => child.once('exit', r));
    using a = attachUprobe(other.prog, bin, { offset: off, pid: process.pid });
    using b = attachUprobe(mine.prog, bin, { offset: off, pid: child.pid! });
    using c = attachUprobe(all.prog, bin, { offset: off });
    child.stdin!.end('go\n');
    await exited;
    run(2); // another process: counted only by the unfiltered probe
    expect([other.count(), mine.count(), all.count()]).toEqual([0n, 6n, 8n]);
    expect([a.closed, b.closed, c.closed]).toEqual([false, false, false]);
  });

  it('errors name the target', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'up_err' });
    const x = counter({ type: ProgType.XDP, name: 'xdp_no' });
    open.push(c, x);
    expect(() => attachUprobe(c.prog, bin, { symbol: 'missing_fn' })).toThrow(`uprobe '${bin}:missing_fn': symbol 'missing_fn' not found in '${bin}'`);
    expect(() => attachUprobe(x.prog, bin, { symbol: 'tsbpf_target_fn' })).toThrow(/program 'xdp_no' has type xdp; uprobe needs kprobe/);
    expect(() => attachUprobe(c.prog, bin)).toThrow(/give a symbol or an offset/);
  });
});
