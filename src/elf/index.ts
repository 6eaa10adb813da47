/**
 * `src/elf`: a reader for ELF64 files, both byte orders. Layer 1 (pure): imports only
 * `src/errors.ts` and `src/bytes`.
 *
 * It reads relocatable BPF objects (`clang -target bpf`: sections, symbols, `SHT_REL`
 * relocations) and, for uprobes, executables and shared libraries (program headers,
 * `.dynsym`). Every read is bounds-checked; bad input raises {@link ElfError}.
 * @module
 */
export * from './constants.js';
export { parseElfHeader, type ElfHeader } from './header.js';
export type { ElfSection } from './sections.js';
export type { ElfSymbol } from './symbols.js';
export type { ElfRelocation, ElfRelocationTable } from './relocations.js';
export type { ElfProgramHeader } from './program-headers.js';
export { ElfFile, parseElf, type ParseElfOptions } from './file.js';
