/**
 * Section headers (`Elf64_Shdr`) and the section name string table.
 *
 * Two escapes in the gABI matter for a robust reader, because fuzzers found loaders that
 * ignored them (libbpf once allocated `e_shnum` entries and overflowed the heap):
 * - `e_shnum == 0` with a section table present: the real count is in section 0's `sh_size`;
 * - `e_shstrndx == SHN_XINDEX`: the real index is in section 0's `sh_link`.
 * @module
 */
import { ByteReader } from '../bytes/reader.js';
import { ElfError } from '../errors.js';
import { SHN_XINDEX, SHT_NOBITS, SHT_STRTAB, SIZEOF_SHDR } from './constants.js';
import type { ElfHeader } from './header.js';

/** One section: its `Elf64_Shdr` fields (without `sh_`) and a zero-copy view of its bytes. */
export interface ElfSection {
  /** Index in the section header table. */
  index: number;
  /** Name from the section name string table (`sh_name`). */
  name: string;
  /** `sh_type`: `SHT_PROGBITS`, `SHT_NOBITS`, `SHT_REL`, ... */
  type: number;
  /** `sh_flags` */
  flags: bigint;
  /** `sh_addr` */
  addr: bigint;
  /** `sh_offset`: file offset of the contents. */
  offset: number;
  /** `sh_size`: size in bytes (for `SHT_NOBITS`, the size in memory: there is no data in the file). */
  size: number;
  /** `sh_link` */
  link: number;
  /** `sh_info` */
  info: number;
  /** `sh_addralign` */
  addralign: number;
  /** `sh_entsize`: record size for tables (symbols, relocations), else 0. */
  entsize: number;
  /** The contents: a view into the file's bytes; empty for `SHT_NOBITS`. */
  readonly data: Uint8Array;
}

/**
 * An {@link ElfSection} whose `data` view is made on first use: creating a typed array is
 * the most expensive step of reading a section header in V8, and most sections of a BPF
 * object (DWARF) are never looked at. The bounds were checked when the header was read.
 */
class Section implements ElfSection {
  name = '';
  private view: Uint8Array | undefined;
  constructor(
    readonly index: number,
    readonly type: number,
    readonly flags: bigint,
    readonly addr: bigint,
    readonly offset: number,
    readonly size: number,
    readonly link: number,
    readonly info: number,
    readonly addralign: number,
    readonly entsize: number,
    private readonly file: Uint8Array,
    private readonly hasData: boolean,
  ) {}

  get data(): Uint8Array {
    return (this.view ??= this.hasData ? this.file.subarray(this.offset, this.offset + this.size) : new Uint8Array(0));
  }

  toJSON(): object {
    const { file: _file, view: _view, hasData: _hasData, ...fields } = this;
    return fields;
  }
}

/** Reads the section header table and names the sections. Returns `[]` when there is none. */
export function parseSections(bytes: Uint8Array, header: ElfHeader): ElfSection[] {
  const file = new ByteReader(bytes, header.littleEndian, (what, offset) => new ElfError(what, { offset }));
  if (header.shoff === 0) return [];
  if (header.shentsize < SIZEOF_SHDR) {
    throw new ElfError(`e_shentsize ${header.shentsize} is smaller than Elf64_Shdr (${SIZEOF_SHDR})`, { offset: 58 });
  }

  // Section 0 holds the escapes for large counts; read it first.
  file.need(header.shoff, SIZEOF_SHDR, 'section header #0');
  let count = header.shnum;
  if (count === 0) count = file.u64n(header.shoff + 32, 'section #0 sh_size (section count)');
  let shstrndx = header.shstrndx;
  if (shstrndx === SHN_XINDEX) shstrndx = file.u32(header.shoff + 40, 'section #0 sh_link (shstrndx)');

  // The table must fit in the file before anything is allocated for it.
  const tableSize = count * header.shentsize;
  if (!file.has(header.shoff, tableSize)) {
    throw new ElfError(
      `section header table (${count} entries of ${header.shentsize} bytes at 0x${header.shoff.toString(16)}) runs past the end of the file (${bytes.byteLength} bytes)`,
      { offset: header.shoff },
    );
  }

  const sections: Section[] = [];
  for (let i = 0; i < count; i++) {
    const at = header.shoff + i * header.shentsize;
    const type = file.u32(at + 4, 'sh_type');
    const offset = file.u64n(at + 24, 'sh_offset');
    const size = file.u64n(at + 32, 'sh_size');
    const hasData = type !== SHT_NOBITS && i !== 0;
    if (hasData && !file.has(offset, size)) {
      throw new ElfError(
        `contents (${size} bytes at 0x${offset.toString(16)}) run past the end of the file (${bytes.byteLength} bytes)`,
        { sectionIndex: i, offset: at },
      );
    }
    sections.push(
      new Section(
        i,
        type,
        file.u64(at + 8, 'sh_flags'),
        file.u64(at + 16, 'sh_addr'),
        offset,
        size,
        file.u32(at + 40, 'sh_link'),
        file.u32(at + 44, 'sh_info'),
        file.u64n(at + 48, 'sh_addralign'),
        file.u64n(at + 56, 'sh_entsize'),
        bytes,
        hasData,
      ),
    );
    // sh_name is read after the string table is located.
  }

  if (count === 0) return sections;
  if (shstrndx >= count) {
    throw new ElfError(`e_shstrndx ${shstrndx} is out of range (${count} sections)`, { offset: 62 });
  }
  const strtab = sections[shstrndx]!;
  if (strtab.type !== SHT_STRTAB) {
    throw new ElfError(`section name table is of type ${strtab.type}, not SHT_STRTAB`, { sectionIndex: shstrndx });
  }
  const names = new ByteReader(strtab.data, header.littleEndian, (what, offset) =>
    new ElfError(what, { section: '.shstrtab', sectionIndex: shstrndx, offset }),
  );
  requireTerminated(strtab, '.shstrtab');
  for (let i = 0; i < count; i++) {
    const nameOff = file.u32(header.shoff + i * header.shentsize, 'sh_name');
    const s = sections[i]!;
    if (i === 0 && nameOff === 0) continue;
    if (nameOff >= names.length) {
      throw new ElfError(`sh_name ${nameOff} is past the end of the section name table (${names.length} bytes)`, {
        sectionIndex: i,
        offset: header.shoff + i * header.shentsize,
      });
    }
    s.name = names.cstring(nameOff, 'sh_name');
  }
  return sections;
}

/**
 * A string table must end with a NUL (gABI: "the last byte ... is defined to hold a null
 * character"), so that every offset inside it starts a terminated string. Checked once here,
 * instead of on every name read.
 */
export function requireTerminated(table: ElfSection, name: string): void {
  if (table.size > 0 && table.data[table.size - 1] !== 0) {
    throw new ElfError('string table does not end with a NUL byte', {
      section: name,
      sectionIndex: table.index,
      offset: table.size - 1,
    });
  }
}
