import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BPF_LD_IMM64,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  decodeProgram,
  disassemble,
  formatInstruction,
  instructionProblem,
  isKernelInternal,
  jumpTarget,
  type Instruction,
} from '../../src/asm/index.js';

/** An instruction from its fields: opcode, dst, src, off, imm. */
function I(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Instruction {
  return { opcode, dst, src, off, imm };
}
function ld64(dst: number, src: number, value: bigint): Instruction {
  const v = BigInt.asUintN(64, value);
  return { opcode: BPF_LD_IMM64, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v };
}

// Expected text is the kernel's print_bpf_insn format with bpftool's callbacks.
const cases: [string, Instruction, string][] = [
  // ALU64 / ALU32, immediate and register sources
  ['mov64 imm', I(0xb7, 0, 0, 0, 0), 'r0 = 0'],
  ['mov32 imm negative', I(0xb4, 1, 0, 0, -1), 'w1 = -1'],
  ['mov64 reg', I(0xbf, 2, 1), 'r2 = r1'],
  ['add32 reg', I(0x0c, 1, 2), 'w1 += w2'],
  ['sub64 imm', I(0x17, 1, 0, 0, 5), 'r1 -= 5'],
  ['mul', I(0x2f, 1, 2), 'r1 *= r2'],
  ['div', I(0x3f, 1, 2), 'r1 /= r2'],
  ['or', I(0x47, 1, 0, 0, 5), 'r1 |= 5'],
  ['and', I(0x5c, 1, 2), 'w1 &= w2'],
  ['lsh', I(0x67, 0, 0, 0, 32), 'r0 <<= 32'],
  ['rsh', I(0x7f, 1, 2), 'r1 >>= r2'],
  ['mod', I(0x97, 1, 0, 0, 7), 'r1 %= 7'],
  ['xor', I(0xaf, 1, 2), 'r1 ^= r2'],
  ['arsh', I(0xc7, 0, 0, 0, 35), 'r0 s>>= 35'],
  ['neg64', I(0x87, 1), 'r1 = -r1'],
  ['neg32', I(0x84, 1), 'w1 = -w1'],
  ['sdiv reg', I(0x3f, 1, 2, 1), 'r1 s/= r2'],
  ['smod imm', I(0x94, 1, 0, 1, -5), 'w1 s%= -5'],
  ['sdiv imm', I(0x37, 1, 0, 1, 7), 'r1 s/= 7'],
  ['movsx s8', I(0xbf, 1, 2, 8), 'r1 = (s8)r2'],
  ['movsx s16', I(0xbf, 1, 2, 16), 'r1 = (s16)r2'],
  ['movsx s32', I(0xbf, 1, 2, 32), 'r1 = (s32)r2'],
  ['movsx32 s8', I(0xbc, 1, 2, 8), 'w1 = (s8)w2'],
  ['be16', I(0xdc, 1, 0, 0, 16), 'r1 = be16 r1'],
  ['le64', I(0xd4, 1, 0, 0, 64), 'r1 = le64 r1'],
  ['bswap32', I(0xd7, 3, 0, 0, 32), 'r3 = bswap32 r3'],
  ['addr_space_cast', I(0xbf, 1, 2, 1, 1), 'r1 = addr_space_cast(r2, 0, 1)'],
  ['addr_space_cast to 1', I(0xbf, 1, 2, 1, 0x10000), 'r1 = addr_space_cast(r2, 1, 0)'],
  // Loads and stores
  ['ldx u32', I(0x61, 1, 1, 0), 'r1 = *(u32 *)(r1 +0)'],
  ['ldx u8 negative off', I(0x71, 1, 2, -2), 'r1 = *(u8 *)(r2 -2)'],
  ['ldx u64 max off', I(0x79, 1, 2, 32767), 'r1 = *(u64 *)(r2 +32767)'],
  ['ldsx s16', I(0x89, 1, 2, 4), 'r1 = *(s16 *)(r2 +4)'],
  ['ldsx s32', I(0x81, 1, 2, 4), 'r1 = *(s32 *)(r2 +4)'],
  ['stx u64', I(0x7b, 10, 1, -8), '*(u64 *)(r10 -8) = r1'],
  ['stx u16', I(0x6b, 10, 1, -8), '*(u16 *)(r10 -8) = r1'],
  ['st u32 imm', I(0x62, 10, 0, -4, 0), '*(u32 *)(r10 -4) = 0'],
  ['st u64 negative imm', I(0x7a, 10, 0, -8, -3), '*(u64 *)(r10 -8) = -3'],
  // Atomics
  ['atomic add64', I(0xdb, 1, 2, 0, 0x00), 'lock *(u64 *)(r1 +0) += r2'],
  ['atomic or32', I(0xc3, 1, 2, 8, 0x40), 'lock *(u32 *)(r1 +8) |= r2'],
  ['atomic and64', I(0xdb, 1, 2, 8, 0x50), 'lock *(u64 *)(r1 +8) &= r2'],
  ['atomic xor64', I(0xdb, 1, 2, 8, 0xa0), 'lock *(u64 *)(r1 +8) ^= r2'],
  ['fetch add64', I(0xdb, 1, 2, 8, 0x01), 'r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)'],
  ['fetch xor32', I(0xc3, 1, 2, 8, 0xa1), 'r2 = atomic_fetch_xor((u32 *)(r1 +8), r2)'],
  ['xchg64', I(0xdb, 1, 2, 8, 0xe1), 'r2 = atomic64_xchg((u64 *)(r1 +8), r2)'],
  ['cmpxchg32', I(0xc3, 1, 2, 8, 0xf1), 'r0 = atomic_cmpxchg((u32 *)(r1 +8), r0, r2)'],
  ['load-acquire', I(0xdb, 1, 2, 0, 0x100), 'r1 = load_acquire((u64 *)(r2 +0))'],
  ['load-acquire u8', I(0xd3, 1, 2, 4, 0x100), 'r1 = load_acquire((u8 *)(r2 +4))'],
  ['store-release', I(0xc3, 1, 2, -4, 0x110), 'store_release((u32 *)(r1 -4), r2)'],
  // 64-bit immediates: bpftool's print_imm
  ['ld_imm64', ld64(1, 0, 0x123456789abcdefn), 'r1 = 0x123456789abcdef'],
  ['ld_imm64 -1', ld64(1, 0, -1n), 'r1 = 0xffffffffffffffff'],
  ['map fd', ld64(1, BPF_PSEUDO_MAP_FD, 5n), 'r1 = map[id:5]'],
  ['map value', ld64(1, BPF_PSEUDO_MAP_VALUE, (8n << 32n) | 5n), 'r1 = map[id:5][0]+8'],
  ['map idx value', ld64(2, BPF_PSEUDO_MAP_IDX_VALUE, (4n << 32n) | 3n), 'r2 = map[idx:3]+4'],
  ['map idx', ld64(2, BPF_PSEUDO_MAP_IDX, 3n), 'r2 = 0x3'],
  ['btf id', ld64(2, BPF_PSEUDO_BTF_ID, 77n), 'r2 = 0x4d'],
  ['func', ld64(2, BPF_PSEUDO_FUNC, 3n), 'r2 = subprog[+3]'],
  // Legacy packet loads
  ['ld_abs', I(0x30, 0, 0, 0, 3), 'r0 = *(u8 *)skb[3]'],
  ['ld_ind', I(0x48, 0, 2, 0, 14), 'r0 = *(u16 *)skb[r2 + 14]'],
  // Calls, jumps, exit
  ['helper', I(0x85, 0, 0, 0, 1), 'call bpf_map_lookup_elem#1'],
  ['helper 130', I(0x85, 0, 0, 0, 130), 'call bpf_ringbuf_output#130'],
  ['helper newest', I(0x85, 0, 0, 0, 211), 'call bpf_cgrp_storage_delete#211'],
  ['unknown helper', I(0x85, 0, 0, 0, 999), 'call unknown#999'],
  ['bpf-to-bpf', I(0x85, 0, BPF_PSEUDO_CALL, 0, 5), 'call pc+5'],
  ['bpf-to-bpf back', I(0x85, 0, BPF_PSEUDO_CALL, 0, -12), 'call pc-12'],
  ['kfunc', I(0x85, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1234), 'call kernel-function#1234'],
  ['goto', I(0x05, 0, 0, 3), 'goto pc+3'],
  ['goto back', I(0x05, 0, 0, -1), 'goto pc-1'],
  ['gotol', I(0x06, 0, 0, 0, 70000), 'gotol pc+70000'],
  ['may_goto', I(0xe5, 0, 0, 2), 'may_goto pc+2'],
  ['jgt imm', I(0x25, 1, 0, 3, 5), 'if r1 > 0x5 goto pc+3'],
  ['jne imm negative', I(0x55, 1, 0, 1, -5), 'if r1 != 0xfffffffb goto pc+1'],
  ['jeq reg', I(0x1d, 1, 2, -4), 'if r1 == r2 goto pc-4'],
  ['jset', I(0x45, 1, 0, 1, 4), 'if r1 & 0x4 goto pc+1'],
  ['jsle', I(0xdd, 1, 2, 1), 'if r1 s<= r2 goto pc+1'],
  ['jmp32 jlt', I(0xa6, 1, 0, 1, -1), 'if w1 < 0xffffffff goto pc+1'],
  ['jmp32 jsgt reg', I(0x6e, 1, 2, 1), 'if w1 s> w2 goto pc+1'],
  ['exit', I(0x95), 'exit'],
  // Kernel-internal and invalid
  ['nospec', I(0xc2), 'nospec'],
  ['per-cpu address', I(0xbf, 0, 1, -1), 'r0 = &(void __percpu *)(r1)'],
  ['invalid alu op', I(0xff, 1, 2), 'invalid: unknown ALU operation 0xf0 (code 0xff)'],
  ['invalid atomic', I(0xdb, 1, 2, 0, 0x10), 'invalid: unknown atomic operation imm 0x10 (code 0xdb)'],
  ['invalid atomic size', I(0xd3, 1, 2, 0, 0x00), 'invalid: atomic read-modify-write on u8 or u16 (code 0xd3)'],
  ['invalid ldx mode', I(0x21), 'invalid: unknown BPF_LDX mode 0x20 (code 0x21)'],
  ['invalid bswap width', I(0xd7, 1, 0, 0, 8), 'invalid: byte swap width 8 (not 16, 32 or 64) (code 0xd7)'],
  ['invalid exit32', I(0x96), 'invalid: exit opcode 0x96 (only 0x95 exists) (code 0x96)'],
];

describe('formatInstruction (kernel print_bpf_insn syntax)', () => {
  for (const [name, insn, text] of cases) {
    it(`${name}: ${text}`, () => {
      expect(formatInstruction(insn)).toBe(text);
    });
  }

  it('uses callName and immText hooks like bpftool callbacks', () => {
    const opts = {
      callName: (i: Instruction) => (i.src === BPF_PSEUDO_KFUNC_CALL ? 'bpf_obj_new_impl' : i.src === 1 ? 'helper_fn' : 'x'),
      immText: (i: Instruction, v: bigint) => (i.src === BPF_PSEUDO_MAP_FD ? `map[name:events]` : undefined) ?? `${v}`,
    };
    expect(formatInstruction(I(0x85, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1234), opts)).toBe('call bpf_obj_new_impl#1234');
    expect(formatInstruction(I(0x85, 0, BPF_PSEUDO_CALL, 0, 5), opts)).toBe('call pc+5#helper_fn');
    // A known helper keeps its own name, as in the kernel.
    expect(formatInstruction(I(0x85, 0, 0, 0, 1), opts)).toBe('call bpf_map_lookup_elem#1');
    expect(formatInstruction(ld64(1, BPF_PSEUDO_MAP_FD, 3n), opts)).toBe('r1 = map[name:events]');
    expect(formatInstruction(ld64(1, 0, 7n), opts)).toBe('r1 = 7');
  });

  it('reads a JIT-compiled program\'s call distance from off, as bpftool does', () => {
    // jit_subprogs leaves the callee's subprogram index in imm and the distance in off.
    const call = I(0x85, 0, BPF_PSEUDO_CALL, 14, 2);
    expect(formatInstruction(call)).toBe('call pc+2');
    expect(formatInstruction(call, { jited: true })).toBe('call pc+14');
    expect(jumpTarget(call, 20)).toBe(23);
    expect(jumpTarget(call, 20, { jited: true })).toBe(35);
  });

  it('never throws, whatever the fields', () => {
    const insn = fc.record({
      opcode: fc.integer({ min: 0, max: 255 }),
      dst: fc.integer({ min: 0, max: 15 }),
      src: fc.integer({ min: 0, max: 15 }),
      off: fc.integer({ min: -0x8000, max: 0x7fff }),
      imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    });
    fc.assert(
      fc.property(insn, (i) => {
        const text = formatInstruction(i);
        // Valid instructions print as code, invalid ones as `invalid: ...`, except the
        // kernel-internal ones, which print as bpftool shows them.
        if (isKernelInternal(i)) return text === 'nospec' || text.includes('__percpu');
        const valid = instructionProblem(i) === undefined;
        return valid === !text.startsWith('invalid');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('disassemble (bpftool prog dump xlated layout)', () => {
  it('numbers lines by slot, skipping the second half of ld_imm64', () => {
    const prog = new Uint8Array([
      ...[0xb7, 0x00, 0, 0, 0, 0, 0, 0], // r0 = 0
      ...[0x18, 0x11, 0, 0, 5, 0, 0, 0], // r1 = map[id:5]
      ...[0x00, 0x00, 0, 0, 0, 0, 0, 0],
      ...[0x85, 0x00, 0, 0, 1, 0, 0, 0], // call bpf_map_lookup_elem#1
      ...[0x15, 0x00, 1, 0, 0, 0, 0, 0], // if r0 == 0x0 goto pc+1
      ...[0x95, 0x00, 0, 0, 0, 0, 0, 0], // exit
    ]);
    const insns = decodeProgram(prog, true);
    const lines = [
      '   0: (b7) r0 = 0',
      '   1: (18) r1 = map[id:5]',
      '   3: (85) call bpf_map_lookup_elem#1',
      '   4: (15) if r0 == 0x0 goto pc+1',
      '   5: (95) exit',
    ];
    expect(disassemble(insns)).toEqual(lines);
    // Hand-built instructions (no index) are counted the same way.
    expect(disassemble(insns.map(({ index: _index, ...rest }) => rest))).toEqual(lines);
  });

  it('finds jump and call targets relative to the next slot', () => {
    expect(jumpTarget(I(0x15, 0, 0, 1), 4)).toBe(6);
    expect(jumpTarget(I(0x05, 0, 0, -1), 4)).toBe(4);
    expect(jumpTarget(I(0x06, 0, 0, 0, 10), 4)).toBe(15);
    expect(jumpTarget(I(0xe5, 0, 0, 2), 4)).toBe(7);
    expect(jumpTarget(I(0x85, 0, BPF_PSEUDO_CALL, 0, -5), 10)).toBe(6);
    expect(jumpTarget(I(0x85, 0, 0, 0, 1), 10)).toBeUndefined();
    expect(jumpTarget(I(0x95), 10)).toBeUndefined();
    expect(jumpTarget(I(0xb7), 10)).toBeUndefined();
  });
});
