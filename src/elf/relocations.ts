/**
 * Relocation tables. A BPF object uses `SHT_REL` (`Elf64_Rel`, no addend: the addend is in
 * the instruction or data being relocated); `SHT_RELA` is read too, for other ELF files.
 *
 * `sh_info` names the section the relocations apply to and `sh_link` the symbol table. Every
 * entry is checked here: its offset lies inside the target section and its symbol index
 * inside the symbol table (a NULL dereference in libbpf came from skipping both checks).
 * Whether an offset is instruction-aligned is the loader's rule, not the ELF's: `.BTF`
 * relocations, for instance, patch 4-byte fields.
 * @module
 */
import { ByteReader } from '../bytes/reader.js';
import { ElfError } from '../errors.js';
import { ET_REL, SHT_NOBITS, SHT_RELA, SIZEOF_REL, SIZEOF_RELA } from './constants.js';
import type { ElfSection } from './sections.js';
import type { ElfSymbol } from './symbols.js';

/** One `Elf64_Rel` (or `Elf64_Rela`) entry. */
export interface ElfRelocation {
  /** `r_offset`: byte offset in the target section (for `ET_REL`). */
  offset: number;
  /** `ELF64_R_SYM(r_info)`: index into the symbol table. */
  symbolIndex: number;
  /** `ELF64_R_TYPE(r_info)`: for BPF, `R_BPF_64_64`, `R_BPF_64_32`, ... */
  type: number;
  /** `r_addend`, for `SHT_RELA` only; 0n for `SHT_REL`. */
  addend: bigint;
}

/** A relocation section, decoded, with the section it applies to. */
export interface ElfRelocationTable {
  /** The `SHT_REL`/`SHT_RELA` section itself. */
  readonly section: ElfSection;
  /** Index of the section patched (`sh_info`). */
  readonly targetIndex: number;
  /** The `Elf64_Rel`/`Elf64_Rela` entries, in file order (decoded on first use). */
  readonly entries: ElfRelocation[];
}

/**
 * A checked relocation table whose entry objects are made on first use: a BPF object's
 * debug sections (`.rel.debug_info`, `.rel.debug_str_offsets`, ...) carry hundreds of
 * relocations that a loader never reads, and every object load would otherwise allocate them.
 */
class RelocationTable implements ElfRelocationTable {
  readonly section: ElfSection;
  readonly targetIndex: number;
  #entries: ElfRelocation[] | undefined;
  readonly #decode: () => ElfRelocation[];

  constructor(section: ElfSection, targetIndex: number, decode: () => ElfRelocation[]) {
    this.section = section;
    this.targetIndex = targetIndex;
    this.#decode = decode;
  }

  get entries(): ElfRelocation[] {
    return (this.#entries ??= this.#decode());
  }
}

export function parseRelocations(
  relSection: ElfSection,
  sections: readonly ElfSection[],
  symbols: readonly ElfSymbol[],
  littleEndian: boolean,
  fileType: number,
): ElfRelocationTable {
  const where = { section: relSection.name, sectionIndex: relSection.index };
  const rela = relSection.type === SHT_RELA;
  const minSize = rela ? SIZEOF_RELA : SIZEOF_REL;
  const stride = relSection.entsize;
  if (stride < minSize) {
    throw new ElfError(`sh_entsize ${stride} is smaller than ${rela ? 'Elf64_Rela' : 'Elf64_Rel'} (${minSize})`, where);
  }
  if (relSection.size % stride !== 0) {
    throw new ElfError(`size ${relSection.size} is not a multiple of sh_entsize ${stride}`, where);
  }
  const target = sections[relSection.info];
  if (!target || relSection.info === 0) {
    throw new ElfError(`sh_info ${relSection.info} does not name a section to relocate (${sections.length} sections)`, where);
  }
  if (target.type === SHT_NOBITS) {
    throw new ElfError(`relocations apply to '${target.name}', which has no data (SHT_NOBITS)`, where);
  }
  const r = new ByteReader(relSection.data, littleEndian, (what, offset) => new ElfError(what, { ...where, offset }));
  const count = relSection.size / stride;
  // Every entry is checked now, so that a file that parses is sound; the entry objects are
  // made when first asked for. The size is a multiple of a stride of at least 16 bytes, so
  // the two u64s of every entry are inside the table: plain DataView reads, no bounds checks
  // (debug sections bring hundreds of entries to every object load).
  const v = r.view;
  const low = littleEndian ? 0 : 4;
  const high = 4 - low;
  for (let i = 0; i < count; i++) {
    const at = i * stride;
    const offsetHigh = v.getUint32(at + high, littleEndian);
    const offset = offsetHigh === 0 ? v.getUint32(at + low, littleEndian) : r.u64n(at, 'r_offset');
    // r_info: ELF64_R_SYM is the high 32 bits, ELF64_R_TYPE the low 32.
    const symbolIndex = v.getUint32(at + 8 + high, littleEndian);
    if (symbolIndex >= symbols.length) {
      throw new ElfError(
        `relocation #${i}: symbol index ${symbolIndex} is out of range (${symbols.length} symbols)`,
        { ...where, offset: at },
      );
    }
    if (fileType === ET_REL && offset >= target.size) {
      throw new ElfError(
        `relocation #${i}: r_offset 0x${offset.toString(16)} is outside '${target.name}' (${target.size} bytes)`,
        { ...where, offset: at },
      );
    }
  }
  const entries = (): ElfRelocation[] => {
    const out: ElfRelocation[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = i * stride;
      out[i] = {
        offset: r.u64n(at, 'r_offset'),
        symbolIndex: v.getUint32(at + 8 + high, littleEndian),
        type: v.getUint32(at + 8 + low, littleEndian),
        addend: rela ? r.i64(at + 16, 'r_addend') : 0n,
      };
    }
    return out;
  };
  return new RelocationTable(relSection, relSection.info, entries);
}
