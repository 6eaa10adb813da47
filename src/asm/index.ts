/**
 * `src/asm`: the BPF instruction set.
 *
 * Decoding and encoding of 8-byte instructions (and the 16-byte `ld_imm64`) with explicit
 * byte order, the UAPI opcode constants, helper ids by name, and a disassembler that prints
 * the kernel's own syntax (`bpftool prog dump xlated`, verifier logs).
 *
 * Layer 1 (pure): imports only `src/errors.ts` and `src/bytes`. Runs anywhere, needs no kernel.
 * @module
 */
export * from './opcodes.js';
export * from './helpers.js';
export {
  decodeProgram,
  visitProgram,
  decodeInstruction,
  encodeInstructions,
  encodeInstruction,
  isLdImm64,
  slotCount,
  setImm64,
} from './instruction.js';
export type { Instruction, DecodedInstruction, DecodeOptions, InstructionVisitor } from './instruction.js';
export { patchImm, patchImm64, patchOff, patchSrc } from './patch.js';
export { instructionProblem, isKernelInternal, BPF_NOSPEC } from './validate.js';
export { formatInstruction, disassemble, jumpTarget } from './disasm.js';
export type { DisasmOptions } from './disasm.js';
/** Instruction builders (`insn.mov64Imm(BPF_REG_0, 0)`, `insn.exit()`), after include/linux/filter.h. */
export * as insn from './build.js';
