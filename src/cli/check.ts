/**
 * `tsbpf check OBJ [--btf DIR_OR_FILE...] [--program NAME] [--verbose] [--json]`: will the
 * object load on these kernels? Each BTF file (raw BTF such as BTFHub's, or an ELF with a
 * `.BTF` section; a directory is searched recursively) is one kernel; without `--btf`, or
 * for `/sys/kernel/btf/vmlinux`, it is the running kernel, with its modules and a pre-flight
 * of feature probes. Prints a block of findings per kernel and a verdict table; exits 1 when
 * some kernel fails.
 *
 * `tsbpf gen min_core_btf INPUT OUTPUT OBJ...` (bpftool's command): writes to OUTPUT the part
 * of INPUT (a kernel's BTF) that the objects' CO-RE relocations need.
 * @module
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { btfFromElf, KERNEL_BTF_DIR, parseBtf, readModuleBtf, type Btf } from '../btf/index.js';
import { checkObject, formatReports, minCoreBtf, reportJson, type CheckItem, type CheckKernel, type CheckReport } from '../check/index.js';
import { parseElf } from '../elf/index.js';
import { TsbpfError } from '../errors.js';
import { objectNameFromPath, parseObject } from '../object/index.js';
import { mergePreflight, preflight } from '../preflight/index.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputFile } from './files.js';

const RUNNING = resolve(`${KERNEL_BTF_DIR}/vmlinux`);

function isElf(b: Uint8Array): boolean {
  return b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

function isRawBtf(b: Uint8Array): boolean {
  return (b[0] === 0x9f && b[1] === 0xeb) || (b[0] === 0xeb && b[1] === 0x9f);
}

/** A kernel BTF file: raw BTF or an ELF object's `.BTF`. */
export function readBtfFile(path: string): Btf {
  const bytes = readInputFile(path);
  if (isElf(bytes)) {
    const btf = btfFromElf(parseElf(bytes))?.btf;
    if (!btf) throw new TsbpfError(`'${path}' has no .BTF section`);
    return btf;
  }
  return parseBtf(bytes, { section: path });
}

/** Files under `dir`, recursively, sorted; only those that start like BTF or ELF. */
function btfFilesIn(dir: string, skipped: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...btfFilesIn(p, skipped));
    else if (st.isFile()) {
      const head = readInputFile(p).subarray(0, 4);
      if (isRawBtf(head) || isElf(head)) out.push(p);
      else skipped.push(p);
    }
  }
  return out;
}

function runningKernel(): CheckKernel {
  const vmlinux = readBtfFile(RUNNING);
  const modules = readdirSync(KERNEL_BTF_DIR)
    .filter((m) => m !== 'vmlinux')
    .sort()
    .map((m) => readModuleBtf(m, vmlinux));
  return { name: RUNNING, vmlinux, modules };
}

/** Splits `check` arguments: the object, and everything after `--btf` up to the next option. */
function parseCheckArgs(argv: string[]): { object: string; btf: string[]; json: boolean; verbose: boolean; programs: string[] } {
  const btf: string[] = [];
  const programs: string[] = [];
  const positional: string[] = [];
  let json = false;
  let verbose = false;
  let inBtf = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json' || a === '-j') json = true;
    else if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--btf') inBtf = true;
    else if (a.startsWith('--btf=')) btf.push(a.slice(6));
    else if (a === '--program') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError("'--program' needs a name");
      programs.push(v);
      inBtf = false;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else if (inBtf) btf.push(a);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new UsageError('expected exactly one object file');
  if (argv.includes('--btf') && btf.length === 0) throw new UsageError("'--btf' needs at least one file or directory");
  return { object: positional[0]!, btf, json, verbose, programs };
}

/** Checks the object against the running kernel: BTF checks, then the pre-flight probes. */
function checkRunning(spec: ReturnType<typeof parseObject>, programs: string[] | undefined): CheckReport {
  const report = checkObject(spec, runningKernel(), { programs });
  let items: CheckItem[];
  try {
    items = preflight(spec, { programs });
  } catch (e) {
    if (!(e instanceof TsbpfError)) throw e;
    items = [{ area: 'program', program: undefined, subject: 'pre-flight', verdict: 'warn', detail: `feature probes failed: ${e.message}`, source: 'probe' }];
  }
  return mergePreflight(report, items);
}

export const checkCommands: CliCommand[] = [
  {
    path: ['check'],
    summary: 'Check whether a BPF object loads on kernels, from their BTF (CO-RE, attach targets, helpers, maps, kfuncs, kconfig)',
    usage: 'OBJ [--btf DIR_OR_FILE...] [--program NAME] [--verbose] [--json]',
    run(argv, io) {
      const args = parseCheckArgs(argv);
      const spec = parseObject(readInputFile(args.object), { name: objectNameFromPath(args.object) });
      const programs = args.programs.length ? args.programs : undefined;
      for (const p of programs ?? []) if (!spec.programs.has(p)) throw new TsbpfError(`program '${p}' not found in '${args.object}'`);
      const reports: CheckReport[] = [];
      if (args.btf.length === 0) reports.push(checkRunning(spec, programs));
      const skipped: string[] = [];
      for (const b of args.btf) {
        let files: string[];
        try {
          files = statSync(b).isDirectory() ? btfFilesIn(b, skipped) : [b];
        } catch (e) {
          throw new TsbpfError(`cannot read '${b}': ${(e as Error).message}`, { cause: e });
        }
        for (const f of files) {
          if (resolve(f) === RUNNING) reports.push(checkRunning(spec, programs));
          else reports.push(checkObject(spec, { name: f, vmlinux: readBtfFile(f) }, { programs }));
        }
      }
      if (reports.length === 0) throw new TsbpfError(`no BTF files found in ${args.btf.map((b) => `'${b}'`).join(', ')}`);
      for (const s of skipped) io.err(`skipping '${s}': not raw BTF or ELF (decompress BTFHub's .tar.xz files first)`);
      io.out(args.json ? JSON.stringify({ object: args.object, kernels: reports.map(reportJson) }) : formatReports(reports, { verbose: args.verbose }));
      return reports.some((r) => r.verdict === 'fail') ? 1 : 0;
    },
  },
  {
    path: ['gen', 'min_core_btf'],
    summary: "Write the minimal BTF that CO-RE needs from a kernel's BTF to relocate the given objects",
    usage: 'INPUT OUTPUT OBJ... [--json]',
    run(argv, io) {
      const json = argv.includes('--json') || argv.includes('-j');
      const rest = argv.filter((a) => a !== '--json' && a !== '-j');
      for (const a of rest) if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
      if (rest.length < 3) throw new UsageError('expected INPUT OUTPUT and at least one object file');
      const [input, output, ...objects] = rest as [string, string, ...string[]];
      const source = readBtfFile(input);
      const specs = objects.map((o) => parseObject(readInputFile(o), { name: objectNameFromPath(o) }));
      const min = minCoreBtf(source, specs);
      try {
        writeFileSync(output, min.bytes);
      } catch (e) {
        throw new TsbpfError(`cannot write '${output}': ${(e as Error).message}`, { cause: e });
      }
      if (json) io.out(JSON.stringify({ input, output, types: min.types.length, bytes: min.bytes.length, relocations: min.relocations }));
      return 0;
    },
  },
];
