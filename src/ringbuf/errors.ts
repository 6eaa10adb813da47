/**
 * Errors of the ring buffer and perf buffer readers.
 * @module
 */
import { TsbpfError } from '../errors.js';

/** A reader was used after `close()` (or its `AbortSignal` fired). */
export class ReaderClosedError extends TsbpfError {
  constructor(what = 'ring buffer reader') {
    super(`${what} is closed`);
  }
}

/**
 * A ring whose bytes break the kernel's protocol: a record longer than the data area, or
 * past the producer position. Unrecoverable (cilium treats it the same way): the reader
 * stops, nothing past the bad header is read.
 */
export class RingbufCorruptedError extends TsbpfError {
  constructor(
    /** The map's name ('' when unnamed). */
    readonly map: string,
    /** The consumer position (bytes since the ring was created) of the bad header. */
    readonly position: number,
    detail: string,
  ) {
    super(`ring buffer '${map}': corrupt record at position ${position}: ${detail}`);
  }
}

/** A map that cannot be read as asked: wrong type, closed, unusable size. */
export class RingbufMapError extends TsbpfError {}
