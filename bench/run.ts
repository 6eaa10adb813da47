/**
 * `npm run bench`: every benchmark with its C peer, one JSON document on stdout.
 *
 * 1. Checks the C toolchain the peers need (cc, libbpf-dev, libelf-dev, zlib1g-dev) and, as
 *    root on Debian/Ubuntu, installs what is missing with apt-get.
 * 2. Builds every peer (`bench/peer/NAME.c` + `timing.c` -> `bench/peer/build/NAME`, and the
 *    in-process ones, `bench/peer/inproc/NAME.c` -> `bench/peer/build/libNAME.so`), before
 *    any timing starts.
 * 3. Bundles each `bench/*.ts` with esbuild (as users run tsbpf: compiled ES modules, not
 *    through a TypeScript loader, whose module getters distort timings) and runs it under
 *    node; a benchmark that fails is reported in `errors` and the others still run.
 *
 *   npm run bench                          # every benchmark
 *   npm run bench -- elf btf               # only these
 *   npm run bench -- --out results.json    # also write the JSON to a file
 *   npm run bench -- --table results.json  # print a saved run as the Markdown table of bench/README.md
 *
 * The JSON: `machine` (kernel, CPU model, cores, node, date, load average) and `figures`,
 * each with `tsbpf` and `c` stats (median, min, max, runs), `ratio` (tsbpf median / C
 * median), `better` (`lower` for times, `higher` for rates) and, where the issue set one,
 * `target`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildPeer, buildPeerLibrary, machine, type Figure } from './lib.js';
import { repoRoot } from '../test/helpers/fixtures.js';

const benchDir = join(repoRoot, 'bench');
const outDir = join(benchDir, 'build');

interface Report {
  machine: ReturnType<typeof machine>;
  figures: (Figure & { better: 'lower' | 'higher' })[];
  errors: { bench: string; error: string }[];
}

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new Error(`${name} needs a file name`);
  args.splice(i, 2);
  return v;
};
const table = option('--table');
const out = option('--out');

if (table) {
  process.stdout.write(markdown(JSON.parse(readFileSync(table, 'utf8')) as Report));
} else {
  const report = await runAll(args);
  const json = JSON.stringify(report, null, 2) + '\n';
  if (out) writeFileSync(out, json);
  process.stdout.write(json);
  process.exitCode = report.errors.length ? 1 : 0;
}

async function runAll(wanted: string[]): Promise<Report> {
  const names = readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && !['lib.ts', 'run.ts'].includes(f))
    .map((f) => f.slice(0, -3))
    .filter((n) => wanted.length === 0 || wanted.includes(n))
    .sort();
  for (const w of wanted) if (!names.includes(w)) throw new Error(`no benchmark '${w}' (bench/${w}.ts)`);

  ensureToolchain();
  for (const peer of readdirSync(join(benchDir, 'peer')).filter((f) => f.endsWith('.c') && f !== 'timing.c')) {
    buildPeer(peer.slice(0, -2));
  }
  for (const lib of readdirSync(join(benchDir, 'peer', 'inproc')).filter((f) => f.endsWith('.c'))) {
    buildPeerLibrary(lib.slice(0, -2));
  }

  mkdirSync(outDir, { recursive: true });
  const report: Report = { machine: machine(), figures: [], errors: [] };
  for (const name of names) {
    const outfile = join(outDir, `${name}.mjs`);
    process.stderr.write(`bench: ${name}\n`);
    try {
      await build({
        entryPoints: [join(benchDir, `${name}.ts`)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        external: ['koffi', 'esbuild'],
        logLevel: 'warning',
      });
      const stdout = execFileSync(process.execPath, ['--expose-gc', outfile], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
      for (const f of (JSON.parse(stdout) as { figures: Figure[] }).figures) report.figures.push({ ...f, better: /\/s$/.test(f.unit) ? 'higher' : 'lower' });
    } catch (e) {
      report.errors.push({ bench: name, error: (e as Error).message.split('\n')[0]! });
    }
  }
  return report;
}

/**
 * The peers' build dependencies: a C compiler and the headers and static library of libbpf
 * (Debian's libbpf-dev), libelf and zlib. Installed with apt-get when missing and root.
 */
function ensureToolchain(): void {
  const have = (cmd: string): boolean => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const missing: string[] = [];
  if (!have('cc')) missing.push('gcc', 'libc6-dev');
  if (!existsSync('/usr/include/bpf/libbpf.h')) missing.push('libbpf-dev');
  if (!existsSync('/usr/include/libelf.h')) missing.push('libelf-dev');
  if (!existsSync('/usr/include/zlib.h')) missing.push('zlib1g-dev');
  if (missing.length === 0) return;
  const command = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
  if (process.geteuid?.() !== 0 || !have('apt-get')) {
    throw new Error(`the C peers need ${missing.join(', ')}: install them (e.g. \`sudo ${command.join(' ')}\`)`);
  }
  process.stderr.write(`bench: installing ${missing.join(', ')}\n`);
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** A saved report as the Markdown table of bench/README.md. */
function markdown(r: Report): string {
  const num = (x: number | undefined): string => (x === undefined ? '' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const m = r.machine;
  const lines = [
    `${m.date}: Linux ${m.kernel}, ${m.cpu} (${m.cores} cores), node ${m.node}, load average ${m.loadavg.map((l) => l.toFixed(1)).join(' ')}`,
    '',
    '| figure | unit | tsbpf median | C median | ratio | better | target | tsbpf min..max | C min..max | runs |',
    '|---|---|---:|---:|---:|---|---:|---|---|---:|',
  ];
  for (const f of r.figures) {
    lines.push(
      `| ${f.name} | ${f.unit} | ${num(f.tsbpf.median)} | ${num(f.c?.median)} | ${f.ratio ?? ''} | ${f.better} | ${f.target ?? ''} | ${num(f.tsbpf.min)}..${num(f.tsbpf.max)} | ${f.c ? `${num(f.c.min)}..${num(f.c.max)}` : ''} | ${f.tsbpf.runs} |`,
    );
  }
  for (const e of r.errors) lines.push('', `**${e.bench} failed**: ${e.error}`);
  return lines.join('\n') + '\n';
}
