/**
 * `.BTF.ext` of the linked object: the func_info, line_info and CO-RE records of every input,
 * grouped by output section, their instruction offsets moved by where each input section
 * landed (libbpf `linker_append_btf_ext`, `finalize_btf_ext`).
 *
 * Records are held decoded, with their strings as strings (file names, source lines, access
 * strings), so that BTF deduplication can renumber types and strings before they are encoded.
 * @module
 */
import { BTF_MAGIC, BTF_VERSION } from '../btf/index.js';

/** `struct bpf_func_info` with `insn_off` in bytes. */
export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

/** `struct bpf_line_info`, strings resolved. */
export interface LineInfoRecord {
  insnOff: number;
  fileName: string;
  lineText: string;
  lineCol: number;
}

/** `struct bpf_core_relo`, access string resolved. */
export interface CoreReloRecord {
  insnOff: number;
  typeId: number;
  accessStr: string;
  kind: number;
}

/** The records of one output section. */
export interface SectionExt {
  name: string;
  funcInfo: FuncInfoRecord[];
  lineInfo: LineInfoRecord[];
  coreRelo: CoreReloRecord[];
}

/** `rec_size` of func_info the linker writes: `sizeof(struct bpf_func_info)` (a larger input one is refused). */
export const FUNC_INFO_REC_SIZE = 8;
/** `rec_size` of line_info the linker writes: `sizeof(struct bpf_line_info)`. */
export const LINE_INFO_REC_SIZE = 16;
/** `rec_size` of core_relo the linker writes: `sizeof(struct bpf_core_relo)`. */
export const CORE_RELO_REC_SIZE = 16;
/** `sizeof(struct btf_ext_header)` with the CO-RE fields. */
const BTF_EXT_HEADER_SIZE = 32;

/**
 * Encodes `.BTF.ext`; `str` gives each string's offset in the `.BTF` string section.
 * Undefined when no section has a record (the output then has no `.BTF.ext`).
 */
export function encodeBtfExt(sections: readonly SectionExt[], str: (s: string) => number, littleEndian: boolean): Uint8Array | undefined {
  const part = (count: (s: SectionExt) => number, recSize: number) => {
    const used = sections.filter((s) => count(s) > 0);
    return used.length === 0 ? 0 : 4 + used.reduce((n, s) => n + 8 + count(s) * recSize, 0);
  };
  const funcLen = part((s) => s.funcInfo.length, FUNC_INFO_REC_SIZE);
  const lineLen = part((s) => s.lineInfo.length, LINE_INFO_REC_SIZE);
  const coreLen = part((s) => s.coreRelo.length, CORE_RELO_REC_SIZE);
  if (funcLen + lineLen + coreLen === 0) return undefined;

  const out = new Uint8Array(BTF_EXT_HEADER_SIZE + funcLen + lineLen + coreLen);
  const v = new DataView(out.buffer);
  const le = littleEndian;
  v.setUint16(0, BTF_MAGIC, le);
  v.setUint8(2, BTF_VERSION);
  v.setUint8(3, 0);
  v.setUint32(4, BTF_EXT_HEADER_SIZE, le);
  // Offsets are relative to the end of the header.
  v.setUint32(8, 0, le);
  v.setUint32(12, funcLen, le);
  v.setUint32(16, funcLen, le);
  v.setUint32(20, lineLen, le);
  v.setUint32(24, funcLen + lineLen, le);
  v.setUint32(28, coreLen, le);

  let p = BTF_EXT_HEADER_SIZE;
  const writePart = <R>(len: number, recSize: number, records: (s: SectionExt) => R[], write: (r: R, at: number) => void) => {
    if (len === 0) return;
    v.setUint32(p, recSize, le);
    p += 4;
    for (const s of sections) {
      const recs = records(s);
      if (recs.length === 0) continue;
      v.setUint32(p, str(s.name), le);
      v.setUint32(p + 4, recs.length, le);
      p += 8;
      for (const r of recs) {
        write(r, p);
        p += recSize;
      }
    }
  };
  writePart(funcLen, FUNC_INFO_REC_SIZE, (s) => s.funcInfo, (r, at) => {
    v.setUint32(at, r.insnOff, le);
    v.setUint32(at + 4, r.typeId, le);
  });
  writePart(lineLen, LINE_INFO_REC_SIZE, (s) => s.lineInfo, (r, at) => {
    v.setUint32(at, r.insnOff, le);
    v.setUint32(at + 4, str(r.fileName), le);
    v.setUint32(at + 8, str(r.lineText), le);
    v.setUint32(at + 12, r.lineCol, le);
  });
  writePart(coreLen, CORE_RELO_REC_SIZE, (s) => s.coreRelo, (r, at) => {
    v.setUint32(at, r.insnOff, le);
    v.setUint32(at + 4, r.typeId, le);
    v.setUint32(at + 8, str(r.accessStr), le);
    v.setUint32(at + 12, r.kind, le);
  });
  return out;
}
