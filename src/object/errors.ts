/**
 * The object-model error: a {@link ParseError} that also names the program, the
 * instruction and the symbol concerned, in libbpf's words:
 * `program 'handle_exec': insn #12: relocation against undefined symbol 'foo'`.
 * @module
 */
import { ParseError, type ParseLocation } from '../errors.js';

export interface ObjectLocation extends ParseLocation {
  /** The program (function) name. */
  program?: string;
  /** Instruction index (8-byte slot) in the function or section. */
  insn?: number;
  /** The ELF symbol concerned. */
  symbol?: string;
}

/** A BPF object whose parts do not fit together (bad relocation, unknown map, ...). */
export class ObjectError extends ParseError {
  /** The program being built when it failed, when known. */
  readonly program: string | undefined;
  /** Index of the offending instruction in its ELF section. */
  readonly insn: number | undefined;
  /** The ELF symbol involved (a map, function or extern), when known. */
  readonly symbol: string | undefined;

  constructor(what: string, where: ObjectLocation = {}, options?: { cause?: unknown }) {
    const prefix =
      (where.program !== undefined ? `program '${where.program}': ` : '') + (where.insn !== undefined ? `insn #${where.insn}: ` : '');
    super(prefix + what, { section: where.section, sectionIndex: where.sectionIndex, offset: where.offset }, options);
    this.program = where.program;
    this.insn = where.insn;
    this.symbol = where.symbol;
  }
}
