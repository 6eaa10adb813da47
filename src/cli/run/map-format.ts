/**
 * Histogram and counter maps, from the raw entries read out of the kernel (or a recording)
 * to text and JSON. An entry is a key and one value per CPU (a single value for maps that
 * are not per-CPU); per-CPU values are summed, as BCC's tools do.
 * @module
 */
import { valueCodec, type Btf, type BtfValue, type BtfValueCodec, type ValueLayout } from '../../btf/index.js';
import type { CounterPlan, HistPlan } from './discover.js';
import { jsonValue, plainText } from './fields.js';
import { formatHistogram, histBuckets, type HistStyle } from './hist.js';

/** One map entry as read: the key and the value of each CPU. */
export interface MapEntry {
  key: Uint8Array;
  values: Uint8Array[];
}

/** An unsigned integer of `size` bytes at `offset`. */
export function readUint(b: Uint8Array, offset: number, size: number, littleEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v |= BigInt(b[offset + (littleEndian ? i : size - 1 - i)] ?? 0) << BigInt(8 * i);
  return v;
}

function codecOrUndefined(btf: Btf | undefined, id: number, littleEndian: boolean): BtfValueCodec | undefined {
  if (!btf || !id) return undefined;
  try {
    return valueCodec(btf, id, { littleEndian });
  } catch {
    return undefined;
  }
}

/** Decodes and renders keys: by BTF when known, else as an unsigned integer (or hex beyond 8 bytes). */
export class KeyRenderer {
  readonly #codec: BtfValueCodec | undefined;
  readonly #le: boolean;
  /** The key's name for BCC's `<name> = <key>` line: the key struct's name or `key`. */
  readonly name: string;

  constructor(btf: Btf | undefined, typeId: number, littleEndian: boolean) {
    this.#codec = codecOrUndefined(btf, typeId, littleEndian);
    this.#le = littleEndian;
    const l = this.#codec?.layout;
    this.name = l && l.kind === 'struct' ? l.fields.map((f) => f.name).join(', ') : 'key';
  }

  value(key: Uint8Array): BtfValue {
    if (this.#codec && key.length >= this.#codec.size) return this.#codec.decode(key);
    if (key.length <= 8) return readUint(key, 0, key.length, this.#le);
    return Array.from(key, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  /** Text: a struct's members joined by `, ` (bpftrace's tuple keys), a scalar as is, a `dev_t` as `major:minor`. */
  text(key: Uint8Array): string {
    const v = this.value(key);
    const l = this.#codec?.layout;
    // The kernel's dev_t: MAJOR(dev) = dev >> MINORBITS (20), MINOR(dev) = dev & MINORMASK.
    if (l && l.kind === 'int' && /(^|_)dev_t$/.test(l.typeName)) return `${Number(v) >>> 20}:${Number(v) & 0xfffff}`;
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) return Object.values(v).map(plainText).join(', ');
    return plainText(v);
  }

  json(key: Uint8Array): unknown {
    return jsonValue(this.value(key));
  }
}

/** One histogram read from a map: its key (undefined for a single one) and bucket counts. */
export interface HistData {
  key: Uint8Array | undefined;
  counts: number[];
  /** A `comm` member next to the slots (BCC's `struct hist { slots; comm }`), shown with the key. */
  comm?: string;
}

/** Reads the histograms of a map from its entries. */
export function readHistograms(plan: HistPlan, entries: readonly MapEntry[], littleEndian: boolean, btf?: Btf): HistData[] {
  if (plan.layout === 'index') {
    const counts: number[] = new Array(Math.min(plan.slotCount, 4096)).fill(0);
    for (const e of entries) {
      const slot = Number(readUint(e.key, 0, 4, littleEndian));
      if (slot >= counts.length) continue;
      let sum = 0n;
      for (const v of e.values) sum += readUint(v, 0, plan.slotSize, littleEndian);
      counts[slot] = Number(sum);
    }
    return [{ key: undefined, counts }];
  }
  const valueCodec_ = codecOrUndefined(btf, plan.valueTypeId, littleEndian);
  const out: HistData[] = [];
  for (const e of entries) {
    const counts: number[] = new Array(plan.slotCount).fill(0);
    for (const v of e.values) {
      for (let i = 0; i < plan.slotCount; i++) counts[i]! += Number(readUint(v, plan.slotsOffset + i * plan.slotSize, plan.slotSize, littleEndian));
    }
    let comm: string | undefined;
    if (valueCodec_ && e.values[0] && e.values[0].length >= valueCodec_.size) {
      const dv = valueCodec_.decode(e.values[0]) as Record<string, BtfValue>;
      if (typeof dv.comm === 'string') comm = dv.comm;
    }
    out.push({ key: e.key, counts, ...(comm !== undefined ? { comm } : {}) });
  }
  // A single histogram at key 0 prints without a key, as BCC's tools do without -P/-L.
  if (plan.singleKeyed && out.length === 1 && out[0]!.key && out[0]!.key.every((b) => b === 0)) out[0]!.key = undefined;
  out.sort((a, b) => sum(a.counts) - sum(b.counts));
  return out;
}

const sum = (c: readonly number[]) => c.reduce((a, b) => a + b, 0);

/** Text of a histogram map, in the chosen style (a map with no entries prints nothing). */
export function formatHistograms(plan: HistPlan, data: readonly HistData[], keys: KeyRenderer, style: HistStyle): string[] {
  const lines: string[] = [];
  for (const h of data) {
    let label = h.key ? keys.text(h.key) : undefined;
    if (label !== undefined && h.comm !== undefined) label += style === 'bcc' ? ` [${h.comm}]` : `, ${h.comm}`;
    lines.push(...formatHistogram({ name: plan.title, unit: plan.unit, counts: h.counts, scale: plan.scale, ...(label !== undefined ? { label, keyName: keys.name } : {}) }, style));
  }
  return lines;
}

/** JSON lines of a histogram map: `{"type":"hist","map":...,"key":...,"buckets":[{min,max,count}]}`. */
export function histogramsJson(plan: HistPlan, data: readonly HistData[], keys: KeyRenderer, extra: Record<string, unknown> = {}): string[] {
  return data.map((h) =>
    JSON.stringify({
      type: 'hist',
      map: plan.map,
      ...extra,
      unit: plan.unit,
      ...(h.key ? { key: keys.json(h.key) } : {}),
      ...(h.comm !== undefined ? { comm: h.comm } : {}),
      buckets: histBuckets(h.counts, plan.scale),
      total: sum(h.counts),
    }),
  );
}

/** One row of a counter table. */
export interface CounterRow {
  key: Uint8Array;
  /** Summed over CPUs; a struct value has one number per member. */
  values: bigint[];
}

function valueColumns(layout: ValueLayout | undefined): { name: string; offset: number; size: number }[] {
  if (layout && layout.kind === 'struct') return layout.fields.map((f) => ({ name: f.name, offset: f.bitOffset / 8, size: f.layout.size }));
  return [{ name: 'value', offset: 0, size: layout?.size ?? 0 }];
}

/** Counter rows, sorted by (first) value, largest first; array slots that are zero left out. */
export function readCounters(plan: CounterPlan, entries: readonly MapEntry[], littleEndian: boolean, btf?: Btf): { columns: string[]; rows: CounterRow[] } {
  const layout = codecOrUndefined(btf, plan.valueTypeId, littleEndian)?.layout;
  const cols = valueColumns(layout).map((c) => (c.size ? c : { ...c, size: plan.valueSize }));
  const rows: CounterRow[] = [];
  for (const e of entries) {
    const values = cols.map((c) => e.values.reduce((a, v) => a + readUint(v, c.offset, c.size, littleEndian), 0n));
    if (plan.array && values.every((v) => v === 0n)) continue;
    rows.push({ key: e.key, values });
  }
  rows.sort((a, b) => (a.values[0]! < b.values[0]! ? 1 : a.values[0]! > b.values[0]! ? -1 : 0));
  return { columns: cols.map((c) => c.name), rows };
}

/** A counter table: `@map:` then `KEY  VALUE` rows (the header names the value members). */
export function formatCounters(plan: CounterPlan, table: { columns: string[]; rows: CounterRow[] }, keys: KeyRenderer): string[] {
  const keyTexts = table.rows.map((r) => keys.text(r.key));
  const headers = ['KEY', ...table.columns.map((c) => c.toUpperCase())];
  const cells = table.rows.map((r, i) => [keyTexts[i]!, ...r.values.map(String)]);
  const widths = headers.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  // Key left-aligned, numbers right-aligned.
  const line = (row: string[]) => row.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  return [`@${plan.map}:`, line(headers), ...cells.map(line), ''];
}

/** One JSON line of a counter map. */
export function countersJson(plan: CounterPlan, table: { columns: string[]; rows: CounterRow[] }, keys: KeyRenderer, extra: Record<string, unknown> = {}): string {
  const n = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
  return JSON.stringify({
    type: 'counters',
    map: plan.map,
    ...extra,
    entries: table.rows.map((r) => ({
      key: keys.json(r.key),
      value: table.columns.length === 1 && table.columns[0] === 'value' ? n(r.values[0]!) : Object.fromEntries(table.columns.map((c, i) => [c, n(r.values[i]!)])),
    })),
  });
}
