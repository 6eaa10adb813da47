/**
 * The ELF file header (`Elf64_Ehdr`): the first 64 bytes, which give the byte order of
 * everything after them and where the section and program header tables are.
 * @module
 */
import { ByteReader } from '../bytes/reader.js';
import { ElfError } from '../errors.js';
import {
  EI_CLASS,
  EI_DATA,
  EI_VERSION,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ELFMAG,
  EV_CURRENT,
  SIZEOF_EHDR,
} from './constants.js';

/** `Elf64_Ehdr`, decoded. Field names follow `<elf.h>` without the `e_` prefix. */
export interface ElfHeader {
  /** `EI_DATA`: true for `ELFDATA2LSB` (bpfel), false for `ELFDATA2MSB` (bpfeb). */
  littleEndian: boolean;
  /** `e_type`: `ET_REL` for a `.bpf.o`, `ET_EXEC`/`ET_DYN` for executables and libraries. */
  type: number;
  /** `e_machine`: `EM_BPF` (247) for BPF objects. */
  machine: number;
  /** `e_version` */
  version: number;
  /** `e_entry` */
  entry: bigint;
  /** `e_phoff`: file offset of the program header table. */
  phoff: number;
  /** `e_shoff`: file offset of the section header table. */
  shoff: number;
  /** `e_flags` */
  flags: number;
  /** `e_ehsize` */
  ehsize: number;
  /** `e_phentsize` */
  phentsize: number;
  /** `e_phnum` (raw; `PN_XNUM` is not resolved here) */
  phnum: number;
  /** `e_shentsize` */
  shentsize: number;
  /** `e_shnum` (raw: 0 means "the count is in section 0's `sh_size`") */
  shnum: number;
  /** `e_shstrndx` (raw: `SHN_XINDEX` means "the index is in section 0's `sh_link`") */
  shstrndx: number;
}

const fail = (what: string, offset: number) => new ElfError(what, { offset });

/** Reads and checks the ELF header: magic, 64-bit class, byte order, version. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  if (bytes.byteLength < SIZEOF_EHDR) {
    throw new ElfError(`file is ${bytes.byteLength} bytes, too short for an ELF header (${SIZEOF_EHDR} bytes)`, {
      offset: 0,
    });
  }
  for (let i = 0; i < ELFMAG.length; i++) {
    if (bytes[i] !== ELFMAG[i]) throw new ElfError('bad magic: not an ELF file', { offset: 0 });
  }
  const cls = bytes[EI_CLASS];
  if (cls === ELFCLASS32) throw new ElfError('ELFCLASS32 is not supported: BPF objects are 64-bit ELF', { offset: EI_CLASS });
  if (cls !== ELFCLASS64) throw new ElfError(`bad EI_CLASS ${cls}`, { offset: EI_CLASS });
  const data = bytes[EI_DATA];
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) throw new ElfError(`bad EI_DATA ${data}: unknown byte order`, { offset: EI_DATA });
  if (bytes[EI_VERSION] !== EV_CURRENT) throw new ElfError(`bad EI_VERSION ${bytes[EI_VERSION]}`, { offset: EI_VERSION });

  const r = new ByteReader(bytes, data === ELFDATA2LSB, fail);
  return {
    littleEndian: r.littleEndian,
    type: r.u16(16, 'e_type'),
    machine: r.u16(18, 'e_machine'),
    version: r.u32(20, 'e_version'),
    entry: r.u64(24, 'e_entry'),
    phoff: r.u64n(32, 'e_phoff'),
    shoff: r.u64n(40, 'e_shoff'),
    flags: r.u32(48, 'e_flags'),
    ehsize: r.u16(52, 'e_ehsize'),
    phentsize: r.u16(54, 'e_phentsize'),
    phnum: r.u16(56, 'e_phnum'),
    shentsize: r.u16(58, 'e_shentsize'),
    shnum: r.u16(60, 'e_shnum'),
    shstrndx: r.u16(62, 'e_shstrndx'),
  };
}
