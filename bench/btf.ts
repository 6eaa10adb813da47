/**
 * BTF: parse the kernel's vmlinux BTF and look up 1,000 names, against libbpf 1.1
 * (`btf__parse` + `btf__find_by_name_kind`, bench/peer/btf.c) on the same file and names.
 *
 * Figures (targets from issue 4):
 * - `parse`: bytes already in memory, `parseBtf` against `btf__new`; <= 3x libbpf;
 * - `read + parse`: from the file, against `btf__parse` (both sides pay the same ~1,350
 *   4 KiB sysfs reads; Node adds a few microseconds per read call);
 * - `parse + 1,000 lookups`: tsbpf builds its name index inside the measurement, libbpf scans
 *   linearly per lookup; <= 0.5x libbpf;
 * - `1,000 lookups` on parsed BTF (index already built for tsbpf);
 * - heap growth after parse + index, as a multiple of the BTF size; <= 4x (reported in the
 *   `tsbpf` stats, unit `x BTF size`, no C peer).
 * The 1,000 names are every Nth named type of vmlinux (all kinds), looked up by name and kind.
 * Run: `npx tsx bench/btf.ts` (or `npm run bench -- btf`). Prints JSON.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBtf, type Btf } from '../src/btf/index.js';
import { figure, measure, report, runPeer, stats, type Figure, type Stats } from './lib.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

function readBtf(): Btf {
  const b = readFileSync(VMLINUX);
  return parseBtf(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

/** 1,000 (name, kind) pairs spread over the id range. */
function pickNames(btf: Btf, n: number): { name: string; kind: number }[] {
  const named: number[] = [];
  for (let id = 1; id <= btf.maxId; id++) if (btf.nameOffOf(id) !== 0) named.push(id);
  const step = named.length / n;
  const out: { name: string; kind: number }[] = [];
  for (let i = 0; i < n; i++) {
    const id = named[Math.floor(i * step)]!;
    out.push({ name: btf.nameOf(id), kind: btf.kindOf(id) });
  }
  return out;
}

function lookupAll(btf: Btf, names: { name: string; kind: number }[]): number {
  let found = 0;
  for (const q of names) if (btf.findByName(q.name, q.kind) !== undefined) found++;
  return found;
}

/**
 * Bytes retained per parsed vmlinux (heap + ArrayBuffers, the file's bytes included) after
 * parse + name index, over the BTF size. Measured first, with several instances kept alive,
 * because V8 frees ArrayBuffer memory lazily after a collection.
 */
function heapGrowth(size: number): Stats {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run bench does)');
  const keep: Btf[] = [];
  const samples: number[] = [];
  for (let r = 0; r < 3; r++) {
    gc();
    const m0 = process.memoryUsage();
    const btf = readBtf();
    btf.findByName('task_struct'); // builds the name index
    keep.push(btf);
    gc();
    const m1 = process.memoryUsage();
    samples.push((m1.heapUsed + m1.arrayBuffers - (m0.heapUsed + m0.arrayBuffers)) / size);
  }
  if (keep.length !== 3) throw new Error('unreachable');
  return stats(samples);
}

export function bench(): Figure[] {
  if (!existsSync(VMLINUX)) return [];
  const size = readFileSync(VMLINUX).length;
  const heap = heapGrowth(size);
  const runs = 11;
  const btf = readBtf();
  const names = pickNames(btf, 1000);
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bench-btf-'));
  let peer: Record<string, Stats> & { found: number };
  try {
    const file = join(dir, 'names.txt');
    writeFileSync(file, names.map((q) => `${q.kind} ${q.name}\n`).join(''));
    peer = runPeer('btf', [String(runs), VMLINUX, file], ['bpf', 'elf', 'z']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bytes = new Uint8Array(readFileSync(VMLINUX));
  const found = lookupAll(btf, names);
  if (found !== peer.found) throw new Error(`lookups disagree: tsbpf found ${found}, libbpf ${peer.found}`);
  return [
    figure(`btf: parse vmlinux (${btf.maxId} types, ${size} bytes) from memory`, 'ms', measure(() => parseBtf(bytes), { runs, iterations: 1, unit: 'ms' }), peer.new, 3),
    figure('btf: read + parse vmlinux from the file', 'ms', measure(readBtf, { runs, iterations: 1, unit: 'ms' }), peer.parse),
    figure(
      'btf: parse vmlinux + 1,000 lookups by name and kind',
      'ms',
      measure(() => lookupAll(readBtf(), names), { runs, iterations: 1, unit: 'ms' }),
      peer['parse+lookups'],
      0.5,
    ),
    figure('btf: 1,000 lookups on parsed vmlinux BTF', 'ms', measure(() => lookupAll(btf, names), { runs, iterations: 1, unit: 'ms' }), peer.lookups),
    figure('btf: JS heap + ArrayBuffer growth after parse + name index', 'x BTF size', heap, undefined, 4),
  ];
}

// Run directly (bench/run.ts bundles this file and runs it): print the figures.
if (import.meta.url === `file://${process.argv[1]}`) report(bench());
