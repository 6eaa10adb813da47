/**
 * The error family of tsbpf.
 *
 * Every error tsbpf throws on purpose is a {@link TsbpfError}. Parsers throw a
 * {@link ParseError} subclass that says *where* (section, byte offset, type id) and *what*;
 * the syscall layer throws `BpfError` (in `src/syscall`), which names the command, the errno
 * and a hint. A bare `RangeError` or `TypeError` escaping a parser is a bug.
 *
 * Messages follow one style: lowercase, names in quotes, numbers as numbers, no trailing
 * period (`section '.maps' (#7): offset 0x40 past the end (size 0x38)`).
 *
 * This file is layer 1: it imports nothing.
 * @module
 */

/** Base class of every error tsbpf throws deliberately. */
export class TsbpfError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in the input a parse error was found. All fields are optional; give what is known. */
export interface ParseLocation {
  /** Section name, e.g. `.BTF` or `xdp`. */
  section?: string;
  /** Section index in the ELF section header table. */
  sectionIndex?: number;
  /** Byte offset: from the start of the file, or of `section` when that is given. */
  offset?: number;
}

/**
 * A malformed input: truncated, out of range, inconsistent. Carries the location so a user
 * (or a fuzzer) can find the bad bytes.
 */
export class ParseError extends TsbpfError {
  /** The section the bad bytes are in (`.BTF`, `.rel.text`...), when known. */
  readonly section: string | undefined;
  /** That section's index in the ELF section header table, when known. */
  readonly sectionIndex: number | undefined;
  /** Byte offset of the bad bytes: in {@link ParseError.section} when given, else in the file. */
  readonly offset: number | undefined;

  constructor(what: string, where: ParseLocation = {}, options?: { cause?: unknown }) {
    super(formatLocation(where) + what, options);
    this.section = where.section;
    this.sectionIndex = where.sectionIndex;
    this.offset = where.offset;
  }
}

/** An ELF object that cannot be read: bad header, section, symbol or relocation. */
export class ElfError extends ParseError {}

/** BPF instructions that cannot be decoded or encoded. */
export class AsmError extends ParseError {}

/** A feature the running kernel lacks, named with the first kernel that has it. */
export class NotSupportedError extends TsbpfError {
  constructor(
    /** What is missing, as the message names it (`ring buffer maps`, `BPF_LINK_CREATE for tcx`). */
    readonly feature: string,
    /** The first Linux release that has it (`5.8`), when known. */
    readonly minKernel?: string,
    options?: { cause?: unknown },
  ) {
    super(`${feature} not supported by this kernel${minKernel ? ` (requires Linux >= ${minKernel})` : ''}`, options);
  }
}

function formatLocation(where: ParseLocation): string {
  const parts: string[] = [];
  if (where.section !== undefined) {
    parts.push(
      where.sectionIndex !== undefined
        ? `section '${where.section}' (#${where.sectionIndex})`
        : `section '${where.section}'`,
    );
  } else if (where.sectionIndex !== undefined) {
    parts.push(`section #${where.sectionIndex}`);
  }
  if (where.offset !== undefined) parts.push(`offset 0x${where.offset.toString(16)}`);
  return parts.length ? parts.join(', ') + ': ' : '';
}

/** A number as `0x…` for messages. */
export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}
