/**
 * The shape of a CLI command. Commands mirror bpftool's (`object show`, `btf dump`,
 * `map list`, ...) so users find them where they expect; every command takes `--json`.
 * @module
 */

/** Where a command writes. Tests pass a collecting implementation. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CliCommand {
  /** Words that select the command, as bpftool spells them: `['btf', 'dump']`. */
  path: string[];
  /** One line for `tsbpf --help`. */
  summary: string;
  /** Usage text after `tsbpf <path>`, e.g. `file PATH [format raw|c] [--json]`. */
  usage: string;
  /** Runs with the words after `path`; returns the exit code. */
  run(argv: string[], io: CliIo): Promise<number> | number;
  /** `--help` text built from the arguments (`tsbpf run OBJ --help` lists OBJ's parameters); default: usage and summary. */
  help?(argv: string[]): string;
}

/** A user error in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
