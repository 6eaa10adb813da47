/**
 * `parseElf`: a whole ELF64 file, read and checked in one pass.
 *
 * Everything is validated up front (header, section table, names, symbols, relocations), so
 * a file that parses can be walked by later layers without further bounds checks on the ELF
 * structure; section contents are zero-copy views into the caller's bytes.
 * @module
 */
import { ElfError } from '../errors.js';
import { EM_BPF, SHT_DYNSYM, SHT_REL, SHT_RELA, SHT_SYMTAB } from './constants.js';
import { parseElfHeader, type ElfHeader } from './header.js';
import { parseProgramHeaders, type ElfProgramHeader } from './program-headers.js';
import { parseRelocations, type ElfRelocation, type ElfRelocationTable } from './relocations.js';
import { parseSections, type ElfSection } from './sections.js';
import { parseSymbols, type ElfSymbol } from './symbols.js';

/** Options for {@link parseElf}. */
export interface ParseElfOptions {
  /**
   * The `e_machine` required, or `'any'`. Default `EM_BPF`: a BPF loader must refuse an
   * x86-64 object early. Uprobe symbol resolution passes `'any'`.
   */
  machine?: number | 'any';
}

/** A parsed ELF64 file. Plain data plus lookups; holds views into the input bytes. */
export class ElfFile {
  /** The input, as given. */
  readonly bytes: Uint8Array;
  /** The decoded `Elf64_Ehdr`: byte order, type, machine, section header table. */
  readonly header: ElfHeader;
  /** Sections, indexed by section header index (index 0 is the null section). */
  readonly sections: readonly ElfSection[];
  /** Segments (executables and shared libraries only). */
  readonly programHeaders: readonly ElfProgramHeader[];
  /** The `SHT_SYMTAB` symbols, indexed by symbol index; `[]` when stripped. */
  readonly symbols: readonly ElfSymbol[];
  /** The `SHT_DYNSYM` symbols (shared libraries and executables); `[]` if none. */
  readonly dynamicSymbols: readonly ElfSymbol[];
  /** Every `SHT_REL`/`SHT_RELA` table that refers to `SHT_SYMTAB`. */
  readonly relocationTables: readonly ElfRelocationTable[];
  private readonly byName = new Map<string, ElfSection>();
  /** Relocation tables by the section they patch; their entries are joined on first use. */
  private readonly tablesByTarget = new Map<number, ElfRelocationTable[]>();
  private readonly relocationsByTarget = new Map<number, readonly ElfRelocation[]>();
  private symbolsBySection: Map<number, ElfSymbol[]> | undefined;

  constructor(bytes: Uint8Array, options: ParseElfOptions = {}) {
    this.bytes = bytes;
    this.header = parseElfHeader(bytes);
    const machine = options.machine ?? EM_BPF;
    if (machine !== 'any' && this.header.machine !== machine) {
      throw new ElfError(
        `e_machine is ${this.header.machine}, expected ${machine}${machine === EM_BPF ? ' (EM_BPF): not a BPF object; compile with clang -target bpf' : ''}`,
        { offset: 18 },
      );
    }
    this.sections = parseSections(bytes, this.header);
    this.programHeaders = parseProgramHeaders(bytes, this.header);
    for (const s of this.sections) if (s.index !== 0 && !this.byName.has(s.name)) this.byName.set(s.name, s);

    const symtabs = this.sections.filter((s) => s.type === SHT_SYMTAB);
    if (symtabs.length > 1) throw new ElfError(`${symtabs.length} SHT_SYMTAB sections: at most one is allowed`, {});
    const symtab = symtabs[0];
    this.symbols = symtab ? parseSymbols(symtab, this.sections, this.littleEndian, this.header.type) : [];
    const dynsym = this.sections.find((s) => s.type === SHT_DYNSYM);
    this.dynamicSymbols = dynsym ? parseSymbols(dynsym, this.sections, this.littleEndian, this.header.type) : [];

    const tables: ElfRelocationTable[] = [];
    for (const s of this.sections) {
      if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
      // Dynamic relocations (.rela.dyn, .rela.plt) refer to .dynsym; skip those here.
      if (!symtab || s.link !== symtab.index) continue;
      const table = parseRelocations(s, this.sections, this.symbols, this.littleEndian, this.header.type);
      tables.push(table);
      const list = this.tablesByTarget.get(table.targetIndex);
      if (list) list.push(table);
      else this.tablesByTarget.set(table.targetIndex, [table]);
    }
    this.relocationTables = tables;
  }

  /** `EI_DATA` is `ELFDATA2LSB`: bpfel objects. bpfeb objects are big-endian. */
  get littleEndian(): boolean {
    return this.header.littleEndian;
  }

  /** The first section called `name`, or undefined. */
  section(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /** The relocations that patch section `target` (by section or index), in file order; `[]` if none. */
  relocations(target: ElfSection | number): readonly ElfRelocation[] {
    const index = typeof target === 'number' ? target : target.index;
    let list = this.relocationsByTarget.get(index);
    if (!list) {
      const tables = this.tablesByTarget.get(index) ?? [];
      list = tables.length === 1 ? tables[0]!.entries : tables.flatMap((t) => t.entries);
      this.relocationsByTarget.set(index, list);
    }
    return list;
  }

  /** Symbols defined in section `index`, sorted by value (a new array each call). */
  symbolsIn(index: number): ElfSymbol[] {
    // Grouped and sorted once, on first use: loaders ask for the same sections many times.
    if (!this.symbolsBySection) {
      this.symbolsBySection = new Map();
      for (const s of this.symbols) {
        const list = this.symbolsBySection.get(s.sectionIndex);
        if (list) list.push(s);
        else this.symbolsBySection.set(s.sectionIndex, [s]);
      }
      for (const list of this.symbolsBySection.values()) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    }
    return this.symbolsBySection.get(index)?.slice() ?? [];
  }
}

/**
 * Parses an ELF64 file (either byte order).
 * @param bytes the whole file; kept (not copied): section `data` are views into it.
 * @throws {@link ElfError} naming the section and byte offset of the first problem found.
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): ElfFile {
  return new ElfFile(bytes, options);
}
