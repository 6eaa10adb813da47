/**
 * The BTF error: a {@link ParseError} that also names the BTF type it concerns.
 * @module
 */
import { ParseError, type ParseLocation } from '../errors.js';

/** Where in a BTF blob an error was found: section/offset as for every parser, plus the type id. */
export interface BtfLocation extends ParseLocation {
  /** The BTF type id the error concerns (`[id]` in bpftool's dump). */
  typeId?: number;
}

/**
 * Malformed or inconsistent BTF: a bad header, a string offset past the string section, a type
 * id out of range, a reference cycle, a truncated `.BTF.ext` record, ...
 *
 * The message starts with the type id when there is one (`type [42] TYPEDEF 'foo': ...`), and
 * {@link BtfError.typeId} carries it for programs.
 */
export class BtfError extends ParseError {
  /** The type id the error concerns, when it concerns one. */
  readonly typeId: number | undefined;

  constructor(what: string, where: BtfLocation = {}, options?: { cause?: unknown }) {
    super(what, { section: where.section ?? '.BTF', sectionIndex: where.sectionIndex, offset: where.offset }, options);
    this.typeId = where.typeId;
  }
}
