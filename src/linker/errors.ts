/**
 * The linker's error: which object, which symbol or section, and what is wrong.
 * @module
 */
import { TsbpfError } from '../errors.js';

/** Where a link error was found. */
export interface LinkLocation {
  /** The input object (its file name as given to the linker). */
  object?: string;
  /** The ELF symbol (or BTF variable/function) concerned. */
  symbol?: string;
  /** The ELF section concerned. */
  section?: string;
}

/**
 * Objects that cannot be linked: a symbol defined twice, an extern nobody defines, an extern
 * whose type differs from its definition, sections that disagree, malformed input.
 * Parse errors of an input are kept as `cause`.
 */
export class LinkError extends TsbpfError {
  /** The input object concerned ({@link LinkLocation.object}), if known. */
  readonly object: string | undefined;
  /** The symbol concerned ({@link LinkLocation.symbol}), if any. */
  readonly symbol: string | undefined;
  /** The section concerned ({@link LinkLocation.section}), if any. */
  readonly section: string | undefined;

  constructor(what: string, where: LinkLocation = {}, options?: { cause?: unknown }) {
    const parts: string[] = [];
    if (where.object !== undefined) parts.push(`object '${where.object}'`);
    if (where.section !== undefined) parts.push(`section '${where.section}'`);
    if (where.symbol !== undefined) parts.push(`symbol '${where.symbol}'`);
    super((parts.length ? parts.join(', ') + ': ' : '') + what, options);
    this.object = where.object;
    this.symbol = where.symbol;
    this.section = where.section;
  }
}
