/**
 * Program headers (`Elf64_Phdr`): the segments of an executable or shared library. A BPF
 * object has none; they are read to turn a symbol's virtual address into a file offset for
 * uprobes (the uprobe PMU takes a file offset).
 * @module
 */
import { ByteReader } from '../bytes/reader.js';
import { ElfError } from '../errors.js';
import { SIZEOF_PHDR } from './constants.js';
import type { ElfHeader } from './header.js';

/** One `Elf64_Phdr`, decoded (field names without `p_`). */
export interface ElfProgramHeader {
  /** `p_type`: `PT_LOAD`, `PT_DYNAMIC`, ... */
  type: number;
  /** `p_flags`: `PF_R | PF_W | PF_X`. */
  flags: number;
  /** `p_offset` */
  offset: number;
  /** `p_vaddr` */
  vaddr: bigint;
  /** `p_paddr` */
  paddr: bigint;
  /** `p_filesz` */
  filesz: number;
  /** `p_memsz` */
  memsz: number;
  /** `p_align` */
  align: number;
}

export function parseProgramHeaders(bytes: Uint8Array, header: ElfHeader): ElfProgramHeader[] {
  if (header.phoff === 0 || header.phnum === 0) return [];
  if (header.phentsize < SIZEOF_PHDR) {
    throw new ElfError(`e_phentsize ${header.phentsize} is smaller than Elf64_Phdr (${SIZEOF_PHDR})`, { offset: 54 });
  }
  const r = new ByteReader(bytes, header.littleEndian, (what, offset) => new ElfError(what, { offset }));
  if (!r.has(header.phoff, header.phnum * header.phentsize)) {
    throw new ElfError(
      `program header table (${header.phnum} entries of ${header.phentsize} bytes at 0x${header.phoff.toString(16)}) runs past the end of the file`,
      { offset: header.phoff },
    );
  }
  const out: ElfProgramHeader[] = new Array(header.phnum);
  for (let i = 0; i < header.phnum; i++) {
    const at = header.phoff + i * header.phentsize;
    out[i] = {
      type: r.u32(at, 'p_type'),
      flags: r.u32(at + 4, 'p_flags'),
      offset: r.u64n(at + 8, 'p_offset'),
      vaddr: r.u64(at + 16, 'p_vaddr'),
      paddr: r.u64(at + 24, 'p_paddr'),
      filesz: r.u64n(at + 32, 'p_filesz'),
      memsz: r.u64n(at + 40, 'p_memsz'),
      align: r.u64n(at + 48, 'p_align'),
    };
  }
  return out;
}
