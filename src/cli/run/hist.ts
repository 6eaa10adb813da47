/**
 * Histograms printed the way bpftrace and BCC print them, from an array of bucket counts.
 *
 * Slot numbering is the one BPF programs use with BCC's `log2l()` (libbpf-tools `bits.bpf.h`):
 * slot 0 counts the values 0 and 1, slot `i >= 1` counts `[2^i, 2^(i+1))`. So a value of 5
 * (binary 101) lands in slot 2, `[4, 8)`. The two layouts of the same slots:
 *
 * bpftrace (`TextOutput::hist`): rows from the first to the last non-empty slot, a 16-wide
 * left-aligned `[lo, hi)` label with K/M/G/T suffixes for powers of 1024, an 8-wide count,
 * and a 52-wide bar of `@` scaled to the largest count (truncated, not rounded):
 * ```
 * @usecs:
 * [4, 8)                12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
 * [8, 16)                3 |@@@@@@@@@@@@@                                       |
 * ```
 * BCC (libbpf-tools `print_log2_hist`): rows from slot 0 to the last non-empty one, a
 * header `     usecs               : count    distribution`, `low -> high : count` columns
 * 10 wide (20 when there are more than 33 slots, with half as many stars) and a 40-wide bar
 * of `*`:
 * ```
 *      usecs               : count    distribution
 *          0 -> 1          : 0        |                                        |
 *          4 -> 7          : 12       |****************************************|
 * ```
 * Linear histograms (bpftrace `lhist`, BCC `print_linear_hist`) have buckets
 * `[base + i*step, base + (i+1)*step)`.
 * @module
 */

/** The two layouts {@link formatHistogram} writes. */
export type HistStyle = 'bpftrace' | 'bcc';

/** Bucket scale: log2 slots, or linear buckets of `step` starting at `base`. */
export type HistScale = { kind: 'log2' } | { kind: 'linear'; base: number; step: number };

/** One bucket for JSON output: the values it counts, `[min, max]`, and its count. */
export interface HistBucket {
  min: number;
  max: number;
  count: number;
}

/** `[lo, hi]` (inclusive) of bucket `i`. */
export function bucketRange(i: number, scale: HistScale): [number, number] {
  if (scale.kind === 'linear') return [scale.base + i * scale.step, scale.base + (i + 1) * scale.step - 1];
  if (i === 0) return [0, 1];
  return [2 ** i, 2 ** (i + 1) - 1];
}

/** The non-empty range of buckets as bpftrace prints them (`[min, max]` inclusive with counts). */
export function histBuckets(counts: readonly number[], scale: HistScale): HistBucket[] {
  const { first, last } = nonEmpty(counts);
  const out: HistBucket[] = [];
  if (last < 0) return out;
  for (let i = first; i <= last; i++) {
    const [min, max] = bucketRange(i, scale);
    out.push({ min, max, count: counts[i] ?? 0 });
  }
  return out;
}

function nonEmpty(counts: readonly number[]): { first: number; last: number; max: number } {
  let first = -1;
  let last = -1;
  let max = 0;
  counts.forEach((c, i) => {
    if (c > 0) {
      if (first < 0) first = i;
      last = i;
    }
    if (c > max) max = c;
  });
  return { first, last, max };
}

/**
 * A power of two as bpftrace labels it (`hist_index_label`): the largest power of 1024 that
 * fits becomes a suffix, `1024` -> `1K`, `3 * 2^20` would not occur (labels are powers of two).
 */
export function log2Label(value: number): string {
  const suffixes = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let power = Math.round(Math.log2(value));
  if (value === 0 || 2 ** power !== value) return String(value);
  const decade = Math.min(Math.floor(power / 10), suffixes.length - 1);
  power -= 10 * decade;
  return `${2 ** power}${suffixes[decade]}`;
}

/** A linear bucket bound as bpftrace's `lhist_index_label`: K/M suffixes only when the step is a multiple of 1024. */
export function linearLabel(n: number, step: number): string {
  if (step % 1024 !== 0 || n === 0) return String(n);
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

/** bpftrace's rows (no `@name:` title, no trailing blank line). Empty when every count is 0. */
export function bpftraceRows(counts: readonly number[], scale: HistScale): string[] {
  const { first, last, max } = nonEmpty(counts);
  if (last < 0) return [];
  const rows: string[] = [];
  const width = 52;
  for (let i = first; i <= last; i++) {
    const c = counts[i] ?? 0;
    let label: string;
    if (scale.kind === 'linear') {
      const lo = scale.base + i * scale.step;
      label = `[${linearLabel(lo, scale.step)}, ${linearLabel(lo + scale.step, scale.step)})`;
    } else {
      const [lo] = bucketRange(i, scale);
      label = `[${log2Label(lo)}, ${log2Label(2 ** (i + 1))})`;
    }
    // int bar_width = values.at(i) / (float)max_value * max_width: truncation toward zero.
    const bar = '@'.repeat(Math.trunc((c / max) * width));
    rows.push(`${label.padEnd(16)}${String(c).padStart(8)} |${bar.padEnd(width)}|`);
  }
  return rows;
}

/** BCC's `print_stars`: `val * width / val_max` stars (integer division), `+` when over the max. */
function stars(val: number, max: number, width: number): string {
  const n = Math.floor((Math.min(val, max) * width) / max);
  return '*'.repeat(n) + ' '.repeat(width - n) + (val > max ? '+' : '');
}

/** BCC's `print_log2_hist` / `print_linear_hist` output, header included. Empty when every count is 0. */
export function bccRows(counts: readonly number[], scale: HistScale, unit: string): string[] {
  const { first, last, max } = nonEmpty(counts);
  if (last < 0) return [];
  const rows: string[] = [];
  if (scale.kind === 'linear') {
    rows.push(`     ${unit.padEnd(13)} : count     distribution`);
    for (let i = first; i <= last; i++) {
      const c = counts[i] ?? 0;
      if (!c) continue; // print_linear_hist skips empty buckets
      rows.push(`        ${String(scale.base + i * scale.step).padEnd(10)} : ${String(c).padEnd(8)} |${stars(c, max, 40)}|`);
    }
    return rows;
  }
  const narrow = last <= 32;
  rows.push(`${' '.repeat(narrow ? 5 : 15)}${unit.padEnd(narrow ? 19 : 29)} : count    distribution`);
  const width = narrow ? 10 : 20;
  for (let i = 0; i <= last; i++) {
    const c = counts[i] ?? 0;
    // low = (1 << (i + 1)) >> 1, high = (1 << (i + 1)) - 1; when equal (slot 0) low -= 1.
    let low = 2 ** (i + 1) / 2;
    const high = 2 ** (i + 1) - 1;
    if (low === high) low -= 1;
    rows.push(`${String(low).padStart(width)} -> ${String(high).padEnd(width)} : ${String(c).padEnd(8)} |${stars(c, max, narrow ? 40 : 20)}|`);
  }
  return rows;
}

/** One histogram with its title, in the chosen style. `label` is the key shown for keyed histograms. */
export interface HistogramText {
  /** Map or unit name: bpftrace title `@<name>`. */
  name: string;
  /** BCC column header (`usecs`). */
  unit: string;
  /** Key of a histogram per key (`pid 42`, `bash`), undefined for a single histogram. */
  label?: string;
  /** Name of the key for BCC's `<keyName> = <label>` line. */
  keyName?: string;
  counts: readonly number[];
  scale: HistScale;
}

/**
 * A histogram as lines: bpftrace `@usecs:` (or `@usecs[bash]:`) then its rows and a blank
 * line; BCC: `keyName = label` above a keyed one, then the header and rows, then a blank line.
 * A histogram with no counts prints its title only (bpftrace prints it the same way).
 */
export function formatHistogram(h: HistogramText, style: HistStyle): string[] {
  if (style === 'bpftrace') {
    return [`@${h.name}${h.label !== undefined ? `[${h.label}]` : ''}:`, ...bpftraceRows(h.counts, h.scale), ''];
  }
  const out: string[] = [];
  if (h.label !== undefined) out.push(`${h.keyName ?? 'key'} = ${h.label}`);
  out.push(...bccRows(h.counts, h.scale, h.unit), '');
  return out;
}
