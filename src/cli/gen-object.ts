/**
 * `tsbpf gen object OUT.o IN1.o [IN2.o ...] [--allow-unresolved] [--json]`: static linking,
 * as bpftool's `gen object`. The inputs are linked into one BPF object (see `src/linker`);
 * like bpftool it prints nothing on success; `--json` prints what was written.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TsbpfError } from '../errors.js';
import { linkObjects } from '../linker/index.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputFile } from './files.js';

export const genObjectCommands: CliCommand[] = [
  {
    path: ['gen', 'object'],
    summary: 'Link BPF object files into one (static linking)',
    usage: 'OUTPUT_FILE INPUT_FILE [INPUT_FILE...] [--allow-unresolved] [--json]',
    run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { json: { type: 'boolean', short: 'j' }, 'allow-unresolved': { type: 'boolean' } },
      });
      const [output, ...inputs] = positionals;
      if (!output || inputs.length === 0) throw new UsageError('expected an output file and at least one input file');
      const bytes = linkObjects(
        inputs.map((name) => ({ name, bytes: readInputFile(name) })),
        { allowUnresolved: values['allow-unresolved'] === true },
      );
      try {
        writeFileSync(output, bytes);
      } catch (e) {
        throw new TsbpfError(`cannot write '${output}': ${(e as Error).message}`, { cause: e });
      }
      if (values.json) io.out(JSON.stringify({ file: output, inputs, size: bytes.byteLength }));
      return 0;
    },
  },
];
