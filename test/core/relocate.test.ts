/**
 * CO-RE against fixture BTFs: core_relos.bpf.c's types relocated onto core_target_a/b/c, which
 * declare the same structs with other layouts. Each table lists every relocation of a program
 * as `kind access => the relocated instruction` (kernel disassembly syntax), so it shows both
 * what CO-RE computed and how the instruction was patched.
 */
import { describe, expect, it } from 'vitest';
import { BPF_LD_IMM64, slotCount } from '../../src/asm/index.js';
import { StringTable, encodeBtf, parseBtf, type BtfType } from '../../src/btf/index.js';
import {
  BPF_CORE_POISON_IMM,
  CORE_RELO_KIND_NAMES,
  CoreError,
  applyFixup,
  computeFixups,
  formatFixup,
  type CoreFixup,
} from '../../src/core/index.js';
import { fixupTable, loadSpec, relocateFixture, targetBtf } from './helpers.js';

const targetA = targetBtf('core_target_a');
const targetB = targetBtf('core_target_b');
const targetC = targetBtf('core_target_c');

describe('core_relos against core_target_a (fields moved and resized, bitfields shifted, enum values changed)', () => {
  const r = relocateFixture('core_relos', targetA);

  it('core_fields', () => {
    expect(fixupTable(r, 'core_fields')).toEqual([
      'byte_off core_point.z => r2 = 16',
      'byte_sz core_point.z => r2 = 4',
      'byte_off core_point.in.hi => r2 = 32',
      'byte_off core_point.arr[2] => r2 = 56',
      'byte_sz core_point.arr => r2 = 32',
      'byte_off core_point.u_b => r2 = 82',
      'byte_off core_point.data => r2 = 104',
      'field_exists core_point.missing_in_b => r2 = 1',
      'signed core_point.x => r2 = 1',
      'signed core_point.y => r2 = 0',
      'byte_off core_point[1].y => r2 = 112',
      'field_exists core_point___v2.x_renamed => r2 = 0',
      'byte_off core_point.next => r2 = 40',
    ]);
  });

  it('core_direct', () => {
    expect(fixupTable(r, 'core_direct')).toEqual([
      'byte_off core_point.x => r3 = *(u32 *)(r2 +12)',
      'byte_off core_point.y => r3 = *(u32 *)(r2 +8)',
      'byte_off core_point.sz16 => r3 = *(u32 *)(r2 +96)',
      'byte_off core_point.z => poison',
      'byte_off core_point.tail => r3 = *(u16 *)(r2 +94)',
      'byte_off core_point.x => *(u32 *)(r2 +12) = r3',
      'byte_off core_point.z => poison',
    ]);
  });

  it('core_bitfields', () => {
    expect(fixupTable(r, 'core_bitfields')).toEqual([
      'byte_off core_point.flags => r2 = 84',
      'byte_sz core_point.flags => r4 = 4',
      'lshift_u64 core_point.flags => r2 <<= 56',
      'signed core_point.flags => r3 = 0',
      'rshift_u64 core_point.flags => r2 s>>= 61',
      'rshift_u64 core_point.flags => r2 >>= 61',
      'byte_off core_point.mode => r2 = 84',
      'byte_sz core_point.mode => r4 = 4',
      'lshift_u64 core_point.mode => r2 <<= 43',
      'signed core_point.mode => r3 = 0',
      'rshift_u64 core_point.mode => r2 s>>= 51',
      'rshift_u64 core_point.mode => r2 >>= 51',
      'byte_off core_point.delta => r2 = 84',
      'byte_sz core_point.delta => r4 = 4',
      'lshift_u64 core_point.delta => r2 <<= 36',
      'signed core_point.delta => r3 = 1',
      'rshift_u64 core_point.delta => r2 s>>= 57',
      'rshift_u64 core_point.delta => r2 >>= 57',
      'byte_off core_point.wide => r2 = 88',
      'byte_sz core_point.wide => r3 = 8',
      'lshift_u64 core_point.wide => r2 <<= 24',
      'signed core_point.wide => r1 = 0',
      'rshift_u64 core_point.wide => r2 s>>= 24',
      'rshift_u64 core_point.wide => r2 >>= 24',
    ]);
  });

  it('core_enums', () => {
    expect(fixupTable(r, 'core_enums')).toEqual([
      'enumval_exists core_color::CORE_BLUE => r1 = 0x1',
      'enumval_value core_color::CORE_BLUE => r1 = 0x7',
      'enumval_value core_big::CORE_BIG_HUGE => r1 = 0x200000000',
      'enumval_exists core_gone::CORE_GONE_A => r1 = 0x0',
      'enumval_value core_gone::CORE_GONE_A => poison',
    ]);
  });

  it('core_types', () => {
    expect(fixupTable(r, 'core_types')).toEqual([
      'local_type_id core_point => r2 = 0x13',
      'target_type_id core_point => r2 = 0x1',
      'type_exists core_point => r2 = 1',
      'type_size core_point => r2 = 104',
      'type_matches core_inner => r2 = 1',
      'type_exists core_point_alias_t => r2 = 1',
      'type_size core_point_alias_t => r2 = 104',
      'type_exists core_absent => r2 = 0',
      'type_size core_absent => r2 = 0',
      'type_matches core_point => r2 = 0',
    ]);
  });

  it('core_missing', () => {
    expect(fixupTable(r, 'core_missing')).toEqual([
      'byte_off core_point.missing_in_b => r1 = *(u32 *)(r1 +100)',
    ]);
  });

  it("relocates a subprogram's instruction in every program that links it", () => {
    const a = r.fixups.filter((f) => f.program === 'core_calls_a');
    const b = r.fixups.filter((f) => f.program === 'core_calls_b');
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).toMatchObject({ section: '.text', relocation: 0, access: "'core_point.y'", local: 4n, target: 8n });
    expect(b[0]!.relocation).toBe(0);
    expect(r.show('core_calls_a', a[0]!.insn)).toBe('r0 = *(u32 *)(r1 +8)');
    expect(r.show('core_calls_b', b[0]!.insn)).toBe('r0 = *(u32 *)(r1 +8)');
  });

  it('covers every relocation kind', () => {
    expect(new Set(r.fixups.map((f) => f.kindName))).toEqual(new Set(CORE_RELO_KIND_NAMES));
  });

  it('leaves every other instruction as it was, and the slot count', () => {
    for (const p of r.spec.programs.values()) {
      const bySlot = (insns: readonly { opcode: number }[]) => {
        const m = new Map<number, unknown>();
        let slot = 0;
        for (const i of insns) {
          m.set(slot, i);
          slot += slotCount(i);
        }
        return { m, slots: slot };
      };
      const before = bySlot(p.instructions);
      const after = bySlot(r.insns(p.name));
      expect(after.slots).toBe(before.slots);
      for (const [slot, insn] of before.m) {
        if (!r.fixups.some((f) => f.program === p.name && f.insn === slot)) expect(after.m.get(slot)).toBe(insn);
      }
    }
  });

  it('describes each fixup: candidate, target access path, values, source line', () => {
    const f = r.fixup('core_fields', r.fixups.find((x) => x.program === 'core_fields' && x.access === "'core_point.u_b'")!.insn);
    expect(f).toMatchObject({
      program: 'core_fields',
      section: 'socket',
      kindName: 'byte_off',
      accessStr: '0:6:1',
      local: 48n,
      target: 82n,
      validate: true,
      poison: undefined,
      candidates: 1,
      matched: 1,
    });
    // u_b moved into an anonymous struct inside the anonymous union.
    expect(f.candidate).toMatchObject({ typeId: targetA.findByName('core_point', 'STRUCT'), accessStr: '0:7:1:1' });
    expect(f.candidate!.spec).toBe('<byte_off> [1] struct core_point.u_b (0:7:1:1 @ offset 82)');
    // The line of the last line_info at or before the instruction, as the kernel attributes it.
    expect(f.line?.file).toMatch(/core_relos\.bpf\.c$/);
    expect(formatFixup(f)).toMatch(/^program 'core_fields': relocation #5 \(insn #12, core_relos\.bpf\.c:\d+\): <byte_off> 'core_point\.u_b': 48 -> 82 /);
  });

  it('changes the load size of an unsigned field and poisons a signed one', () => {
    const sz16 = r.fixups.find((f) => f.program === 'core_direct' && f.access === "'core_point.sz16'")!;
    expect(sz16).toMatchObject({ localSize: 2, targetSize: 4, poison: undefined });
    const z = r.fixups.find((f) => f.program === 'core_direct' && f.access === "'core_point.z'")!;
    expect(z.poison).toMatch(/load\/store size would change from 8 to 4 bytes/);
    expect(r.show('core_direct', z.insn)).toBe('call unknown#195896080');
  });

  it('poisons both slots of an ld_imm64', () => {
    const f = r.fixups.find((x) => x.program === 'core_enums' && x.kindName === 'enumval_value' && x.poison)!;
    expect(f.poison).toMatch(/'core_gone::CORE_GONE_A': no type named 'core_gone'/);
    const spec = loadSpec('core_relos');
    const insn = spec.programs.get('core_enums')!.instructions.find((i) => i.coreRelo && i.coreRelo.kind === 11 && i.coreRelo.typeId === f.localTypeId)!;
    expect(insn.opcode).toBe(BPF_LD_IMM64);
    const out = applyFixup(insn, f);
    expect(out).toHaveLength(2);
    for (const o of out) expect(o).toMatchObject({ opcode: 0x85, dst: 0, src: 0, off: 0, imm: BPF_CORE_POISON_IMM });
    expect(out[0]!.imm64).toBeUndefined();
  });

  it('reads existence and type-based kinds as 0 when the target lacks the type', () => {
    const absent = r.fixups.filter((f) => f.localType.includes("'core_absent'"));
    expect(absent.map((f) => [f.kindName, f.target, f.poison])).toEqual([
      ['type_exists', 0n, undefined],
      ['type_size', 0n, undefined],
    ]);
  });
});

describe('core_relos against core_target_b (flavored candidates, missing fields, ENUM64)', () => {
  const programs = ['core_fields', 'core_direct', 'core_bitfields', 'core_enums', 'core_missing'];
  const r = relocateFixture('core_relos', targetB, { programs });

  it('core_fields', () => {
    expect(fixupTable(r, 'core_fields')).toEqual([
      'byte_off core_point.z => r2 = 8',
      'byte_sz core_point.z => r2 = 8',
      'byte_off core_point.in.hi => r2 = 32',
      'byte_off core_point.arr[2] => r2 = 48',
      'byte_sz core_point.arr => r2 = 16',
      'byte_off core_point.u_b => r2 = 56',
      'byte_off core_point.data => r2 = 76',
      'field_exists core_point.missing_in_b => r2 = 0',
      'signed core_point.x => r2 = 1',
      'signed core_point.y => r2 = 0',
      'byte_off core_point[1].y => r2 = 84',
      'field_exists core_point___v2.x_renamed => r2 = 1',
      'byte_off core_point.next => r2 = 16',
    ]);
  });

  it('core_direct', () => {
    expect(fixupTable(r, 'core_direct')).toEqual([
      'byte_off core_point.x => r3 = *(u32 *)(r2 +0)',
      'byte_off core_point.y => r3 = *(u32 *)(r2 +4)',
      'byte_off core_point.sz16 => r3 = *(u16 *)(r2 +70)',
      'byte_off core_point.z => r3 = *(u64 *)(r2 +8)',
      'byte_off core_point.tail => r3 = *(u8 *)(r2 +69)',
      'byte_off core_point.x => *(u32 *)(r2 +0) = r3',
      'byte_off core_point.z => *(u64 *)(r2 +8) = r1',
    ]);
  });

  it('core_bitfields', () => {
    expect(fixupTable(r, 'core_bitfields')).toEqual([
      'byte_off core_point.flags => r2 = 60',
      'byte_sz core_point.flags => r4 = 4',
      'lshift_u64 core_point.flags => r2 <<= 61',
      'signed core_point.flags => r3 = 0',
      'rshift_u64 core_point.flags => r2 s>>= 61',
      'rshift_u64 core_point.flags => r2 >>= 61',
      'byte_off core_point.mode => r2 = 60',
      'byte_sz core_point.mode => r4 = 4',
      'lshift_u64 core_point.mode => r2 <<= 48',
      'signed core_point.mode => r3 = 0',
      'rshift_u64 core_point.mode => r2 s>>= 51',
      'rshift_u64 core_point.mode => r2 >>= 51',
      'byte_off core_point.delta => r2 = 60',
      'byte_sz core_point.delta => r4 = 4',
      'lshift_u64 core_point.delta => r2 <<= 41',
      'signed core_point.delta => r3 = 1',
      'rshift_u64 core_point.delta => r2 s>>= 57',
      'rshift_u64 core_point.delta => r2 >>= 57',
      'byte_off core_point.wide => r2 = 64',
      'byte_sz core_point.wide => r3 = 8',
      'lshift_u64 core_point.wide => r2 <<= 24',
      'signed core_point.wide => r1 = 0',
      'rshift_u64 core_point.wide => r2 s>>= 24',
      'rshift_u64 core_point.wide => r2 >>= 24',
    ]);
  });

  it('core_enums', () => {
    expect(fixupTable(r, 'core_enums')).toEqual([
      'enumval_exists core_color::CORE_BLUE => r1 = 0x1',
      'enumval_value core_color::CORE_BLUE => r1 = 0x1000000000',
      'enumval_value core_big::CORE_BIG_HUGE => poison',
      'enumval_exists core_gone::CORE_GONE_A => r1 = 0x1',
      'enumval_value core_gone::CORE_GONE_A => r1 = 0x2a',
    ]);
  });

  it('core_missing', () => {
    expect(fixupTable(r, 'core_missing')).toEqual([
      'byte_off core_point.missing_in_b => poison',
    ]);
  });

  it('finds core_point and core_point___2 as two agreeing candidates', () => {
    const f = r.fixups.find((x) => x.program === 'core_direct')!;
    expect(f.candidates).toBe(2);
    expect(f.matched).toBe(2);
    expect(f.candidate!.typeId).toBe(targetB.findByName('core_point', 'STRUCT'));
  });

  it('poisons a missing field and says which candidates lacked it', () => {
    const f = r.fixups.find((x) => x.program === 'core_missing')!;
    expect(f.poison).toMatch(/^'core_point\.missing_in_b': not found in 2 candidates \(\[\d+\], \[\d+\]\)$/);
    expect(formatFixup(f)).toContain('poisoned:');
  });

  it('matches a local flavor (core_point___v2) with the target type of its essential name', () => {
    const f = r.fixups.find((x) => x.access === "'core_point___v2.x_renamed'")!;
    expect(f.target).toBe(1n);
    expect(f.candidate!.type).toMatch(/STRUCT 'core_point'$/);
  });

  it('rejects TYPE_ID_TARGET with two candidates of different ids as ambiguous', () => {
    const spec = loadSpec('core_relos');
    let err: unknown;
    try {
      computeFixups(spec, targetB, { programs: ['core_types'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoreError);
    const e = err as CoreError;
    expect(e.program).toBe('core_types');
    expect(e.relocation).toBeTypeOf('number');
    expect(e.line?.file).toMatch(/core_relos\.bpf\.c$/);
    expect(e.message).toMatch(/^program 'core_types': relocation #\d+ \(insn #\d+, core_relos\.bpf\.c:\d+\): relocation decision ambiguity/);
  });
});

describe('core_relos against core_target_c (candidates that disagree)', () => {
  it('fails with a field offset ambiguity naming program, relocation, insn and line', () => {
    let err: unknown;
    try {
      computeFixups(loadSpec('core_relos'), targetC, { programs: ['core_fields'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CoreError);
    const e = err as CoreError;
    expect(e).toMatchObject({ program: 'core_fields', relocation: 0, insn: 0 });
    expect(e.detail).toMatch(/^field offset ambiguity: <byte_off> \[\d+\] struct core_point___other\.z \(0:3 @ offset 16\)/);
  });
});

describe('big-endian object (core_relos.bpfeb.o)', () => {
  it('computes bitfield left shifts from the other end', () => {
    const r = relocateFixture('core_relos', targetA, { endian: 'bpfeb', programs: ['core_bitfields'] });
    expect(fixupTable(r, 'core_bitfields')).toEqual([
      'byte_off core_point.flags => r2 = 84',
      'byte_sz core_point.flags => r4 = 4',
      'lshift_u64 core_point.flags => r2 <<= 37',
      'signed core_point.flags => r3 = 0',
      'rshift_u64 core_point.flags => r2 s>>= 61',
      'rshift_u64 core_point.flags => r2 >>= 61',
      'byte_off core_point.mode => r2 = 84',
      'byte_sz core_point.mode => r4 = 4',
      'lshift_u64 core_point.mode => r2 <<= 40',
      'signed core_point.mode => r3 = 0',
      'rshift_u64 core_point.mode => r2 s>>= 51',
      'rshift_u64 core_point.mode => r2 >>= 51',
      'byte_off core_point.delta => r2 = 84',
      'byte_sz core_point.delta => r4 = 4',
      'lshift_u64 core_point.delta => r2 <<= 53',
      'signed core_point.delta => r3 = 1',
      'rshift_u64 core_point.delta => r2 s>>= 57',
      'rshift_u64 core_point.delta => r2 >>= 57',
      'byte_off core_point.wide => r2 = 88',
      'byte_sz core_point.wide => r3 = 8',
      'lshift_u64 core_point.wide => r2 <<= 0',
      'signed core_point.wide => r1 = 0',
      'rshift_u64 core_point.wide => r2 s>>= 24',
      'rshift_u64 core_point.wide => r2 >>= 24',
    ]);
  });
});

describe('applyFixup', () => {
  const r = relocateFixture('core_relos', targetA, { programs: ['core_fields', 'core_direct', 'core_enums'] });
  const spec = r.spec;
  const insnAt = (program: string, slot: number) => {
    let at = 0;
    for (const i of spec.programs.get(program)!.instructions) {
      if (at === slot) return i;
      at += slotCount(i);
    }
    throw new Error('no insn');
  };
  const first = (program: string, pred: (f: CoreFixup) => boolean) => r.fixups.find((f) => f.program === program && pred(f))!;

  it('checks that an ALU immediate holds the local value', () => {
    const f = first('core_fields', (x) => x.kindName === 'byte_off');
    const insn = { ...insnAt('core_fields', f.insn), imm: 99 };
    expect(() => applyFixup(insn, f)).toThrow(CoreError);
    expect(() => applyFixup(insn, f)).toThrow(/^program 'core_fields': relocation #0 \(insn #0, core_relos\.bpf\.c:\d+\): unexpected ALU\/ALU64 imm: got 99, expected 8 -> 16$/);
  });

  it('checks that a load offset holds the local value', () => {
    const f = first('core_direct', (x) => x.access === "'core_point.y'");
    const insn = { ...insnAt('core_direct', f.insn), off: 6 };
    expect(() => applyFixup(insn, f)).toThrow(/unexpected LDX\/ST\/STX off: got 6, expected 4 -> 8/);
  });

  it('patches a store of an immediate (BPF_ST) like a load', () => {
    const f = first('core_direct', (x) => x.access === "'core_point.x'");
    // *(u32 *)(r2 + 0) = 5
    const st = { opcode: 0x62, dst: 2, src: 0, off: 0, imm: 5 };
    expect(applyFixup(st, f)).toEqual([{ ...st, off: 12 }]);
  });

  it('checks the memory size before changing it', () => {
    const f = first('core_direct', (x) => x.access === "'core_point.sz16'");
    const insn = insnAt('core_direct', f.insn);
    // A u8 load of a u16 field: the size to adjust from is not the field's.
    expect(() => applyFixup({ ...insn, opcode: 0x71 }, f)).toThrow(/unexpected LDX\/ST\/STX memory size: got 1, expected 2/);
    expect(applyFixup(insn, f)[0]).toMatchObject({ opcode: 0x61, off: 96 });
  });

  it('checks an ld_imm64 value and its form', () => {
    const f = first('core_enums', (x) => x.access === "'core_big::CORE_BIG_HUGE'");
    const insn = insnAt('core_enums', f.insn);
    expect(applyFixup(insn, f)[0]).toMatchObject({ imm64: 0x200000000n, imm: 0 });
    expect(() => applyFixup({ ...insn, imm64: 5n, imm: 5 }, f)).toThrow(/unexpected ld_imm64 value: got 5, expected 4294967296 -> 8589934592/);
    expect(() => applyFixup({ ...insn, src: 1 }, f)).toThrow(/ld_imm64 has an unexpected form/);
  });

  it('refuses instruction classes CO-RE does not patch', () => {
    const f = first('core_fields', (x) => x.kindName === 'byte_off');
    expect(() => applyFixup({ opcode: 0x05, dst: 0, src: 0, off: 8, imm: 8 }, f)).toThrow(/cannot relocate instruction of class 0x5/);
    expect(() => applyFixup({ opcode: 0x0f, dst: 1, src: 2, off: 0, imm: 8 }, f)).toThrow(/has a register operand/);
  });

  it('refuses an offset that does not fit in off', () => {
    const f = { ...first('core_direct', (x) => x.access === "'core_point.y'"), target: 40000n };
    expect(() => applyFixup(insnAt('core_direct', f.insn), f)).toThrow(/offset 40000 does not fit in 'off'/);
  });

  it('does not modify its input', () => {
    const f = first('core_fields', (x) => x.kindName === 'byte_off');
    const insn = insnAt('core_fields', f.insn);
    const before = { ...insn };
    applyFixup(insn, f);
    expect(insn).toEqual(before);
  });
});

describe('module BTF (split on vmlinux)', () => {
  // A "module" on top of core_target_a's BTF (the "vmlinux"): core_absent and core_gone exist
  // only here; core_color exists in both, with other values here.
  const vmlinux = targetA;
  const strings = new StringTable(new Uint8Array(0));
  const base = vmlinux.strBase + vmlinux.stringsLength;
  const name = (s: string) => base + strings.add(s);
  const int = vmlinux.findByName('int', 'INT')!;
  const first = vmlinux.maxId + 1;
  const types: BtfType[] = [
    {
      id: first,
      kind: 'STRUCT',
      name: 'core_absent',
      nameOff: name('core_absent'),
      size: 8,
      kindFlag: false,
      members: [
        { name: 'pad', nameOff: name('pad'), type: int, bitsOffset: 0, bitfieldSize: 0 },
        { name: 'a', nameOff: name('a'), type: int, bitsOffset: 32, bitfieldSize: 0 },
      ],
    },
    { id: first + 1, kind: 'ENUM', name: 'core_gone', nameOff: name('core_gone'), size: 4, signed: false, values: [{ name: 'CORE_GONE_A', nameOff: name('CORE_GONE_A'), value: 5 }] },
    { id: first + 2, kind: 'ENUM', name: 'core_color', nameOff: name('core_color'), size: 4, signed: false, values: [{ name: 'CORE_BLUE', nameOff: name('CORE_BLUE'), value: 99 }] },
  ];
  const module = parseBtf(encodeBtf(types, strings.bytes()), { base: vmlinux, section: 'core_test_module' });
  const r = relocateFixture('core_relos', { vmlinux, modules: [module] }, { programs: ['core_types', 'core_enums'] });

  it('finds a type only a module has', () => {
    const absent = r.fixups.filter((f) => f.localType.includes("'core_absent'"));
    expect(absent.map((f) => [f.kindName, f.target])).toEqual([
      ['type_exists', 1n],
      ['type_size', 8n],
    ]);
    expect(absent[0]!.candidate).toMatchObject({ btf: 'core_test_module', typeId: first });
    expect(fixupTable(r, 'core_enums').slice(3)).toEqual(['enumval_exists core_gone::CORE_GONE_A => r1 = 0x1', 'enumval_value core_gone::CORE_GONE_A => r1 = 0x5']);
  });

  it('does not look into modules when vmlinux has a candidate', () => {
    expect(fixupTable(r, 'core_enums')[1]).toBe('enumval_value core_color::CORE_BLUE => r1 = 0x7');
  });

  it('without the module, the same relocations find nothing', () => {
    const alone = relocateFixture('core_relos', { vmlinux }, { programs: ['core_enums'] });
    expect(fixupTable(alone, 'core_enums').slice(3)).toEqual(['enumval_exists core_gone::CORE_GONE_A => r1 = 0x0', 'enumval_value core_gone::CORE_GONE_A => poison']);
  });
});
