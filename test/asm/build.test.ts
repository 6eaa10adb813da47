import { describe, expect, it } from 'vitest';
import {
  BPF_ADD,
  BPF_B,
  BPF_DW,
  BPF_FETCH,
  BPF_JEQ,
  BPF_JGT,
  BPF_LSH,
  BPF_REG_0,
  BPF_REG_1,
  BPF_REG_10,
  BPF_REG_2,
  BPF_W,
  BPF_FUNC,
  decodeProgram,
  disassemble,
  encodeInstructions,
  insn,
} from '../../src/asm/index.js';

describe('instruction builders', () => {
  it('build each form, which encodes, decodes back and prints as the kernel does', () => {
    const prog = [
      insn.mov64Imm(BPF_REG_0, 0),
      insn.mov32Imm(BPF_REG_1, -1),
      insn.mov64Reg(BPF_REG_2, BPF_REG_10),
      insn.mov32Reg(BPF_REG_1, BPF_REG_2),
      insn.alu64Imm(BPF_ADD, BPF_REG_2, -8),
      insn.alu64Reg(BPF_LSH, BPF_REG_1, BPF_REG_2),
      insn.alu32Imm(BPF_ADD, BPF_REG_1, 3),
      insn.alu32Reg(BPF_ADD, BPF_REG_1, BPF_REG_1),
      insn.ldImm64(BPF_REG_1, 0x123456789abcdefn),
      insn.ldMapFd(BPF_REG_1, 7),
      insn.ldMapValue(BPF_REG_1, 7, 16),
      insn.ldx(BPF_W, BPF_REG_0, BPF_REG_1, 4),
      insn.stx(BPF_DW, BPF_REG_10, BPF_REG_1, -8),
      insn.st(BPF_B, BPF_REG_10, -1, 0),
      insn.atomic(BPF_DW, BPF_ADD | BPF_FETCH, BPF_REG_1, BPF_REG_2, 0),
      insn.jmpImm(BPF_JGT, BPF_REG_1, 5, 3),
      insn.jmpReg(BPF_JEQ, BPF_REG_1, BPF_REG_2, -2),
      insn.jmp32Imm(BPF_JEQ, BPF_REG_1, 0, 1),
      insn.jmp32Reg(BPF_JGT, BPF_REG_1, BPF_REG_2, 1),
      insn.ja(1),
      insn.callHelper(BPF_FUNC.ringbuf_output),
      insn.callSubprog(5),
      insn.callKfunc(1234),
      insn.exit(),
    ];
    const text = [
      '   0: (b7) r0 = 0',
      '   1: (b4) w1 = -1',
      '   2: (bf) r2 = r10',
      '   3: (bc) w1 = w2',
      '   4: (07) r2 += -8',
      '   5: (6f) r1 <<= r2',
      '   6: (04) w1 += 3',
      '   7: (0c) w1 += w1',
      '   8: (18) r1 = 0x123456789abcdef',
      '  10: (18) r1 = map[id:7]',
      '  12: (18) r1 = map[id:7][0]+16',
      '  14: (61) r0 = *(u32 *)(r1 +4)',
      '  15: (7b) *(u64 *)(r10 -8) = r1',
      '  16: (72) *(u8 *)(r10 -1) = 0',
      '  17: (db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)',
      '  18: (25) if r1 > 0x5 goto pc+3',
      '  19: (1d) if r1 == r2 goto pc-2',
      '  20: (16) if w1 == 0x0 goto pc+1',
      '  21: (2e) if w1 > w2 goto pc+1',
      '  22: (05) goto pc+1',
      '  23: (85) call bpf_ringbuf_output#130',
      '  24: (85) call pc+5',
      '  25: (85) call kernel-function#1234',
      '  26: (95) exit',
    ];
    expect(disassemble(prog)).toEqual(text);
    for (const le of [true, false]) {
      const bytes = encodeInstructions(prog, le);
      expect(bytes.length).toBe(27 * 8);
      const back = decodeProgram(bytes, le, { strict: true });
      expect(back.map(({ index: _i, ...rest }) => rest)).toEqual(prog);
    }
  });
});
