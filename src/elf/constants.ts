/**
 * ELF constants from `<elf.h>` (the System V gABI), with the names a reader can grep for.
 * Only what a BPF loader and a uprobe symbol resolver need.
 * @module
 */

// e_ident
export const ELFMAG = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_NIDENT = 16;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

// e_type
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

// e_machine
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_BPF = 247;

// Sizes of the 64-bit records.
export const SIZEOF_EHDR = 64; // Elf64_Ehdr
export const SIZEOF_SHDR = 64; // Elf64_Shdr
export const SIZEOF_PHDR = 56; // Elf64_Phdr
export const SIZEOF_SYM = 24; // Elf64_Sym
export const SIZEOF_REL = 16; // Elf64_Rel
export const SIZEOF_RELA = 24; // Elf64_Rela

// Special section indices (st_shndx, e_shstrndx).
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

// sh_type
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

// sh_flags
export const SHF_WRITE = 0x1n;
export const SHF_ALLOC = 0x2n;
export const SHF_EXECINSTR = 0x4n;
export const SHF_STRINGS = 0x20n;
export const SHF_COMPRESSED = 0x800n;

// Symbol binding (ELF64_ST_BIND) and type (ELF64_ST_TYPE), visibility (ELF64_ST_VISIBILITY).
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_GNU_IFUNC = 10;
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

// p_type
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
// p_flags
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/**
 * BPF relocation types (LLVM's `ELFRelocs/BPF.def`; documented in the kernel's
 * `Documentation/bpf/llvm_reloc.rst`).
 */
export const R_BPF_NONE = 0;
/** `ld_imm64`: the 64-bit immediate gets the symbol's address (maps, global data, subprogs). */
export const R_BPF_64_64 = 1;
/** 64-bit data, e.g. a pointer in `.data` or `.maps` (`__array` initialisers). */
export const R_BPF_64_ABS64 = 2;
/** 32-bit data. */
export const R_BPF_64_ABS32 = 3;
/** 32-bit data not resolved at load: DWARF and `.BTF`/`.BTF.ext` offsets. */
export const R_BPF_64_NODYLD32 = 4;
/** `call` to a function (bpf-to-bpf call) or a `goto` to a symbol: imm is in instructions. */
export const R_BPF_64_32 = 10;

/** Human names for the BPF relocation types, for printing. */
export const bpfRelocationNames: Readonly<Record<number, string>> = {
  [R_BPF_NONE]: 'R_BPF_NONE',
  [R_BPF_64_64]: 'R_BPF_64_64',
  [R_BPF_64_ABS64]: 'R_BPF_64_ABS64',
  [R_BPF_64_ABS32]: 'R_BPF_64_ABS32',
  [R_BPF_64_NODYLD32]: 'R_BPF_64_NODYLD32',
  [R_BPF_64_32]: 'R_BPF_64_32',
};

export const sectionTypeNames: Readonly<Record<number, string>> = {
  [SHT_NULL]: 'NULL',
  [SHT_PROGBITS]: 'PROGBITS',
  [SHT_SYMTAB]: 'SYMTAB',
  [SHT_STRTAB]: 'STRTAB',
  [SHT_RELA]: 'RELA',
  [SHT_HASH]: 'HASH',
  [SHT_DYNAMIC]: 'DYNAMIC',
  [SHT_NOTE]: 'NOTE',
  [SHT_NOBITS]: 'NOBITS',
  [SHT_REL]: 'REL',
  [SHT_DYNSYM]: 'DYNSYM',
  [SHT_SYMTAB_SHNDX]: 'SYMTAB_SHNDX',
  [SHT_LLVM_ADDRSIG]: 'LLVM_ADDRSIG',
};
