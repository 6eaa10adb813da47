/**
 * `tsbpf run OBJ [options]`: loads a kernel-side-only BPF object, attaches its programs and
 * prints what they report (events, histograms, counters, bpf_printk) with no user code, like
 * eunomia-bpf's `ecli`. `tsbpf replay FILE` prints a recording made with `--record`.
 * The conventions an object follows to be understood are in docs/run.md; the pieces are in
 * `src/cli/run/` (pure: discovery, rendering, histograms, recordings; live: `session.ts`).
 * @module
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { TsbpfError } from '../errors.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';
import { PERF_EVENTS, type TargetOptions } from './run/attach-plan.js';
import { describeTarget } from './run/describe.js';
import type { HistStyle } from './run/hist.js';
import { prepare, readObject, readTargetBtf } from './run/prepare.js';
import { replay } from './run/replay.js';
import { dryRun, runSession } from './run/session.js';

const RUN_USAGE = 'OBJ [--set NAME=VALUE | --NAME VALUE]... [--json] [--duration S] [--interval S] [--hist-style bpftrace|bcc] [--only PROG]... [--event-type [MAP=]TYPE]... [--iface IF] [--cgroup PATH] [--freq HZ] [--event E] [--pid PID] [--binary PATH:FUNC] [--btf FILE] [--record FILE] [--dry-run]';

const OPTIONS_HELP = [
  'Options:',
  '  --set NAME=VALUE, --NAME VALUE  set a .rodata parameter (const volatile global) before load',
  '  --json                 JSON lines instead of tables',
  '  --duration S           stop after S seconds (default: at Ctrl-C)',
  '  --interval S           print histograms and counters every S seconds (always at exit)',
  '  --hist-style STYLE     bpftrace (default) or bcc',
  '  --only PROG            attach only this program (repeatable)',
  '  --event-type [MAP=]T   record type of the event maps (or of MAP)',
  '  --iface IF             interface for xdp, tcx and netkit programs',
  '  --cgroup PATH          cgroup v2 directory for cgroup programs',
  '  --freq HZ              sampling frequency of perf_event programs (default 99)',
  '  --event E              perf event of perf_event programs (default cpu-clock)',
  '  --pid PID              only this process (uprobes, perf_event)',
  '  --binary PATH:FUNC     target of uprobes whose section names none',
  '  --btf FILE             kernel BTF for CO-RE instead of /sys/kernel/btf/vmlinux',
  '  --record FILE          save raw records and map contents for `tsbpf replay`',
  '  --dry-run              print the attach plan and what would be shown, load nothing',
  '  --no-color             no colours even on a terminal',
];

const options = {
  json: { type: 'boolean' },
  'hist-style': { type: 'string' },
  record: { type: 'string' },
  duration: { type: 'string' },
  interval: { type: 'string' },
  only: { type: 'string', multiple: true },
  btf: { type: 'string' },
  'event-type': { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  iface: { type: 'string' },
  cgroup: { type: 'string' },
  freq: { type: 'string' },
  event: { type: 'string' },
  pid: { type: 'string' },
  binary: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-color': { type: 'boolean' },
} as const;

/**
 * Splits the command line into tsbpf's own options and object parameters (`--NAME VALUE`,
 * `--NAME=VALUE` for any NAME that is not an option), which parseArgs cannot type.
 */
export function splitRunArgs(argv: readonly string[]): { own: string[]; params: [string, string][] } {
  const own: string[] = [];
  const params: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!tok.startsWith('--') || tok === '--') {
      own.push(tok);
      continue;
    }
    const eq = tok.indexOf('=');
    const name = tok.slice(2, eq < 0 ? undefined : eq);
    const opt = (options as Record<string, { type: string }>)[name];
    if (opt) {
      // `--name=value`, so that a value starting with '-' stays a value.
      own.push(opt.type === 'string' && eq < 0 && i + 1 < argv.length ? `${tok}=${argv[++i]!}` : tok);
      continue;
    }
    if (eq >= 0) params.push([name, tok.slice(eq + 1)]);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) params.push([name, argv[++i]!]);
    else throw new UsageError(`'--${name}' needs a value (an object parameter: --${name} VALUE)`);
  }
  return { own, params };
}

/** parseArgs' errors (`ERR_PARSE_ARGS_*`) as usage errors: its first line. */
function parse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((e as Error).message.split('\n')[0]!);
    }
    throw e;
  }
}

function seconds(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} takes a positive number of seconds, not '${v}'`);
  return n;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`--${name} takes a positive integer, not '${v}'`);
  return Number(v);
}

function perfEvent(v: string): string {
  if (!PERF_EVENTS[v]) throw new UsageError(`--event takes one of ${Object.keys(PERF_EVENTS).join(', ')}, not '${v}'`);
  return v;
}

function histStyle(v: string | undefined): HistStyle | undefined {
  if (v === undefined) return undefined;
  if (v !== 'bpftrace' && v !== 'bcc') throw new UsageError(`--hist-style is 'bpftrace' or 'bcc', not '${v}'`);
  return v;
}

const colorAllowed = () => !process.env.NO_COLOR;

/**
 * `tsbpf run ... | head`: when the reader of standard output goes away, stop quietly as
 * other Unix tools do (the kernel detaches the links when the process's fds close).
 */
let epipeHandled = false;
function exitOnClosedStdout(): void {
  if (epipeHandled) return;
  epipeHandled = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

async function run(argv: string[], io: CliIo): Promise<number> {
  exitOnClosedStdout();
  const { own, params } = splitRunArgs(argv);
  const { values: v, positionals } = parse(() => parseArgs({ args: own, options, allowPositionals: true, strict: true }));
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one object, got '${positionals.join(' ')}'` : 'expected OBJ');
  const settings: [string, string][] = [];
  for (const s of v.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes NAME=VALUE, not '${s}'`);
    settings.push([s.slice(0, eq), s.slice(eq + 1)]);
  }
  settings.push(...params);
  const targets: TargetOptions = {
    ...(v.iface !== undefined ? { iface: v.iface } : {}),
    ...(v.cgroup !== undefined ? { cgroup: v.cgroup } : {}),
    ...(v.freq !== undefined ? { freq: positiveInt('freq', v.freq)! } : {}),
    ...(v.event !== undefined ? { event: perfEvent(v.event) } : {}),
    ...(v.pid !== undefined ? { pid: positiveInt('pid', v.pid)! } : {}),
    ...(v.binary !== undefined ? { binary: v.binary } : {}),
  };
  const style = histStyle(v['hist-style']) ?? 'bpftrace';
  const duration = seconds('duration', v.duration);
  const interval = seconds('interval', v.interval);
  const prepared = prepare({ object: positionals[0]!, ...(v.only ? { only: v.only } : {}), eventTypes: v['event-type'] ?? [], settings, targets });
  if (v['dry-run']) return dryRun(prepared, v.json === true, io);
  const noColor = v['no-color'] === true || !colorAllowed();
  return runSession(
    prepared,
    {
      json: v.json === true,
      histStyle: style,
      duration,
      interval,
      record: v.record,
      kernelBtf: v.btf !== undefined ? readTargetBtf(v.btf) : undefined,
      colorOut: !noColor && process.stdout.isTTY === true,
      colorErr: !noColor && process.stderr.isTTY === true,
    },
    io,
  );
}

/** `tsbpf run OBJ --help`: usage, options, and the object's parameters and what it shows. */
function runHelp(argv: string[]): string {
  const head = [`Usage: tsbpf run ${RUN_USAGE}`, '', 'Load OBJ, attach its programs and print what they report until Ctrl-C.', '', ...OPTIONS_HELP];
  const obj = argv.find((a) => !a.startsWith('-'));
  if (!obj) return head.join('\n');
  try {
    const { spec, params } = readObject(obj);
    const shown = describeTarget({ spec, params, plan: prepareQuiet(obj) });
    return [...head, '', `Object '${spec.name}':`, ...(params.length ? [] : ['parameters: none']), ...shown.text].join('\n');
  } catch (e) {
    return [...head, '', `(cannot read '${obj}': ${(e as Error).message})`].join('\n');
  }
}

/** The plan of an object for help text, ignoring targets and settings. */
function prepareQuiet(obj: string) {
  try {
    return prepare({ object: obj, eventTypes: [], settings: [], targets: {} }).plan;
  } catch {
    // No attachable program without targets: still describe the maps.
    return prepare({ object: obj, eventTypes: [], settings: [], targets: { iface: 'IF', cgroup: 'PATH', binary: 'PATH:FUNC' } }).plan;
  }
}

async function replayCommand(argv: string[], io: CliIo): Promise<number> {
  exitOnClosedStdout();
  const { values: v, positionals } = parse(() =>
    parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, 'hist-style': { type: 'string' }, 'no-color': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (positionals.length !== 1) throw new UsageError('expected FILE');
  const path = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new TsbpfError(`cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  const style = histStyle(v['hist-style']);
  replay(
    text,
    { ...(v.json !== undefined ? { json: v.json } : {}), ...(style ? { histStyle: style } : {}), color: v['no-color'] !== true && colorAllowed() && process.stdout.isTTY === true },
    io,
  );
  return 0;
}

export const runCommands: CliCommand[] = [
  {
    path: ['run'],
    summary: 'Load an object, attach its programs, print its events, histograms and counters',
    usage: RUN_USAGE,
    run,
    help: runHelp,
  },
  {
    path: ['replay'],
    summary: 'Print a recording made with `tsbpf run --record` (no privileges needed)',
    usage: 'FILE [--json] [--hist-style bpftrace|bcc]',
    run: replayCommand,
  },
];
