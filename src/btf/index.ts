/**
 * `src/btf`: BTF, the kernel's type format. Layer 1 (pure): imports only `src/errors.ts`,
 * `src/bytes` and `src/elf`; `kernel.ts` alone reads files (sysfs), nothing here calls bpf().
 *
 * - {@link parseBtf}: raw BTF (object `.BTF`, `/sys/kernel/btf/*`, split BTF on a base), kept as
 *   bytes with lazy indexes; {@link Btf.type} decodes one type, {@link Btf.findByName} looks up.
 * - {@link parseBtfExt}: `.BTF.ext` func_info, line_info and CO-RE relocations.
 * - queries: {@link resolveType}, {@link sizeOf}, {@link alignOf}, {@link findMember}, ...
 * - output: bpftool's raw dump, a C header (`vmlinux.h`), and bytes again ({@link marshalBtf}),
 *   with the kernel-facing fixes a loader applies before `BPF_BTF_LOAD` ({@link sanitizeBtf}).
 * - values: JS values <-> bytes by a BTF type ({@link valueCodec}), and bpftool's formatted
 *   print of data by its type ({@link dumpBtfData}).
 * @module
 */
export * from './errors.js';
export * from './kinds.js';
export { Btf, parseBtf, describeType, type BtfHeader, type ParseBtfOptions } from './btf.js';
export * from './query.js';
export * from './ext.js';
export { btfFromElf, type ObjectBtf } from './elf.js';
export { formatRawType, rawDump, rawDumpChunks, rawJsonChunks, rawJsonType, varLinkageName, funcLinkageName } from './raw-dump.js';
export { KERNEL_BTF_DIR, readKernelBtf, readModuleBtf } from './kernel.js';
export { CDumper, dumpC, dumpCString, type DumpCOptions } from './c-dump.js';
export { StringTable, decodeAll, encodeBtf, marshalBtf, recordSize, type EncodeBtfOptions } from './marshal.js';
export { ALL_BTF_FEATURES, compareExterns, sanitizeBtf, type BtfFeatures, type ExternPlacement, type SanitizedBtf, type SanitizeOptions } from './sanitize.js';
export {
  BtfValueCodec,
  BtfValueError,
  compileValueLayout,
  cTypeName,
  decodeValue,
  encodeValue,
  valueCodec,
  type BtfValue,
  type CompositeLayout,
  type FieldLayout,
  type IntLayout,
  type ValueCodecOptions,
  type ValueLayout,
} from './value.js';
export { BPFTOOL_COMPAT, dumpBtfData, JsonWriter, type DataDumpOptions } from './data-dump.js';
