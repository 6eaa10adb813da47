/**
 * Benchmark harness. A benchmark measures the tsbpf path and its C peer (own C code in
 * `bench/peer/`, built against Debian's libbpf-dev/libelf) in one run and reports, per
 * figure: medians of several runs, min/max, and the ratio tsbpf/C. This machine is noisy:
 * compare ratios from one run, never absolute times across runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../test/helpers/fixtures.js';

const benchDir = join(repoRoot, 'bench');

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface Figure {
  /** What is measured, e.g. `elf: parse maps.bpfel.o`. */
  name: string;
  unit: string;
  tsbpf: Stats;
  c?: Stats;
  /** tsbpf median / C median. */
  ratio?: number;
  /** The target ratio from the issue, when there is one. */
  target?: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

/**
 * Runs `fn` `iterations` times per run, `runs` runs (after one warm-up run), and returns
 * the per-call time in `unit` ('ns' | 'us' | 'ms').
 */
export function measure(fn: () => void, opts: { runs?: number; iterations?: number; unit?: 'ns' | 'us' | 'ms' } = {}): Stats {
  const runs = opts.runs ?? 7;
  const iterations = opts.iterations ?? 100;
  const scale = { ns: 1, us: 1e3, ms: 1e6 }[opts.unit ?? 'us'];
  const samples: number[] = [];
  for (let r = -1; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0) / iterations / scale;
    if (r >= 0) samples.push(dt);
  }
  return stats(samples);
}

/** Libraries each peer links (static libbpf where the peer needs libbpf's object loader). */
const peerLibs: Record<string, string[]> = {
  btf: ['bpf', 'elf', 'z'],
  core: [':libbpf.a', 'elf', 'z'],
  elf: ['elf'],
  load: [':libbpf.a', 'elf', 'z'],
  maps: ['bpf'],
  ringbuf: ['bpf'],
};

/**
 * Builds `bench/peer/NAME.c` with `timing.c` into `bench/peer/build/NAME` when the binary is
 * missing or older than its sources; returns the binary's path. `libs` defaults to the
 * peer's entry in the table above (libbpf, libelf, zlib).
 */
export function buildPeer(name: string, libs: string[] = peerLibs[name] ?? ['bpf', 'elf', 'z']): string {
  const sources = [join(benchDir, 'peer', `${name}.c`), join(benchDir, 'peer', 'timing.c')];
  return compileIfStale(join(benchDir, 'peer', 'build', name), sources, [], libs);
}

/**
 * Builds `bench/peer/inproc/NAME.c` into the shared library `bench/peer/build/libNAME.so`
 * (when missing or older than the source) and returns its path: a C peer that a benchmark
 * loads into its own process (with koffi), to time C and tsbpf in the same process state.
 */
export function buildPeerLibrary(name: string, libs: string[] = ['bpf']): string {
  const sources = [join(benchDir, 'peer', 'inproc', `${name}.c`)];
  return compileIfStale(join(benchDir, 'peer', 'build', `lib${name}.so`), sources, ['-shared', '-fPIC'], libs);
}

/**
 * Compiles `sources` into `out` with `cc -O2 -Wall` when `out` is missing or older than a
 * source or a peer header (`bench/peer/*.h`, which every peer may include); returns `out`.
 */
function compileIfStale(out: string, sources: string[], flags: string[], libs: string[]): string {
  mkdirSync(dirname(out), { recursive: true });
  const newest = Math.max(...[...sources, ...peerHeaders()].map((f) => statSync(f).mtimeMs));
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    execFileSync('cc', ['-O2', '-Wall', ...flags, '-o', out, ...sources, ...libs.map((l) => `-l${l}`)], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return out;
}

/** The headers the peers include (`bench/peer/*.h`). */
function peerHeaders(): string[] {
  const dir = join(benchDir, 'peer');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(dir, f));
}

/**
 * Builds `bench/peer/NAME.c` (when the binary is missing or older than the source) and runs
 * it with `args`; the peer prints one JSON object on stdout.
 */
export function runPeer<T>(name: string, args: string[], libs: string[]): T {
  const bin = buildPeer(name, libs);
  return JSON.parse(execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 64 << 20 })) as T;
}

export function figure(name: string, unit: string, tsbpf: Stats, c?: Stats, target?: number): Figure {
  return { name, unit, tsbpf, ...(c ? { c, ratio: Number((tsbpf.median / c.median).toFixed(3)) } : {}), ...(target ? { target } : {}) };
}

/**
 * The machine a run was made on. `loadavg` (1, 5, 15 minutes) is there because the machines
 * these figures come from are shared: a high load widens min..max and moves medians.
 */
export function machine(): { kernel: string; cpu: string; cores: number; node: string; date: string; loadavg: number[] } {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  return { kernel: release(), cpu, cores: cpus().length, node: process.version, date: new Date().toISOString(), loadavg: loadavg().map((l) => Number(l.toFixed(2))) };
}

/** Prints one JSON document: the machine and the figures. */
export function report(figures: Figure[]): void {
  process.stdout.write(JSON.stringify({ machine: machine(), figures }, null, 2) + '\n');
}
