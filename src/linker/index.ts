/**
 * `src/linker`: the static linker, several BPF objects into one (bpftool `gen object`,
 * libbpf `bpf_linker`). Layer 1 (pure): imports `src/elf`, `src/btf`, `src/errors.ts`; works on
 * bytes in, bytes out, and never touches the kernel.
 *
 * - {@link linkObjects}: the linker (sections, symbols, relocations, BTF with deduplication,
 *   `.BTF.ext`), following libbpf's rules for globals, weak symbols and externs.
 * - {@link LinkError}: what cannot be linked, naming the object and the symbol.
 * - the ELF writer it uses ({@link writeRelocatableElf}).
 * @module
 */
export { linkObjects, type LinkInput, type LinkOptions } from './link.js';
export { LinkError, type LinkLocation } from './errors.js';
export { writeRelocatableElf, encodeSymbols, encodeRelocations, type OutputSection, type OutputSymbol, type OutputRelocation } from './elf-write.js';
