/**
 * `src/gen/skeleton`: typed TypeScript skeletons of BPF objects (`tsbpf gen skeleton`,
 * `tsbpf gen types`), bpftool's `gen skeleton` for TypeScript. Layer 1 (pure): from an
 * `ObjectSpec` and its BTF to source text; imports `src/object`, `src/btf`, `src/uapi` and
 * `src/errors.ts`, never the kernel. The runtime the generated code calls is
 * `src/collection/skeleton.ts` (`openSkeleton`).
 * @module
 */
export { generateSkeleton, generateTypes, type GenerateSkeletonOptions } from './generate.js';
export { planSkeleton, type PlanOptions, type PlannedType, type SkeletonPlan } from './plan.js';
export {
  layoutShape,
  typedRef,
  typeRefMismatch,
  type SkeletonEventLayout,
  type SkeletonLayout,
  type SkeletonMapLayout,
  type SkeletonProgramLayout,
  type SkeletonSectionLayout,
  type SkeletonTypeRef,
} from './layout.js';
export { SkeletonError } from './errors.js';
