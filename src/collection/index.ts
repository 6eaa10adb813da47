/**
 * Layer 3 (runtime): loading an `ObjectSpec` into the kernel. {@link loadCollection} creates
 * the object's BTF, maps and programs in libbpf's order and returns a {@link Collection}
 * that owns them; global variables are set by name before load ({@link setVariable}) and
 * read or written through the mmapped data maps after ({@link Collection.variable}).
 *
 * May import: `src/syscall`, `src/maps`, `src/programs`, `src/features`, and the pure layer
 * (`src/object`, `src/btf`, `src/core`, `src/asm`, `src/verifier-log`, `src/errors.ts`).
 * @module
 */
export { loadCollection, pinName, type LoadOptions } from './load.js';
export { Collection, type CollectionParts } from './collection.js';
export { LoadError, type LoadLocation } from './errors.js';
export { setVariable, findVariable, encodeVariable, GlobalVariable, type VariableValue, type VariableLocation } from './globals.js';
export { fillKconfig, parseKernelConfig, readKernelConfig, runningKernelVersion, kernelVersionCode } from './kconfig.js';
export { readKallsyms } from './kallsyms.js';
