/** Shared by the CO-RE tests: relocate a fixture object against another fixture's BTF. */
import { formatInstruction, slotCount, type Instruction } from '../../src/asm/index.js';
import type { Btf } from '../../src/btf/index.js';
import { applyFixups, computeFixups, type CoreFixup, type CoreTarget } from '../../src/core/index.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { readFixture } from '../helpers/fixtures.js';

export function loadSpec(name: string, endian: 'bpfel' | 'bpfeb' = 'bpfel'): ObjectSpec {
  return parseObject(readFixture(name, endian), { fileName: `${name}.${endian}.o` });
}

/** The BTF of fixture `name`, used as the "kernel". */
export function targetBtf(name: string): Btf {
  const btf = loadSpec(name).btf;
  if (!btf) throw new Error(`fixture ${name} has no BTF`);
  return btf;
}

export interface Relocated {
  spec: ObjectSpec;
  fixups: CoreFixup[];
  /** The relocated instructions of `program`, by slot, in the kernel's disassembly syntax. */
  show(program: string, slot: number): string;
  /** The relocated instructions of `program`. */
  insns(program: string): Instruction[];
  /** The fixup at `program`'s slot `slot`. */
  fixup(program: string, slot: number): CoreFixup;
}

export function relocateFixture(
  object: string,
  target: Btf | CoreTarget,
  options: { endian?: 'bpfel' | 'bpfeb'; programs?: string[] } = {},
): Relocated {
  const spec = loadSpec(object, options.endian);
  const fixups = computeFixups(spec, target, { programs: options.programs });
  const patched = new Map<string, Instruction[]>();
  const insns = (program: string): Instruction[] => {
    let out = patched.get(program);
    if (!out) {
      const p = spec.programs.get(program);
      if (!p) throw new Error(`no program ${program}`);
      out = applyFixups(p.instructions, fixups, program);
      patched.set(program, out);
    }
    return out;
  };
  return {
    spec,
    fixups,
    insns,
    show(program, slot) {
      let at = 0;
      for (const insn of insns(program)) {
        if (at === slot) return formatInstruction(insn);
        at += slotCount(insn);
      }
      throw new Error(`${program}: no instruction at slot ${slot}`);
    },
    fixup(program, slot) {
      const f = fixups.find((x) => x.program === program && x.insn === slot);
      if (!f) throw new Error(`${program}: no fixup at slot ${slot}`);
      return f;
    },
  };
}

/**
 * One line per fixup of `program`, in instruction order: `kind access => relocated insn`, or
 * `kind access => poison` (the instruction is then `call unknown#195896080`).
 */
export function fixupTable(r: Relocated, program: string): string[] {
  return r.fixups
    .filter((f) => f.program === program)
    .map((f) => `${f.kindName} ${f.access.replace(/'/g, '')} => ${f.poison !== undefined ? 'poison' : r.show(program, f.insn)}`);
}
