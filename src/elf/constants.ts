/**
 * ELF constants from `<elf.h>` (the System V gABI), with the names a reader can grep for.
 * Only what a BPF loader and a uprobe symbol resolver need.
 * @module
 */

// e_ident
/** `ELFMAG`: the four magic bytes `"\x7fELF"` at the start of `e_ident`. */
export const ELFMAG = [0x7f, 0x45, 0x4c, 0x46] as const;
/** `EI_CLASS`: index in `e_ident` of the file class ({@link ELFCLASS32} or {@link ELFCLASS64}). */
export const EI_CLASS = 4;
/** `EI_DATA`: index in `e_ident` of the byte order ({@link ELFDATA2LSB} or {@link ELFDATA2MSB}); tsbpf reads every field in this order, never the host's. */
export const EI_DATA = 5;
/** `EI_VERSION`: index in `e_ident` of the ELF version ({@link EV_CURRENT}). */
export const EI_VERSION = 6;
/** `EI_NIDENT`: size of `e_ident` in bytes. */
export const EI_NIDENT = 16;
/** `ELFCLASS32`: 32-bit objects (refused: BPF objects are ELF64). */
export const ELFCLASS32 = 1;
/** `ELFCLASS64`: 64-bit objects, the only class a BPF object has. */
export const ELFCLASS64 = 2;
/** `ELFDATA2LSB`: little-endian (`clang -target bpfel`). */
export const ELFDATA2LSB = 1;
/** `ELFDATA2MSB`: big-endian (`clang -target bpfeb`). */
export const ELFDATA2MSB = 2;
/** `EV_CURRENT`: the only ELF version. */
export const EV_CURRENT = 1;

// e_type
/** `ET_NONE`: no file type. */
export const ET_NONE = 0;
/** `ET_REL`: relocatable object, what `clang -target bpf -c` writes. */
export const ET_REL = 1;
/** `ET_EXEC`: executable (uprobe targets). */
export const ET_EXEC = 2;
/** `ET_DYN`: shared object or PIE executable (uprobe targets). */
export const ET_DYN = 3;
/** `ET_CORE`: core dump. */
export const ET_CORE = 4;

// e_machine
/** `EM_X86_64`: x86-64 machine code. */
export const EM_X86_64 = 62;
/** `EM_AARCH64`: arm64 machine code. */
export const EM_AARCH64 = 183;
/** `EM_BPF`: eBPF bytecode, the `e_machine` of every BPF object. */
export const EM_BPF = 247;

// Sizes of the 64-bit records.
/** Size of `Elf64_Ehdr`, the file header. */
export const SIZEOF_EHDR = 64;
/** Size of `Elf64_Shdr`, one section header. */
export const SIZEOF_SHDR = 64;
/** Size of `Elf64_Phdr`, one program header. */
export const SIZEOF_PHDR = 56;
/** Size of `Elf64_Sym`, one symbol table entry. */
export const SIZEOF_SYM = 24;
/** Size of `Elf64_Rel`, one `SHT_REL` entry (what clang emits for BPF). */
export const SIZEOF_REL = 16;
/** Size of `Elf64_Rela`, one `SHT_RELA` entry. */
export const SIZEOF_RELA = 24;

// Special section indices (st_shndx, e_shstrndx).
/** `SHN_UNDEF`: `st_shndx` of an undefined symbol (an extern such as a `__ksym` or `.kconfig` variable). */
export const SHN_UNDEF = 0;
/** `SHN_LORESERVE`: first reserved section index; `e_shnum`/`e_shstrndx` at or above it move to section 0. */
export const SHN_LORESERVE = 0xff00;
/** `SHN_ABS`: `st_shndx` of an absolute symbol (its value is not relative to a section). */
export const SHN_ABS = 0xfff1;
/** `SHN_COMMON`: `st_shndx` of a common (not yet allocated) symbol. */
export const SHN_COMMON = 0xfff2;
/** `SHN_XINDEX`: the real section index is in `SHT_SYMTAB_SHNDX`. */
export const SHN_XINDEX = 0xffff;

// sh_type
/** `SHT_NULL`: unused section header (index 0). */
export const SHT_NULL = 0;
/** `SHT_PROGBITS`: bytes defined by the file: program code, `.data`, `.rodata`, `.maps`, `.BTF`. */
export const SHT_PROGBITS = 1;
/** `SHT_SYMTAB`: the symbol table (`.symtab`). */
export const SHT_SYMTAB = 2;
/** `SHT_STRTAB`: a string table (`.strtab`, `.shstrtab`). */
export const SHT_STRTAB = 3;
/** `SHT_RELA`: relocations with explicit addends. */
export const SHT_RELA = 4;
/** `SHT_HASH`: symbol hash table (shared objects). */
export const SHT_HASH = 5;
/** `SHT_DYNAMIC`: dynamic linking information. */
export const SHT_DYNAMIC = 6;
/** `SHT_NOTE`: notes, such as `.note.stapsdt` (USDT probes). */
export const SHT_NOTE = 7;
/** `SHT_NOBITS`: occupies no file bytes (`.bss`). */
export const SHT_NOBITS = 8;
/** `SHT_REL`: relocations without addends (`.rel<section>`, what clang emits for BPF). */
export const SHT_REL = 9;
/** `SHT_DYNSYM`: the dynamic symbol table (`.dynsym`), read for uprobes on stripped binaries. */
export const SHT_DYNSYM = 11;
/** `SHT_SYMTAB_SHNDX`: extended section indices of the symbols ({@link SHN_XINDEX}). */
export const SHT_SYMTAB_SHNDX = 18;
/** `SHT_LLVM_ADDRSIG`: LLVM's address-significance table (`.llvm_addrsig`), ignored by loaders. */
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

// sh_flags
/** `SHF_WRITE`: writable at run time (`.data`, `.bss`). */
export const SHF_WRITE = 0x1n;
/** `SHF_ALLOC`: occupies memory at run time. */
export const SHF_ALLOC = 0x2n;
/** `SHF_EXECINSTR`: holds instructions (program sections and `.text`). */
export const SHF_EXECINSTR = 0x4n;
/** `SHF_STRINGS`: holds NUL-terminated strings (`.rodata.str1.1`). */
export const SHF_STRINGS = 0x20n;
/** `SHF_COMPRESSED`: compressed contents (`Elf64_Chdr` first). */
export const SHF_COMPRESSED = 0x800n;

// Symbol binding (ELF64_ST_BIND) and type (ELF64_ST_TYPE), visibility (ELF64_ST_VISIBILITY).
/** `STB_LOCAL`: symbol binding (`ELF64_ST_BIND`): visible in its file only (static functions and variables). */
export const STB_LOCAL = 0;
/** `STB_GLOBAL`: symbol binding: visible to every file being linked. */
export const STB_GLOBAL = 1;
/** `STB_WEAK`: symbol binding: global, but may be missing (a `__weak` extern resolves to 0). */
export const STB_WEAK = 2;
/** `STT_NOTYPE`: symbol type (`ELF64_ST_TYPE`) not given (labels, some externs). */
export const STT_NOTYPE = 0;
/** `STT_OBJECT`: symbol type: a variable (map definition, global). */
export const STT_OBJECT = 1;
/** `STT_FUNC`: symbol type: a function (a program or subprogram). */
export const STT_FUNC = 2;
/** `STT_SECTION`: symbol type: a section (relocations against static data point at it). */
export const STT_SECTION = 3;
/** `STT_FILE`: symbol type: the source file name. */
export const STT_FILE = 4;
/** `STT_GNU_IFUNC`: symbol type: an indirect function, resolved at run time (glibc); uprobes accept it as a function. */
export const STT_GNU_IFUNC = 10;
/** `STV_DEFAULT`: symbol visibility (`ELF64_ST_VISIBILITY`): as its binding says. */
export const STV_DEFAULT = 0;
/** `STV_INTERNAL`: symbol visibility: internal. */
export const STV_INTERNAL = 1;
/** `STV_HIDDEN`: symbol visibility: hidden (`__hidden`; a hidden global is treated as static). */
export const STV_HIDDEN = 2;
/** `STV_PROTECTED`: symbol visibility: protected. */
export const STV_PROTECTED = 3;

// p_type
/** `PT_NULL`: unused program header. */
export const PT_NULL = 0;
/** `PT_LOAD`: a loadable segment; maps a virtual address to a file offset (uprobe offsets). */
export const PT_LOAD = 1;
/** `PT_DYNAMIC`: the dynamic linking segment. */
export const PT_DYNAMIC = 2;
/** `PT_NOTE`: a notes segment. */
export const PT_NOTE = 4;
/** `PT_PHDR`: the program header table itself. */
export const PT_PHDR = 6;
// p_flags
/** `PF_X`: segment is executable (uprobes attach in executable segments). */
export const PF_X = 1;
/** `PF_W`: segment is writable. */
export const PF_W = 2;
/** `PF_R`: segment is readable. */
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

/** `sh_type` values by number as `readelf -S` names them (`PROGBITS`, `REL`...), for printing. */
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
