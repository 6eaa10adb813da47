/**
 * `src/check`: offline compatibility checks. Will an object load on a kernel, judged from that
 * kernel's BTF alone ({@link checkObject}), and the minimal BTF an object needs from a kernel
 * for CO-RE ({@link minCoreBtf}, bpftool's `gen min_core_btf`).
 *
 * Layer 1 (pure): imports `src/btf`, `src/core`, `src/object`, `src/asm`, `src/uapi`,
 * `src/errors.ts`; never `src/syscall`. What only the running kernel can answer (feature
 * probes, kallsyms, its config) is added by `src/preflight` (layer 3).
 * @module
 */
export { checkObject, kernelVerdict, worstVerdict, VERDICTS, type CheckArea, type KernelVerdict, type CheckItem, type CheckOptions, type CheckReport, type Verdict } from './check.js';
export { btfFeaturesOf, enumValues, kernelBtfFacts, type CheckKernel, type EnumValues, type KernelBtfFacts } from './kernel.js';
export { objectNeeds, btfKindCounts, helperLabel, type KsymUse, type ObjectNeeds, type ProgramNeeds } from './needs.js';
export { GPL_COMPATIBLE_LICENSES, GPL_ONLY_HELPERS, isGplCompatible } from './license.js';
export { kprobeFunction, findAttachTarget, type AttachResolution } from './attach.js';
export { closeLimit, editDistance, explainFailure, type ClosestCandidate } from './closest.js';
export { reachableSlots } from './reachable.js';
export { formatItem, formatReports, reportJson } from './format.js';
export { minCoreBtf, type MinCoreBtf, type MinCoreObject } from './min-core-btf.js';
