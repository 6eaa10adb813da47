/**
 * Builders for hand-written programs: feature probes, tests, small trampolines.
 *
 * Each returns a plain {@link Instruction}. They mirror the kernel's own shorthands, the
 * macros of include/linux/filter.h (and tools/include/linux/filter.h), named in each TSDoc so
 * they can be looked up. The package exports them as the `insn` namespace. A two-instruction
 * probe, "does this kernel load a socket filter?":
 *
 * ```ts
 * import { insn, encodeInstructions, BPF_REG_0 } from 'tsbpf';
 * const bytes = encodeInstructions([insn.mov64Imm(BPF_REG_0, 0), insn.exit()], true);
 * ```
 *
 * Ranges are checked when encoding (`encodeInstructions`), not here.
 *
 * This file is layer 1: it imports only `src/errors.ts` and `src/bytes`.
 * @module
 */
import { setImm64 } from './instruction.js';
import type { Instruction } from './instruction.js';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL_INSN,
  BPF_EXIT_INSN,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD_IMM64,
  BPF_LDX,
  BPF_MEM,
  BPF_MOV,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_ST,
  BPF_STX,
  BPF_X,
} from './opcodes.js';

function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Instruction {
  return { opcode, dst, src, off, imm };
}

/** `dst = imm` (64-bit, `imm` sign-extended). filter.h `BPF_MOV64_IMM`. */
export function mov64Imm(dst: number, imm: number): Instruction {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
/** `wdst = imm` (32-bit; the upper half of `dst` becomes 0). filter.h `BPF_MOV32_IMM`. */
export function mov32Imm(dst: number, imm: number): Instruction {
  return insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
/** `dst = src`. filter.h `BPF_MOV64_REG`. */
export function mov64Reg(dst: number, src: number): Instruction {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src);
}
/** `wdst = wsrc`. filter.h `BPF_MOV32_REG`. */
export function mov32Reg(dst: number, src: number): Instruction {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src);
}
/** `dst op= imm` for an ALU operation (`BPF_ADD`, `BPF_AND`, ...). filter.h `BPF_ALU64_IMM`. */
export function alu64Imm(op: number, dst: number, imm: number): Instruction {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
/** `dst op= src`. filter.h `BPF_ALU64_REG`. */
export function alu64Reg(op: number, dst: number, src: number): Instruction {
  return insn(BPF_ALU64 | op | BPF_X, dst, src);
}
/** `wdst op= imm`. filter.h `BPF_ALU32_IMM`. */
export function alu32Imm(op: number, dst: number, imm: number): Instruction {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
/** `wdst op= wsrc`. filter.h `BPF_ALU32_REG`. */
export function alu32Reg(op: number, dst: number, src: number): Instruction {
  return insn(BPF_ALU | op | BPF_X, dst, src);
}

/** `dst = value` as a 16-byte `ld_imm64` (`src_reg` is the pseudo kind). filter.h `BPF_LD_IMM64_RAW`. */
export function ldImm64(dst: number, value: bigint | number, src = 0): Instruction {
  const i = insn(BPF_LD_IMM64, dst, src);
  setImm64(i, BigInt(value));
  return i;
}
/** `dst = map` for the map with file descriptor `fd` (`BPF_PSEUDO_MAP_FD`). filter.h `BPF_LD_MAP_FD`. */
export function ldMapFd(dst: number, fd: number): Instruction {
  return ldImm64(dst, BigInt(fd >>> 0), BPF_PSEUDO_MAP_FD);
}
/**
 * `dst = &value + offset` of the single-element map `fd` (`BPF_PSEUDO_MAP_VALUE`: the low half
 * holds the fd, the high half the offset). Used for global data (`.data`, `.bss`, `.rodata`).
 */
export function ldMapValue(dst: number, fd: number, offset: number): Instruction {
  return ldImm64(dst, (BigInt(offset >>> 0) << 32n) | BigInt(fd >>> 0), BPF_PSEUDO_MAP_VALUE);
}

/** `dst = *(size *)(src + off)`; `size` is `BPF_B/H/W/DW`. filter.h `BPF_LDX_MEM`. */
export function ldx(size: number, dst: number, src: number, off: number): Instruction {
  return insn(BPF_LDX | BPF_MEM | size, dst, src, off);
}
/** `*(size *)(dst + off) = src`. filter.h `BPF_STX_MEM`. */
export function stx(size: number, dst: number, src: number, off: number): Instruction {
  return insn(BPF_STX | BPF_MEM | size, dst, src, off);
}
/** `*(size *)(dst + off) = imm`. filter.h `BPF_ST_MEM`. */
export function st(size: number, dst: number, off: number, imm: number): Instruction {
  return insn(BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}
/**
 * Atomic operation `op` (`BPF_ADD`, `BPF_ADD | BPF_FETCH`, `BPF_XCHG`, `BPF_CMPXCHG`,
 * `BPF_LOAD_ACQ`, ...) on `*(size *)(dst + off)` with `src`. filter.h `BPF_ATOMIC_OP`.
 */
export function atomic(size: number, op: number, dst: number, src: number, off: number): Instruction {
  return insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, op);
}

/** `if dst op imm goto pc+off` (64-bit compare, `op` e.g. `BPF_JEQ`). filter.h `BPF_JMP_IMM`. */
export function jmpImm(op: number, dst: number, imm: number, off: number): Instruction {
  return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
/** `if dst op src goto pc+off`. filter.h `BPF_JMP_REG`. */
export function jmpReg(op: number, dst: number, src: number, off: number): Instruction {
  return insn(BPF_JMP | op | BPF_X, dst, src, off);
}
/** `if wdst op imm goto pc+off` (32-bit compare). filter.h `BPF_JMP32_IMM`. */
export function jmp32Imm(op: number, dst: number, imm: number, off: number): Instruction {
  return insn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}
/** `if wdst op wsrc goto pc+off`. filter.h `BPF_JMP32_REG`. */
export function jmp32Reg(op: number, dst: number, src: number, off: number): Instruction {
  return insn(BPF_JMP32 | op | BPF_X, dst, src, off);
}
/** `goto pc+off`. filter.h `BPF_JMP_A`. */
export function ja(off: number): Instruction {
  return insn(BPF_JMP | BPF_JA, 0, 0, off);
}

/** `call` helper `id` (see `BPF_FUNC`). filter.h `BPF_EMIT_CALL` (before fixup). */
export function callHelper(id: number): Instruction {
  return insn(BPF_CALL_INSN, 0, 0, 0, id);
}
/** BPF-to-BPF `call pc+distance` (`BPF_PSEUDO_CALL`). filter.h `BPF_CALL_REL`. */
export function callSubprog(distance: number): Instruction {
  return insn(BPF_CALL_INSN, 0, BPF_PSEUDO_CALL, 0, distance);
}
/**
 * `call` of the kernel function with BTF id `btfId` (`BPF_PSEUDO_KFUNC_CALL`); `off` is the
 * index of the module BTF fd in `fd_array`, 0 for vmlinux.
 */
export function callKfunc(btfId: number, off = 0): Instruction {
  return insn(BPF_CALL_INSN, 0, BPF_PSEUDO_KFUNC_CALL, off, btfId);
}
/** `exit`: return `r0`. filter.h `BPF_EXIT_INSN`. */
export function exit(): Instruction {
  return insn(BPF_EXIT_INSN);
}
