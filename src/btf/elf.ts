/**
 * BTF of an object file: its `.BTF` and `.BTF.ext` sections.
 * @module
 */
import { SHT_NOBITS, type ElfFile, type ElfSection } from '../elf/index.js';
import { parseBtf, type Btf } from './btf.js';
import { BtfError } from './errors.js';
import { parseBtfExt, type BtfExt } from './ext.js';

/** The BTF of an object file. */
export interface ObjectBtf {
  /** The `.BTF` section. */
  btf: Btf;
  /** The `.BTF.ext` section, when there is one. */
  ext: BtfExt | undefined;
}

function sectionBytes(s: ElfSection): Uint8Array {
  if (s.type === SHT_NOBITS) {
    throw new BtfError('section has no data (SHT_NOBITS)', { section: s.name, sectionIndex: s.index });
  }
  return s.data;
}

/**
 * Parses the `.BTF` (and `.BTF.ext`) sections of `elf`; undefined when it has no `.BTF`.
 * The byte order must match the ELF header's.
 * @throws {@link BtfError} carrying the section name and index.
 */
export function btfFromElf(elf: ElfFile, options: { base?: Btf } = {}): ObjectBtf | undefined {
  const s = elf.section('.BTF');
  if (!s) return undefined;
  const btf = parseBtf(sectionBytes(s), { base: options.base, section: '.BTF' });
  if (btf.littleEndian !== elf.littleEndian) {
    throw new BtfError('BTF byte order differs from the ELF header', { section: s.name, sectionIndex: s.index, offset: 0 });
  }
  const e = elf.section('.BTF.ext');
  const ext = e ? parseBtfExt(sectionBytes(e), btf) : undefined;
  return { btf, ext };
}
