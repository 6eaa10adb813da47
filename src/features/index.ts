/**
 * Layer 3 (runtime): feature probes. Which map types, program types, helpers and link types
 * the running kernel supports, probed once per process and cached, the way
 * `bpftool feature probe kernel` does; and `NotSupportedError`s that name the feature.
 *
 * May import: `src/syscall`, `src/btf`, `src/errors.ts`, `src/bytes`. Must not import `src/maps` or
 * other runtime folders (they import this one).
 * @module
 */
export {
  probeMapType,
  probeProgType,
  probeHelper,
  probeLinkType,
  probeMisc,
  type MiscFeature,
  kernelHelpers,
  requireMapType,
  requireProgType,
  clearProbeCache,
} from './probe.js';
export { probeKernel, type KernelFeatures, type FeatureLine } from './report.js';
export { localStorageBtf, vmlinuxBtf, kernelEnum } from './btf.js';
export { probeBtfFeatures, btfProbeBlob, clearBtfFeatureCache } from './btf-features.js';
export { probeMemcgAccounting, ensureMemlock } from './memlock.js';
