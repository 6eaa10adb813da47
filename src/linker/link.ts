/**
 * The static linker: several BPF objects in, one object out (bpftool `gen object`, libbpf's
 * `bpf_linker`). The rules are libbpf's, so an object linked here loads like one linked there.
 *
 * Each input is appended in five steps (libbpf `bpf_linker_add_file`):
 *
 * 1. **section data**: sections merge by name, each input's piece at the next offset aligned
 *    to its `sh_addralign`; the output section takes the largest alignment. `license` and
 *    `version` are kept once (and must be identical). Example: `a.o` has a 0x48-byte `.text`,
 *    `b.o` a 0x60-byte one, both 8-aligned: the output `.text` is 0xa8 bytes, `b.o`'s code at
 *    0x48.
 * 2. **symbols**: locals are copied, moved by their section's offset. Globals are resolved
 *    by name: an extern (`SHN_UNDEF`) binds to a definition from any object, before or after;
 *    two strong definitions are an error; a weak one yields to a strong one (its code stays,
 *    unreferenced); an extern's BTF must match the definition's. One `STT_SECTION` symbol is
 *    kept per output section.
 * 3. **relocations**: `.rel<sec>` tables merge like data; each entry's offset moves with its
 *    section and its symbol index is renumbered. A relocation against a section symbol
 *    carries its target offset in the instruction's `imm`, so that `imm` moves too (in
 *    instructions for a call, in bytes for a data load).
 * 4. **BTF**: the types are appended, ids renumbered; a global VAR/FUNC is kept once (the
 *    definition's type wins over an extern's); DATASEC variables are collected per output
 *    section with their new offsets, and DATASECs are rebuilt at the end.
 * 5. **.BTF.ext**: func_info, line_info and CO-RE records follow their instructions.
 *
 * Finally the BTF is deduplicated (`src/btf/dedup.ts`: a header shared by several objects
 * gives its types once), strings are rebuilt, and the ELF file is written.
 * @module
 */
import { dedupBtfTypes, mapTypeIds } from '../btf/dedup.js';
import { encodeBtf, StringTable, type BtfFunc, type BtfType, type BtfVar, type BtfVarSecinfo } from '../btf/index.js';
import {
  EM_BPF,
  SHF_EXECINSTR,
  SHF_STRINGS,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_STRTAB,
  SHT_SYMTAB,
  SIZEOF_SYM,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  STV_DEFAULT,
  STV_HIDDEN,
  type ElfSymbol,
} from '../elf/index.js';
import { globalTypesMismatch, mapDefsMismatch, resolveSize, type TypeLookup } from './btf-match.js';
import { writeRelocatableElf, encodeSymbols, type OutputSection, type OutputSymbol } from './elf-write.js';
import { LinkError } from './errors.js';
import { CORE_RELO_REC_SIZE, encodeBtfExt, FUNC_INFO_REC_SIZE, LINE_INFO_REC_SIZE, type SectionExt } from './ext.js';
import { EXTERN_SEC, findSrcSec, loadInput, type SrcObject, type SrcSection } from './input.js';

/** One object to link. */
export interface LinkInput {
  /** A name for error messages (the file name). */
  name: string;
  /** The object's bytes (a clang `-target bpf` `.o`, or a linker output). */
  bytes: Uint8Array;
}

/** Options of {@link linkObjects}. */
export interface LinkOptions {
  /**
   * Accept externs that no input defines (libbpf does, to build libraries that are linked
   * again later). Default false: an unresolved extern is an error, because no loader could
   * load the result. `.kconfig` and `.ksyms` externs are the loader's and always allowed.
   */
  allowUnresolved?: boolean;
}

/** An output section (libbpf `struct dst_sec`). */
interface DstSection {
  id: number;
  name: string;
  /** No ELF section (yet): a DATASEC only, like `.kconfig`. */
  ephemeral: boolean;
  /** Index in the output's section table; 0 while ephemeral. */
  secIdx: number;
  type: number;
  flags: bigint;
  addralign: number;
  entsize: number;
  link: number;
  info: number;
  size: number;
  data: Uint8Array;
  /** The output's `STT_SECTION` symbol for it, 0 if none yet. */
  secSymIdx: number;
  hasBtf: boolean;
  vars: BtfVarSecinfo[];
  ext: SectionExt;
}

/** A resolved or pending global symbol (libbpf `struct glob_sym`). */
interface GlobSym {
  name: string;
  symIdx: number;
  /** Output section id; 0 for `.extern` and free-floating externs. */
  secId: number;
  /** Its VAR/FUNC in the output BTF; 0 until that object's BTF is appended. */
  btfId: number;
  /** Underlying type of the VAR/FUNC; negative: an input type id still to be mapped; 0: to update. */
  underlying: number;
  isExtern: boolean;
  isWeak: boolean;
  /** Index of its variable in the section's DATASEC, -1 if none. */
  varIdx: number;
  /** The object that declared (or defined) it first. */
  object: string;
}

/** The output symbol table entries, decoded. */
interface Sym {
  name: string;
  type: number;
  bind: number;
  visibility: number;
  shndx: number;
  value: bigint;
  size: bigint;
}

/** The largest merged section with contents: 1 GiB (BPF objects are kilobytes). */
const MAX_SECTION_SIZE = 1 << 30;
const STRTAB_IDX = 1;
const SYMTAB_IDX = 2;
const BPF_JMP_CALL = 0x85;
const INSN_SIZE = 8;
/** Sections whose externs the loader resolves (libbpf `KCONFIG_SEC`, `KSYMS_SEC`). */
const LOADER_EXTERN_SECS = new Set(['.kconfig', '.ksyms']);

/**
 * Links BPF objects into one, with libbpf's rules (see the module comment), and returns the
 * bytes of the new `ET_REL` object.
 * @throws {@link LinkError} naming the object and symbol: a malformed input (the parse error
 *   as `cause`), objects of different byte orders, two strong definitions of a symbol, an
 *   extern whose BTF type differs from its definition, an unresolved extern (unless
 *   `allowUnresolved`), incompatible sections of one name.
 */
export function linkObjects(inputs: readonly LinkInput[], options: LinkOptions = {}): Uint8Array {
  if (inputs.length === 0) throw new LinkError('no input objects');
  const linker = new Linker();
  for (const input of inputs) linker.add(input.name, input.bytes);
  return linker.finalize(options);
}

class Linker {
  private littleEndian: boolean | undefined;
  /** Output sections by id; [0] unused, [1] `.strtab`, [2] `.symtab` (written at the end). */
  private readonly secs: DstSection[] = [];
  private nextSecIdx = 3;
  private readonly strtab = new StringTable();
  private readonly syms: Sym[] = [{ name: '', type: 0, bind: 0, visibility: 0, shndx: 0, value: 0n, size: 0n }];
  private readonly globs = new Map<string, GlobSym>();
  /** The output BTF's types, `types[id - 1]`. */
  private readonly types: BtfType[] = [];
  private readonly typeOf: TypeLookup = (id) => (id > 0 ? this.types[id - 1] : undefined);
  /**
   * The output BTF's strings, added in libbpf's order (as types and records are appended), so
   * that the output matches bpftool's byte for byte. Dedup keeps them all, as libbpf does.
   */
  private readonly btfStrings = new StringTable();

  constructor() {
    this.strtab.add('.strtab');
    this.strtab.add('.symtab');
    // Ids 0..2 mirror libbpf's: .strtab and .symtab are sections 1 and 2.
    for (let i = 0; i < 3; i++) this.secs.push(this.newDst(i, ['', '.strtab', '.symtab'][i]!));
  }

  add(file: string, bytes: Uint8Array): void {
    const obj = loadInput(file, bytes, this.littleEndian);
    this.littleEndian ??= obj.elf.littleEndian;
    this.appendSecData(obj);
    this.appendSyms(obj);
    this.appendRelos(obj);
    this.appendBtf(obj);
    this.appendBtfExt(obj);
  }

  private newDst(id: number, name: string): DstSection {
    return {
      id,
      name,
      ephemeral: false,
      secIdx: 0,
      type: 0,
      flags: 0n,
      addralign: 0,
      entsize: 0,
      link: 0,
      info: 0,
      size: 0,
      data: new Uint8Array(0),
      secSymIdx: 0,
      hasBtf: false,
      vars: [],
      ext: { name, funcInfo: [], lineInfo: [], coreRelo: [] },
    };
  }

  private findDst(name: string): DstSection | undefined {
    for (let i = 3; i < this.secs.length; i++) if (this.secs[i]!.name === name) return this.secs[i];
    return undefined;
  }

  private addDst(name: string): DstSection {
    const dst = this.newDst(this.secs.length, name);
    this.secs.push(dst);
    return dst;
  }

  /** libbpf `init_sec`: an output section takes its first input's header fields. */
  private initSec(dst: DstSection, src: SrcSection): void {
    dst.size = 0;
    dst.secIdx = 0;
    dst.ephemeral = src.ephemeral;
    if (src.ephemeral) return;
    const s = src.elf!;
    dst.secIdx = this.nextSecIdx++;
    this.strtab.add(src.name);
    dst.type = s.type;
    dst.flags = s.flags;
    dst.addralign = s.addralign;
    dst.entsize = s.entsize;
    dst.data = new Uint8Array(0);
  }

  private secsMatch(dst: DstSection, src: SrcSection, obj: SrcObject): void {
    if (dst.ephemeral || src.ephemeral) return;
    const s = src.elf!;
    const what = s.type !== dst.type ? 'types' : s.flags !== dst.flags ? 'flags' : s.entsize !== dst.entsize ? 'entry sizes' : undefined;
    if (what) throw new LinkError(`section ${what} differ from the same section in earlier objects`, { object: obj.file, section: src.name });
  }

  /** libbpf `extend_sec`: appends `src` at the next offset aligned for it. */
  private extendSec(dst: DstSection, src: SrcSection): void {
    if (src.ephemeral) return;
    if (dst.ephemeral) this.initSec(dst, src);
    const s = src.elf!;
    const align = Math.max(dst.addralign || 1, s.addralign);
    const at = Math.ceil(dst.size / align) * align;
    const end = at + s.size;
    if (!Number.isSafeInteger(end) || (s.type !== SHT_NOBITS && end > MAX_SECTION_SIZE)) {
      throw new LinkError(`merged section would be ${end} bytes (alignment ${s.addralign}), more than ${MAX_SECTION_SIZE}`, { object: src.object, section: src.name });
    }
    if (s.type !== SHT_NOBITS) {
      const data = new Uint8Array(end);
      data.set(dst.data.subarray(0, Math.min(dst.data.length, dst.size)));
      data.set(s.data, at);
      dst.data = data;
    }
    dst.size = end;
    dst.addralign = align;
    src.dstOff = at;
  }

  // Step 1: libbpf `linker_append_sec_data`.
  private appendSecData(obj: SrcObject): void {
    for (let i = 1; i < obj.secs.length; i++) {
      const src = obj.secs[i]!;
      if (src.skipped) continue;
      if (!src.ephemeral && src.elf!.type !== SHT_PROGBITS && src.elf!.type !== SHT_NOBITS) continue;
      let dst = this.findDst(src.name);
      if (!dst) {
        dst = this.addDst(src.name);
        this.initSec(dst, src);
      } else {
        this.secsMatch(dst, src, obj);
        if (src.name === 'license' || src.name === 'version') {
          const same = dst.size === src.elf!.size && dst.data.every((b, j) => b === src.elf!.data[j]);
          if (!same) throw new LinkError('contents differ from the same section in earlier objects', { object: obj.file, section: src.name });
          src.skipped = true;
          src.dstId = dst.id;
          continue;
        }
      }
      src.dstId = dst.id;
      this.extendSec(dst, src);
    }
  }

  // Step 2: libbpf `linker_append_elf_syms`.
  private appendSyms(obj: SrcObject): void {
    const syms = obj.elf.symbols;
    for (let i = 1; i < syms.length; i++) this.appendSym(obj, syms[i]!);
  }

  /** libbpf `linker_sanity_check_elf_symtab` for one symbol. */
  private checkSym(obj: SrcObject, sym: ElfSymbol): void {
    const where = { object: obj.file, symbol: sym.name || `#${sym.index}` };
    if (sym.bind !== STB_LOCAL && sym.bind !== STB_GLOBAL && sym.bind !== STB_WEAK) throw new LinkError(`unsupported binding ${sym.bind}`, where);
    if (sym.visibility !== STV_DEFAULT && sym.visibility !== STV_HIDDEN) throw new LinkError(`unsupported visibility ${sym.visibility}`, where);
    if (sym.sectionIndex === SHN_UNDEF) {
      if (sym.bind === STB_LOCAL || sym.value !== 0n || sym.size !== 0n || (sym.type !== STT_NOTYPE && sym.type !== STT_OBJECT && sym.type !== STT_FUNC)) {
        throw new LinkError('invalid extern symbol (local, or with a value or size)', where);
      }
    }
  }

  private appendSym(obj: SrcObject, sym: ElfSymbol): void {
    this.checkSym(obj, sym);
    const isExtern = sym.sectionIndex === SHN_UNDEF;
    let src: SrcSection | undefined;
    let dst: DstSection | undefined;
    const where = { object: obj.file, symbol: sym.name };

    if (isExtern) {
      if (!obj.hasBtf) throw new LinkError('externs need BTF, and the object has no .BTF section (compile with -g)', where);
    } else if (sym.sectionIndex < SHN_LORESERVE) {
      src = obj.secs[sym.sectionIndex];
      if (!src) throw new LinkError(`st_shndx ${sym.sectionIndex} is not a section`, where);
      if (src.skipped) return;
      dst = this.secs[src.dstId]!;
      // One STT_SECTION symbol per output section.
      if (sym.type === STT_SECTION && dst.secSymIdx) {
        obj.symMap[sym.index] = dst.secSymIdx;
        return;
      }
    }

    if (sym.bind !== STB_LOCAL) {
      const { secTypeId, btfId } = this.findGlobSymBtf(obj, sym.name);
      if (isExtern && secTypeId) {
        const secName = obj.types[secTypeId - 1]!.name;
        // `.extern` externs, like extern functions, belong to no section.
        if (secName !== EXTERN_SEC) {
          src = findSrcSec(obj, secName);
          if (!src) throw new LinkError(`no ELF section '${secName}' for the extern's DATASEC`, where);
          dst = this.secs[src.dstId]!;
        }
      }
      const glob = this.globs.get(sym.name);
      if (glob) {
        this.resolveGlob(obj, sym, glob, btfId, src, dst);
        return;
      }
    }

    // libbpf `add_sym`.
    const idx = this.syms.length;
    this.strtab.add(sym.name);
    const out: Sym = {
      name: sym.name,
      type: sym.type,
      bind: sym.bind,
      visibility: sym.visibility,
      shndx: dst ? dst.secIdx : sym.sectionIndex,
      value: BigInt(src?.dstOff ?? 0) + sym.value,
      size: sym.size,
    };
    this.syms.push(out);
    obj.symMap[sym.index] = idx;
    if (sym.type === STT_SECTION && dst) {
      dst.secSymIdx = idx;
      out.value = 0n;
    }
    if (sym.bind !== STB_LOCAL) {
      this.globs.set(sym.name, {
        name: sym.name,
        symIdx: idx,
        secId: dst ? dst.id : 0,
        btfId: 0,
        underlying: 0,
        isExtern,
        isWeak: sym.bind === STB_WEAK,
        varIdx: -1,
        object: obj.file,
      });
    }
  }

  /** A global seen before: bind the new symbol to it, or let it replace the old definition. */
  private resolveGlob(obj: SrcObject, sym: ElfSymbol, glob: GlobSym, btfId: number, src: SrcSection | undefined, dst: DstSection | undefined): void {
    const isExtern = sym.sectionIndex === SHN_UNDEF;
    const where = { object: obj.file, symbol: sym.name };
    obj.symMap[sym.index] = glob.symIdx;
    if (!isExtern && !glob.isExtern && !glob.isWeak && sym.bind !== STB_WEAK) {
      throw new LinkError(`conflicting non-weak definitions of the symbol (first in '${glob.object}')`, where);
    }
    this.checkGlobTypes(obj, glob, btfId, where);

    const out = this.syms[glob.symIdx]!;
    // A strong declaration makes the symbol strong, even from an extern.
    if (sym.bind === STB_GLOBAL) {
      out.bind = STB_GLOBAL;
      glob.isWeak = false;
    }
    // Stricter visibility (hidden) wins.
    if (sym.visibility > out.visibility) out.visibility = sym.visibility;
    if (isExtern) return;
    // A weak definition loses to any definition already there.
    if (!glob.isExtern && sym.bind === STB_WEAK) return;

    // A strong definition (or the first definition of an extern) takes the symbol over.
    if (!src || !dst) throw new LinkError(`definition in no section (st_shndx ${sym.sectionIndex})`, where);
    out.type = sym.type;
    out.shndx = dst.secIdx;
    out.value = BigInt(src.dstOff) + sym.value;
    out.size = sym.size;
    glob.secId = dst.id;
    glob.isExtern = false;
    glob.object = obj.file;
    this.completeExternBtf(glob.btfId, obj, btfId);
    // Have the definition's type replace the extern's when this object's BTF is appended.
    glob.underlying = 0;
  }

  /** libbpf `glob_syms_match`. */
  private checkGlobTypes(obj: SrcObject, glob: GlobSym, btfId: number, where: { object: string; symbol: string }): void {
    if (!glob.btfId || !btfId) throw new LinkError('BTF is missing for the global symbol', where);
    const srcLookup: TypeLookup = (id) => (id > 0 ? obj.types[id - 1] : undefined);
    const t = srcLookup(btfId)!;
    if (t.kind !== 'VAR' && t.kind !== 'FUNC') throw new LinkError(`only extern variables and functions are supported, not ${t.kind}`, where);
    const why =
      glob.secId && this.secs[glob.secId]!.name === '.maps'
        ? mapDefsMismatch(this.typeOf, glob.btfId, srcLookup, btfId)
        : globalTypesMismatch(this.typeOf, glob.btfId, srcLookup, btfId);
    if (why) throw new LinkError(`type does not match its declaration in '${glob.object}': ${why}`, where);
  }

  /**
   * libbpf `complete_extern_btf_info`: the output's VAR/FUNC becomes a definition, and a
   * FUNC's parameters take the definition's names (an extern prototype may have none, and
   * dedup compares names).
   */
  private completeExternBtf(dstId: number, obj: SrcObject, srcId: number): void {
    const d = this.typeOf(dstId);
    const s = obj.types[srcId - 1];
    if (d?.kind === 'VAR') {
      d.linkage = 1; // BTF_VAR_GLOBAL_ALLOCATED
      return;
    }
    if (d?.kind !== 'FUNC' || s?.kind !== 'FUNC') return;
    d.linkage = 1; // BTF_FUNC_GLOBAL
    const dp = this.typeOf(d.type);
    const sp = obj.types[s.type - 1];
    if (dp?.kind !== 'FUNC_PROTO' || sp?.kind !== 'FUNC_PROTO') return;
    dp.params.forEach((p, i) => {
      const name = sp.params[i]?.name;
      if (!name) return;
      p.name = name;
      this.btfStrings.add(name);
    });
  }

  /**
   * libbpf `find_glob_sym_btf`: the VAR or FUNC of a global symbol, and the DATASEC that holds
   * it (0 for a function, or an extern outside any DATASEC).
   */
  private findGlobSymBtf(obj: SrcObject, name: string): { secTypeId: number; btfId: number } {
    if (!obj.hasBtf) throw new LinkError('no BTF for global symbols: the object has no .BTF section (compile with -g)', { object: obj.file, symbol: name });
    let btfId = 0;
    for (let i = 0; i < obj.types.length; i++) {
      const t = obj.types[i]!;
      if (isNonStatic(t)) {
        if (t.name === name) btfId = i + 1;
        continue;
      }
      if (t.kind !== 'DATASEC') continue;
      for (const v of t.vars) {
        const vt = obj.types[v.type - 1];
        if (!vt || vt.name !== name || !isNonStatic(vt)) continue;
        if (btfId && btfId !== v.type) {
          throw new LinkError(`BTF is ambiguous: types [${btfId}] and [${v.type}] both match`, { object: obj.file, symbol: name });
        }
        return { secTypeId: i + 1, btfId: v.type };
      }
    }
    if (btfId) return { secTypeId: 0, btfId };
    throw new LinkError('no BTF VAR or FUNC for the global symbol', { object: obj.file, symbol: name });
  }

  // Step 3: libbpf `linker_append_elf_relos`.
  private appendRelos(obj: SrcObject): void {
    const le = obj.elf.littleEndian;
    for (let i = 1; i < obj.secs.length; i++) {
      const src = obj.secs[i]!;
      if (src.skipped || src.ephemeral || src.elf!.type !== SHT_REL) continue;
      const s = src.elf!;
      const linked = obj.secs[s.info];
      if (!linked || linked.skipped) continue;
      let dst = this.findDst(src.name);
      if (!dst) {
        dst = this.addDst(src.name);
        this.initSec(dst, src);
      } else {
        this.secsMatch(dst, src, obj);
      }
      const dstLinked = this.secs[linked.dstId]!;
      dst.link = SYMTAB_IDX;
      dst.info = dstLinked.secIdx;
      src.dstId = dst.id;
      this.extendSec(dst, src);

      const dv = new DataView(dst.data.buffer, dst.data.byteOffset, dst.data.byteLength);
      const code = new DataView(dstLinked.data.buffer, dstLinked.data.byteOffset, dstLinked.data.byteLength);
      const entries = obj.elf.relocationTables.find((t) => t.section.index === s.index)?.entries;
      if (!entries) throw new LinkError('relocation table does not refer to the symbol table', { object: obj.file, section: src.name });
      entries.forEach((r, j) => {
        const at = src.dstOff + j * s.entsize;
        const srcSym = obj.elf.symbols[r.symbolIndex]!;
        const symIdx = obj.symMap[r.symbolIndex]!;
        if (r.symbolIndex !== 0 && symIdx === 0) {
          throw new LinkError(`relocation #${j} refers to symbol '${srcSym.name}' of a dropped section`, { object: obj.file, section: src.name });
        }
        const offset = r.offset + linked.dstOff;
        dv.setBigUint64(at, BigInt(offset), le);
        dv.setBigUint64(at + 8, (BigInt(symIdx) << 32n) | BigInt(r.type >>> 0), le);
        if (srcSym.type !== STT_SECTION) return;
        // The target offset inside the section is in the instruction: move it with the section.
        if ((linked.elf!.flags & SHF_EXECINSTR) === 0n) {
          throw new LinkError(`relocation #${j} against a section symbol in non-code section`, { object: obj.file, section: src.name });
        }
        if (offset + INSN_SIZE > dstLinked.size) {
          throw new LinkError(`relocation #${j} at 0x${offset.toString(16)} runs past its section`, { object: obj.file, section: src.name });
        }
        const target = obj.secs[srcSym.sectionIndex];
        if (!target) throw new LinkError(`relocation #${j} against section symbol of a missing section`, { object: obj.file, section: src.name });
        const delta = dstLinked.data[offset] === BPF_JMP_CALL ? target.dstOff / INSN_SIZE : target.dstOff;
        code.setInt32(offset + 4, (code.getInt32(offset + 4, le) + delta) | 0, le);
      });
    }
  }

  // Step 4: libbpf `linker_append_btf`.
  private appendBtf(obj: SrcObject): void {
    if (!obj.hasBtf) return;
    const start = this.types.length;
    const map = new Array<number>(obj.types.length + 1).fill(0);
    obj.typeMap = map;
    obj.types.forEach((t, i) => {
      const id = i + 1;
      if (t.kind === 'DATASEC') return;
      let glob: GlobSym | undefined;
      if (isNonStatic(t)) {
        glob = this.globs.get(t.name);
        // VARs of dropped sections (a second `license`) have no symbol.
        if (!glob) return;
        if (glob.underlying === 0) glob.underlying = -t.type;
        if (glob.btfId) {
          map[id] = glob.btfId;
          return;
        }
      }
      const copy = structuredClone(t);
      this.types.push(copy);
      addTypeStrings(this.btfStrings, copy);
      map[id] = this.types.length;
      if (glob && isNonStatic(t)) {
        glob.btfId = this.types.length;
        glob.underlying = -t.type;
      }
    });
    for (let i = start; i < this.types.length; i++) {
      const t = this.types[i]!;
      mapTypeIds(t, (ref) => {
        const n = map[ref] ?? 0;
        if (n === 0 && ref !== 0) throw new LinkError(`BTF type [${ref}] has no place in the output (referenced from a ${t.kind})`, { object: obj.file });
        return n;
      });
    }
    // Point VARs/FUNCs at the definition's type where a definition replaced an extern.
    for (const glob of this.globs.values()) {
      if (glob.underlying >= 0) continue;
      glob.underlying = map[-glob.underlying] ?? 0;
      const t = this.typeOf(glob.btfId);
      if (t?.kind === 'VAR' || t?.kind === 'FUNC') t.type = glob.underlying;
    }
    // DATASEC variables, at their offsets in the output sections.
    for (let i = 1; i < obj.secs.length; i++) {
      const src = obj.secs[i]!;
      if (!src.secTypeId || src.skipped) continue;
      const dst = this.secs[src.dstId]!;
      dst.hasBtf = true;
      const ds = obj.types[src.secTypeId - 1]!;
      if (ds.kind !== 'DATASEC') continue;
      for (const v of ds.vars) {
        const newId = map[v.type] ?? 0;
        const t = this.typeOf(newId);
        let glob: GlobSym | undefined;
        if (t && isNonStatic(t)) {
          glob = this.globs.get(t.name);
          if (glob && glob.secId !== dst.id) {
            throw new LinkError(`declared in section '${dst.name}' but defined in '${this.secs[glob.secId]?.name ?? '(none)'}'`, { object: obj.file, symbol: t.name });
          }
        }
        if (glob && glob.varIdx >= 0) {
          if (t!.kind === 'FUNC') continue;
          const size = resolveSize(this.typeOf, glob.underlying);
          if (size === undefined) throw new LinkError('cannot size the variable\'s type', { object: obj.file, symbol: glob.name });
          dst.vars[glob.varIdx]!.size = size;
          continue;
        }
        if (!newId) continue;
        dst.vars.push({ type: newId, offset: src.dstOff + v.offset, size: v.size });
        if (glob) glob.varIdx = dst.vars.length - 1;
      }
    }
  }

  // Step 5: libbpf `linker_append_btf_ext`.
  private appendBtfExt(obj: SrcObject): void {
    const ext = obj.ext;
    if (!ext) return;
    const sizes = ext.recordSizes;
    const check = (size: number, max: number, what: string) => {
      if (size > max) throw new LinkError(`.BTF.ext ${what} records of ${size} bytes are not supported (known: ${max})`, { object: obj.file });
    };
    check(sizes.funcInfo, FUNC_INFO_REC_SIZE, 'func_info');
    check(sizes.lineInfo, LINE_INFO_REC_SIZE, 'line_info');
    check(sizes.coreRelo, CORE_RELO_REC_SIZE, 'core_relo');
    const dstOf = (name: string) => {
      const src = findSrcSec(obj, name);
      if (!src || !src.dstId) throw new LinkError('section referenced from .BTF.ext is missing', { object: obj.file, section: name });
      return { src, dst: this.secs[src.dstId]! };
    };
    const typeId = (id: number, sec: string) => {
      const n = obj.typeMap[id] ?? 0;
      if (n === 0 && id !== 0) throw new LinkError(`.BTF.ext record refers to type [${id}], which is not in the output`, { object: obj.file, section: sec });
      return n;
    };
    for (const part of ext.funcInfo) {
      const { src, dst } = dstOf(part.section);
      for (const r of part.records) dst.ext.funcInfo.push({ insnOff: r.insnOff + src.dstOff, typeId: typeId(r.typeId, part.section) });
    }
    for (const part of ext.lineInfo) {
      const { src, dst } = dstOf(part.section);
      for (const r of part.records) {
        this.btfStrings.add(r.fileName);
        this.btfStrings.add(r.lineText);
        dst.ext.lineInfo.push({ insnOff: r.insnOff + src.dstOff, fileName: r.fileName, lineText: r.lineText, lineCol: r.lineCol });
      }
    }
    for (const part of ext.coreRelos) {
      const { src, dst } = dstOf(part.section);
      for (const r of part.records) {
        this.btfStrings.add(r.accessStr);
        dst.ext.coreRelo.push({ insnOff: r.insnOff + src.dstOff, typeId: typeId(r.typeId, part.section), accessStr: r.accessStr, kind: r.kind });
      }
    }
  }

  /** libbpf `bpf_linker__finalize`: BTF, `.BTF.ext`, string and symbol tables, the file. */
  finalize(options: LinkOptions): Uint8Array {
    if (!options.allowUnresolved) {
      for (const g of this.globs.values()) {
        if (!g.isExtern) continue;
        if (g.secId && LOADER_EXTERN_SECS.has(this.secs[g.secId]!.name)) continue;
        throw new LinkError('unresolved extern: no input object defines it', { object: g.object, symbol: g.name });
      }
    }
    const le = this.littleEndian ?? true;
    const extra: OutputSection[] = [];
    if (this.types.length > 0) {
      for (const sec of this.secs) {
        if (!sec.hasBtf) continue;
        this.types.push({ kind: 'DATASEC', id: 0, name: sec.name, nameOff: 0, size: sec.size, vars: sec.vars });
        this.btfStrings.add(sec.name);
      }
      const exts = this.secs.slice(3).map((s) => s.ext);
      // libbpf `finalize_btf_ext` names the sections of each part in turn.
      for (const part of ['funcInfo', 'lineInfo', 'coreRelo'] as const) {
        for (const e of exts) if (e[part].length) this.btfStrings.add(e.name);
      }
      const { types, idMap } = dedupBtfTypes(this.types);
      for (const e of exts) {
        for (const r of e.funcInfo) r.typeId = idMap[r.typeId]!;
        for (const r of e.coreRelo) r.typeId = idMap[r.typeId]!;
      }
      const strings = this.btfStrings;
      types.forEach((t, i) => {
        t.id = i + 1;
        addTypeStrings(strings, t);
      });
      const ext = encodeBtfExt(exts, (s) => strings.add(s), le);
      const btf = encodeBtf(types, strings.bytes(), { littleEndian: le });
      const section = (name: string, data: Uint8Array): OutputSection => ({
        nameOff: this.strtab.add(name),
        type: SHT_PROGBITS,
        flags: 0n,
        addralign: 8,
        entsize: 0,
        link: 0,
        info: 0,
        data,
      });
      extra.push(section('.BTF', btf));
      if (ext) extra.push(section('.BTF.ext', ext));
    }

    const symbols: OutputSymbol[] = this.syms.map((s) => ({
      nameOff: this.strtab.add(s.name),
      info: (s.bind << 4) | (s.type & 0xf),
      other: s.visibility,
      shndx: s.shndx,
      value: s.value,
      size: s.size,
    }));
    const body = this.secs
      .slice(3)
      .filter((s) => !s.ephemeral && s.secIdx)
      .sort((a, b) => a.secIdx - b.secIdx)
      .map(
        (s): OutputSection => ({
          nameOff: this.strtab.add(s.name),
          type: s.type,
          flags: s.flags,
          addralign: s.addralign,
          entsize: s.entsize,
          link: s.link,
          info: s.info,
          data: s.type === SHT_NOBITS ? new Uint8Array(0) : s.data,
          size: s.size,
        }),
      );
    const symtab: OutputSection = {
      nameOff: this.strtab.add('.symtab'),
      type: SHT_SYMTAB,
      flags: 0n,
      addralign: 8,
      entsize: SIZEOF_SYM,
      link: STRTAB_IDX,
      // libbpf leaves sh_info 0: locals and globals interleave in a linked symbol table.
      info: 0,
      data: encodeSymbols(symbols, le),
    };
    const strtab: OutputSection = {
      nameOff: this.strtab.add('.strtab'),
      type: SHT_STRTAB,
      flags: SHF_STRINGS,
      addralign: 1,
      entsize: 0,
      link: 0,
      info: 0,
      data: this.strtab.bytes(),
    };
    return writeRelocatableElf({ littleEndian: le, machine: EM_BPF, sections: [strtab, symtab, ...body, ...extra], shstrndx: STRTAB_IDX });
  }
}

/** Adds the strings of `t` to `table` and sets their offsets (libbpf `btf__add_type` order). */
function addTypeStrings(table: StringTable, t: BtfType): void {
  t.nameOff = table.add(t.name);
  if (t.kind === 'STRUCT' || t.kind === 'UNION') for (const m of t.members) m.nameOff = table.add(m.name);
  if (t.kind === 'FUNC_PROTO') for (const p of t.params) p.nameOff = table.add(p.name);
  if (t.kind === 'ENUM') for (const v of t.values) v.nameOff = table.add(v.name);
  if (t.kind === 'ENUM64') for (const v of t.values) v.nameOff = table.add(v.name);
}

/** libbpf `btf_is_non_static`: a VAR or FUNC with global or extern linkage. */
function isNonStatic(t: BtfType): t is BtfVar | BtfFunc {
  return (t.kind === 'VAR' && t.linkage !== 0) || (t.kind === 'FUNC' && t.linkage !== 0);
}
