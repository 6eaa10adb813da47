/**
 * Symbol tables (`SHT_SYMTAB`, `SHT_DYNSYM`): `Elf64_Sym` records.
 *
 * In a relocatable object (`ET_REL`, every `.bpf.o`), a symbol's `st_value` is an offset in
 * the section `st_shndx`: programs, subprograms, maps and global variables are all found
 * this way. A symbol whose `[st_value, st_value + st_size)` runs past its section is refused
 * here: libbpf once loaded arbitrary bytes as instructions from such a symbol.
 * @module
 */
import { ByteReader } from '../bytes/reader.js';
import { ElfError } from '../errors.js';
import {
  ET_REL,
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_STRTAB,
  SHT_SYMTAB_SHNDX,
  SIZEOF_SYM,
  STT_FILE,
  STT_SECTION,
} from './constants.js';
import { requireTerminated, type ElfSection } from './sections.js';

/** One `Elf64_Sym`, decoded. */
export interface ElfSymbol {
  /** Index in its symbol table (relocations refer to symbols by this index). */
  index: number;
  /** `st_name`, resolved in the linked string table. Section symbols have an empty name. */
  name: string;
  /** `st_value`: an offset in the section for `ET_REL`, an address otherwise. */
  value: bigint;
  /** `st_size` */
  size: bigint;
  /** `ELF64_ST_TYPE(st_info)`: `STT_FUNC`, `STT_OBJECT`, `STT_SECTION`, ... */
  type: number;
  /** `ELF64_ST_BIND(st_info)`: `STB_LOCAL`, `STB_GLOBAL`, `STB_WEAK`. */
  bind: number;
  /** `ELF64_ST_VISIBILITY(st_other)`: `STV_DEFAULT`, `STV_HIDDEN`, ... */
  visibility: number;
  /**
   * `st_shndx`, with `SHN_XINDEX` resolved through `SHT_SYMTAB_SHNDX`. Special values:
   * `SHN_UNDEF` (0: an extern), `SHN_ABS`, `SHN_COMMON`.
   */
  sectionIndex: number;
}

/**
 * Decodes the symbol table in `symtab`. `fileType` is `e_type`: symbol bounds within their
 * sections are checked for relocatable objects only (elsewhere `st_value` is an address).
 */
export function parseSymbols(
  symtab: ElfSection,
  sections: readonly ElfSection[],
  littleEndian: boolean,
  fileType: number,
): ElfSymbol[] {
  const where = { section: symtab.name, sectionIndex: symtab.index };
  const r = new ByteReader(symtab.data, littleEndian, (what, offset) => new ElfError(what, { ...where, offset }));
  const stride = symtab.entsize;
  if (stride < SIZEOF_SYM) {
    throw new ElfError(`sh_entsize ${stride} is smaller than Elf64_Sym (${SIZEOF_SYM})`, where);
  }
  if (symtab.size % stride !== 0) {
    throw new ElfError(`size ${symtab.size} is not a multiple of sh_entsize ${stride}`, where);
  }
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) {
    throw new ElfError(`sh_link ${symtab.link} does not name a string table`, where);
  }
  requireTerminated(strtab, strtab.name);
  const strings = new ByteReader(strtab.data, littleEndian, (what, offset) =>
    new ElfError(what, { section: strtab.name, sectionIndex: strtab.index, offset }),
  );
  // Extended section indices, used when a symbol's st_shndx is SHN_XINDEX.
  const shndxSection = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
  const shndx = shndxSection
    ? new ByteReader(shndxSection.data, littleEndian, (what, offset) =>
        new ElfError(what, { section: shndxSection.name, sectionIndex: shndxSection.index, offset }),
      )
    : undefined;

  const count = symtab.size / stride;
  const symbols: ElfSymbol[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * stride;
    const nameOff = r.u32(at, 'st_name');
    const info = r.u8(at + 4, 'st_info');
    const other = r.u8(at + 5, 'st_other');
    let sectionIndex = r.u16(at + 6, 'st_shndx');
    const value = r.u64(at + 8, 'st_value');
    const size = r.u64(at + 16, 'st_size');
    if (sectionIndex === SHN_XINDEX) {
      if (!shndx) throw new ElfError(`symbol #${i} has st_shndx SHN_XINDEX but there is no SHT_SYMTAB_SHNDX`, { ...where, offset: at });
      sectionIndex = shndx.u32(i * 4, 'extended section index');
    }
    if (nameOff >= strings.length && nameOff !== 0) {
      throw new ElfError(`symbol #${i}: st_name ${nameOff} is past the end of '${strtab.name}' (${strings.length} bytes)`, {
        ...where,
        offset: at,
      });
    }
    const sym: ElfSymbol = {
      index: i,
      name: nameOff === 0 && strings.length === 0 ? '' : strings.cstring(nameOff, 'st_name'),
      value,
      size,
      type: info & 0xf,
      bind: info >> 4,
      visibility: other & 0x3,
      sectionIndex,
    };
    checkSymbol(sym, sections, fileType, where, at);
    symbols[i] = sym;
  }
  return symbols;
}

function isSpecialIndex(index: number): boolean {
  return index === SHN_UNDEF || index === SHN_ABS || index === SHN_COMMON || (index >= SHN_LORESERVE && index <= 0xffff);
}

function checkSymbol(sym: ElfSymbol, sections: readonly ElfSection[], fileType: number, where: object, at: number): void {
  if (sym.type === STT_FILE || isSpecialIndex(sym.sectionIndex)) return;
  const section = sections[sym.sectionIndex];
  if (!section) {
    throw new ElfError(
      `symbol #${sym.index} '${sym.name}': st_shndx ${sym.sectionIndex} is out of range (${sections.length} sections)`,
      { ...where, offset: at },
    );
  }
  if (fileType !== ET_REL || sym.type === STT_SECTION) return;
  // st_value + st_size may wrap in C (both are u64); here it cannot: added as doubles, a sum
  // past 2^53 is rounded but stays past any section size (those are below 2^53), and a
  // smaller one is exact. Number(bigint) allocates nothing, a bigint sum would.
  if (Number(sym.value) + Number(sym.size) > section.size) {
    throw new ElfError(
      `symbol #${sym.index} '${sym.name}': [0x${sym.value.toString(16)}, +0x${sym.size.toString(16)}) runs past the end of section '${section.name}' (${section.size} bytes)`,
      { ...where, offset: at },
    );
  }
}
