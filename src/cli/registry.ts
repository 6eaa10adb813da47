/**
 * Every CLI command, in `tsbpf --help` order. Each area of the CLI lives in its own file
 * and exports an array of commands; add one line here per file.
 * @module
 */
import type { CliCommand } from './command.js';
import { objectCommands } from './object.js';

export const commands: CliCommand[] = [
  ...objectCommands,
];
