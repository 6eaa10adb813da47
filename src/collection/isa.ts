/**
 * Instructions of the BPF ISA's cpu v4 (Linux 6.6): a program compiled with `-mcpu=v4` that
 * an older kernel rejects gets a {@link NotSupportedError} naming them, not only the verifier's
 * "BPF_LDX uses reserved fields" or "invalid BPF_ALU opcode".
 * @module
 */
import { BPF_ALU, BPF_ALU64, BPF_CLASS, BPF_DIV, BPF_END, BPF_JA, BPF_JMP32, BPF_LDX, BPF_MEMSX, BPF_MOD, BPF_MODE, BPF_MOV, BPF_OP, type Instruction } from '../asm/index.js';
import { NotSupportedError } from '../errors.js';
import { kernelVersionCode, runningKernelVersion } from './kconfig.js';

/** What a cpu v4 instruction is, or undefined for an older one (kernel `check_alu_op`, `check_mem_access` rules). */
export function cpuV4Kind(i: Instruction): string | undefined {
  const cls = BPF_CLASS(i.opcode);
  const op = BPF_OP(i.opcode);
  if (cls === BPF_LDX && BPF_MODE(i.opcode) === BPF_MEMSX) return 'sign-extending load';
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if ((op === BPF_DIV || op === BPF_MOD) && i.off === 1) return 'signed division';
    if (op === BPF_MOV && i.off !== 0) return 'sign-extending move';
    if (op === BPF_END && cls === BPF_ALU64) return 'unconditional byte swap';
  }
  if (cls === BPF_JMP32 && op === BPF_JA) return '32-bit unconditional jump (gotol)';
  return undefined;
}

/**
 * The error for program `name` rejected by a kernel older than 6.6 while it holds cpu v4
 * instructions, or undefined when that is not the explanation.
 */
export function cpuV4Unsupported(name: string, insns: readonly Instruction[], cause: unknown, kernel = runningKernelVersion()): NotSupportedError | undefined {
  if (kernel === 0 || kernel >= kernelVersionCode(6, 6, 0)) return undefined;
  let slot = 0;
  for (const i of insns) {
    const kind = cpuV4Kind(i);
    if (kind) return new NotSupportedError(`program '${name}': cpu v4 instructions (insn #${slot}: ${kind}; compile with -mcpu=v3)`, '6.6', { cause });
    slot += i.opcode === 0x18 ? 2 : 1;
  }
  return undefined;
}
