/**
 * Every CLI command, in `tsbpf --help` order. Each area of the CLI lives in its own file
 * and exports an array of commands; add one line here per file.
 * @module
 */
import type { CliCommand } from './command.js';
import { objectCommands } from './object.js';
import { coreCommands } from './core.js';
import { btfCommands } from './btf.js';
import { verifierCommands } from './verifier.js';
import { progLoadCommands } from './prog-load.js';
import { mapCommands } from './map.js';
import { progCommands } from './prog.js';
import { loaderCommands } from './loader.js';
import { linkCommands } from './link.js';
import { linkAttachCommands } from './link-attach.js';
import { featureCommands } from './feature.js';
import { checkCommands } from './check.js';
import { genSkeletonCommands } from './gen-skeleton.js';
import { genObjectCommands } from './gen-object.js';
import { runCommands } from './run.js';

export const commands: CliCommand[] = [
  ...objectCommands,
  ...coreCommands,
  ...btfCommands,
  ...verifierCommands,
  ...progLoadCommands,
  ...mapCommands,
  ...progCommands,
  ...loaderCommands,
  ...linkCommands,
  ...linkAttachCommands,
  ...featureCommands,
  ...checkCommands,
  ...genSkeletonCommands,
  ...genObjectCommands,
  ...runCommands,
];
