/**
 * What an object needs from a kernel, read from its `ObjectSpec` alone: per program its type,
 * attach type and target, the helpers it calls and the kernel symbols it uses; the map types;
 * the `.kconfig` and `__ksym` externs; the BTF kinds in its `.BTF`.
 *
 * Helper calls are `call` instructions with `src_reg` 0 (`call bpf_get_current_task#35`);
 * kfunc calls have `src_reg` `BPF_PSEUDO_KFUNC_CALL` and, in a spec, a `kfunc` reference;
 * typed and untyped `__ksym` variables are `ld_imm64` with a `ksym` reference. A program's
 * instructions include its subprograms, so a helper called from a subprogram counts for every
 * program that links it.
 * @module
 */
import { BPF_CALL, BPF_CLASS, BPF_JMP, BPF_LD_IMM64, BPF_OP } from '../asm/opcodes.js';
import { helperName } from '../asm/helpers.js';
import type { Btf } from '../btf/btf.js';
import { BTF_KIND_NAMES } from '../btf/kinds.js';
import type { ExternSpec, ObjectMapSpec, ObjectSpec, ProgramSpec } from '../object/index.js';

/** A kernel symbol (kfunc or `__ksym` variable) a program uses. */
export interface KsymUse {
  /** The kernel symbol's name (`bpf_task_acquire`, `runqueues`). */
  name: string;
  /** Declared `__weak`: when the kernel lacks it, it becomes 0 (a kfunc call is patched out) instead of failing the load. */
  weak: boolean;
  /** For variables: whether it has a BTF type (`extern const struct rq runqueues __ksym`), or is a bare address (`extern const void x __ksym`). */
  typed: boolean;
  /** The extern's BTF type id (FUNC or VAR) in the object's BTF, when known. */
  typeId: number | undefined;
}

/** What one program needs. */
export interface ProgramNeeds {
  /** The program, as parsed (type, attach type and target from its section name, instructions). */
  program: ProgramSpec;
  /** Helper ids called, with the first instruction slot of each call. */
  helpers: Map<number, number>;
  /** kfuncs called, by name. */
  kfuncs: Map<string, KsymUse>;
  /** `__ksym` variables loaded, by name. */
  ksyms: Map<string, KsymUse>;
}

/** What an object needs. */
export interface ObjectNeeds {
  /** One entry per program, in the order of `ObjectSpec.programs`. */
  programs: ProgramNeeds[];
  /** Every map, inner maps of map-in-map included. */
  maps: ObjectMapSpec[];
  /** `.kconfig` externs. */
  kconfig: ExternSpec[];
  /** BTF kinds (`'DECL_TAG'`...) in the object's BTF, with how many types of each. */
  btfKinds: Map<string, number>;
  /** The `license` section's string; GPL-only helpers need a GPL-compatible one. */
  license: string;
}

/** Name of helper `id` for reports: `bpf_ringbuf_output`, or `helper #N` for an id tsbpf does not know. */
export function helperLabel(id: number): string {
  return helperName(id) ?? `helper #${id}`;
}

function externTypeId(spec: ObjectSpec, name: string): number | undefined {
  return spec.externs.find((e) => e.name === name)?.typeId;
}

/** Reads what `spec` needs from a kernel. Pure, and cheap: one pass over the instructions. */
export function objectNeeds(spec: ObjectSpec): ObjectNeeds {
  const programs: ProgramNeeds[] = [];
  for (const p of spec.programs.values()) {
    const helpers = new Map<number, number>();
    const kfuncs = new Map<string, KsymUse>();
    const ksyms = new Map<string, KsymUse>();
    let slot = 0;
    for (const insn of p.instructions) {
      const ref = insn.reference;
      if (ref?.kind === 'kfunc') {
        if (!kfuncs.has(ref.name)) kfuncs.set(ref.name, { name: ref.name, weak: ref.weak, typed: true, typeId: externTypeId(spec, ref.name) });
      } else if (ref?.kind === 'ksym') {
        if (!ksyms.has(ref.name)) ksyms.set(ref.name, { name: ref.name, weak: ref.weak, typed: ref.typed, typeId: externTypeId(spec, ref.name) });
      } else if (BPF_CLASS(insn.opcode) === BPF_JMP && BPF_OP(insn.opcode) === BPF_CALL && insn.src === 0 && !ref) {
        if (!helpers.has(insn.imm)) helpers.set(insn.imm, slot);
      }
      slot += insn.opcode === BPF_LD_IMM64 ? 2 : 1;
    }
    programs.push({ program: p, helpers, kfuncs, ksyms });
  }
  const maps: ObjectMapSpec[] = [];
  for (const m of spec.maps.values()) {
    maps.push(m);
    if (m.innerMap) maps.push(m.innerMap);
  }
  return {
    programs,
    maps,
    kconfig: spec.externs.filter((e) => e.kind === 'kconfig'),
    btfKinds: spec.btf ? btfKindCounts(spec.btf) : new Map(),
    license: spec.license,
  };
}

/** How many types of each kind `btf` holds. */
export function btfKindCounts(btf: Btf): Map<string, number> {
  const out = new Map<string, number>();
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    const k = BTF_KIND_NAMES[btf.kindOf(id)] ?? `kind ${btf.kindOf(id)}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}
