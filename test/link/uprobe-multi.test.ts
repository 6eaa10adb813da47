/**
 * uprobe.multi links (BPF_TRACE_UPROBE_MULTI, one link for many probes) on the real kernel:
 * a PIE built here with the host C compiler, probed by glob, by names (with cookies) and by
 * offsets; uretprobe.multi; a pid filter; auto-attach from the section name; errors. And
 * kprobe.multi, which this kernel cannot do (no CONFIG_FPROBE, no CONFIG_KPROBES).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BPF_ADD, BPF_DW, BPF_FUNC, BPF_JEQ, BPF_W, encodeInstructions, insn } from '../../src/asm/index.js';
import { parseElf } from '../../src/elf/index.js';
import {
  AttachError,
  attachBySection,
  attachKprobeMulti,
  attachUprobeMulti,
  globToRegExp,
  parseUprobeMultiTarget,
  resolveBinaryPath,
  uprobeMultiTargets,
  uprobeOffset,
} from '../../src/link/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { findSectionDef } from '../../src/object/index.js';
import { AttachType, BpfError, hostLittleEndian, linkCreate, MapType, progLoadRaw, ProgType } from '../../src/syscall/index.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { counter, type Counter } from './programs.js';

const here = new URL('.', import.meta.url).pathname;
let dir = '';
let bin = '';
let open: { close(): void }[] = [];

function buildTarget(): void {
  if (dir) return;
  dir = mkdtempSync(join(tmpdir(), 'tsbpf-uprobe-multi-'));
  bin = join(dir, 'multi-target');
  execFileSync('gcc', ['-O1', '-fPIE', '-pie', '-o', bin, join(here, 'uprobe-multi-target.c')]);
}
/** Runs the target: calls a, b, c and other that many times. */
function run(a: number, b: number, c: number, other = 0): void {
  execFileSync(bin, [a, b, c, other].map(String));
}
const multiCounter = (name: string): Counter => {
  const c = counter({ type: ProgType.KPROBE, name, expectedAttachType: AttachType.TRACE_UPROBE_MULTI });
  open.push(c);
  return c;
};

/**
 * A program that adds its attach cookie (`bpf_get_attach_cookie`) to a counter: the sum
 * tells which probe ran how often.
 */
function cookieSum(): { prog: { fd: number; name: string; type: number; expectedAttachType: number }; sum(): bigint; close(): void } {
  const map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'cookies' });
  const i = insn;
  const body = [
    i.callHelper(BPF_FUNC.get_attach_cookie), // r1 = ctx still
    i.mov64Reg(6, 0),
    i.st(BPF_W, 10, -4, 0),
    i.mov64Reg(2, 10),
    i.alu64Imm(BPF_ADD, 2, -4),
    i.ldMapFd(1, map.fd),
    i.callHelper(BPF_FUNC.map_lookup_elem),
    i.jmpImm(BPF_JEQ, 0, 0, 1),
    i.atomic(BPF_DW, BPF_ADD, 0, 6, 0),
    i.mov64Imm(0, 0),
    i.exit(),
  ];
  const r = progLoadRaw({
    prog_type: ProgType.KPROBE,
    insns: encodeInstructions(body, hostLittleEndian),
    license: 'GPL',
    prog_name: 'um_cookie',
    expected_attach_type: AttachType.TRACE_UPROBE_MULTI,
    log_size: 1 << 16,
  });
  if (!r.fd) {
    map.close();
    throw new Error(`load um_cookie: errno ${r.errno}\n${r.log}`);
  }
  const fd = r.fd;
  const out = {
    prog: { fd: fd.raw, name: 'um_cookie', type: ProgType.KPROBE, expectedAttachType: AttachType.TRACE_UPROBE_MULTI },
    sum: () => new DataView(map.lookupBytes(new Uint8Array(4))!.buffer).getBigUint64(0, hostLittleEndian),
    close: () => {
      fd.close();
      map.close();
    },
  };
  open.push(out);
  return out;
}

afterEach(() => {
  for (const c of open.reverse()) c.close();
  open = [];
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('uprobe.multi targets', () => {
  it('globs: * and ? only, everything else literal', () => {
    expect(globToRegExp('tsbpf_multi_*').test('tsbpf_multi_a')).toBe(true);
    expect(globToRegExp('tsbpf_multi_?').test('tsbpf_multi_ab')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('*').test('')).toBe(true);
    expect(globToRegExp('f(x)+[y]').test('f(x)+[y]')).toBe(true);
  });

  it('section targets: <path>:<pattern>, split at the first colon', () => {
    expect(parseUprobeMultiTarget('/usr/bin/bash:read*')).toEqual({ binary: '/usr/bin/bash', pattern: 'read*' });
    expect(parseUprobeMultiTarget('libc.so.6:mem*:x')).toEqual({ binary: 'libc.so.6', pattern: 'mem*:x' });
    expect(parseUprobeMultiTarget('/usr/bin/bash')).toBeUndefined();
    expect(parseUprobeMultiTarget('/usr/bin/bash:')).toBeUndefined();
  });
});

describeWithTool('uprobe.multi symbol resolution against readelf', ['gcc', 'readelf'], () => {
  beforeAll(buildTarget);

  it('a glob matches the functions readelf lists, at the offsets single uprobes use', () => {
    const elf = parseElf(readFileSync(bin), { machine: 'any' });
    const found = uprobeMultiTargets(elf, 'tsbpf_multi_*', bin);
    const listed = execFileSync('readelf', ['-Ws', bin], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === 'FUNC' && /^tsbpf_multi_/.test(f[7] ?? ''))
      .map((f) => f[7]!);
    expect(found.map((t) => t.name).sort()).toEqual([...new Set(listed)].sort());
    expect(found.map((t) => t.name).sort()).toEqual(['tsbpf_multi_a', 'tsbpf_multi_b', 'tsbpf_multi_c']);
    for (const t of found) expect(t.offset).toBe(uprobeOffset(bin, t.name));
    expect(uprobeMultiTargets(elf, 'nothing_*', bin)).toEqual([]);
  });

  it('a library with only .dynsym: versioned names match by their base name', () => {
    const libc = resolveBinaryPath('libc.so.6');
    const elf = parseElf(readFileSync(libc), { machine: 'any' });
    expect(elf.symbols).toEqual([]); // Debian strips .symtab from libc
    const found = uprobeMultiTargets(elf, 'getpi?', libc);
    expect(found.map((t) => t.name.replace(/@.*/, ''))).toContain('getpid');
    expect(found.find((t) => t.name.startsWith('getpid'))!.offset).toBe(uprobeOffset(libc, 'getpid'));
  });
});

describeKernel('uprobe.multi links', () => {
  beforeAll(buildTarget);

  it('one link on every function a glob matches counts exactly the calls made, and stops on close', () => {
    const c = multiCounter('um_glob');
    const link = attachUprobeMulti(c.prog, bin, { pattern: 'tsbpf_multi_*' });
    expect(link.kind).toBe('uprobe.multi');
    expect(link.target).toBe(`${bin}:tsbpf_multi_*`);
    const info = link.info() as { id: number; type: number };
    expect(info.id).toBeGreaterThan(0);
    expect(info.type).toBe(12); // BPF_LINK_TYPE_UPROBE_MULTI
    run(3, 5, 7, 11); // tsbpf_other is not matched
    expect(c.count()).toBe(15n);
    run(1, 0, 0);
    expect(c.count()).toBe(16n);
    link.close();
    run(4, 4, 4);
    expect(c.count()).toBe(16n);
  });

  it('names, offsets and cookies: each probe carries its own cookie', () => {
    const s = cookieSum();
    using link = attachUprobeMulti(s.prog, bin, {
      symbols: ['tsbpf_multi_a', 'tsbpf_multi_b'],
      offsets: [uprobeOffset(bin, 'tsbpf_multi_c')],
      cookies: [1n, 100n, 10_000n],
    });
    run(3, 5, 7, 2);
    expect(s.sum()).toBe(3n * 1n + 5n * 100n + 7n * 10_000n);
    expect(link.closed).toBe(false);
  });

  it('uretprobe.multi runs on return', () => {
    const c = multiCounter('um_ret');
    using link = attachUprobeMulti(c.prog, bin, { pattern: 'tsbpf_multi_?', retprobe: true });
    expect(link.kind).toBe('uretprobe.multi');
    run(2, 2, 2);
    expect(c.count()).toBe(6n);
  });

  it('a pid filter counts only that process', async () => {
    const mine = multiCounter('um_pid');
    const other = multiCounter('um_nopid');
    const child = spawn('bash', ['-c', `read line; exec ${bin} 4 0 1`], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((r) => child.once('exit', r));
    using a = attachUprobeMulti(mine.prog, bin, { pattern: 'tsbpf_multi_*', pid: child.pid! });
    using b = attachUprobeMulti(other.prog, bin, { pattern: 'tsbpf_multi_*', pid: process.pid });
    child.stdin!.end('go\n');
    await exited;
    run(9, 9, 9); // another process
    expect([mine.count(), other.count()]).toEqual([5n, 0n]);
    expect([a.closed, b.closed]).toEqual([false, false]);
  });

  it('auto-attaches from the section name uprobe.multi/<path>:<pattern>', () => {
    const c = multiCounter('um_section');
    const s = findSectionDef(`uprobe.multi/${bin}:tsbpf_multi_?`)!;
    expect(s.def.expectedAttachType).toBe(AttachType.TRACE_UPROBE_MULTI);
    using link = attachBySection(c.prog, s)!;
    expect(link.kind).toBe('uprobe.multi');
    run(1, 1, 1, 1);
    expect(c.count()).toBe(3n);
    const r = multiCounter('um_section_ret');
    using l2 = attachBySection(r.prog, findSectionDef(`uretprobe.multi/${bin}:tsbpf_multi_b`)!)!;
    expect(l2.kind).toBe('uretprobe.multi');
    run(0, 2, 0);
    expect(r.count()).toBe(2n);
  });

  it('errors name the binary and pattern', () => {
    const c = multiCounter('um_err');
    expect(() => attachUprobeMulti(c.prog, bin, { pattern: 'no_such_*' })).toThrow(`uprobe.multi '${bin}:no_such_*': no function in '${bin}' matches 'no_such_*'`);
    expect(() => attachUprobeMulti(c.prog, bin, { symbols: ['missing_fn'] })).toThrow(/symbol 'missing_fn' not found/);
    expect(() => attachUprobeMulti(c.prog, '/no/such/file', { pattern: '*' })).toThrow(AttachError);
    expect(() => attachUprobeMulti(c.prog, bin)).toThrow(/give a pattern, symbols or offsets/);
    expect(() => attachUprobeMulti(c.prog, bin, { pattern: 'tsbpf_multi_*', cookies: [1n] })).toThrow(/cookies has 1 entries for 3 probes/);
    // A kprobe program loaded without the uprobe_multi attach type: said before the kernel is asked.
    const plain = counter({ type: ProgType.KPROBE, name: 'um_plain', expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
    open.push(plain);
    expect(() => attachUprobeMulti(plain.prog, bin, { pattern: '*' })).toThrow(/was not loaded for uprobe_multi links/);
    // The kernel's own refusal (no expected attach type known to tsbpf): EINVAL, explained.
    expect(() => attachUprobeMulti({ ...plain.prog, expectedAttachType: undefined }, bin, { pattern: 'tsbpf_multi_a' })).toThrow(
      /attaching 1 probe\(s\) failed: BPF_LINK_CREATE: EINVAL.*uprobe_multi links need Linux >= 6\.6/s,
    );
    const xdp = counter({ type: ProgType.XDP, name: 'um_xdp' });
    open.push(xdp);
    expect(() => attachUprobeMulti(xdp.prog, bin, { pattern: '*' })).toThrow(/program 'um_xdp' has type xdp; uprobe\.multi needs kprobe/);
  });
});

describeKernel('kprobe.multi on a kernel without fprobe', () => {
  it('the kernel refuses a kprobe_multi link (EOPNOTSUPP: no CONFIG_FPROBE), and attachKprobeMulti says why', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'km_none', expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
    open.push(c);
    // The syscall itself, with the kprobe_multi fields filled in: this kernel has no fprobe.
    let err: unknown;
    try {
      linkCreate({ prog_fd: c.prog.fd, target_fd: 0, attach_type: AttachType.TRACE_KPROBE_MULTI, kprobe_multi: { syms: ['vfs_read'], cookies: [7n] } }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).errno).toBe('EOPNOTSUPP');
    // Through src/link: a typed error that names the target and says what the kernel lacks.
    expect(() => attachKprobeMulti(c.prog, 'vfs_*')).toThrow(AttachError);
    expect(() => attachKprobeMulti(c.prog, 'vfs_*')).toThrow(/kprobe\.multi 'vfs_\*': .*(CONFIG_KPROBES|CONFIG_FPROBE)/);
  });
});
