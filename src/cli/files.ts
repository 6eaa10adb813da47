/**
 * Reading the files a command is given, with one error for all commands:
 * `cannot read 'PATH': ENOENT: no such file or directory`. `-` means standard input.
 * @module
 */
import { readFileSync } from 'node:fs';
import { TsbpfError } from '../errors.js';

/** The bytes of `path` (`-`: standard input), as a view over the buffer read (no copy). */
export function readInputFile(path: string): Uint8Array {
  try {
    // readFileSync(0) reads standard input to its end.
    const b = readFileSync(path === '-' ? 0 : path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new TsbpfError(`cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
}

/** The text of `path` (`-`: standard input), as UTF-8. */
export function readInputText(path: string): string {
  return new TextDecoder().decode(readInputFile(path));
}
