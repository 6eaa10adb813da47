/**
 * `src/core`: CO-RE ("compile once, run everywhere"), the relocations that adapt a program
 * compiled against one kernel's types to another kernel's.
 *
 * Pure code over two BTFs, the object's (local) and a target's (the running kernel's, a
 * BTFHub file, a test fixture's): nothing here reads a file or calls bpf(). It follows
 * libbpf's `relo_core.c` step by step and keeps its vocabulary: *access spec*, *candidates*,
 * *essential name*, *poison*. Compute, then apply: {@link computeFixups} gives printable
 * {@link CoreFixup} values, {@link applyFixup} patches an instruction after checking it.
 *
 * Layer 1: imports only `src/btf`, `src/asm`, `src/object` (types), `src/errors.ts` and
 * `src/bytes`; never `src/syscall`.
 * @module
 */
export * from './kinds.js';
export * from './errors.js';
export { parseAccessSpec, formatSpec, isFlexArray, type CoreAccessor, type CoreSpec, type CoreReloRecord } from './spec.js';
export { coreEssentialName, essentialNameLength, kindsCoreCompat, typesAreCompat, fieldsAreCompat, typesMatch } from './compat.js';
export { CandidateCache, findCandidates, toCoreTarget, type CoreCandidate, type CoreTarget } from './candidates.js';
export { matchSpec } from './match.js';
export { calcRelo, type CoreReloResult } from './calc.js';
export { calcReloInsn, describeAccess, type CoreRelocation } from './relocate.js';
export {
  computeFixups,
  applyFixup,
  applyFixups,
  formatFixup,
  poisonInstruction,
  type CoreFixup,
  type CoreFixupCandidate,
  type CoreObject,
  type CoreProgram,
  type ComputeFixupsOptions,
} from './fixup.js';
