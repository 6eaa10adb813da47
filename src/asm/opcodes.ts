/**
 * The numbers of the BPF instruction set, under their UAPI names.
 *
 * An instruction's first byte, `code`, packs three fields. Which three depends on the low
 * three bits, the *class* (`BPF_CLASS(code)`):
 *
 * ```
 *   load/store classes (LD, LDX, ST, STX):  | mode (3 bits) | size (2) | class (3) |
 *   ALU/jump classes (ALU, ALU64, JMP, JMP32): | op (4 bits)  | src (1)  | class (3) |
 * ```
 *
 * so `0x61` is `BPF_LDX | BPF_MEM | BPF_W` (`r = *(u32 *)(r + off)`) and `0xbf` is
 * `BPF_ALU64 | BPF_MOV | BPF_X` (`r = r`). Some operations are selected by other fields:
 * the atomic operation sits in `imm` (`BPF_ATOMIC`), signed division and sign-extending moves
 * in `off`, the kind of a 64-bit immediate load in `src_reg` (`BPF_PSEUDO_*`).
 *
 * Values are from `include/uapi/linux/bpf_common.h` and `include/uapi/linux/bpf.h` (Linux
 * 6.18); the few that live in kernel-internal headers say so.
 *
 * This file is layer 1: it imports nothing.
 * @module
 */

// ---- Field extractors (bpf_common.h) ----

/** `BPF_CLASS(code)`: the instruction class, one of `BPF_LD` ... `BPF_ALU64`. */
export function BPF_CLASS(code: number): number {
  return code & 0x07;
}
/** `BPF_SIZE(code)`: the access size of a load or store, one of `BPF_W/H/B/DW`. */
export function BPF_SIZE(code: number): number {
  return code & 0x18;
}
/** `BPF_MODE(code)`: the addressing mode of a load or store, e.g. `BPF_MEM`. */
export function BPF_MODE(code: number): number {
  return code & 0xe0;
}
/** `BPF_OP(code)`: the operation of an ALU or jump instruction, e.g. `BPF_ADD`, `BPF_JEQ`. */
export function BPF_OP(code: number): number {
  return code & 0xf0;
}
/** `BPF_SRC(code)`: the operand source of an ALU or jump instruction, `BPF_K` or `BPF_X`. */
export function BPF_SRC(code: number): number {
  return code & 0x08;
}

// ---- Instruction classes ----

/** Class: special loads (64-bit immediate, legacy packet access). */
export const BPF_LD = 0x00;
/** Class: load into a register from memory. */
export const BPF_LDX = 0x01;
/** Class: store an immediate to memory. */
export const BPF_ST = 0x02;
/** Class: store a register to memory, and atomic operations. */
export const BPF_STX = 0x03;
/** Class: 32-bit arithmetic (`w` registers; the upper half of the destination is zeroed). */
export const BPF_ALU = 0x04;
/** Class: jumps comparing 64-bit values, calls, exit. */
export const BPF_JMP = 0x05;
/** Class: jumps comparing the low 32 bits (eBPF), and `gotol` with a 32-bit offset. */
export const BPF_JMP32 = 0x06;
/** Class: 64-bit arithmetic. */
export const BPF_ALU64 = 0x07;
/** Classic BPF only: return (same value as `BPF_JMP32`). */
export const BPF_RET = 0x06;
/** Classic BPF only: miscellaneous (same value as `BPF_ALU64`). */
export const BPF_MISC = 0x07;

// ---- Sizes (loads and stores) ----

/** Size: 32 bits (word). */
export const BPF_W = 0x00;
/** Size: 16 bits (half word). */
export const BPF_H = 0x08;
/** Size: 8 bits (byte). */
export const BPF_B = 0x10;
/** Size: 64 bits (double word). */
export const BPF_DW = 0x18;

// ---- Modes (loads and stores) ----

/** Mode: immediate; in eBPF only `BPF_LD | BPF_IMM | BPF_DW`, the 16-byte `ld_imm64`. */
export const BPF_IMM = 0x00;
/** Mode: legacy packet load at an absolute offset (`r0 = *(u8 *)skb[imm]`). */
export const BPF_ABS = 0x20;
/** Mode: legacy packet load at a register offset (`r0 = *(u8 *)skb[src + imm]`). */
export const BPF_IND = 0x40;
/** Mode: regular memory access at `reg + off`. */
export const BPF_MEM = 0x60;
/** Classic BPF only: packet length. */
export const BPF_LEN = 0x80;
/** Classic BPF only: IP header length helper. */
export const BPF_MSH = 0xa0;
/** Mode: load with sign extension (`r1 = *(s16 *)(r2 +0)`), `BPF_LDX` only (cpu v4, Linux 6.6). */
export const BPF_MEMSX = 0x80;
/** Mode: atomic read-modify-write; the operation is in `imm` (`BPF_STX` only). */
export const BPF_ATOMIC = 0xc0;
/** Legacy name of `BPF_ATOMIC` (when it only meant atomic add). */
export const BPF_XADD = 0xc0;

// ---- ALU operations ----

/** ALU: `dst += src`. Also the atomic add operation. */
export const BPF_ADD = 0x00;
/** ALU: `dst -= src`. */
export const BPF_SUB = 0x10;
/** ALU: `dst *= src`. */
export const BPF_MUL = 0x20;
/** ALU: `dst /= src` (unsigned; signed when `off == 1`, cpu v4). */
export const BPF_DIV = 0x30;
/** ALU: `dst |= src`. Also the atomic or operation. */
export const BPF_OR = 0x40;
/** ALU: `dst &= src`. Also the atomic and operation. */
export const BPF_AND = 0x50;
/** ALU: `dst <<= src`. */
export const BPF_LSH = 0x60;
/** ALU: `dst >>= src` (logical). */
export const BPF_RSH = 0x70;
/** ALU: `dst = -dst`. */
export const BPF_NEG = 0x80;
/** ALU: `dst %= src` (unsigned; signed when `off == 1`, cpu v4). */
export const BPF_MOD = 0x90;
/** ALU: `dst ^= src`. Also the atomic xor operation. */
export const BPF_XOR = 0xa0;
/** ALU: `dst = src`; with `off` 8/16/32 a sign-extending move (`movsx`, cpu v4). */
export const BPF_MOV = 0xb0;
/** ALU: `dst s>>= src` (arithmetic shift). */
export const BPF_ARSH = 0xc0;
/**
 * ALU: byte swap; `imm` is the width (16, 32, 64). With `BPF_ALU` the source bit picks the
 * target order (`BPF_TO_LE`/`BPF_TO_BE`); with `BPF_ALU64` (cpu v4) it is an unconditional
 * `bswap`.
 */
export const BPF_END = 0xd0;
/** `BPF_END` source bit: convert to little-endian. */
export const BPF_TO_LE = 0x00;
/** `BPF_END` source bit: convert to big-endian. */
export const BPF_TO_BE = 0x08;
/** Same as `BPF_TO_LE`. */
export const BPF_FROM_LE = BPF_TO_LE;
/** Same as `BPF_TO_BE`. */
export const BPF_FROM_BE = BPF_TO_BE;

// ---- Operand sources ----

/** Source: the immediate `imm`. */
export const BPF_K = 0x00;
/** Source: the register `src_reg`. */
export const BPF_X = 0x08;

// ---- Jump operations ----

/**
 * Jump: unconditional. `BPF_JMP | BPF_JA` jumps by `off` (16 bits); `BPF_JMP32 | BPF_JA`
 * (`gotol`, cpu v4) jumps by `imm` (32 bits).
 */
export const BPF_JA = 0x00;
/** Jump if `dst == src`. */
export const BPF_JEQ = 0x10;
/** Jump if `dst > src` (unsigned). */
export const BPF_JGT = 0x20;
/** Jump if `dst >= src` (unsigned). */
export const BPF_JGE = 0x30;
/** Jump if `dst & src`. */
export const BPF_JSET = 0x40;
/** Jump if `dst != src`. */
export const BPF_JNE = 0x50;
/** Jump if `dst s> src`. */
export const BPF_JSGT = 0x60;
/** Jump if `dst s>= src`. */
export const BPF_JSGE = 0x70;
/** Call a helper (`src_reg` 0), a BPF function (`BPF_PSEUDO_CALL`) or a kfunc. */
export const BPF_CALL = 0x80;
/** Return from the function; the result is in `r0`. */
export const BPF_EXIT = 0x90;
/** Jump if `dst < src` (unsigned). */
export const BPF_JLT = 0xa0;
/** Jump if `dst <= src` (unsigned). */
export const BPF_JLE = 0xb0;
/** Jump if `dst s< src`. */
export const BPF_JSLT = 0xc0;
/** Jump if `dst s<= src`. */
export const BPF_JSLE = 0xd0;
/** Conditional pseudo jumps; `src_reg` selects which (`BPF_MAY_GOTO`). Linux 6.9. */
export const BPF_JCOND = 0xe0;

/** `enum bpf_cond_pseudo_jmp`: `BPF_JMP | BPF_JCOND` with `src_reg` 0 is `may_goto`. */
export const BPF_MAY_GOTO = 0;

// ---- Atomic operations (in imm of BPF_STX | BPF_ATOMIC) ----

/** Atomic flag: also return the old value in `src_reg` (`atomic_fetch_add`...). */
export const BPF_FETCH = 0x01;
/** Atomic exchange: `src = xchg(dst + off, src)`. */
export const BPF_XCHG = 0xe0 | BPF_FETCH;
/** Atomic compare-and-exchange: `r0 = cmpxchg(dst + off, r0, src)`. */
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
/** Load-acquire: `dst = smp_load_acquire(src + off)`. Linux 6.15. */
export const BPF_LOAD_ACQ = 0x100;
/** Store-release: `smp_store_release(dst + off, src)`. Linux 6.15. */
export const BPF_STORE_REL = 0x110;

// ---- Pseudo sources ----
// ld_imm64 (insn[0].src_reg) pseudo kinds:

/** `ld_imm64` `src_reg`: `imm` is a map fd; the kernel rewrites it to the map's address. */
export const BPF_PSEUDO_MAP_FD = 1;
/** `ld_imm64` `src_reg`: `imm` is a map fd, `insn[1].imm` an offset into its value. */
export const BPF_PSEUDO_MAP_VALUE = 2;
/** `ld_imm64` `src_reg`: `imm` is the BTF id of a kernel variable (ksym). */
export const BPF_PSEUDO_BTF_ID = 3;
/** `ld_imm64` `src_reg`: `imm` is the instruction offset of a BPF function (callback). */
export const BPF_PSEUDO_FUNC = 4;
/** `ld_imm64` `src_reg`: `imm` is an index into `fd_array`, not an fd. */
export const BPF_PSEUDO_MAP_IDX = 5;
/** `ld_imm64` `src_reg`: `fd_array` index plus value offset. */
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// call (src_reg) pseudo kinds:

/** `call` `src_reg`: `imm` is the pc-relative offset of a BPF function. */
export const BPF_PSEUDO_CALL = 1;
/** `call` `src_reg`: `imm` is the BTF id of a kernel function (kfunc). */
export const BPF_PSEUDO_KFUNC_CALL = 2;

/**
 * `mov` with `off == BPF_ADDR_SPACE_CAST` (on `BPF_ALU64 | BPF_MOV | BPF_X`) converts a
 * pointer between address spaces (arena, Linux 6.9). Kernel-internal (`include/linux/filter.h`).
 */
export const BPF_ADDR_SPACE_CAST = 1;

/**
 * `mov` with `off == BPF_ADDR_PERCPU` (on `BPF_ALU64 | BPF_MOV | BPF_X`) turns a per-CPU
 * offset into this CPU's address. Only the verifier emits it, when it inlines per-CPU
 * accesses (Linux 6.10); it shows up in translated (`xlated`) programs. Kernel-internal
 * (`include/linux/filter.h`).
 */
export const BPF_ADDR_PERCPU = -1;

// ---- Registers ----

/** r0: return value of calls and of the program. */
export const BPF_REG_0 = 0;
/** r1: first argument (the context pointer on entry). */
export const BPF_REG_1 = 1;
/** r2: second argument. */
export const BPF_REG_2 = 2;
/** r3: third argument. */
export const BPF_REG_3 = 3;
/** r4: fourth argument. */
export const BPF_REG_4 = 4;
/** r5: fifth (last) argument. */
export const BPF_REG_5 = 5;
/** r6: callee-saved. */
export const BPF_REG_6 = 6;
/** r7: callee-saved. */
export const BPF_REG_7 = 7;
/** r8: callee-saved. */
export const BPF_REG_8 = 8;
/** r9: callee-saved. */
export const BPF_REG_9 = 9;
/** r10: read-only frame pointer (the stack grows down from it, 512 bytes). */
export const BPF_REG_10 = 10;
/** Number of registers (`__MAX_BPF_REG`). */
export const MAX_BPF_REG = 11;

/** Historical instruction limit for unprivileged programs (`BPF_MAXINSNS`). */
export const BPF_MAXINSNS = 4096;

// ---- Whole opcodes used often ----

/** `BPF_LD | BPF_IMM | BPF_DW` (0x18): the 16-byte 64-bit immediate load. */
export const BPF_LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;
/** `BPF_JMP | BPF_CALL` (0x85). */
export const BPF_CALL_INSN = BPF_JMP | BPF_CALL;
/** `BPF_JMP | BPF_EXIT` (0x95). */
export const BPF_EXIT_INSN = BPF_JMP | BPF_EXIT;

/** Size of one instruction slot in bytes (`sizeof(struct bpf_insn)`). */
export const BPF_INSN_SIZE = 8;

/** Bytes accessed by a load or store of size `BPF_SIZE(code)`. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case BPF_B:
      return 1;
    case BPF_H:
      return 2;
    case BPF_W:
      return 4;
    default:
      return 8;
  }
}
