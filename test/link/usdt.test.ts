/**
 * USDT: note parsing and x86-64 argument specs (pure), and a probe in a small C binary
 * built here, counted by a uprobe at its location with the spec written to an array map.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { parseElf } from '../../src/elf/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { hostLittleEndian, MapType, ProgType } from '../../src/syscall/index.js';
import { findSectionDef } from '../../src/object/index.js';
import { AttachError, attachBySection, attachUsdt, encodeUsdtSpec, parseUsdtArg, parseUsdtNotes, UsdtArgType, USDT_SPEC_SIZE } from '../../src/link/index.js';
import { counter, type Counter } from './programs.js';

const here = new URL('.', import.meta.url).pathname;
let dir = '';
let bin = '';
let open: Counter[] = [];
function build(): void {
  if (dir) return;
  dir = mkdtempSync(join(tmpdir(), 'tsbpf-usdt-'));
  bin = join(dir, 'usdt-target');
  execFileSync('gcc', ['-O1', '-o', bin, join(here, 'usdt-target.c')]);
}
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('USDT argument specs (x86-64)', () => {
  it('registers, memory operands and constants', () => {
    expect(parseUsdtArg('-4@%edi')).toEqual({ valOff: 0n, argType: UsdtArgType.REG, regOff: 112, signed: true, bitshift: 32 });
    expect(parseUsdtArg('8@%rax')).toEqual({ valOff: 0n, argType: UsdtArgType.REG, regOff: 80, signed: false, bitshift: 0 });
    expect(parseUsdtArg('2@%r9w').regOff).toBe(64);
    expect(parseUsdtArg('8@-24(%rbp)')).toEqual({ valOff: BigInt.asUintN(64, -24n), argType: UsdtArgType.REG_DEREF, regOff: 32, signed: false, bitshift: 0 });
    expect(parseUsdtArg('4@(%rsp)')).toMatchObject({ valOff: 0n, argType: UsdtArgType.REG_DEREF, regOff: 152 });
    expect(parseUsdtArg('-1@$-5')).toMatchObject({ valOff: BigInt.asUintN(64, -5n), argType: UsdtArgType.CONST, bitshift: 56 });
    expect(() => parseUsdtArg('3@%eax')).toThrow(AttachError);
    expect(() => parseUsdtArg('4@%xmm0')).toThrow("usdt '4@%xmm0': unknown x86-64 register '%xmm0'");
    expect(() => parseUsdtArg('8@8(%rax,%rbx,4)')).toThrow(/unsupported operand/);
  });

  it('encodes struct __bpf_usdt_spec', () => {
    const b = encodeUsdtSpec([parseUsdtArg('-4@%edi'), parseUsdtArg('8@-24(%rbp)')], 7n);
    const v = new DataView(b.buffer);
    const le = hostLittleEndian;
    expect(b.length).toBe(USDT_SPEC_SIZE);
    expect([v.getUint32(8, le), v.getInt16(12, le), v.getUint8(14), v.getInt8(15)]).toEqual([1, 112, 1, 32]);
    expect([v.getBigUint64(16, le), v.getUint32(24, le), v.getInt16(28, le)]).toEqual([BigInt.asUintN(64, -24n), 2, 32]);
    expect(v.getBigUint64(192, le)).toBe(7n);
    expect(v.getInt16(200, le)).toBe(2);
  });
});

describeWithTool('USDT notes', ['gcc'], () => {
  beforeAll(build);
  it('reads provider, name, pc and args from .note.stapsdt', () => {
    const notes = parseUsdtNotes(parseElf(readFileSync(bin), { machine: 'any' }));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ provider: 'tsbpf', name: 'tick', semaphore: 0n });
    expect(notes[0]!.args).toMatch(/^-4@%[a-z0-9]+$/);
    expect(notes[0]!.pc).toBeGreaterThan(0n);
    expect(parseUsdtNotes(parseElf(readFileSync('/bin/true'), { machine: 'any' }))).toEqual([]);
  });
});

describeKernel('USDT attach', () => {
  beforeAll(build);
  it('counts every probe hit and writes the argument spec for bpf_usdt_arg()', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'usdt_tick' });
    open.push(c);
    using specs = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: USDT_SPEC_SIZE, maxEntries: 4, name: 'usdt_specs' });
    const key = (id: number) => {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, id, hostLittleEndian);
      return k;
    };
    const link = attachUsdt(c.prog, bin, 'tsbpf', 'tick', { specs: { update: (id, v) => specs.updateBytes(key(id), v) }, firstSpecId: 2, cookie: 9n });
    execFileSync(bin, ['5']);
    expect(c.count()).toBe(5n);
    const spec = new DataView(specs.lookupBytes(key(2))!.buffer);
    expect(spec.getInt16(200, hostLittleEndian)).toBe(1);
    expect(spec.getUint32(8, hostLittleEndian)).toBe(UsdtArgType.REG);
    expect(spec.getBigUint64(192, hostLittleEndian)).toBe(9n);
    link.close();
    execFileSync(bin, ['3']);
    expect(c.count()).toBe(5n);
  });

  it('attachBySection handles usdt/<path>:<provider>:<name>', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'usdt_sec' });
    open.push(c);
    using link = attachBySection(c.prog, findSectionDef(`usdt/${bin}:tsbpf:tick`)!)!;
    expect(link.kind).toBe('usdt');
    execFileSync(bin, ['2']);
    expect(c.count()).toBe(2n);
  });

  it('names a missing probe', () => {
    const c = counter({ type: ProgType.KPROBE, name: 'usdt_none' });
    open.push(c);
    expect(() => attachUsdt(c.prog, bin, 'tsbpf', 'nope')).toThrow(`usdt '${bin}:tsbpf:nope': no USDT probe 'tsbpf:nope' in '${bin}'`);
  });
});
