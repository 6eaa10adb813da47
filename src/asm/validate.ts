/**
 * Which instructions the BPF instruction set defines.
 *
 * Not every byte is an opcode: `BPF_LDX | BPF_ABS` is classic-BPF only, `BPF_ALU | BPF_NEG |
 * BPF_X` and `BPF_JMP32 | BPF_EXIT` do not exist, an atomic operation with `imm` 0x10 means
 * nothing. {@link instructionProblem} checks the opcode and the fields that *select* the
 * operation (the atomic op in `imm`, the width of a byte swap, the `off` of signed division
 * and sign-extending moves, the pseudo kind in `src_reg`), following the kernel's
 * `check_alu_op`, `do_check_insn` and `check_atomic` rules as of Linux 6.18. It does not
 * check registers or reserved fields that must be zero: the verifier does, with better
 * context.
 *
 * This file is layer 1: it imports only `src/errors.ts` and `src/bytes`.
 * @module
 */
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ADDR_PERCPU,
  BPF_ADDR_SPACE_CAST,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MAY_GOTO,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TO_BE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
} from './opcodes.js';
import type { Instruction } from './instruction.js';

/** `BPF_MODE` 0xc0 on `BPF_ST`: the verifier's speculation barrier (`BPF_NOSPEC`, not UAPI). */
export const BPF_NOSPEC = 0xc0;

/**
 * Whether `insn` is one of the instructions only the verifier writes into a program, which
 * appear in `bpftool prog dump xlated` but may not be loaded: `nospec` (`BPF_ST | BPF_NOSPEC`)
 * and the per-cpu address move (`BPF_ALU64 | BPF_MOV | BPF_X` with `off == BPF_ADDR_PERCPU`).
 */
export function isKernelInternal(insn: Instruction): boolean {
  const code = insn.opcode;
  if (BPF_CLASS(code) === BPF_ST && BPF_MODE(code) === BPF_NOSPEC) return true;
  return code === (BPF_ALU64 | BPF_MOV | BPF_X) && insn.off === BPF_ADDR_PERCPU;
}

/** The atomic read-modify-write operations (`imm` of `BPF_STX | BPF_ATOMIC`), without fetch. */
const ATOMIC_RMW = new Set([BPF_ADD, BPF_OR, BPF_AND, BPF_XOR]);

/**
 * Why `insn` is not an instruction of the BPF instruction set, or `undefined` when it is.
 * Kernel-internal instructions that only appear in translated (`xlated`) programs, `nospec`
 * and the per-cpu address move, count as problems here ({@link isKernelInternal} tells them
 * apart).
 */
export function instructionProblem(insn: Instruction): string | undefined {
  const code = insn.opcode;
  const cls = BPF_CLASS(code);
  switch (cls) {
    case BPF_LD:
      return ldProblem(insn);
    case BPF_LDX: {
      const mode = BPF_MODE(code);
      if (mode === BPF_MEM) return undefined;
      if (mode === BPF_MEMSX) return BPF_SIZE(code) === BPF_DW ? 'sign-extending load of u64 (BPF_MEMSX | BPF_DW)' : undefined;
      return `unknown BPF_LDX mode 0x${mode.toString(16)}`;
    }
    case BPF_ST: {
      const mode = BPF_MODE(code);
      if (mode === BPF_MEM) return undefined;
      if (mode === BPF_NOSPEC) return 'kernel-internal nospec barrier';
      return `unknown BPF_ST mode 0x${mode.toString(16)}`;
    }
    case BPF_STX:
      return stxProblem(insn);
    case BPF_ALU:
    case BPF_ALU64:
      return aluProblem(insn);
    default:
      return jmpProblem(insn);
  }
}

function ldProblem(insn: Instruction): string | undefined {
  const code = insn.opcode;
  const mode = BPF_MODE(code);
  const size = BPF_SIZE(code);
  if (mode === BPF_IMM) {
    if (size !== BPF_DW) return `BPF_LD | BPF_IMM needs size BPF_DW (got opcode 0x${hex2(code)})`;
    if (insn.src > BPF_PSEUDO_MAP_IDX_VALUE) return `unknown ld_imm64 pseudo source ${insn.src}`;
    return undefined;
  }
  if (mode === BPF_ABS || mode === BPF_IND) {
    return size === BPF_DW ? 'legacy packet load of u64 (BPF_ABS/BPF_IND | BPF_DW)' : undefined;
  }
  return `unknown BPF_LD mode 0x${mode.toString(16)}`;
}

function stxProblem(insn: Instruction): string | undefined {
  const mode = BPF_MODE(insn.opcode);
  if (mode === BPF_MEM) return undefined;
  if (mode !== BPF_ATOMIC) return `unknown BPF_STX mode 0x${mode.toString(16)}`;
  const size = BPF_SIZE(insn.opcode);
  const op = insn.imm;
  // Load-acquire and store-release exist in all four sizes; the read-modify-write
  // operations only for u32 and u64 (check_atomic).
  if (op === BPF_LOAD_ACQ || op === BPF_STORE_REL) return undefined;
  const rmw = ATOMIC_RMW.has(op & ~BPF_FETCH) || op === BPF_XCHG || op === BPF_CMPXCHG;
  if (!rmw) return `unknown atomic operation imm 0x${(op >>> 0).toString(16)}`;
  if (size !== BPF_DW && size !== BPF_W) return 'atomic read-modify-write on u8 or u16';
  return undefined;
}

function aluProblem(insn: Instruction): string | undefined {
  const code = insn.opcode;
  const op = BPF_OP(code);
  const alu64 = BPF_CLASS(code) === BPF_ALU64;
  const x = BPF_SRC(code) !== BPF_K;
  switch (op) {
    case BPF_NEG:
      return x ? 'BPF_NEG with BPF_X source' : undefined;
    case BPF_END:
      // BPF_ALU64 | BPF_END is bswap (cpu v4); only its BPF_TO_LE encoding exists.
      if (alu64 && BPF_SRC(code) === BPF_TO_BE) return 'BPF_ALU64 | BPF_END with BPF_TO_BE';
      if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) return `byte swap width ${insn.imm} (not 16, 32 or 64)`;
      return undefined;
    case BPF_DIV:
    case BPF_MOD:
      return insn.off === 0 || insn.off === 1 ? undefined : `division with off ${insn.off} (0: unsigned, 1: signed)`;
    case BPF_MOV:
      if (!x || insn.off === 0) return undefined;
      if (alu64 && insn.off === BPF_ADDR_PERCPU) return 'kernel-internal per-cpu address move';
      if (insn.off === 8 || insn.off === 16) return undefined;
      if (alu64 && (insn.off === 32 || insn.off === BPF_ADDR_SPACE_CAST)) return undefined;
      return `mov with off ${insn.off} (sign extension is 8, 16${alu64 ? ', 32' : ''})`;
    case 0xe0:
    case 0xf0:
      return `unknown ALU operation 0x${op.toString(16)}`;
    default:
      return undefined;
  }
}

function jmpProblem(insn: Instruction): string | undefined {
  const code = insn.opcode;
  const op = BPF_OP(code);
  const jmp32 = BPF_CLASS(code) === BPF_JMP32;
  const x = BPF_SRC(code) !== BPF_K;
  switch (op) {
    case BPF_JA:
      return x ? 'unconditional jump with BPF_X source' : undefined;
    case BPF_CALL:
      if (jmp32 || x) return `call opcode 0x${hex2(code)} (only 0x85 exists)`;
      return insn.src > BPF_PSEUDO_KFUNC_CALL ? `unknown call kind src_reg ${insn.src}` : undefined;
    case BPF_EXIT:
      return jmp32 || x ? `exit opcode 0x${hex2(code)} (only 0x95 exists)` : undefined;
    case BPF_JCOND:
      if (jmp32 || x) return `conditional pseudo jump opcode 0x${hex2(code)} (only 0xe5 exists)`;
      return insn.src === BPF_MAY_GOTO ? undefined : `unknown conditional pseudo jump src_reg ${insn.src}`;
    case 0xf0:
      return `unknown jump operation 0x${op.toString(16)}`;
    default:
      return undefined;
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
