import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsmError } from '../../src/errors.js';
import {
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL_INSN,
  BPF_DW,
  BPF_EXIT_INSN,
  BPF_K,
  BPF_LD_IMM64,
  BPF_MOV,
  BPF_PSEUDO_MAP_VALUE,
  BPF_STX,
  BPF_X,
  decodeInstruction,
  decodeProgram,
  encodeInstruction,
  encodeInstructions,
  instructionProblem,
  isLdImm64,
  setImm64,
  slotCount,
  type Instruction,
} from '../../src/asm/index.js';
import { parseElf, SHF_EXECINSTR } from '../../src/elf/index.js';
import { allFixtures } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';

const bytes = (...b: number[]) => new Uint8Array(b);

/** Captures what `fn` throws (undefined if nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('decode', () => {
  it('reads dst_reg from the low nibble on bpfel and the high nibble on bpfeb', () => {
    // r2 = r1 (BPF_ALU64 | BPF_MOV | BPF_X), as clang emits it for each target.
    const [le] = decodeProgram(bytes(0xbf, 0x12, 0, 0, 0, 0, 0, 0), true);
    const [be] = decodeProgram(bytes(0xbf, 0x21, 0, 0, 0, 0, 0, 0), false);
    for (const insn of [le!, be!]) {
      expect(insn).toEqual({ index: 0, opcode: 0xbf, dst: 2, src: 1, off: 0, imm: 0 });
    }
  });

  it('reads off and imm as signed, in the given byte order', () => {
    // *(u32 *)(r10 -4) = -2 (BPF_ST | BPF_MEM | BPF_W)
    const [le] = decodeProgram(bytes(0x62, 0x0a, 0xfc, 0xff, 0xfe, 0xff, 0xff, 0xff), true);
    const [be] = decodeProgram(bytes(0x62, 0xa0, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xfe), false);
    expect(le).toEqual({ index: 0, opcode: 0x62, dst: 10, src: 0, off: -4, imm: -2 });
    expect(be).toEqual(le);
  });

  it('joins the two slots of ld_imm64 and keeps slot indexes', () => {
    const prog = bytes(
      ...[0x18, 0x01, 0, 0, 0xef, 0xcd, 0xab, 0x89], // r1 = 0x123456789abcdef (low half)
      ...[0x00, 0x00, 0, 0, 0x67, 0x45, 0x23, 0x01], // (high half)
      ...[0x95, 0x00, 0, 0, 0, 0, 0, 0], // exit
    );
    const insns = decodeProgram(prog, true);
    expect(insns).toHaveLength(2);
    expect(insns[0]).toMatchObject({ index: 0, opcode: BPF_LD_IMM64, dst: 1, imm64: 0x123456789abcdefn, imm: -0x76543211 });
    expect(insns[1]).toMatchObject({ index: 2, opcode: BPF_EXIT_INSN });
    expect(isLdImm64(insns[0]!)).toBe(true);
    expect(slotCount(insns[0]!)).toBe(2);
    expect(slotCount(insns[1]!)).toBe(1);
    expect(decodeInstruction(prog, 2, true)).toEqual(insns[1]);
    expect(decodeInstruction(prog, 0, true)).toEqual(insns[0]);
  });

  it('reads ld_imm64 on bpfeb', () => {
    const prog = bytes(0x18, 0x10, 0, 0, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0x01, 0x23, 0x45, 0x67);
    expect(decodeProgram(prog, false)[0]).toMatchObject({ dst: 1, src: 0, imm64: 0x123456789abcdefn });
  });

  it('decodes an empty program to no instructions', () => {
    expect(decodeProgram(new Uint8Array(0), true)).toEqual([]);
  });

  it('honours a view that does not start at byte 0 of its buffer', () => {
    const backing = new Uint8Array(24);
    backing.set([0xb7, 0x00, 0, 0, 0x2a, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0], 8);
    const insns = decodeProgram(backing.subarray(8), true);
    expect(insns.map((i) => [i.opcode, i.imm])).toEqual([
      [0xb7, 42],
      [0x95, 0],
    ]);
  });
});

describe('bad input', () => {
  it('rejects a program whose length is not a multiple of 8, naming the instruction', () => {
    const e = thrown(() => decodeProgram(new Uint8Array(19), true, { section: 'xdp', sectionIndex: 3 }));
    expect(e).toBeInstanceOf(AsmError);
    expect((e as AsmError).message).toBe(
      "section 'xdp' (#3), offset 0x10: insn #2: truncated program: 19 bytes is not a multiple of 8 (3 bytes left over)",
    );
    expect((e as AsmError).offset).toBe(16);
    expect((e as AsmError).section).toBe('xdp');
  });

  it('rejects an ld_imm64 missing its second half', () => {
    const prog = bytes(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x18, 0x01, 0, 0, 1, 0, 0, 0);
    const e = thrown(() => decodeProgram(prog, true));
    expect(e).toBeInstanceOf(AsmError);
    expect((e as AsmError).message).toMatch(/insn #1: ld_imm64 is missing its second half/);
    expect((e as AsmError).offset).toBe(8);
    expect(thrown(() => decodeInstruction(prog, 1, true))).toBeInstanceOf(AsmError);
  });

  it('rejects an ld_imm64 whose second slot is another instruction', () => {
    const prog = bytes(0x18, 0x01, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
    const e = thrown(() => decodeProgram(prog, true));
    expect(e).toBeInstanceOf(AsmError);
    expect((e as AsmError).message).toMatch(/insn #0: ld_imm64 second half \(slot 1\) is not a continuation \(code 0x95/);
    expect((e as AsmError).offset).toBe(8);
  });

  it('rejects opcodes outside the instruction set only when strict', () => {
    const prog = bytes(0xb7, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0);
    expect(decodeProgram(prog, true)).toHaveLength(2);
    const e = thrown(() => decodeProgram(prog, true, { strict: true, section: 'tc' }));
    expect(e).toBeInstanceOf(AsmError);
    expect((e as AsmError).message).toBe("section 'tc', offset 0x8: insn #1: invalid instruction: unknown ALU operation 0xf0");
  });

  it('rejects a slot index outside the program', () => {
    const prog = bytes(0x95, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
    for (const index of [-1, 2, 0.5, NaN, Number.MAX_SAFE_INTEGER]) {
      expect(thrown(() => decodeInstruction(prog, index, true))).toBeInstanceOf(AsmError);
    }
  });

  it('raises AsmError for truncations of every fixture program', () => {
    let checked = 0;
    for (const fx of allFixtures()) {
      const elf = parseElf(new Uint8Array(readFileSync(fx.path)));
      for (const s of elf.sections) {
        if ((s.flags & SHF_EXECINSTR) === 0n || s.size === 0) continue;
        // Every cut in the first 4 slots, then aligned and unaligned cuts at ~64 slot boundaries.
        const slots = s.data.length / 8;
        const step = Math.max(1, Math.floor(slots / 64));
        const cuts = new Set<number>();
        for (let len = 1; len < Math.min(32, s.data.length); len++) cuts.add(len);
        for (let k = 0; k < slots; k += step) for (const d of [0, 3, 7, 8, 9]) cuts.add(k * 8 + d);
        for (const len of [...cuts].filter((l) => l > 0 && l < s.data.length)) {
          const cut = s.data.subarray(0, len);
          const e = thrown(() => decodeProgram(cut, elf.littleEndian));
          if (len % 8 !== 0) {
            expect(e, `${fx.file} '${s.name}' cut at ${len}`).toBeInstanceOf(AsmError);
          } else if (e !== undefined) {
            // A cut between the halves of an ld_imm64 is the only other failure.
            expect(e, `${fx.file} '${s.name}' cut at ${len}`).toBeInstanceOf(AsmError);
            expect((e as Error).message).toMatch(/ld_imm64 is missing its second half/);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('encode', () => {
  it('writes hand-built instructions in both byte orders', () => {
    const mov: Instruction = { opcode: BPF_ALU64 | BPF_MOV | BPF_X, dst: 2, src: 1, off: 0, imm: 0 };
    expect([...encodeInstruction(mov, true)]).toEqual([0xbf, 0x12, 0, 0, 0, 0, 0, 0]);
    expect([...encodeInstruction(mov, false)]).toEqual([0xbf, 0x21, 0, 0, 0, 0, 0, 0]);
    // lock *(u64 *)(r1 -8) += r3
    const xadd: Instruction = { opcode: BPF_STX | BPF_ATOMIC | BPF_DW, dst: 1, src: 3, off: -8, imm: 0 };
    expect([...encodeInstruction(xadd, true)]).toEqual([0xdb, 0x31, 0xf8, 0xff, 0, 0, 0, 0]);
    expect([...encodeInstruction(xadd, false)]).toEqual([0xdb, 0x13, 0xff, 0xf8, 0, 0, 0, 0]);
  });

  it('accepts imm as u32 and writes the same bits as s32', () => {
    const a: Instruction = { opcode: BPF_ALU64 | BPF_MOV | BPF_K, dst: 0, src: 0, off: 0, imm: 0xffffffff };
    expect([...encodeInstruction(a, true)]).toEqual([...encodeInstruction({ ...a, imm: -1 }, true)]);
  });

  it('writes ld_imm64 without imm64 from imm, zero-extended', () => {
    const ld: Instruction = { opcode: BPF_LD_IMM64, dst: 1, src: 1, off: 0, imm: -1 };
    expect([...encodeInstruction(ld, true)]).toEqual([0x18, 0x11, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('writes ld_imm64 from imm64, kept in step by setImm64', () => {
    const ld: Instruction = { opcode: BPF_LD_IMM64, dst: 1, src: BPF_PSEUDO_MAP_VALUE, off: 0, imm: 0 };
    setImm64(ld, (8n << 32n) | 5n);
    expect(ld.imm).toBe(5);
    expect([...encodeInstruction(ld, true)]).toEqual([0x18, 0x21, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0]);
    setImm64(ld, -1n);
    expect(ld.imm64).toBe(0xffffffffffffffffn);
    expect(ld.imm).toBe(-1);
  });

  it('refuses fields out of range, naming the instruction', () => {
    const ok: Instruction = { opcode: BPF_CALL_INSN, dst: 0, src: 0, off: 0, imm: 1 };
    const cases: [Partial<Instruction>, RegExp][] = [
      [{ opcode: 256 }, /'opcode' 256 is out of range/],
      [{ dst: 16 }, /'dst' 16 is out of range/],
      [{ src: -1 }, /'src' -1 is out of range/],
      [{ off: 0x8000 }, /'off' 32768 is out of range/],
      [{ imm: 2 ** 32 }, /'imm' 4294967296 is out of range/],
      [{ imm: 1.5 }, /'imm' 1.5 is out of range/],
      [{ opcode: BPF_LD_IMM64, imm64: 5 as unknown as bigint }, /ld_imm64 'imm64' must be a bigint/],
      [{ opcode: BPF_LD_IMM64, imm: 1, imm64: 2n }, /ld_imm64 'imm' 1 disagrees with the low half of 'imm64' 0x2/],
      [{ opcode: BPF_LD_IMM64, imm: 0, imm64: 1n << 64n }, /ld_imm64 'imm64' must be a bigint of at most 64 bits/],
    ];
    for (const [patch, message] of cases) {
      const e = thrown(() => encodeInstructions([ok, { ...ok, ...patch }], true));
      expect(e, JSON.stringify(patch, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBeInstanceOf(AsmError);
      expect((e as Error).message).toMatch(/^offset 0x8: insn #1 \(slot 1\): /);
      expect((e as Error).message).toMatch(message);
    }
  });

  it('round-trips every fixture program byte for byte, in both byte orders', () => {
    let sections = 0;
    for (const fx of allFixtures()) {
      const elf = parseElf(new Uint8Array(readFileSync(fx.path)));
      for (const s of elf.sections) {
        if ((s.flags & SHF_EXECINSTR) === 0n || s.size === 0) continue;
        const insns = decodeProgram(s.data, elf.littleEndian, { strict: true, section: s.name });
        expect(Buffer.from(encodeInstructions(insns, elf.littleEndian)).equals(Buffer.from(s.data))).toBe(true);
        // Same instructions, other byte order: decode gives the same fields back.
        const swapped = encodeInstructions(insns, !elf.littleEndian);
        expect(decodeProgram(swapped, !elf.littleEndian)).toEqual(insns);
        sections++;
      }
    }
    expect(sections).toBeGreaterThanOrEqual(10);
  });
});

describe('input that is not what the types say', () => {
  it('raises AsmError, not TypeError', () => {
    const junk: unknown[] = [null, undefined, 'abc', 42, [1, 2, 3], {}];
    for (const j of junk) {
      expect(thrown(() => decodeProgram(j as Uint8Array, true)), String(j)).toBeInstanceOf(AsmError);
      expect(thrown(() => encodeInstructions(j as Instruction[], true)), String(j)).toBeInstanceOf(AsmError);
      expect(thrown(() => encodeInstructions([j as Instruction], true)), String(j)).toBeInstanceOf(AsmError);
    }
  });
});

describe('properties', () => {
  const isTyped = (e: unknown) => e instanceof AsmError;

  it('any 8-byte word decodes to an instruction that re-encodes to it, or raises AsmError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean(), (word, le, strict) => {
        let insns;
        try {
          insns = decodeProgram(word, le, { strict });
        } catch (e) {
          return isTyped(e);
        }
        return Buffer.from(encodeInstructions(insns, le)).equals(Buffer.from(word));
      }),
      { numRuns: 5000 },
    );
  });

  it('any instruction-shaped object encodes and decodes back, or raises AsmError', () => {
    const num = fc.oneof(
      fc.integer({ min: -0x80000000, max: 0xffffffff }),
      fc.integer({ min: -20, max: 300 }),
      fc.constantFrom(NaN, Infinity, -0, 0.5, 2 ** 53),
    );
    const insn = fc.record({
      opcode: fc.oneof(fc.constant(BPF_LD_IMM64), num),
      dst: num,
      src: num,
      off: num,
      imm: num,
      imm64: fc.option(fc.bigInt({ min: -(1n << 64n), max: 1n << 65n }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(insn, { maxLength: 4 }), fc.boolean(), (insns, le) => {
        let bytes;
        try {
          bytes = encodeInstructions(insns, le);
        } catch (e) {
          return isTyped(e);
        }
        const back = decodeProgram(bytes, le);
        return back.length === insns.length && back.every((b, k) => b.opcode === insns[k]!.opcode && b.dst === insns[k]!.dst);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated fixture programs decode and re-encode, or raise AsmError', () => {
    const programs: { data: Uint8Array; le: boolean }[] = [];
    for (const fx of allFixtures()) {
      const elf = parseElf(new Uint8Array(readFileSync(fx.path)));
      for (const s of elf.sections) {
        if ((s.flags & SHF_EXECINSTR) !== 0n && s.size > 0) programs.push({ data: s.data, le: elf.littleEndian });
      }
    }
    expect(programs.length).toBeGreaterThan(5);
    fc.assert(
      fc.property(
        fc.nat({ max: programs.length - 1 }).chain((k) => fc.tuple(fc.constant(k), mutations(programs[k]!.data.length))),
        fc.boolean(),
        ([k, muts], strict) => {
          const p = programs[k]!;
          const data = applyMutations(p.data, muts);
          let insns;
          try {
            insns = decodeProgram(data, p.le, { strict });
          } catch (e) {
            return isTyped(e);
          }
          return Buffer.from(encodeInstructions(insns, p.le)).equals(Buffer.from(data));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('any byte string decodes and re-encodes, or raises AsmError', () => {
    // Bias towards ld_imm64 openings and zero continuations, the interesting case.
    const byte = fc.oneof(fc.constant(0x18), fc.constant(0), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 80 }), fc.boolean(), fc.boolean(), (arr, le, strict) => {
        const prog = new Uint8Array(arr);
        let insns;
        try {
          insns = decodeProgram(prog, le, { strict });
        } catch (e) {
          return isTyped(e);
        }
        if (strict && insns.some((i) => instructionProblem(i) !== undefined)) return false;
        return Buffer.from(encodeInstructions(insns, le)).equals(Buffer.from(prog));
      }),
      { numRuns: 3000 },
    );
  });
});
