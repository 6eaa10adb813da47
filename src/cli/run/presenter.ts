/**
 * The presenter: turns what a run sees (records, lost counts, trace_pipe lines, map
 * snapshots) into the lines `tsbpf run` prints. It is pure and is fed the same way by a
 * live run and by `tsbpf replay`, which is why a replay prints exactly what the run did.
 *
 * Standard output carries the data (event rows or JSON lines, histograms, counters,
 * `bpf_printk` lines); the summary at the end goes to standard error with the progress
 * lines, so `--json` output stays clean JSON lines.
 * @module
 */
import type { Btf } from '../../btf/index.js';
import { valueCodec } from '../../btf/index.js';
import type { RunPlan } from './discover.js';
import { clockTime, EventFormatter } from './event-format.js';
import type { HistStyle } from './hist.js';
import { formatStacks, readStackSamples, stacksById, stacksJson } from './stack-format.js';
import { countersJson, formatCounters, formatHistograms, histogramsJson, KeyRenderer, readCounters, readHistograms, type MapEntry } from './map-format.js';

/** How to present. */
export interface PresenterOptions {
  json: boolean;
  histStyle: HistStyle;
  /** Minutes east of UTC for the TIME column. */
  tzOffsetMin: number;
  /** ANSI colours (only when the output is a terminal). */
  color: boolean;
}

/** Where lines go. */
export interface PresenterSink {
  out(line: string): void;
  err(line: string): void;
}

const bold = (s: string, on: boolean) => (on ? `\x1b[1m${s}\x1b[0m` : s);

/** The printed form of one run. */
export class Presenter {
  readonly #plan: RunPlan;
  readonly #btf: Btf | undefined;
  readonly #o: PresenterOptions;
  readonly #sink: PresenterSink;
  readonly #littleEndian: boolean;
  readonly #formatters = new Map<string, EventFormatter>();
  #lastMap: string | undefined;
  /** Events seen per map, and records lost per map. */
  readonly events = new Map<string, number>();
  readonly lost = new Map<string, number>();
  printkLines = 0;
  /** Entries per table map at the last snapshot. */
  readonly entries = new Map<string, number>();

  constructor(plan: RunPlan, btf: Btf | undefined, littleEndian: boolean, options: PresenterOptions, sink: PresenterSink) {
    this.#plan = plan;
    this.#btf = btf;
    this.#littleEndian = littleEndian;
    this.#o = options;
    this.#sink = sink;
    for (const e of plan.events) {
      let codec;
      if (btf && e.typeId) {
        try {
          codec = valueCodec(btf, e.typeId, { littleEndian });
        } catch {
          codec = undefined;
        }
      }
      this.#formatters.set(e.map, new EventFormatter(e.map, codec));
      this.events.set(e.map, 0);
      this.lost.set(e.map, 0);
    }
  }

  /** One record of event map `map`, received at `timeMs`. */
  event(map: string, timeMs: number, bytes: Uint8Array): void {
    const f = this.#formatters.get(map);
    if (!f) return;
    this.events.set(map, (this.events.get(map) ?? 0) + 1);
    if (this.#o.json) {
      this.#sink.out(f.json(timeMs, bytes));
      return;
    }
    if (this.#lastMap !== map) {
      if (this.#lastMap !== undefined) this.#sink.out('');
      if (this.#plan.events.length > 1) this.#sink.out(bold(`[${map}]`, this.#o.color));
      this.#sink.out(bold(f.header(), this.#o.color));
      this.#lastMap = map;
    }
    this.#sink.out(f.row(clockTime(timeMs, this.#o.tzOffsetMin), bytes));
  }

  /** Records the kernel could not deliver (perf buffer overruns). */
  lostRecords(map: string, timeMs: number, count: number): void {
    this.lost.set(map, (this.lost.get(map) ?? 0) + count);
    if (this.#o.json) this.#sink.out(JSON.stringify({ type: 'lost', map, time: new Date(timeMs).toISOString(), count }));
    else this.#sink.err(`lost ${count} records of map '${map}'`);
  }

  /** One `trace_pipe` line (bpf_printk output). */
  printk(timeMs: number, line: string): void {
    this.printkLines++;
    if (this.#o.json) {
      const m = /bpf_trace_printk: (.*)$/.exec(line);
      this.#sink.out(JSON.stringify({ type: 'printk', time: new Date(timeMs).toISOString(), line, ...(m ? { msg: m[1] } : {}) }));
    } else {
      this.#sink.out(line);
    }
    this.#lastMap = undefined;
  }

  /** What one pass of iterator program `program` printed. */
  iter(program: string, timeMs: number, text: string): void {
    if (this.#o.json) this.#sink.out(JSON.stringify({ type: 'iter', program, time: new Date(timeMs).toISOString(), text }));
    else if (text) this.#sink.out(text.endsWith('\n') ? text.slice(0, -1) : text);
    this.#lastMap = undefined;
  }

  /**
   * The histogram, counter and stack maps as read at `timeMs`; `final` at exit. `symbols`
   * names the stack addresses (see `stack-format.ts`).
   */
  maps(timeMs: number, final: boolean, maps: ReadonlyMap<string, MapEntry[]>, symbols: Readonly<Record<string, string>> = {}): void {
    const le = this.#littleEndian;
    const btf = this.#btf;
    const lines: string[] = [];
    const json = this.#o.json;
    const extra = { time: new Date(timeMs).toISOString(), final };
    for (const h of this.#plan.histograms) {
      const entries = maps.get(h.map);
      if (!entries) continue;
      this.entries.set(h.map, entries.length);
      const keys = new KeyRenderer(btf, h.keyTypeId, le);
      const data = readHistograms(h, entries, le, btf);
      if (json) lines.push(...histogramsJson(h, data, keys, extra));
      else lines.push(...formatHistograms(h, data, keys, this.#o.histStyle));
    }
    for (const c of this.#plan.counters) {
      const entries = maps.get(c.map);
      if (!entries) continue;
      this.entries.set(c.map, entries.length);
      const keys = new KeyRenderer(btf, c.keyTypeId, le);
      const table = readCounters(c, entries, le, btf);
      if (json) lines.push(countersJson(c, table, keys, extra));
      else if (table.rows.length) lines.push(...formatCounters(c, table, keys));
    }
    for (const st of this.#plan.stacks ?? []) {
      const entries = maps.get(st.map);
      if (!entries) continue;
      this.entries.set(st.map, entries.length);
      const samples = readStackSamples(st, entries, btf, le);
      const stacks = stacksById(maps.get(st.stackMap), le);
      if (json) lines.push(stacksJson(st, samples, stacks, symbols, le, extra));
      else lines.push(...formatStacks(samples, stacks, symbols, le));
    }
    if (!lines.length) return;
    if (!json) {
      if (this.#lastMap !== undefined) lines.unshift('');
      if (!final) lines.unshift(bold(clockTime(timeMs, this.#o.tzOffsetMin), this.#o.color));
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
    }
    this.#lastMap = undefined;
    for (const l of lines) this.#sink.out(l);
  }

  /** The summary line (standard error): events and lost records per map, entries per table map. */
  summary(): string {
    const parts: string[] = [];
    let total = 0;
    let lost = 0;
    for (const [m, n] of this.events) {
      total += n;
      lost += this.lost.get(m) ?? 0;
    }
    if (this.events.size) {
      // Only perf buffers report what they lost (PERF_RECORD_LOST); a full ring buffer makes
      // bpf_ringbuf_reserve fail in the program, which user space never hears of.
      const counted = this.#plan.events.some((e) => e.kind === 'perf');
      parts.push(`${total} event${total === 1 ? '' : 's'} (${[...this.events].map(([m, n]) => `${m}: ${n}`).join(', ')})${counted ? `, ${lost} lost` : ''}`);
    }
    if (this.entries.size) parts.push([...this.entries].map(([m, n]) => `${m}: ${n} entr${n === 1 ? 'y' : 'ies'}`).join(', '));
    if (this.printkLines) parts.push(`${this.printkLines} trace_pipe line${this.printkLines === 1 ? '' : 's'}`);
    return `summary: ${parts.length ? parts.join('; ') : 'nothing to show'}`;
  }
}
