/**
 * Linking a program with its subprograms.
 *
 * The kernel loads one instruction array per program, so every subprogram a program calls
 * (directly, through another subprogram, or as a callback passed to `bpf_loop` and friends)
 * is appended after the program's own instructions, once, depth first in the order calls
 * are met, exactly as libbpf's `bpf_object__reloc_code` lays them out (so tsbpf and libbpf
 * hand the kernel the same instructions). A subprogram used by two programs is copied into both.
 *
 * Calls and callback addresses are kept as references by name until the instructions are
 * encoded: {@link resolveCalls} then writes each `imm` as the distance the kernel expects,
 * `target_slot - (slot + 1)`, for both `call` (`BPF_PSEUDO_CALL`) and `ld_imm64`
 * (`BPF_PSEUDO_FUNC`). Keeping names rather than numbers lets a spec be edited (an
 * instruction inserted) without breaking its calls.
 * @module
 */
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, setImm64, slotCount } from '../asm/index.js';
import { ObjectError } from './errors.js';
import type { ElfFunction } from './functions.js';
import type { ProgramInstruction, Reference } from './spec.js';

/**
 * A copy of an instruction (its reference copied too), for a program of its own or for the
 * loader to rewrite. Field by field, in the order every instruction of a spec has (see
 * `copyInstruction` in functions.ts): an object spread is several times slower, and would
 * give the copies a shape of their own.
 */
export function cloneInstruction(insn: ProgramInstruction): ProgramInstruction {
  return {
    opcode: insn.opcode,
    dst: insn.dst,
    src: insn.src,
    off: insn.off,
    imm: insn.imm,
    imm64: insn.imm64,
    reference: insn.reference && copyReference(insn.reference),
    func: insn.func,
    funcTypeId: insn.funcTypeId,
    line: insn.line,
    coreRelo: insn.coreRelo,
  };
}

/** A copy of a reference, kind by kind (a spread of a union's members is slower, and gives each copy a shape of its own). */
function copyReference(r: Reference): Reference {
  switch (r.kind) {
    case 'map':
      return { kind: r.kind, map: r.map };
    case 'data':
      return { kind: r.kind, map: r.map, offset: r.offset };
    case 'call':
    case 'func':
      return { kind: r.kind, func: r.func };
    case 'kfunc':
      return { kind: r.kind, name: r.name, weak: r.weak };
    case 'ksym':
      return { kind: r.kind, name: r.name, weak: r.weak, typed: r.typed };
    default:
      // A kind this version does not know (a spec built by hand): copied as it is.
      return { ...(r as object) } as Reference;
  }
}

/**
 * The instructions of program `main`: its own, then every function it reaches. `main`'s own
 * instruction objects are taken as they are (a program is never another's callee, so they
 * belong to it alone); each subprogram is copied into every program that calls it.
 * @throws {@link ObjectError} when a call names a function that does not exist, or a program
 *   (a function outside `.text`) is called as a subprogram.
 */
export function linkProgram(main: ElfFunction, functions: ReadonlyMap<string, ElfFunction>): ProgramInstruction[] {
  // Depth first, as libbpf's bpf_object__reloc_code: a function's code is appended whole,
  // then its calls are scanned in order, and each callee not yet appended is appended (and
  // scanned) before the scan goes on. main calls A then B, A calls C: main, A, C, B.
  // The order is worked out first, so that the result is allocated once at its final size.
  const order: ElfFunction[] = [];
  const included = new Set<string>([main.name]);
  const visit = (f: ElfFunction): void => {
    order.push(f);
    for (const insn of f.instructions) {
      const ref = insn.reference;
      if (!ref || (ref.kind !== 'call' && ref.kind !== 'func') || included.has(ref.func)) continue;
      const callee = functions.get(ref.func);
      if (!callee) {
        throw new ObjectError(`call to missing function '${ref.func}'`, { program: main.name, symbol: ref.func });
      }
      if (callee.isProgram) {
        throw new ObjectError(`calls '${ref.func}', which is a program in section '${callee.section.name}', not a subprogram in '.text'`, {
          program: main.name,
          symbol: ref.func,
        });
      }
      included.add(ref.func);
      visit(callee);
    }
  };
  visit(main);
  let total = 0;
  for (const f of order) total += f.instructions.length;
  const out: ProgramInstruction[] = new Array(total);
  let n = 0;
  for (const f of order) for (const insn of f.instructions) out[n++] = f === main ? insn : cloneInstruction(insn);
  return out;
}

/**
 * Calls `visit` for every `call`/`ld_imm64` of `insns` that refers to a function by name,
 * with its slot and the distance the kernel expects in its `imm`, `target_slot - (slot + 1)`,
 * the target being where the function's `func` marker is. One walk; nothing is modified.
 * @throws {@link ObjectError} when a referenced function is not among `insns`.
 */
export function forEachCall(
  insns: readonly ProgramInstruction[],
  program: string,
  visit: (insn: ProgramInstruction, slot: number, distance: number) => void,
): void {
  // Function starts and call sites in flat arrays: a program has a handful of each, and the
  // loader runs this for every program of every load. A call may go forward, so the calls
  // are visited once the walk has seen every start.
  const starts: (string | number)[] = []; // name, slot
  const calls: number[] = []; // instruction index, slot
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (insn.func !== undefined) starts.push(insn.func, slot);
    const kind = insn.reference?.kind;
    if (kind === 'call' || kind === 'func') calls.push(i, slot);
    slot += slotCount(insn);
  }
  for (let c = 0; c < calls.length; c += 2) {
    const insn = insns[calls[c]!]!;
    const at = calls[c + 1]!;
    const func = (insn.reference as Extract<Reference, { kind: 'call' | 'func' }>).func;
    const k = starts.indexOf(func);
    if (k < 0) throw new ObjectError(`function '${func}' is not linked into this program`, { program, insn: at, symbol: func });
    visit(insn, at, (starts[k + 1] as number) - (at + 1));
  }
}

/**
 * Writes the `imm` of every `call`/`ld_imm64` that refers to a function by name, from the
 * `func` markers of `insns` ({@link forEachCall}). Mutates `insns` (call it on a copy).
 * @throws {@link ObjectError} when a referenced function is not among `insns`.
 */
export function resolveCalls(insns: ProgramInstruction[], program: string): void {
  forEachCall(insns, program, (insn, _slot, distance) => {
    if (insn.reference!.kind === 'call') {
      insn.src = BPF_PSEUDO_CALL;
      insn.imm = distance;
    } else {
      insn.src = BPF_PSEUDO_FUNC;
      setImm64(insn, BigInt.asUintN(64, BigInt(distance)) & 0xffffffffn);
    }
  });
}
