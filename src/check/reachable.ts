/**
 * Which instructions the verifier can reach once CO-RE has run.
 *
 * A relocation that finds nothing poisons its instruction (`call 0xbad2310`), and the verifier
 * rejects it only if it can get there. Programs written for many kernels guard such accesses:
 *
 * ```
 * if (bpf_core_field_exists(t->__state))   // r1 = 1 -> relocated to r1 = 0
 *     s = BPF_CORE_READ(t, __state);       // poisoned
 * ```
 *
 * After relocation the guard is a constant, and the verifier follows only the branch a known
 * constant takes (`check_cond_jmp_op` with a known `dst_reg`, then dead-code removal). This
 * file does the same over the relocated instructions with constant propagation: each register
 * is a known 64-bit value or unknown; `mov`, `ld_imm64` and simple arithmetic on known values
 * stay known; loads, calls (r0-r5) and anything else make a register unknown; a conditional
 * jump on known operands has one successor. States meet at joins (values that differ become
 * unknown) until nothing changes.
 *
 * It is deliberately simpler than the verifier: values that travel through the stack are
 * unknown here. So it may call a guarded instruction reachable when the verifier would prune
 * it, never the other way round.
 * @module
 */
import type { Instruction } from '../asm/instruction.js';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_EXIT,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LD,
  BPF_LD_IMM64,
  BPF_LDX,
  BPF_LSH,
  BPF_MODE,
  BPF_MOV,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_RSH,
  BPF_SRC,
  BPF_STX,
  BPF_SUB,
  BPF_X,
  BPF_XOR,
} from '../asm/opcodes.js';

type Regs = (bigint | undefined)[];

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const U32 = (v: bigint): bigint => BigInt.asUintN(32, v);

function alu(op: number, a: bigint, b: bigint, wide: boolean): bigint | undefined {
  const w = wide ? 64 : 32;
  const x = BigInt.asUintN(w, a);
  const y = BigInt.asUintN(w, b);
  const shift = y & BigInt(w - 1);
  switch (op) {
    case BPF_ADD:
      return BigInt.asUintN(w, x + y);
    case BPF_SUB:
      return BigInt.asUintN(w, x - y);
    case BPF_AND:
      return x & y;
    case BPF_OR:
      return x | y;
    case BPF_XOR:
      return x ^ y;
    case BPF_LSH:
      return BigInt.asUintN(w, x << shift);
    case BPF_RSH:
      return x >> shift;
    case BPF_ARSH:
      return BigInt.asUintN(w, BigInt.asIntN(w, x) >> shift);
    default:
      return undefined;
  }
}

/** The branch a conditional jump takes on known operands: true = jump. */
function takes(op: number, a: bigint, b: bigint, wide: boolean): boolean | undefined {
  const w = wide ? 64 : 32;
  const x = BigInt.asUintN(w, a);
  const y = BigInt.asUintN(w, b);
  const sx = BigInt.asIntN(w, a);
  const sy = BigInt.asIntN(w, b);
  switch (op) {
    case BPF_JEQ:
      return x === y;
    case BPF_JNE:
      return x !== y;
    case BPF_JGT:
      return x > y;
    case BPF_JGE:
      return x >= y;
    case BPF_JLT:
      return x < y;
    case BPF_JLE:
      return x <= y;
    case BPF_JSET:
      return (x & y) !== 0n;
    case BPF_JSGT:
      return sx > sy;
    case BPF_JSGE:
      return sx >= sy;
    case BPF_JSLT:
      return sx < sy;
    case BPF_JSLE:
      return sx <= sy;
    default:
      return undefined;
  }
}

/**
 * The slots of `insns` (a program with its subprograms, relocated) the verifier may reach from
 * slot 0, and from every subprogram a reachable `call` enters. A `call` with a `call`
 * reference enters the instruction whose `func` has that name; one without, `imm` slots on.
 */
export function reachableSlots(insns: readonly (Instruction & { func?: string; reference?: { kind: string; func?: string } })[]): Set<number> {
  // Slot of every instruction and the instruction at every slot.
  const slotOf: number[] = [];
  const atSlot = new Map<number, number>();
  const funcSlot = new Map<string, number>();
  let slot = 0;
  insns.forEach((insn, i) => {
    slotOf.push(slot);
    atSlot.set(slot, i);
    if (insn.func !== undefined && !funcSlot.has(insn.func)) funcSlot.set(insn.func, slot);
    slot += insn.opcode === BPF_LD_IMM64 ? 2 : 1;
  });

  const states = new Map<number, Regs>();
  const work: number[] = [];
  const visit = (to: number, regs: Regs): void => {
    const i = atSlot.get(to);
    if (i === undefined) return; // out of range or into an ld_imm64: the verifier rejects it anyway
    const old = states.get(i);
    if (!old) {
      states.set(i, regs.slice());
      work.push(i);
      return;
    }
    let changed = false;
    for (let r = 0; r < old.length; r++) {
      if (old[r] !== undefined && old[r] !== regs[r]) {
        old[r] = undefined;
        changed = true;
      }
    }
    if (changed) work.push(i);
  };
  const unknown = (): Regs => new Array<bigint | undefined>(11).fill(undefined);
  if (insns.length > 0) visit(0, unknown());

  while (work.length > 0) {
    const i = work.pop()!;
    const insn = insns[i]!;
    const r = states.get(i)!.slice();
    const here = slotOf[i]!;
    const next = here + (insn.opcode === BPF_LD_IMM64 ? 2 : 1);
    const cls = BPF_CLASS(insn.opcode);
    const op = BPF_OP(insn.opcode);
    const dst = insn.dst & 0xf;
    const src = insn.src & 0xf;
    const operand = (wide: boolean): bigint | undefined =>
      BPF_SRC(insn.opcode) === BPF_X ? r[src] : wide ? U64(BigInt(insn.imm)) : U32(BigInt(insn.imm));
    const set = (reg: number, v: bigint | undefined): void => {
      if (reg < r.length) r[reg] = v;
    };
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        const wide = cls === BPF_ALU64;
        if (op === BPF_MOV) {
          // movsx (off != 0) and address-space casts are not followed.
          const v = insn.off === 0 ? operand(wide) : undefined;
          set(dst, v === undefined ? undefined : wide ? v : U32(v));
        } else {
          const a = r[dst];
          const b = operand(wide);
          set(dst, a !== undefined && b !== undefined && insn.off === 0 ? alu(op, a, b, wide) : undefined);
        }
        visit(next, r);
        break;
      }
      case BPF_LD:
        if (insn.opcode === BPF_LD_IMM64) set(dst, insn.src === 0 ? U64(insn.imm64 ?? U32(BigInt(insn.imm))) : undefined);
        else set(0, undefined); // legacy packet loads write r0
        visit(next, r);
        break;
      case BPF_LDX:
        set(dst, undefined);
        visit(next, r);
        break;
      case BPF_STX:
        if (BPF_MODE(insn.opcode) === BPF_ATOMIC) {
          set(src, undefined); // BPF_FETCH returns the old value in src_reg
          set(0, undefined); // BPF_CMPXCHG returns it in r0
        }
        visit(next, r);
        break;
      case BPF_JMP:
      case BPF_JMP32: {
        const wide = cls === BPF_JMP;
        if (op === BPF_EXIT) break;
        if (op === BPF_CALL) {
          if (insn.src === BPF_PSEUDO_CALL) {
            const named = insn.reference?.kind === 'call' && insn.reference.func !== undefined ? funcSlot.get(insn.reference.func) : undefined;
            visit(named ?? next + insn.imm, unknown());
          }
          for (let k = 0; k <= 5; k++) set(k, undefined);
          visit(next, r);
          break;
        }
        if (op === BPF_JA) {
          visit(next + (cls === BPF_JMP32 ? insn.imm : insn.off), r);
          break;
        }
        const a = r[dst];
        const b = operand(wide);
        const t = a !== undefined && b !== undefined ? takes(op, a, b, wide) : undefined;
        if (t !== false) visit(next + insn.off, r);
        if (t !== true) visit(next, r);
        break;
      }
      default:
        // BPF_ST: a store of an immediate changes no register.
        visit(next, r);
    }
  }
  const out = new Set<number>();
  for (const i of states.keys()) out.add(slotOf[i]!);
  return out;
}
