/**
 * `src/preflight`: layer 3 (runtime). The running kernel's answers to what an offline check
 * (`src/check`, layer 1) cannot tell from BTF: feature probes for program and map types and
 * per-program-type helpers, GPL-only helpers under the object's license, the kernel config,
 * `/proc/kallsyms`.
 *
 * May import: `src/check`, `src/features`, `src/collection` (kconfig, kallsyms readers),
 * `src/syscall`, and layer 1.
 * @module
 */
export { preflight, probeGplOnly, mergePreflight, type PreflightOptions } from './preflight.js';
