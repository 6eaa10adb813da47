/**
 * A disassembler whose text is the kernel's: what `bpftool prog dump xlated` and the verifier
 * log print (`print_bpf_insn` in kernel/bpf/disasm.c, with bpftool's `print_imm` and
 * `print_call` callbacks from tools/bpf/bpftool/xlated_dumper.c).
 *
 * The syntax is C-like, one statement per instruction:
 *
 * ```
 *    0: (b7) r0 = 0                          r0 = 0 (BPF_ALU64 | BPF_MOV | BPF_K)
 *    1: (61) r2 = *(u32 *)(r1 +4)            load
 *    2: (7b) *(u64 *)(r10 -8) = r2           store
 *    3: (18) r1 = map[id:5]                  ld_imm64 of a map (two slots: next index is 5)
 *    5: (85) call bpf_map_lookup_elem#1      helper call
 *    6: (15) if r0 == 0x0 goto pc+2          conditional jump, 64-bit compare
 *    7: (db) lock *(u64 *)(r0 +0) += r2      atomic add
 *    8: (05) goto pc+0
 *    9: (95) exit
 * ```
 *
 * `w` registers mean 32-bit operations (`BPF_ALU`, `BPF_JMP32`). Numbers follow the kernel's
 * `printf` formats: ALU and store immediates in decimal (`%d`), jump immediates as unsigned
 * hex (`0x%x`, so -1 prints as `0xffffffff`), memory and jump offsets with a sign (`%+d`),
 * 64-bit immediates as unsigned hex (`0x%llx`). Jump targets are relative to the *next*
 * instruction: `goto pc+2` at slot 6 lands on slot 9.
 *
 * This file is layer 1: it imports only `src/errors.ts` and `src/bytes`.
 * @module
 */
import { helperName } from './helpers.js';
import { slotCount } from './instruction.js';
import type { Instruction } from './instruction.js';
import {
  BPF_ABS,
  BPF_ADD,
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
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
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
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TO_BE,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
} from './opcodes.js';
import { instructionProblem, isKernelInternal } from './validate.js';

/** Hooks to name things the instruction alone cannot (like bpftool's `bpf_insn_cbs`). */
export interface DisasmOptions {
  /**
   * Name of a call target, e.g. a subprogram or kfunc name from BTF. Return `undefined` for
   * the default: the helper's name (`bpf_map_lookup_elem`), `pc+N` for a BPF-to-BPF call,
   * `kernel-function` for a kfunc, `unknown` otherwise.
   */
  callName?: (insn: Instruction) => string | undefined;
  /**
   * Text of an `ld_imm64` operand. Return `undefined` for the default, bpftool's:
   * `map[id:N]`, `map[id:N][0]+O`, `map[idx:N]+O`, `subprog[+N]`, else `0x...`.
   */
  immText?: (insn: Instruction, imm64: bigint) => string | undefined;
  /**
   * The instructions are the translated dump of a JIT-compiled program (`xlated_prog_insns`
   * of a program with `jited_prog_len > 0`). There the kernel's `jit_subprogs` has rewritten
   * each BPF-to-BPF call: `imm` holds the callee's subprogram index and `off` the pc-relative
   * distance, so `call pc+N` takes N from `off`, as bpftool's `print_call_pcrel` does.
   */
  jited?: boolean;
}

/** `bpf_alu_string`: the operator of each ALU operation (`BPF_OP >> 4`). */
const ALU_OP: readonly (string | undefined)[] = [
  '+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian',
];
/** `bpf_jmp_string`: the comparison of each conditional jump (`BPF_OP >> 4`). */
const JMP_OP: readonly (string | undefined)[] = [
  'jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=',
];
/** `bpf_atomic_alu_string`: names of atomic fetch operations. */
const ATOMIC_NAME = new Map([
  [BPF_ADD, 'add'],
  [BPF_AND, 'and'],
  [BPF_OR, 'or'],
  [BPF_XOR, 'xor'],
]);

/** The C type of a load or store of `size` (`bpf_ldst_string`). */
function ldst(code: number): string {
  return ['u32', 'u16', 'u8', 'u64'][BPF_SIZE(code) >> 3]!;
}
/** The C type of a sign-extending load (`bpf_ldsx_string`; u64 has none). */
function ldsx(code: number): string {
  return ['s32', 's16', 's8', 's64'][BPF_SIZE(code) >> 3]!;
}

/** `%+d`. */
function signed(n: number): string {
  return n < 0 ? String(n) : '+' + n;
}
/** `0x%x` of an s32: two's complement, unsigned hex. */
function hexU32(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

/**
 * The kernel's text for one instruction, without the slot index or the `(code)` prefix:
 * `r1 = *(u32 *)(r1 +0)`, `call bpf_ringbuf_output#130`, `if r1 > 0x5 goto pc+3`.
 *
 * Instructions outside the instruction set print as `invalid: <reason> (code 0x..)` rather
 * than the kernel's `BUG_..` lines. Never throws.
 */
export function formatInstruction(insn: Instruction, options: DisasmOptions = {}): string {
  const problem = instructionProblem(insn);
  const code = insn.opcode;
  const cls = BPF_CLASS(code);
  // Instructions only the verifier writes (seen in xlated dumps): print them as it does.
  if (isKernelInternal(insn)) {
    return cls === BPF_ST ? 'nospec' : `r${insn.dst} = &(void __percpu *)(r${insn.src})`;
  }
  if (problem !== undefined) return `invalid: ${problem} (code 0x${code.toString(16).padStart(2, '0')})`;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      return formatAlu(insn);
    case BPF_STX:
      return formatStx(insn);
    case BPF_ST:
      return `*(${ldst(code)} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm | 0}`;
    case BPF_LDX:
      return `r${insn.dst} = *(${BPF_MODE(code) === BPF_MEMSX ? ldsx(code) : ldst(code)} *)(r${insn.src} ${signed(insn.off)})`;
    case BPF_LD:
      return formatLd(insn, options);
    default:
      return formatJmp(insn, options);
  }
}

function formatAlu(insn: Instruction): string {
  const code = insn.opcode;
  const op = BPF_OP(code);
  const r = BPF_CLASS(code) === BPF_ALU ? 'w' : 'r';
  const dst = `${r}${insn.dst}`;
  if (op === BPF_END) {
    // BPF_ALU | BPF_END: convert to the named order; BPF_ALU64 | BPF_END: unconditional swap.
    if (BPF_CLASS(code) === BPF_ALU64) return `r${insn.dst} = bswap${insn.imm} r${insn.dst}`;
    return `r${insn.dst} = ${BPF_SRC(code) === BPF_TO_BE ? 'be' : 'le'}${insn.imm} r${insn.dst}`;
  }
  if (op === BPF_NEG) return `${dst} = -${dst}`;
  if (code === (BPF_ALU64 | BPF_MOV | BPF_X) && insn.off === BPF_ADDR_SPACE_CAST) {
    return `r${insn.dst} = addr_space_cast(r${insn.src}, ${(insn.imm >>> 16) & 0xffff}, ${insn.imm & 0xffff})`;
  }
  // Signed division and modulo are BPF_DIV/BPF_MOD with off 1 (cpu v4).
  const sdiv = (op === BPF_DIV || op === BPF_MOD) && insn.off === 1;
  const operator = sdiv ? (op === BPF_DIV ? 's/=' : 's%=') : ALU_OP[op >> 4]!;
  if (BPF_SRC(code) === BPF_X) {
    // Sign-extending move: BPF_MOV with off 8, 16 or 32 (cpu v4).
    const movsx = op === BPF_MOV && (insn.off === 8 || insn.off === 16 || insn.off === 32) ? `(s${insn.off})` : '';
    return `${dst} ${operator} ${movsx}${r}${insn.src}`;
  }
  return `${dst} ${operator} ${insn.imm | 0}`;
}

function formatStx(insn: Instruction): string {
  const code = insn.opcode;
  const mem = `(${ldst(code)} *)(r${insn.dst} ${signed(insn.off)})`;
  if (BPF_MODE(code) === BPF_MEM) return `*${mem} = r${insn.src}`;
  // BPF_ATOMIC: the operation is in imm.
  const bits = BPF_SIZE(code) === BPF_DW ? '64' : '';
  const op = insn.imm;
  if (op === BPF_LOAD_ACQ) return `r${insn.dst} = load_acquire((${ldst(code)} *)(r${insn.src} ${signed(insn.off)}))`;
  if (op === BPF_STORE_REL) return `store_release(${mem}, r${insn.src})`;
  if (op === BPF_CMPXCHG) return `r0 = atomic${bits}_cmpxchg(${mem}, r0, r${insn.src})`;
  if (op === BPF_XCHG) return `r${insn.src} = atomic${bits}_xchg(${mem}, r${insn.src})`;
  if (op & BPF_FETCH) return `r${insn.src} = atomic${bits}_fetch_${ATOMIC_NAME.get(op & ~BPF_FETCH)!}(${mem}, r${insn.src})`;
  return `lock *${mem} ${ALU_OP[op >> 4]!} r${insn.src}`;
}

function formatLd(insn: Instruction, options: DisasmOptions): string {
  const code = insn.opcode;
  const mode = BPF_MODE(code);
  if (mode === BPF_ABS) return `r0 = *(${ldst(code)} *)skb[${insn.imm | 0}]`;
  if (mode === BPF_IND) return `r0 = *(${ldst(code)} *)skb[r${insn.src} + ${insn.imm | 0}]`;
  // Otherwise BPF_IMM | BPF_DW, the only other mode instructionProblem lets through.
  const imm64 = insn.imm64 ?? BigInt(insn.imm >>> 0);
  const custom = options.immText?.(insn, imm64);
  return `r${insn.dst} = ${custom ?? defaultImmText(insn, imm64)}`;
}

/** bpftool's `print_imm`. */
function defaultImmText(insn: Instruction, imm64: bigint): string {
  const lo = insn.imm >>> 0;
  const hi = Number((imm64 >> 32n) & 0xffffffffn);
  switch (insn.src) {
    case BPF_PSEUDO_MAP_FD:
      return `map[id:${lo}]`;
    case BPF_PSEUDO_MAP_VALUE:
      return `map[id:${lo}][0]+${hi}`;
    case BPF_PSEUDO_MAP_IDX_VALUE:
      return `map[idx:${lo}]+${hi}`;
    case BPF_PSEUDO_FUNC:
      return `subprog[${signed(insn.imm | 0)}]`;
    default:
      return '0x' + BigInt.asUintN(64, imm64).toString(16);
  }
}

function formatJmp(insn: Instruction, options: DisasmOptions): string {
  const code = insn.opcode;
  const op = BPF_OP(code);
  const r = BPF_CLASS(code) === BPF_JMP32 ? 'w' : 'r';
  if (op === BPF_CALL) {
    const name = options.callName?.(insn);
    // bpftool prints a BPF-to-BPF call as `call pc+N`, with `#name` when it knows the target.
    if (insn.src === BPF_PSEUDO_CALL) {
      const distance = options.jited ? insn.off : insn.imm | 0;
      return `call pc${signed(distance)}${name !== undefined ? '#' + name : ''}`;
    }
    const fallback = insn.src === BPF_PSEUDO_KFUNC_CALL ? 'kernel-function' : 'unknown';
    const helper = insn.src === 0 ? helperName(insn.imm) : undefined;
    return `call ${helper ?? name ?? fallback}#${insn.imm | 0}`;
  }
  if (code === (BPF_JMP | BPF_JA)) return `goto pc${signed(insn.off)}`;
  if (code === (BPF_JMP | BPF_JCOND) && insn.src === BPF_MAY_GOTO) return `may_goto pc${signed(insn.off)}`;
  // gotol: the 32-bit jump distance is in imm, not off.
  if (code === (BPF_JMP32 | BPF_JA)) return `gotol pc${signed(insn.imm | 0)}`;
  if (code === (BPF_JMP | BPF_EXIT)) return 'exit';
  const cmp = JMP_OP[op >> 4]!;
  const rhs = BPF_SRC(code) === BPF_X ? `${r}${insn.src}` : hexU32(insn.imm);
  return `if ${r}${insn.dst} ${cmp} ${rhs} goto pc${signed(insn.off)}`;
}

/**
 * A whole program as `bpftool prog dump xlated` prints it, one line per instruction:
 * `   5: (85) call bpf_map_lookup_elem#1`. Slot indexes come from `index` when the
 * instructions were decoded, else they are counted (an `ld_imm64` takes two).
 */
export function disassemble(insns: readonly Instruction[], options: DisasmOptions = {}): string[] {
  const lines: string[] = [];
  let slot = 0;
  for (const insn of insns) {
    const index = (insn as { index?: unknown }).index;
    const at = typeof index === 'number' ? index : slot;
    lines.push(`${String(at).padStart(4)}: (${insn.opcode.toString(16).padStart(2, '0')}) ${formatInstruction(insn, options)}`);
    slot = at + slotCount(insn);
  }
  return lines;
}

/**
 * Jump target of a jump or BPF-to-BPF call at slot `index`, or `undefined` for other
 * instructions. With `jited`, a call's distance is read from `off` (see {@link DisasmOptions.jited}).
 */
export function jumpTarget(insn: Instruction, index: number, options: { jited?: boolean } = {}): number | undefined {
  const code = insn.opcode;
  const cls = BPF_CLASS(code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return undefined;
  const op = BPF_OP(code);
  if (op === BPF_EXIT) return undefined;
  if (op === BPF_CALL) {
    if (insn.src !== BPF_PSEUDO_CALL) return undefined;
    return index + 1 + (options.jited ? insn.off : insn.imm | 0);
  }
  if (code === (BPF_JMP32 | BPF_JA)) return index + 1 + (insn.imm | 0);
  return index + 1 + insn.off;
}
