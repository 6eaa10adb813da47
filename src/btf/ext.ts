/**
 * `.BTF.ext`: per-program-section records the compiler emits next to `.BTF`.
 *
 * - `func_info` (`struct bpf_func_info`): where each function starts and its BTF FUNC id;
 * - `line_info` (`struct bpf_line_info`): instruction -> file, source line text, line, column;
 * - `core_relo` (`struct bpf_core_relo`): the CO-RE relocations.
 *
 * Layout (`struct btf_ext_header`, offsets relative to the end of the header):
 * ```
 * __u16 magic; __u8 version; __u8 flags; __u32 hdr_len;
 * __u32 func_info_off, func_info_len;
 * __u32 line_info_off, line_info_len;
 * __u32 core_relo_off, core_relo_len;   // only when hdr_len >= 32
 * ```
 * Each part is `__u32 rec_size` followed by blocks of `struct btf_ext_info_sec`
 * (`__u32 sec_name_off; __u32 num_info; records[num_info * rec_size]`). `rec_size` may be larger
 * than today's struct (a newer compiler appended fields); the known prefix is read and the rest
 * skipped, as libbpf's `btf_ext_setup_info` does. Offsets in records are in *bytes* from the
 * start of the ELF section (libbpf divides by 8 when it builds `bpf_attr`).
 * @module
 */
import { ByteReader } from '../bytes/reader.js';
import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { BTF_MAGIC } from './kinds.js';

/** `struct bpf_func_info` in an object file. */
export interface BtfExtFuncInfo {
  /** `insn_off`: byte offset of the function's first instruction in its ELF section. */
  insnOff: number;
  /** `type_id`: the BTF FUNC. */
  typeId: number;
}

/** `struct bpf_line_info` in an object file. */
export interface BtfExtLineInfo {
  /** `insn_off`: byte offset in the ELF section. */
  insnOff: number;
  /** `file_name_off` in the BTF string section. */
  fileNameOff: number;
  /** `line_off`: the source line's text, in the BTF string section. */
  lineOff: number;
  /** `line_col`: `line << 10 | column`. */
  lineCol: number;
  /** The file name. */
  fileName: string;
  /** The source line text. */
  lineText: string;
  /** `BPF_LINE_INFO_LINE_NUM(line_col)`. */
  line: number;
  /** `BPF_LINE_INFO_LINE_COL(line_col)`. */
  column: number;
}

/** `struct bpf_core_relo`. */
export interface BtfExtCoreRelo {
  /** `insn_off`: byte offset in the ELF section. */
  insnOff: number;
  /** `type_id`: the local root type. */
  typeId: number;
  /** `access_str_off` in the BTF string section. */
  accessStrOff: number;
  /** The access string (`0:1:2`). */
  accessStr: string;
  /** `kind`: `enum bpf_core_relo_kind` (BPF_CORE_FIELD_BYTE_OFFSET = 0, ...). */
  kind: number;
}

/** The records of one ELF section. */
export interface BtfExtSection<R> {
  /** The ELF section (program section) the records belong to, e.g. `socket`. */
  section: string;
  /** `sec_name_off`. */
  secNameOff: number;
  /** The section's `num_info` records, in file order. */
  records: R[];
}

/** The decoded `struct btf_ext_header`. */
export interface BtfExtHeader {
  /** `magic`: {@link BTF_MAGIC} (`0xeb9f`), which also gives the byte order. */
  magic: number;
  /** `version`: 1. */
  version: number;
  /** `flags`: 0. */
  flags: number;
  /** `hdr_len`: header size in bytes (24 without the CO-RE part, 32 with it); the parts' offsets count from its end. */
  hdrLen: number;
  /** `func_info_off`: where the `func_info` part starts, after the header. */
  funcInfoOff: number;
  /** `func_info_len`: its length in bytes, `rec_size` included. */
  funcInfoLen: number;
  /** `line_info_off`: where the `line_info` part starts, after the header. */
  lineInfoOff: number;
  /** `line_info_len`: its length in bytes. */
  lineInfoLen: number;
  /** `core_relo_off`; 0 when the header has no CO-RE part (`hdr_len` < 32). */
  coreReloOff: number;
  /** `core_relo_len`: the CO-RE part's length in bytes, 0 when absent. */
  coreReloLen: number;
}

/** A parsed `.BTF.ext`, records grouped by program section. */
export interface BtfExt {
  /** The header as read. */
  header: BtfExtHeader;
  /** Byte order, from the magic (always the same as the object's `.BTF`). */
  littleEndian: boolean;
  /** `rec_size` of each part as found in the file (0 when the part is empty). */
  recordSizes: {
    /** `rec_size` of `bpf_func_info` records (8 today). */
    funcInfo: number;
    /** `rec_size` of `bpf_line_info` records (16 today). */
    lineInfo: number;
    /** `rec_size` of `bpf_core_relo` records (16 today). */
    coreRelo: number;
  };
  /** `func_info` blocks, one per program section: the `BPF_PROG_LOAD` `func_info` of its programs. */
  funcInfo: BtfExtSection<BtfExtFuncInfo>[];
  /** `line_info` blocks, one per program section: the `BPF_PROG_LOAD` `line_info`, and the C lines of verifier errors. */
  lineInfo: BtfExtSection<BtfExtLineInfo>[];
  /** `core_relo` blocks, one per program section: the CO-RE relocations `computeFixups` resolves. */
  coreRelos: BtfExtSection<BtfExtCoreRelo>[];
}

// Sizes of the records as defined today (the minimum rec_size accepted).
const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;
const CORE_RELO_SIZE = 16;

/**
 * Parses `.BTF.ext`; names (sections, files, lines, access strings) come from `btf`'s strings.
 * @throws {@link BtfError} (section `.BTF.ext`) for a bad header, a record size too small or
 *   not a multiple of 4, a block whose records run past its part, a zero record count, or a
 *   string offset out of range.
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const section = '.BTF.ext';
  const fail = (what: string, offset: number): Error => new BtfError(what, { section, offset });
  if (bytes.byteLength < 8) throw fail(`too short for a .BTF.ext header (${bytes.byteLength} bytes)`, 0);
  const le = bytes[0] === 0x9f && bytes[1] === 0xeb;
  const be = bytes[0] === 0xeb && bytes[1] === 0x9f;
  if (!le && !be) throw fail(`bad magic 0x${((bytes[0]! << 8) | bytes[1]!).toString(16)} (expected 0xeb9f)`, 0);
  if (le !== btf.littleEndian) throw fail('byte order differs from .BTF', 0);
  const r = new ByteReader(bytes, le, fail);
  const version = r.u8(2, 'version');
  if (version !== 1) throw fail(`unsupported version ${version}`, 2);
  const hdrLen = r.u32(4, 'hdr_len');
  // The first part (func_info + line_info) is mandatory; core_relo came later.
  if (hdrLen < 24) throw fail(`hdr_len ${hdrLen} is shorter than the func_info/line_info header (24)`, 4);
  r.need(0, hdrLen, 'header');
  const header: BtfExtHeader = {
    magic: BTF_MAGIC,
    version,
    flags: r.u8(3, 'flags'),
    hdrLen,
    funcInfoOff: r.u32(8, 'func_info_off'),
    funcInfoLen: r.u32(12, 'func_info_len'),
    lineInfoOff: r.u32(16, 'line_info_off'),
    lineInfoLen: r.u32(20, 'line_info_len'),
    coreReloOff: hdrLen >= 32 ? r.u32(24, 'core_relo_off') : 0,
    coreReloLen: hdrLen >= 32 ? r.u32(28, 'core_relo_len') : 0,
  };
  // Records repeat the same few file names and source lines: decode each string once.
  const strings = new Map<number, string>();
  const str = (off: number, what: string, at: number): string => {
    let s = strings.get(off);
    if (s === undefined) {
      s = btf.strOrUndefined(off);
      if (s === undefined) throw fail(`${what}: string offset ${off} is past the end of the .BTF string section`, at);
      strings.set(off, s);
    }
    return s;
  };

  const funcInfo = readPart(r, hdrLen + header.funcInfoOff, header.funcInfoLen, 'func_info', FUNC_INFO_SIZE, str, (p) => ({
    insnOff: r.u32(p),
    typeId: r.u32(p + 4),
  }));
  const lineInfo = readPart(r, hdrLen + header.lineInfoOff, header.lineInfoLen, 'line_info', LINE_INFO_SIZE, str, (p) => {
    const fileNameOff = r.u32(p + 4);
    const lineOff = r.u32(p + 8);
    const lineCol = r.u32(p + 12);
    return {
      insnOff: r.u32(p),
      fileNameOff,
      lineOff,
      lineCol,
      fileName: str(fileNameOff, 'line_info file_name_off', p + 4),
      lineText: str(lineOff, 'line_info line_off', p + 8),
      line: lineCol >>> 10,
      column: lineCol & 0x3ff,
    };
  });
  const coreRelos = readPart(r, hdrLen + header.coreReloOff, header.coreReloLen, 'core_relo', CORE_RELO_SIZE, str, (p) => {
    const accessStrOff = r.u32(p + 8);
    return { insnOff: r.u32(p), typeId: r.u32(p + 4), accessStrOff, accessStr: str(accessStrOff, 'core_relo access_str_off', p + 8), kind: r.u32(p + 12) };
  });
  return {
    header,
    littleEndian: le,
    recordSizes: { funcInfo: funcInfo.recSize, lineInfo: lineInfo.recSize, coreRelo: coreRelos.recSize },
    funcInfo: funcInfo.sections,
    lineInfo: lineInfo.sections,
    coreRelos: coreRelos.sections,
  };
}

function readPart<R>(
  r: ByteReader,
  start: number,
  len: number,
  what: string,
  minSize: number,
  str: (off: number, what: string, at: number) => string,
  decode: (p: number) => R,
): { recSize: number; sections: BtfExtSection<R>[] } {
  const sections: BtfExtSection<R>[] = [];
  if (len === 0) return { recSize: 0, sections };
  r.need(start, len, what);
  const end = start + len;
  if (len < 4) throw r.error(`${what}: ${len} bytes is too short for rec_size`, start);
  const recSize = r.u32(start, `${what} rec_size`);
  if (recSize < minSize || recSize % 4 !== 0) {
    throw r.error(`${what}: rec_size ${recSize} is invalid (at least ${minSize}, a multiple of 4)`, start);
  }
  let p = start + 4;
  while (p < end) {
    if (p + 8 > end) throw r.error(`${what}: truncated section header (${end - p} bytes left)`, p);
    const secNameOff = r.u32(p);
    const numInfo = r.u32(p + 4);
    const name = str(secNameOff, `${what} sec_name_off`, p);
    if (numInfo === 0) throw r.error(`${what}: section '${name}' has no records`, p + 4);
    p += 8;
    // Checked against the bytes that exist before anything is allocated.
    if (numInfo * recSize > end - p) {
      throw r.error(`${what}: section '${name}': ${numInfo} records of ${recSize} bytes run past the end (${end - p} bytes left)`, p);
    }
    const records: R[] = new Array(numInfo);
    for (let i = 0; i < numInfo; i++) records[i] = decode(p + i * recSize);
    sections.push({ section: name, secNameOff, records });
    p += numInfo * recSize;
  }
  return { recSize, sections };
}

/** The records of program section `name` in a part of {@link BtfExt}, or `[]`. */
export function extRecordsFor<R>(part: BtfExtSection<R>[], name: string): R[] {
  const out: R[] = [];
  for (const s of part) if (s.section === name) out.push(...s.records);
  return out;
}
