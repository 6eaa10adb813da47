/**
 * The CO-RE error: a {@link ParseError} that names the program, the relocation (libbpf's
 * `relo #N`, the record's index in its `.BTF.ext` section), the instruction and, when the
 * object has line info, the C source line:
 *
 * ```
 * program 'core_reads': relocation #3 (insn #29, core.bpf.c:36): access string '0:9' ...
 * ```
 * @module
 */
import { ParseError } from '../errors.js';

/** Where a CO-RE relocation sits. Every field is optional; give what is known. */
export interface CoreLocation {
  /** The program (function) name. */
  program?: string;
  /** The relocation's index in its `.BTF.ext` core_relo section (libbpf's `relo #N`). */
  relocation?: number;
  /** The instruction's slot in the program. */
  insn?: number;
  /** The C source line, from `.BTF.ext` line_info. */
  line?: CoreSourceLine;
}

/** A C source line, from `.BTF.ext` line_info. */
export interface CoreSourceLine {
  /** The C file name as the compiler recorded it (often an absolute path). */
  file: string;
  /** 1-based line number. */
  line: number;
  /** The line's text, as the compiler recorded it. */
  text: string;
}

/** `file:line`, the file's base name only. */
export function formatSourceLine(l: CoreSourceLine): string {
  return `${l.file.slice(l.file.lastIndexOf('/') + 1)}:${l.line}`;
}

function prefix(where: CoreLocation): string {
  let s = where.program !== undefined ? `program '${where.program}': ` : '';
  const inner: string[] = [];
  if (where.insn !== undefined) inner.push(`insn #${where.insn}`);
  if (where.line) inner.push(formatSourceLine(where.line));
  if (where.relocation !== undefined) s += `relocation #${where.relocation}${inner.length ? ` (${inner.join(', ')})` : ''}: `;
  else if (inner.length) s += `${inner.join(', ')}: `;
  return s;
}

/**
 * A CO-RE relocation that cannot be computed or applied: a malformed record (unknown kind,
 * type id out of range, access string deeper than the type), candidates that disagree
 * (ambiguity), or an instruction that does not hold the value the compiler should have left.
 *
 * A field or type that is simply missing from the target is not an error: the instruction is
 * poisoned instead (see `CoreFixup.poison`).
 */
export class CoreError extends ParseError {
  /** The problem without the location prefix. */
  readonly detail: string;
  /** The program whose relocation failed, when known. */
  readonly program: string | undefined;
  /** Index of the relocation among its program section's `bpf_core_relo` records (libbpf's `relo #N`). */
  readonly relocation: number | undefined;
  /** Index of the patched instruction in the program. */
  readonly insn: number | undefined;
  /** The C line of that instruction, from line_info. */
  readonly line: CoreSourceLine | undefined;

  constructor(what: string, where: CoreLocation = {}, options?: { cause?: unknown }) {
    super(prefix(where) + what, {}, options);
    this.detail = what;
    this.program = where.program;
    this.relocation = where.relocation;
    this.insn = where.insn;
    this.line = where.line;
  }

  /** This error with the location filled in (fields already set are kept). */
  at(where: CoreLocation): CoreError {
    return new CoreError(
      this.detail,
      {
        program: this.program ?? where.program,
        relocation: this.relocation ?? where.relocation,
        insn: this.insn ?? where.insn,
        line: this.line ?? where.line,
      },
      { cause: this.cause },
    );
  }
}
