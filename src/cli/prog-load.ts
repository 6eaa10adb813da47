/**
 * `tsbpf prog load OBJ PATH [--log-level N] [--explain|--json|--sarif]`: bpftool's
 * `prog load`: loads the object and pins its first program at `PATH` (a bpffs path).
 *
 * When the verifier rejects a program, the command says why in C terms and exits with 1:
 * - text (the default, `--explain`): the explanation with a source snippet (file, line, a
 *   caret under the column; neighbouring lines when the C file is found next to the object
 *   or in the current directory), the register's history and the key log lines, on stderr;
 * - `--json`: the explanation as data, on stdout;
 * - `--sarif`: a SARIF 2.1.0 log on stdout, with the C file, line and column, so editors and
 *   CI annotate the line (`verifier-log/sarif.ts`).
 *
 * `--log-level N` loads with that verifier log level (1, 2, or 4 for statistics) from the
 * start; otherwise the loader asks for a log only after a failure, at level 1, and reloads at
 * level 2 when level 1 does not show enough.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCollection } from '../collection/index.js';
import { objectNameFromPath, parseObject } from '../object/index.js';
import { formatExplanation, formatSnippet, toSarif, VerifierError, type SarifLog } from '../verifier-log/index.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';
import { readInputFile } from './files.js';

const VERSION = '0.1.0';

/**
 * Where the C file a line_info name stands for is, if it can be found: line_info holds the
 * name as the compiler was given it (often relative to the build directory), so it is tried
 * next to the object, then in the current directory.
 */
function findSource(file: string, objPath: string): string | undefined {
  if (isAbsolute(file)) return existsSync(file) ? file : undefined;
  for (const base of [dirname(resolve(objPath)), process.cwd()]) {
    const p = join(base, file);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The SARIF artifact URI of a C file: relative to the current directory when found, else as recorded. */
function sarifUri(file: string, objPath: string): string {
  const found = findSource(file, objPath);
  if (!found) return file.replace(/^(?:\.\/)+/, '');
  const rel = relative(process.cwd(), found);
  return rel.startsWith('..') || isAbsolute(rel) ? pathToFileURL(found).href : rel.split(sep).join('/');
}

function readLines(path: string | undefined): string[] | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return undefined;
  }
}

/** The text report of a verifier failure. */
function textReport(err: VerifierError, objPath: string): string {
  const e = err.explanation;
  const out: string[] = [];
  out.push(`error: program '${err.program ?? '?'}' failed verification${err.errno ? ` (${err.errno})` : ''}: ${e.title}`);
  if (e.location?.file !== undefined) {
    const path = findSource(e.location.file, objPath);
    const shown = path ? relative(process.cwd(), path) : undefined;
    const opts = { ...(shown !== undefined ? { path: shown } : {}), ...(path ? { sourceLines: readLines(path)! } : {}) };
    out.push(...formatSnippet(e.location, opts));
  } else if (e.insnIdx !== undefined) {
    out.push(`  --> insn ${e.insnIdx}${e.insn ? `: ${e.insn}` : ''} (no line info)`);
  }
  out.push(formatExplanation(e, { header: false }));
  return out.join('\n');
}

function sarifLog(results: { err: VerifierError }[], objPath: string): SarifLog {
  return toSarif(
    results.map(({ err }) => ({
      explanation: err.explanation,
      ...(err.program !== undefined ? { program: err.program } : {}),
      ...(err.errno !== undefined ? { errno: err.errno } : {}),
      uri: (file: string) => sarifUri(file, objPath),
    })),
    { toolVersion: VERSION, srcRoot: pathToFileURL(process.cwd() + sep).href },
  );
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

function progLoad(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'log-level': { type: 'string' },
      explain: { type: 'boolean' },
      json: { type: 'boolean', short: 'j' },
      sarif: { type: 'boolean' },
    },
  });
  const [obj, pin, ...rest] = positionals;
  if (!obj || !pin) throw new UsageError('expected OBJ PATH');
  if (rest.length) throw new UsageError(`unexpected '${rest[0]}'`);
  if ([values.explain, values.json, values.sarif].filter(Boolean).length > 1) throw new UsageError("give one of '--explain', '--json', '--sarif'");
  let logLevel: number | undefined;
  if (values['log-level'] !== undefined) {
    logLevel = Number(values['log-level']);
    // BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS; the kernel refuses other bits.
    if (!Number.isInteger(logLevel) || logLevel < 1 || logLevel > 7) throw new UsageError(`bad log level '${values['log-level']}' (1, 2, 4 or a combination)`);
  }

  const spec = parseObject(readInputFile(obj), { name: objectNameFromPath(obj) });
  const first = [...spec.programs.keys()][0];
  if (first === undefined) throw new UsageError(`object '${obj}' has no programs`);
  try {
    using coll = loadCollection(spec, logLevel !== undefined ? { logLevel } : {});
    const prog = coll.programs.get(first)!;
    prog.pin(pin);
    if (values.json) io.out(json({ program: first, id: prog.id, pinned: pin }));
    else if (values.sarif) io.out(json(sarifLog([], obj)));
    return 0;
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    if (values.json) {
      io.out(json({ program: e.program, errno: e.errno, explanation: e.explanation, logLevel: e.parsed.level, log: e.log }));
    } else if (values.sarif) {
      io.out(json(sarifLog([{ err: e }], obj)));
    } else {
      io.err(textReport(e, obj));
    }
    return 1;
  }
}

/** `prog load`. */
export const progLoadCommands: CliCommand[] = [
  {
    path: ['prog', 'load'],
    summary: 'Load an object and pin its first program; a verifier failure is explained at its C line (text, JSON or SARIF)',
    usage: 'OBJ PATH [--log-level N] [--explain|--json|--sarif]',
    run: progLoad,
  },
];
