/** The pure parts of `src/check`, without a kernel: names, reachability, BTF facts, attach targets. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_ADD, BPF_JEQ, BPF_JNE, BPF_W, insn, type Instruction } from '../../src/asm/index.js';
import { encodeBtf, parseBtf, StringTable, type BtfType } from '../../src/btf/index.js';
import { poisonInstruction } from '../../src/core/index.js';
import {
  checkObject,
  closeLimit,
  editDistance,
  enumValues,
  isGplCompatible,
  kernelBtfFacts,
  reachableSlots,
  findAttachTarget,
} from '../../src/check/index.js';
import type { ProgramSpec } from '../../src/object/index.js';
import { loadSpec } from './helpers.js';

describe('editDistance', () => {
  it('is Levenshtein distance', () => {
    expect(editDistance('state', '__state')).toBe(2);
    expect(editDistance('state', 'stats')).toBe(1);
    expect(editDistance('pid', 'prio')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closeLimit('pid')).toBe(2);
    expect(closeLimit('real_parent')).toBe(3);
  });

  it('is a metric: symmetric, zero only for equal strings, triangle inequality', () => {
    const s = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(s, s, s, (a, b, c) => {
        const ab = editDistance(a, b);
        expect(ab).toBe(editDistance(b, a));
        expect(ab === 0).toBe(a === b);
        expect(editDistance(a, c)).toBeLessThanOrEqual(ab + editDistance(b, c));
        expect(ab).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });
});

const { alu64Imm, callHelper, exit, jmp32Imm, jmpImm, ja, ldImm64, ldx, mov64Imm, mov64Reg } = insn;

describe('reachableSlots', () => {
  const poison = poisonInstruction();
  it('prunes the branch a relocated constant rules out, as the verifier does', () => {
    // r1 = 0 (bpf_core_field_exists relocated to 0); if r1 == 0 goto +1; poison; exit
    const guarded: Instruction[] = [mov64Imm(1, 0), jmpImm(BPF_JEQ, 1, 0, 1), poison, mov64Imm(0, 0), exit()];
    expect([...reachableSlots(guarded)].sort()).toEqual([0, 1, 3, 4]);
    // The same with the field present (r1 = 1): the access runs.
    const present: Instruction[] = [mov64Imm(1, 1), jmpImm(BPF_JEQ, 1, 0, 1), poison, mov64Imm(0, 0), exit()];
    expect(reachableSlots(present).has(2)).toBe(true);
  });

  it('follows constants through mov, ALU, ld_imm64 and JMP32; loads and calls make them unknown', () => {
    const insns: Instruction[] = [
      ldImm64(2, 0x1_0000_0005n), // slots 0-1
      mov64Reg(3, 2),
      alu64Imm(BPF_ADD, 3, 1), // r3 = 0x1_0000_0006
      jmp32Imm(BPF_JNE, 3, 6, 2), // low 32 bits are 6: falls through
      mov64Imm(0, 0),
      ja(1),
      poison, // slot 7: only reachable by the JNE
      ldx(BPF_W, 4, 10, -8), // r4 unknown
      jmpImm(BPF_JEQ, 4, 0, 1),
      exit(),
      callHelper(5), // r0 unknown after a call
      jmpImm(BPF_JEQ, 0, 0, 0),
      exit(),
    ];
    const r = reachableSlots(insns);
    expect(r.has(7)).toBe(false);
    expect(r.has(11)).toBe(true); // both sides of an unknown compare
    expect(r.has(13)).toBe(true);
  });
});

/** A BTF with a few kernel UAPI enums, written by hand. */
function uapiBtf(): ReturnType<typeof parseBtf> {
  const s = new StringTable();
  const e = (name: string, values: [string, number][]): BtfType => ({
    id: 0,
    kind: 'ENUM',
    name,
    nameOff: s.add(name),
    size: 4,
    signed: false,
    values: values.map(([n, v]) => ({ name: n, nameOff: s.add(n), value: v })),
  });
  const types: BtfType[] = [
    e('bpf_func_id', [['BPF_FUNC_unspec', 0], ['BPF_FUNC_map_lookup_elem', 1], ['__BPF_FUNC_MAX_ID', 2]]),
    e('bpf_map_type', [['BPF_MAP_TYPE_UNSPEC', 0], ['BPF_MAP_TYPE_HASH', 1], ['BPF_MAP_TYPE_ARRAY', 2]]),
    e('', [['BTF_KIND_UNKN', 0], ['BTF_KIND_INT', 1], ['BTF_KIND_ENUM', 6], ['NR_BTF_KINDS', 7]]),
    { id: 0, kind: 'TYPEDEF', name: 'btf_trace_sched_switch', nameOff: s.add('btf_trace_sched_switch'), type: 1, kindFlag: false },
  ];
  return parseBtf(encodeBtf(types, s.bytes()), { section: 'hand-made' });
}

describe('kernel facts from BTF', () => {
  it('reads enumerators by value, leaving out __MAX sentinels', () => {
    const btf = uapiBtf();
    expect([...enumValues(btf, 'bpf_func_id')!]).toEqual([
      [0, 'BPF_FUNC_unspec'],
      [1, 'BPF_FUNC_map_lookup_elem'],
    ]);
    const f = kernelBtfFacts(btf);
    expect(f.progTypes).toBeUndefined();
    expect([...f.btfKinds!].sort()).toEqual([0, 1, 6]); // NR_BTF_KINDS is not a kind
  });

  it('flags a helper and a map type the kernel does not have, and downgrades for missing BTF kinds', () => {
    const spec = loadSpec('maps');
    const r = checkObject(spec, { name: 'old', vmlinux: uapiBtf() });
    expect(r.verdict).toBe('fail');
    const maps = r.items.filter((i) => i.area === 'map' && i.verdict === 'fail');
    expect(maps.length).toBeGreaterThan(0);
    expect(maps[0]!.detail).toMatch(/is not in this kernel's 'enum bpf_map_type' \(newest: BPF_MAP_TYPE_ARRAY = 2\)/);
    // This "kernel" knows no FUNC, VAR or DATASEC kinds: the loader would rewrite them.
    const btf = r.items.filter((i) => i.area === 'btf').map((i) => i.subject);
    expect(btf).toEqual(expect.arrayContaining(['BTF_KIND_FUNC', 'BTF_KIND_DATASEC']));
    expect(r.items.filter((i) => i.area === 'btf').every((i) => i.verdict === 'note')).toBe(true);
  });
});

describe('attach targets', () => {
  const prog = (section: string, attachTarget: string): ProgramSpec =>
    ({ name: 'p', section, attachTarget, type: 0, expectedAttachType: 0, flags: 0, autoAttach: undefined, license: 'GPL', kernelVersion: 0, instructions: [] }) as ProgramSpec;
  it('looks tp_btf and raw_tp targets up as btf_trace_ typedefs', () => {
    const btf = uapiBtf();
    expect(findAttachTarget(prog('tp_btf/sched_switch', 'sched_switch'), { vmlinux: btf })).toEqual([
      { lookedUp: "TYPEDEF 'btf_trace_sched_switch'", foundIn: 'vmlinux', typeId: 4, required: true },
    ]);
    expect(findAttachTarget(prog('raw_tp/nope', 'nope'), { vmlinux: btf })![0]!.foundIn).toBeUndefined();
    // Tracepoints: the event struct or the typedef; syscalls: the syscall's wrapper.
    expect(findAttachTarget(prog('tracepoint/sched/sched_switch', 'sched/sched_switch'), { vmlinux: btf })![0]!.foundIn).toBe('vmlinux');
    expect(findAttachTarget(prog('tp/syscalls/sys_enter_openat', 'syscalls/sys_enter_openat'), { vmlinux: btf })![0]!.lookedUp).toBe("FUNC '__x64_sys_openat'");
    // A kprobe target missing from BTF is not required (static functions have no BTF).
    expect(findAttachTarget(prog('kprobe/do_sys_open+0x10', 'do_sys_open+0x10'), { vmlinux: btf })).toEqual([
      { lookedUp: "FUNC 'do_sys_open'", foundIn: undefined, typeId: undefined, required: false },
    ]);
    expect(findAttachTarget(prog('xdp', ''), { vmlinux: btf })).toBeUndefined();
  });
});

describe('licenses', () => {
  it("matches the kernel's license_is_gpl_compatible", () => {
    for (const l of ['GPL', 'GPL v2', 'Dual BSD/GPL', 'Dual MIT/GPL']) expect(isGplCompatible(l)).toBe(true);
    for (const l of ['MIT', 'BSD', 'gpl', 'GPLv2', '']) expect(isGplCompatible(l)).toBe(false);
  });
});
