/**
 * `src/object`: the object model. Layer 1 (pure): imports `src/elf`, `src/btf`, `src/asm`,
 * `src/bytes`, `src/errors.ts` and the UAPI constants; never the kernel.
 *
 * `parseObject(bytes)` reads a `.bpf.o` into an {@link ObjectSpec}: programs (typed by
 * their section names, linked with their subprograms), maps, data sections, externs and
 * BTF, with every relocation kept as a named reference for the loader to resolve.
 * @module
 */
export * from './spec.js';
export { ObjectError, type ObjectLocation } from './errors.js';
export { parseObject, objectNameFromPath, type ParseObjectOptions } from './parse.js';
export { findSectionDef, sectionDefMatches, sectionDefs, SecFlags, type SectionDef, type SectionInfo, type AutoAttach } from './section-defs.js';
export { cloneInstruction, forEachCall, resolveCalls, linkProgram } from './link.js';
export { internalMapName, isDataSection, BPF_OBJ_NAME_LEN } from './maps.js';
export { readStructOpsMaps, isStructOpsSection, type StructOpsSpec } from './struct-ops.js';
export { declaredEventType, type DeclaredEventType } from './event-type.js';
