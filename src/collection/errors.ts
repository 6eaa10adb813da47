/**
 * `LoadError`: loading an object failed for a reason tsbpf can name before or besides the
 * kernel's answer: a program of unknown type, a reference to a map that is not defined, an
 * extern with no value, a pinned map that does not match. It names the program, the
 * instruction (slot) and the symbol, as libbpf's `prog '%s': relo #%d: insn #%d` lines do.
 * @module
 */
import { TsbpfError } from '../errors.js';

/** Where in the object a load error is. */
export interface LoadLocation {
  /** The program being loaded. */
  program?: string;
  /** Instruction slot in the program as loaded (after linking). */
  insn?: number;
  /** The map, extern, variable or kernel symbol concerned. */
  symbol?: string;
  /** The map concerned. */
  map?: string;
}

/** An object that cannot be loaded as it is. */
export class LoadError extends TsbpfError {
  /** The program being loaded, when the failure belongs to one. */
  readonly program: string | undefined;
  /** Instruction slot in the program as loaded (after linking). */
  readonly insn: number | undefined;
  /** The map, extern, variable or kernel symbol concerned. */
  readonly symbol: string | undefined;
  /** The map concerned. */
  readonly map: string | undefined;

  constructor(what: string, where: LoadLocation = {}, options?: { cause?: unknown }) {
    const prefix =
      (where.program !== undefined ? `program '${where.program}': ` : '') +
      (where.insn !== undefined ? `insn #${where.insn}: ` : '') +
      (where.map !== undefined && where.program === undefined ? `map '${where.map}': ` : '');
    super(prefix + what, options);
    this.program = where.program;
    this.insn = where.insn;
    this.symbol = where.symbol;
    this.map = where.map;
  }
}
