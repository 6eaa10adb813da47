/**
 * Instruction index -> C source location.
 *
 * Two sources, best first:
 * 1. `.BTF.ext` line_info, given by the caller as plain {@link InsnLineInfo} records (the BTF
 *    layer decodes them; this layer does not read ELF or BTF). A line_info record covers its
 *    instruction and every following one up to the next record (`bpf_line_info` in
 *    include/uapi/linux/bpf.h), so the location of instruction `i` is the record with the
 *    largest `insnOff <= i`.
 * 2. The log's own source comments. When line_info was loaded with the program, the
 *    verifier prints `; <C text> @ <file>:<line>` before an instruction whose line_info record
 *    differs from the last one printed (`verbose_linfo` in kernel/bpf/verifier.c; the
 *    ` @ file:line` suffix since 6.10). A comment directly followed by an instruction belongs
 *    to that instruction. For an instruction with no comment of its own, the last comment
 *    printed before it is used: that is right on a straight path, and may be the line before
 *    after a jump (the kernel does not repeat a comment when the path rejoins a line it
 *    already printed). Such locations are marked `approximate`.
 * @module
 */
import type { ParsedLog, SourceRecord } from './parse.js';

/**
 * One `.BTF.ext` line_info record, decoded. This is the shape the BTF decoder produces.
 */
export interface InsnLineInfo {
  /**
   * Instruction index (8-byte slots, so the byte offset in `.BTF.ext` divided by 8) in the
   * program as loaded: after subprograms are appended, counted from the program's first
   * instruction, the index the verifier log prints.
   */
  insnOff: number;
  /** Source file name as recorded in BTF. */
  fileName: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column, 0 when unknown. */
  column: number;
  /** The source line's text. */
  lineText: string;
}

/** Where in the C source an instruction comes from. */
export interface SourceLocation {
  /** The C file, as line_info or the log names it. */
  file?: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column (line_info only), when known. */
  column?: number;
  /** The C source line's text. */
  text?: string;
  /** Where the location came from. */
  from: 'line_info' | 'log';
  /** From the log, and not printed right before this instruction (see the module comment). */
  approximate?: boolean;
}

/** Formats `file.c:12:5` (or what part of it is known). */
export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '?';
  let s = loc.file ?? '<unknown file>';
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.column !== undefined && loc.column > 0) s += `:${loc.column}`;
  return s;
}

function fromRecord(r: SourceRecord, approximate: boolean): SourceLocation {
  const loc: SourceLocation = { from: 'log', text: r.text };
  if (r.file !== undefined) loc.file = r.file;
  if (r.lineNo !== undefined) loc.line = r.lineNo;
  if (approximate) loc.approximate = true;
  return loc;
}

/** Maps instruction indexes to source locations, from line_info and/or the log. */
export class SourceMap {
  private readonly lineInfo: InsnLineInfo[];
  private readonly direct = new Map<number, SourceRecord>();
  private readonly approx = new Map<number, SourceRecord>();

  constructor(parsed: ParsedLog, lineInfo?: readonly InsnLineInfo[]) {
    this.lineInfo = lineInfo ? [...lineInfo].sort((a, b) => a.insnOff - b.insnOff) : [];
    let current: SourceRecord | undefined;
    let pending: SourceRecord | undefined;
    for (const r of parsed.records) {
      switch (r.kind) {
        case 'source':
          current = pending = r;
          break;
        case 'insn':
          if (pending && !this.direct.has(r.idx)) this.direct.set(r.idx, pending);
          if (current && !this.approx.has(r.idx)) this.approx.set(r.idx, current);
          pending = undefined;
          break;
        case 'state':
          // A popped branch continues elsewhere: the comment printed before belongs to the
          // other path.
          if (r.label === 'branch') current = pending = undefined;
          break;
        case 'subprog':
        case 'live-regs':
          break;
        default:
          break;
      }
    }
  }

  /** True when line_info was given. */
  get hasLineInfo(): boolean {
    return this.lineInfo.length > 0;
  }

  /** The location of instruction `idx`, or undefined when nothing is known. */
  locate(idx: number): SourceLocation | undefined {
    if (this.lineInfo.length) {
      let lo = 0;
      let hi = this.lineInfo.length - 1;
      let found: InsnLineInfo | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const li = this.lineInfo[mid]!;
        if (li.insnOff <= idx) {
          found = li;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      if (found) {
        return { from: 'line_info', file: found.fileName, line: found.line, column: found.column, text: found.lineText };
      }
    }
    const d = this.direct.get(idx);
    if (d) return fromRecord(d, false);
    const a = this.approx.get(idx);
    if (a) return fromRecord(a, true);
    return undefined;
  }
}
