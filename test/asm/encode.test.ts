import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsmError } from '../../src/errors.js';
import {
  decodeProgram,
  encodeInstructions,
  patchImm,
  patchImm64,
  patchOff,
  patchSrc,
  setImm64,
  type Instruction,
} from '../../src/asm/index.js';

// r1 = 0 (ld_imm64), r0 = r1, call 1, exit: slots 0-1, 2, 3, 4.
const program = (): Instruction[] => [
  { opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0, imm64: 0n },
  { opcode: 0xbf, dst: 0, src: 1, off: 0, imm: 0 },
  { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 1 },
  { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
];

describe('patching encoded instructions', () => {
  for (const littleEndian of [true, false]) {
    const order = littleEndian ? 'bpfel' : 'bpfeb';

    it(`${order}: each field written in place decodes as if the instruction had been encoded with it`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 15 }),
          fc.integer({ min: -0x8000, max: 0x7fff }),
          fc.integer({ min: -0x80000000, max: 0x7fffffff }),
          fc.integer({ min: -0x80000000, max: 0x7fffffff }),
          (src, off, lo, hi) => {
            const bytes = encodeInstructions(program(), littleEndian);
            patchSrc(bytes, 0, src, littleEndian);
            patchImm64(bytes, 0, lo, hi, littleEndian);
            patchSrc(bytes, 3, src, littleEndian);
            patchOff(bytes, 3, off, littleEndian);
            patchImm(bytes, 3, lo, littleEndian);

            const expected = program();
            expected[0]!.src = src;
            setImm64(expected[0]!, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
            Object.assign(expected[2]!, { src, off, imm: lo });
            expect(bytes).toEqual(encodeInstructions(expected, littleEndian));
            // The other fields and instructions are untouched.
            const decoded = decodeProgram(bytes, littleEndian);
            expect(decoded.map((d) => [d.opcode, d.dst])).toEqual([[0x18, 1], [0xbf, 0], [0x85, 0], [0x95, 0]]);
            expect(decoded[1]).toMatchObject({ src: 1, off: 0, imm: 0 });
          },
        ),
      );
    });
  }

  it('refuses a slot outside the bytes, and an ld_imm64 patch on the last slot', () => {
    const bytes = encodeInstructions(program(), true); // 5 slots
    expect(() => patchImm(bytes, 5, 1, true)).toThrow(AsmError);
    expect(() => patchSrc(bytes, -1, 1, true)).toThrow(/insn #-1: no such slot/);
    expect(() => patchOff(bytes, 1.5, 1, true)).toThrow(AsmError);
    expect(() => patchImm64(bytes, 4, 1, 2, true)).toThrow(/insn #4: no such slot to patch \(5 slots\)/);
    expect(bytes).toEqual(encodeInstructions(program(), true));
  });
});

describe('encodeInstructions into a caller\'s array', () => {
  const insns = program(); // 4 instructions, 5 slots, 40 bytes
  const expected = encodeInstructions(insns, true);

  it('writes at the start of an array with room for any program, and returns a view of the bytes', () => {
    const into = new Uint8Array(4 * 16 + 3).fill(0xee);
    const out = encodeInstructions(insns, true, into);
    expect(out.buffer).toBe(into.buffer);
    expect(out).toEqual(expected);
    expect(into.subarray(40).every((b) => b === 0xee)).toBe(true);
  });

  it('uses an array that holds exactly the program, and allocates when it is too small', () => {
    const exact = new Uint8Array(40);
    const out = encodeInstructions(insns, true, exact);
    expect(out.buffer).toBe(exact.buffer);
    expect(out).toEqual(expected);
    const small = new Uint8Array(39);
    const other = encodeInstructions(insns, true, small);
    expect(other.buffer).not.toBe(small.buffer);
    expect(other).toEqual(expected);
    expect(small.every((b) => b === 0)).toBe(true);
  });

  it('refuses out-of-range fields, and a non-object, with the same errors either way', () => {
    for (const into of [undefined, new Uint8Array(1024)]) {
      expect(() => encodeInstructions([{ ...insns[1]!, off: 0x8000 }], true, into)).toThrow(/'off' 32768 is out of range/);
      expect(() => encodeInstructions([{ ...insns[1]!, imm: 2 ** 32 }], true, into)).toThrow(/'imm' 4294967296 is out of range/);
      expect(() => encodeInstructions([{ ...insns[1]!, dst: 1.5 }], true, into)).toThrow(/'dst' 1.5 is out of range/);
      expect(() => encodeInstructions([{ ...insns[1]!, src: 5n as unknown as number }], true, into)).toThrow(/'src' 5 is out of range/);
      expect(() => encodeInstructions([insns[1]!, null as unknown as Instruction], true, into)).toThrow(/insn #1: not an instruction object/);
    }
  });
});
