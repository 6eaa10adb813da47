/**
 * One input object of the linker, read and checked (libbpf `linker_load_obj_file`,
 * `linker_sanity_check_elf`, `linker_fixup_btf`).
 *
 * Sections are sorted into what the linker merges (code, data, `.maps`, `license`, their
 * `SHT_REL` tables), what it rebuilds itself (`.strtab`, `.symtab`, `.BTF`, `.BTF.ext`) and
 * what it drops (DWARF `.debug_*` and their relocations, `.llvm_addrsig`, an empty `.text`).
 * BTF DATASECs that have no ELF section (`.kconfig`, `.ksyms`: externs the loader resolves)
 * become *ephemeral* sections, so their variables can be tracked like any other.
 * @module
 */
import { btfFromElf, decodeAll, type BtfExt, type BtfType } from '../btf/index.js';
import {
  EM_BPF,
  ET_REL,
  parseElf,
  SHT_LLVM_ADDRSIG,
  SHT_NOBITS,
  SHT_NULL,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  SHT_SYMTAB,
  STT_OBJECT,
  type ElfFile,
  type ElfSection,
} from '../elf/index.js';
import { TsbpfError } from '../errors.js';
import { LinkError } from './errors.js';

/** `.extern`: clang's DATASEC for `extern` variables with no section; resolved by the linker. */
export const EXTERN_SEC = '.extern';

/** A section of an input object, as the linker sees it (libbpf `struct src_sec`). */
export interface SrcSection {
  name: string;
  /** The input object's name (for errors). */
  object: string;
  /** The ELF section; undefined for an ephemeral section (a DATASEC with no ELF section). */
  elf: ElfSection | undefined;
  /** Index in the input's section table (0 for ephemeral sections, which match `SHN_UNDEF`). */
  index: number;
  /** Not copied to the output (dropped, rebuilt, or deduplicated like `license`). */
  skipped: boolean;
  ephemeral: boolean;
  /** The output section it went to (index in the linker's section list), 0 if none. */
  dstId: number;
  /** Offset of this section's bytes inside the output section. */
  dstOff: number;
  /** Id of this section's BTF DATASEC, 0 if none. */
  secTypeId: number;
}

/** An input object (libbpf `struct src_obj`). */
export interface SrcObject {
  /** The name errors give (the file name). */
  file: string;
  elf: ElfFile;
  /** Own types, decoded and cloned (the linker edits them); `types[id - 1]`. Empty without BTF. */
  types: BtfType[];
  hasBtf: boolean;
  ext: BtfExt | undefined;
  /** Sections by input index, then the ephemeral ones. */
  secs: SrcSection[];
  /** Input symbol index -> output symbol index. */
  symMap: number[];
  /** Input type id -> output type id. */
  typeMap: number[];
}

/** The largest section alignment accepted. */
const MAX_ALIGN = 1 << 16;

const isDwarf = (name: string) => name.startsWith('.debug_');

/** libbpf `is_ignored_sec`. */
function isIgnored(s: ElfSection): boolean {
  if (s.type === SHT_STRTAB || s.type === SHT_LLVM_ADDRSIG) return true;
  if (s.type === SHT_PROGBITS && s.size === 0 && s.name === '.text') return true;
  if (isDwarf(s.name)) return true;
  if (s.name.startsWith('.rel')) {
    const target = s.name.slice(4);
    if (isDwarf(target) || target === '.BTF' || target === '.BTF.ext') return true;
  }
  return false;
}

/**
 * Reads and checks one input.
 * @throws {@link LinkError} naming the object: not a BPF `ET_REL`, a byte order other than
 *   `littleEndian` (when given), an unsupported section type, a malformed ELF or BTF (as cause).
 */
export function loadInput(file: string, bytes: Uint8Array, littleEndian: boolean | undefined): SrcObject {
  let elf: ElfFile;
  let objBtf: ReturnType<typeof btfFromElf>;
  try {
    elf = parseElf(bytes, { machine: 'any' });
    objBtf = btfFromElf(elf);
  } catch (e) {
    if (e instanceof TsbpfError) throw new LinkError(`not a valid BPF object: ${e.message}`, { object: file }, { cause: e });
    throw e;
  }
  if (elf.header.type !== ET_REL || elf.header.machine !== EM_BPF) {
    throw new LinkError(`unsupported kind of ELF file (e_type ${elf.header.type}, e_machine ${elf.header.machine}): expected a BPF ET_REL object`, { object: file });
  }
  if (littleEndian !== undefined && elf.littleEndian !== littleEndian) {
    throw new LinkError(`byte order (${elf.littleEndian ? 'little' : 'big'}-endian) differs from the first object's`, { object: file });
  }

  const secs: SrcSection[] = [];
  let symtabs = 0;
  for (const s of elf.sections) {
    const sec: SrcSection = { name: s.name, object: file, elf: s, index: s.index, skipped: s.index === 0, ephemeral: false, dstId: 0, dstOff: 0, secTypeId: 0 };
    secs.push(sec);
    if (s.index === 0) continue;
    if (s.name === '') throw new LinkError(`section #${s.index} has an empty name`, { object: file });
    if (isIgnored(s)) {
      sec.skipped = true;
      continue;
    }
    switch (s.type) {
      case SHT_SYMTAB:
        symtabs++;
        sec.skipped = true; // rebuilt
        break;
      case SHT_PROGBITS:
        if (s.name === '.BTF' || s.name === '.BTF.ext') sec.skipped = true; // rebuilt
        break;
      case SHT_NOBITS:
      case SHT_REL:
        break;
      case SHT_NULL:
        sec.skipped = true;
        break;
      default:
        throw new LinkError(`section #${s.index} has unsupported type ${s.type} (only PROGBITS, NOBITS, REL, SYMTAB, STRTAB)`, { object: file, section: s.name });
    }
    // Alignments are small powers of 2 (8 for code and maps); a huge one would only pad.
    if (s.addralign > MAX_ALIGN || (s.addralign !== 0 && (s.addralign & (s.addralign - 1)) !== 0)) {
      throw new LinkError(`alignment ${s.addralign} is not a power of 2 up to ${MAX_ALIGN}`, { object: file, section: s.name });
    }
    if (s.type !== SHT_NOBITS && (s.flags & 0x4n) !== 0n && s.size % 8 !== 0) {
      throw new LinkError(`code section size ${s.size} is not a multiple of 8 (one instruction)`, { object: file, section: s.name });
    }
  }
  if (symtabs !== 1) throw new LinkError(symtabs === 0 ? 'no SYMTAB section' : `${symtabs} SYMTAB sections`, { object: file });

  const obj: SrcObject = {
    file,
    elf,
    types: objBtf ? structuredClone(decodeAll(objBtf.btf)) : [],
    hasBtf: objBtf !== undefined,
    ext: objBtf?.ext,
    secs,
    symMap: new Array<number>(elf.symbols.length).fill(0),
    typeMap: [],
  };
  fixupBtf(obj);
  return obj;
}

/** The first section named `name`, real or ephemeral (libbpf `find_src_sec_by_name`). */
export function findSrcSec(obj: SrcObject, name: string): SrcSection | undefined {
  for (let i = 1; i < obj.secs.length; i++) if (obj.secs[i]!.name === name) return obj.secs[i];
  return undefined;
}

/**
 * libbpf `linker_fixup_btf`: each DATASEC gets its ELF section's size and each allocated
 * global variable its symbol's offset (clang leaves some of these 0: libbpf fixes them at
 * load time, the linker at link time). DATASECs with no ELF section become ephemeral sections.
 */
function fixupBtf(obj: SrcObject): void {
  obj.types.forEach((t, i) => {
    if (t.kind !== 'DATASEC') return;
    const id = i + 1;
    let sec = findSrcSec(obj, t.name);
    if (sec) {
      if (sec.elf) t.size = sec.elf.size;
    } else {
      if (t.name === EXTERN_SEC) return;
      sec = { name: t.name, object: obj.file, elf: undefined, index: 0, skipped: false, ephemeral: true, dstId: 0, dstOff: 0, secTypeId: 0 };
      obj.secs.push(sec);
    }
    sec.secTypeId = id;
    for (const v of t.vars) {
      const vt = obj.types[v.type - 1];
      if (!vt || vt.kind !== 'VAR' || vt.linkage !== 1 /* BTF_VAR_GLOBAL_ALLOCATED */) continue;
      const sym = obj.elf.symbols.find((s) => s.sectionIndex === sec!.index && s.type === STT_OBJECT && s.name === vt.name);
      if (!sym) throw new LinkError(`no ELF symbol for variable '${vt.name}'`, { object: obj.file, section: t.name, symbol: vt.name });
      v.offset = Number(sym.value);
    }
  });
}
