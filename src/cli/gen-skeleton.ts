/**
 * `tsbpf gen skeleton OBJ [--name X] > x.skel.ts` and `tsbpf gen types OBJ`: bpftool's
 * `gen skeleton`, for TypeScript. The skeleton embeds the object (base64) unless
 * `--object-path PATH` names where the generated module reads it (a relative path is taken
 * relative to the generated module). `--event MAP=TYPE` types the records of a perf event
 * array, or overrides a ring buffer's `__type(value, ...)` hint. See `src/gen/skeleton`.
 * @module
 */
import { parseArgs } from 'node:util';
import { generateSkeleton, generateTypes } from '../gen/skeleton/index.js';
import { parseObject } from '../object/index.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputFile } from './files.js';

const commonOptions = {
  name: { type: 'string' },
  event: { type: 'string', multiple: true },
} as const;

function parseEvents(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--event '${v}': expected MAP=TYPE (e.g. events='struct event')`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** The `gen skeleton` and `gen types` commands. */
export const genSkeletonCommands: CliCommand[] = [
  {
    path: ['gen', 'skeleton'],
    summary: 'Generate a typed TypeScript skeleton of a BPF object (to stdout)',
    usage: 'OBJ [--name NAME] [--object-path PATH] [--import-from MODULE] [--event MAP=TYPE]...',
    run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { ...commonOptions, 'object-path': { type: 'string' }, 'import-from': { type: 'string' } },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError('expected exactly one object file');
      const file = positionals[0]!;
      const bytes = readInputFile(file);
      const spec = parseObject(bytes, { fileName: file });
      const objectPath = values['object-path'];
      io.out(
        generateSkeleton(spec, {
          ...(values.name !== undefined ? { name: values.name } : {}),
          object: objectPath !== undefined ? { path: objectPath } : { embed: bytes },
          ...(values['import-from'] !== undefined ? { importFrom: values['import-from'] } : {}),
          events: parseEvents(values.event),
          command: ['tsbpf gen skeleton', ...argv].join(' '),
        }).replace(/\n$/, ''),
      );
      return 0;
    },
  },
  {
    path: ['gen', 'types'],
    summary: 'Generate the TypeScript types (interfaces) of a BPF object\'s maps, globals and events',
    usage: 'OBJ [--name NAME] [--event MAP=TYPE]...',
    run(argv, io) {
      const { values, positionals } = parseArgs({ args: argv, options: commonOptions, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError('expected exactly one object file');
      const file = positionals[0]!;
      const spec = parseObject(readInputFile(file), { fileName: file });
      io.out(
        generateTypes(spec, {
          ...(values.name !== undefined ? { name: values.name } : {}),
          events: parseEvents(values.event),
          command: ['tsbpf gen types', ...argv].join(' '),
        }).replace(/\n$/, ''),
      );
      return 0;
    },
  },
];
