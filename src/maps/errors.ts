/**
 * Errors of the maps layer: bad input caught before any syscall.
 * @module
 */
import { TsbpfError } from '../errors.js';

/**
 * A map operation refused by tsbpf itself: wrong key or value size, a closed map, an
 * operation the map type does not have, a pin path outside bpffs. `hint` says what to do.
 */
export class MapError extends TsbpfError {
  /** The map's name ('' when it has none). */
  readonly map: string;
  /** What to do about it, when tsbpf knows (also in the message, in parentheses). */
  readonly hint: string | undefined;
  constructor(map: string, what: string, hint?: string, options?: { cause?: unknown }) {
    super(`map '${map}': ${what}${hint ? ` (${hint})` : ''}`, options);
    this.map = map;
    this.hint = hint;
  }
}

/** Iteration gave up after more steps than the map can hold entries (constant concurrent churn). */
export class IterationAbortedError extends MapError {}

/** A key or value that a codec cannot encode (not an integer, an LPM prefix out of range). */
export class CodecError extends TsbpfError {}
