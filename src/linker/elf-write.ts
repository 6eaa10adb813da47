/**
 * Writing a relocatable ELF64 file (`ET_REL`): the inverse of `src/elf`'s reader, for the
 * few record types a BPF object holds (`Elf64_Ehdr`, `Elf64_Shdr`, `Elf64_Sym`, `Elf64_Rel`).
 *
 * Layout, as libelf's `elf_update` lays out a file without program headers: the 64-byte
 * header, then each section's contents in section index order, each at an offset aligned to
 * its `sh_addralign` (`SHT_NOBITS` takes no bytes), then the section header table, 8-aligned.
 * Every multi-byte field is written in the byte order given, never the host's.
 * @module
 */
import {
  EI_CLASS,
  EI_DATA,
  EI_VERSION,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ELFMAG,
  ET_REL,
  EV_CURRENT,
  SHT_NOBITS,
  SIZEOF_EHDR,
  SIZEOF_REL,
  SIZEOF_SHDR,
  SIZEOF_SYM,
} from '../elf/index.js';

/** One section to write (`Elf64_Shdr` fields without `sh_`), index 0 excluded. */
export interface OutputSection {
  /** `sh_name`: offset in the section name string table. */
  nameOff: number;
  /** `sh_type`: `SHT_PROGBITS`, `SHT_NOBITS`, `SHT_SYMTAB`, `SHT_STRTAB`, `SHT_REL`... */
  type: number;
  /** `sh_flags`: `SHF_ALLOC`, `SHF_EXECINSTR`, `SHF_WRITE`, `SHF_STRINGS`... */
  flags: bigint;
  /** `sh_addralign`: the contents start at a file offset that is a multiple of it (0 or 1: anywhere). */
  addralign: number;
  /** `sh_entsize`: the record size of a table (`.symtab` 24, `.rel*` 16), else 0. */
  entsize: number;
  /** `sh_link`: for `.symtab` its string table's index, for `.rel*` the symbol table's. */
  link: number;
  /** `sh_info`: for `.rel*` the index of the section it relocates; for `.symtab` the first non-local symbol (the linker writes 0, as libbpf does). */
  info: number;
  /** Contents; for `SHT_NOBITS`, empty (the size is `size`). */
  data: Uint8Array;
  /** `sh_size` of an `SHT_NOBITS` section; ignored otherwise (the data's length is used). */
  size?: number;
}

/** One `Elf64_Sym` to write. */
export interface OutputSymbol {
  /** `st_name`: offset in the symbol string table. */
  nameOff: number;
  /** `st_info`: `bind << 4 | type`. */
  info: number;
  /** `st_other`: the visibility in the low 2 bits. */
  other: number;
  /** `st_shndx` */
  shndx: number;
  /** `st_value`: in a relocatable file, the symbol's offset in section `shndx`. */
  value: bigint;
  /** `st_size`: the size of the function or variable in bytes (0 when unknown, e.g. a section symbol). */
  size: bigint;
}

/** One `Elf64_Rel` to write. */
export interface OutputRelocation {
  /** `r_offset`: byte offset of the relocated spot in its section (for code, 8 × the instruction slot). */
  offset: bigint;
  /** `ELF64_R_SYM(r_info)`: the symbol's index in `.symtab`. */
  symbolIndex: number;
  /** `ELF64_R_TYPE(r_info)`: `R_BPF_64_64` (an `ld_imm64`), `R_BPF_64_32` (a call), `R_BPF_64_ABS64`... */
  type: number;
}

const align = (n: number, a: number) => (a > 1 ? Math.ceil(n / a) * a : n);

/** `Elf64_Sym` records, in order. */
export function encodeSymbols(symbols: readonly OutputSymbol[], littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(symbols.length * SIZEOF_SYM);
  const v = new DataView(out.buffer);
  symbols.forEach((s, i) => {
    const p = i * SIZEOF_SYM;
    v.setUint32(p, s.nameOff, littleEndian);
    v.setUint8(p + 4, s.info);
    v.setUint8(p + 5, s.other);
    v.setUint16(p + 6, s.shndx, littleEndian);
    v.setBigUint64(p + 8, s.value, littleEndian);
    v.setBigUint64(p + 16, s.size, littleEndian);
  });
  return out;
}

/** `Elf64_Rel` records, in order: `r_info` is `ELF64_R_INFO(sym, type)`. */
export function encodeRelocations(entries: readonly OutputRelocation[], littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(entries.length * SIZEOF_REL);
  const v = new DataView(out.buffer);
  entries.forEach((r, i) => {
    v.setBigUint64(i * SIZEOF_REL, r.offset, littleEndian);
    v.setBigUint64(i * SIZEOF_REL + 8, (BigInt(r.symbolIndex) << 32n) | BigInt(r.type >>> 0), littleEndian);
  });
  return out;
}

/**
 * A whole `ET_REL` file. `sections[i]` becomes section `i + 1`; `shstrndx` is the index of
 * the section holding section names.
 */
export function writeRelocatableElf(options: {
  littleEndian: boolean;
  machine: number;
  sections: readonly OutputSection[];
  shstrndx: number;
}): Uint8Array {
  const { littleEndian: le, sections } = options;
  const offsets: number[] = [];
  let p = SIZEOF_EHDR;
  for (const s of sections) {
    p = align(p, s.addralign);
    offsets.push(p);
    if (s.type !== SHT_NOBITS) p += s.data.byteLength;
  }
  const shoff = align(p, 8);
  const count = sections.length + 1;
  const out = new Uint8Array(shoff + count * SIZEOF_SHDR);
  const v = new DataView(out.buffer);

  // Elf64_Ehdr
  out.set(ELFMAG, 0);
  out[EI_CLASS] = ELFCLASS64;
  out[EI_DATA] = le ? ELFDATA2LSB : ELFDATA2MSB;
  out[EI_VERSION] = EV_CURRENT;
  v.setUint16(16, ET_REL, le);
  v.setUint16(18, options.machine, le);
  v.setUint32(20, EV_CURRENT, le);
  v.setBigUint64(24, 0n, le); // e_entry
  v.setBigUint64(32, 0n, le); // e_phoff
  v.setBigUint64(40, BigInt(shoff), le);
  v.setUint32(48, 0, le); // e_flags
  v.setUint16(52, SIZEOF_EHDR, le);
  v.setUint16(54, 0, le); // e_phentsize
  v.setUint16(56, 0, le); // e_phnum
  v.setUint16(58, SIZEOF_SHDR, le);
  v.setUint16(60, count, le);
  v.setUint16(62, options.shstrndx, le);

  sections.forEach((s, i) => {
    if (s.type !== SHT_NOBITS) out.set(s.data, offsets[i]!);
    const h = shoff + (i + 1) * SIZEOF_SHDR;
    v.setUint32(h, s.nameOff, le);
    v.setUint32(h + 4, s.type, le);
    v.setBigUint64(h + 8, s.flags, le);
    v.setBigUint64(h + 16, 0n, le); // sh_addr
    v.setBigUint64(h + 24, BigInt(offsets[i]!), le);
    v.setBigUint64(h + 32, BigInt(s.type === SHT_NOBITS ? (s.size ?? 0) : s.data.byteLength), le);
    v.setUint32(h + 40, s.link, le);
    v.setUint32(h + 44, s.info, le);
    v.setBigUint64(h + 48, BigInt(s.addralign), le);
    v.setBigUint64(h + 56, BigInt(s.entsize), le);
  });
  return out;
}
