/**
 * The recording format of `tsbpf run --record FILE`, read back by `tsbpf replay FILE`.
 *
 * JSON lines (UTF-8, one object per line), bytes in base64. The first line is the header;
 * every later line is one thing that happened, in order, with its wall-clock time `t` (ms
 * since the epoch):
 * ```
 * {"format":"tsbpf-record","version":1,"object":"execsnoop","littleEndian":true,
 *  "tzOffsetMin":60,"btf":"<object .BTF, base64>","plan":{...RunPlan...},
 *  "options":{"json":false,"histStyle":"bpftrace","interval":0}}
 * {"t":1764158400123.4,"event":"events","data":"<record bytes>"}
 * {"t":...,"lost":"events","count":3}
 * {"t":...,"printk":"<trace_pipe line>"}
 * {"t":...,"iter":"<program>","text":"<what one pass of an iterator printed>"}
 * {"t":...,"maps":{"hist_usecs":[{"k":"<key>","v":["<cpu0 value>",...]}]},"final":false,
 *  "symbols":{"k:ffffffff81000000":"do_syscall_64","u:42:401000":"main"}}
 * {"t":...,"end":true}
 * ```
 * `maps` lines are the histogram, counter and stack maps as read at each `--interval` and
 * at exit (`final: true`), with the names of the stack addresses as resolved live. The object's BTF and the {@link RunPlan} are all replay needs to decode
 * and print: no object file, no kernel, no privileges. A reader refuses another format
 * name or a newer version; version 1 readers ignore fields they do not know.
 * @module
 */
import { TsbpfError } from '../../errors.js';
import type { RunPlan } from './discover.js';
import type { HistStyle } from './hist.js';
import type { MapEntry } from './map-format.js';

/** The format name in the header. */
export const RECORD_FORMAT = 'tsbpf-record';
/** The version this code writes and the newest it reads. */
export const RECORD_VERSION = 1;

/** Display options a recording was made with (replay's defaults). */
export interface RecordedOptions {
  json: boolean;
  histStyle: HistStyle;
  interval: number;
}

/** The first line. */
export interface RecordHeader {
  format: typeof RECORD_FORMAT;
  version: number;
  object: string;
  littleEndian: boolean;
  /** Minutes east of UTC of the recording machine (TIME column). */
  tzOffsetMin: number;
  /** The object's raw `.BTF` section, or undefined without BTF. */
  btf: Uint8Array | undefined;
  plan: RunPlan;
  options: RecordedOptions;
}

/** One recorded happening. */
export type RecordItem =
  | { kind: 'event'; t: number; map: string; data: Uint8Array }
  | { kind: 'lost'; t: number; map: string; count: number }
  | { kind: 'printk'; t: number; line: string }
  | { kind: 'iter'; t: number; program: string; text: string }
  | { kind: 'maps'; t: number; final: boolean; maps: Map<string, MapEntry[]>; symbols?: Record<string, string> }
  | { kind: 'end'; t: number };

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const unb64 = (s: unknown, where: string): Uint8Array => {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new TsbpfError(`${where}: not base64`);
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

/** The header line. */
export function encodeHeader(h: RecordHeader): string {
  return JSON.stringify({ ...h, btf: h.btf ? b64(h.btf) : null });
}

/** One item line. */
export function encodeItem(item: RecordItem): string {
  switch (item.kind) {
    case 'event':
      return JSON.stringify({ t: item.t, event: item.map, data: b64(item.data) });
    case 'lost':
      return JSON.stringify({ t: item.t, lost: item.map, count: item.count });
    case 'printk':
      return JSON.stringify({ t: item.t, printk: item.line });
    case 'iter':
      return JSON.stringify({ t: item.t, iter: item.program, text: item.text });
    case 'maps': {
      const maps: Record<string, { k: string; v: string[] }[]> = {};
      for (const [name, entries] of item.maps) maps[name] = entries.map((e) => ({ k: b64(e.key), v: e.values.map(b64) }));
      return JSON.stringify({ t: item.t, maps, final: item.final, ...(item.symbols && Object.keys(item.symbols).length ? { symbols: item.symbols } : {}) });
    }
    case 'end':
      return JSON.stringify({ t: item.t, end: true });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseLine(line: string, n: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new TsbpfError(`line ${n}: not JSON`);
  }
  if (!isObject(v)) throw new TsbpfError(`line ${n}: not a JSON object`);
  return v;
}

/**
 * Reads a recording.
 * @throws TsbpfError (one line) for text that is not a tsbpf recording, a newer version,
 *   or a malformed line (naming the line number).
 */
export function decodeRecording(text: string): { header: RecordHeader; items: RecordItem[] } {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) throw new TsbpfError('empty file: not a tsbpf recording');
  let h: Record<string, unknown>;
  try {
    h = parseLine(lines[0]!, 1);
  } catch {
    throw new TsbpfError('not a tsbpf recording (the first line is not a JSON header)');
  }
  if (h.format !== RECORD_FORMAT) throw new TsbpfError(`not a tsbpf recording (format '${String(h.format)}')`);
  if (typeof h.version !== 'number' || !Number.isInteger(h.version) || h.version < 1) throw new TsbpfError(`recording has no valid version`);
  if (h.version > RECORD_VERSION) throw new TsbpfError(`recording version ${h.version} is newer than this tsbpf reads (${RECORD_VERSION})`);
  const plan = h.plan;
  if (!isObject(plan) || !Array.isArray(plan.events) || !Array.isArray(plan.histograms) || !Array.isArray(plan.counters)) {
    throw new TsbpfError('line 1: header has no valid plan');
  }
  const opts = isObject(h.options) ? h.options : {};
  const header: RecordHeader = {
    format: RECORD_FORMAT,
    version: h.version,
    object: typeof h.object === 'string' ? h.object : '?',
    littleEndian: h.littleEndian !== false,
    tzOffsetMin: typeof h.tzOffsetMin === 'number' ? h.tzOffsetMin : 0,
    btf: h.btf == null ? undefined : unb64(h.btf, 'line 1: btf'),
    plan: plan as unknown as RunPlan,
    options: {
      json: opts.json === true,
      histStyle: opts.histStyle === 'bcc' ? 'bcc' : 'bpftrace',
      interval: typeof opts.interval === 'number' ? opts.interval : 0,
    },
  };
  const items: RecordItem[] = [];
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    if (lines[i] === '') continue;
    const o = parseLine(lines[i]!, n);
    const t = typeof o.t === 'number' ? o.t : 0;
    if (typeof o.event === 'string') items.push({ kind: 'event', t, map: o.event, data: unb64(o.data, `line ${n}: data`) });
    else if (typeof o.lost === 'string') items.push({ kind: 'lost', t, map: o.lost, count: Number(o.count) || 0 });
    else if (typeof o.printk === 'string') items.push({ kind: 'printk', t, line: o.printk });
    else if (typeof o.iter === 'string') items.push({ kind: 'iter', t, program: o.iter, text: typeof o.text === 'string' ? o.text : '' });
    else if (isObject(o.maps)) {
      const maps = new Map<string, MapEntry[]>();
      for (const [name, entries] of Object.entries(o.maps)) {
        if (!Array.isArray(entries)) throw new TsbpfError(`line ${n}: map '${name}': entries are not an array`);
        maps.set(
          name,
          entries.map((e: unknown) => {
            if (!isObject(e) || !Array.isArray(e.v)) throw new TsbpfError(`line ${n}: map '${name}': bad entry`);
            return { key: unb64(e.k, `line ${n}: key`), values: e.v.map((v: unknown) => unb64(v, `line ${n}: value`)) };
          }),
        );
      }
      const symbols: Record<string, string> = {};
      if (isObject(o.symbols)) for (const [k, v] of Object.entries(o.symbols)) if (typeof v === 'string') symbols[k] = v;
      items.push({ kind: 'maps', t, final: o.final === true, maps, ...(Object.keys(symbols).length ? { symbols } : {}) });
    } else if (o.end === true) items.push({ kind: 'end', t });
    // Unknown kinds of a version-1 file: skipped (forward compatible within a version).
  }
  return { header, items };
}
