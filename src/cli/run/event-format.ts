/**
 * Events as an aligned table or as JSON lines.
 *
 * An event struct becomes one column per member (members of anonymous structs and unions
 * are columns of their own, as C reads them), headed by the member name in capitals after
 * a `TIME` column, BCC's layout:
 * ```
 * TIME     PID     PPID    UID     COMM             FILENAME
 * 12:00:01 4242    0       0       true             /usr/bin/true
 * ```
 * Column widths start from the type (a pid-sized integer 7, a string up to 16) and grow
 * when a wider value comes; the last column is never padded. With `--json` each event is
 * one line: `{"type":"event","map":"events","time":"<ISO 8601>","data":{...}}`.
 * @module
 */
import type { BtfValue, BtfValueCodec, CompositeLayout, ValueLayout } from '../../btf/index.js';
import { fieldJson, fieldKind, fieldText, formatIPv4, formatIPv6, type FieldContext, type FieldKind } from './fields.js';

/** One column of an event table. */
export interface EventColumn {
  /** Member name (path `a.b` for members of a nested anonymous struct is flattened to `b`). */
  name: string;
  header: string;
  kind: FieldKind;
  layout: ValueLayout;
  /** Byte offset in the record. */
  offset: number;
  width: number;
  /** For a merged `ip` column: the offsets of the IPv4 and IPv6 members. */
  pair?: { v4: number; v6: number };
}

function initialWidth(name: string, kind: FieldKind, l: ValueLayout): number {
  let w: number;
  switch (kind) {
    case 'string':
      w = Math.min(Math.max(l.size - 1, 1), 16);
      break;
    case 'ipv4':
      w = 15;
      break;
    case 'ipv6':
      w = 25;
      break;
    case 'errno':
      w = 12;
      break;
    case 'port':
    case 'port-be':
      w = 5;
      break;
    case 'signal':
    case 'family':
      w = 9;
      break;
    case 'timestamp':
      w = 11;
      break;
    case 'duration':
      w = 9;
      break;
    case 'int':
      w = l.size <= 1 ? 3 : l.size === 2 ? 5 : l.size === 4 ? 7 : 12;
      break;
    default:
      w = 12;
  }
  return Math.max(w, name.length);
}

/** The columns of an event struct. */
export function eventColumns(layout: ValueLayout): EventColumn[] {
  const out: EventColumn[] = [];
  const walk = (c: CompositeLayout, base: number): void => {
    for (const f of c.fields) {
      const offset = base + Math.floor(f.bitOffset / 8);
      if (f.name === '' && (f.layout.kind === 'struct' || f.layout.kind === 'union')) {
        walk(f.layout, offset);
        continue;
      }
      const kind = fieldKind(f.name, f.layout);
      out.push({ name: f.name, header: f.name.toUpperCase(), kind, layout: f.layout, offset, width: initialWidth(f.name, kind, f.layout) });
    }
  };
  if (layout.kind === 'struct' || layout.kind === 'union') walk(layout, 0);
  else {
    const kind = fieldKind('value', layout);
    out.push({ name: 'value', header: 'VALUE', kind, layout, offset: 0, width: initialWidth('value', kind, layout) });
  }
  return mergeAddressPairs(out);
}

/**
 * `saddr_v4` + `saddr_v6` next to an address family field become one `saddr` column that
 * shows whichever the family says (tcpconnect's layout): one address column, not two with
 * one always empty.
 */
function mergeAddressPairs(cols: EventColumn[]): EventColumn[] {
  if (!cols.some((c) => FAMILY.test(c.name))) return cols;
  const out: EventColumn[] = [];
  for (const c of cols) {
    const m = /^(.*)_v([46])$/.exec(c.name);
    if (m && (c.kind === 'ipv4' || c.kind === 'ipv6')) {
      const other = cols.find((x) => x.name === `${m[1]}_v${m[2] === '4' ? '6' : '4'}`);
      if (other && (other.kind === 'ipv4' || other.kind === 'ipv6')) {
        if (m[2] === '6') continue; // merged into the _v4 column
        out.push({ ...c, name: m[1]!, header: m[1]!.toUpperCase(), kind: 'ip', width: Math.max(15, m[1]!.length), pair: { v4: c.offset, v6: other.offset } });
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

const FAMILY = /^(af|family|sa_family|ip_version|ipver)$/;

/** `HH:MM:SS` of `timeMs` (ms since the epoch) in a zone `tzOffsetMin` minutes east of UTC. */
export function clockTime(timeMs: number, tzOffsetMin: number): string {
  const d = new Date(timeMs + tzOffsetMin * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Member values of a decoded struct, looking into anonymous members (which the codec flattens). */
function member(v: BtfValue, name: string): BtfValue | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) return (v as Record<string, BtfValue>)[name];
  return name === 'value' ? v : undefined;
}

/** The address of a merged v4/v6 pair: IPv6 when the family is AF_INET6 (10), else IPv4. */
function pairText(pair: { v4: number; v6: number }, bytes: Uint8Array, family: number | undefined): string {
  return family === 10 ? formatIPv6(bytes.subarray(pair.v6, pair.v6 + 16)) : formatIPv4(bytes.subarray(pair.v4, pair.v4 + 4));
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Formats the events of one map; keeps the column widths and timestamp origin between rows. */
export class EventFormatter {
  readonly map: string;
  readonly columns: EventColumn[];
  readonly #codec: BtfValueCodec | undefined;
  readonly #ctx: FieldContext = { firstTs: undefined };
  readonly #familyColumn: EventColumn | undefined;

  /** `codec` undefined: the record type is unknown and records print as bytes. */
  constructor(map: string, codec: BtfValueCodec | undefined) {
    this.map = map;
    this.#codec = codec;
    this.columns = codec ? eventColumns(codec.layout) : [];
    this.#familyColumn = this.columns.find((c) => FAMILY.test(c.name));
  }

  /** The header line (`TIME     PID ...`). */
  header(): string {
    if (!this.#codec) return `TIME     ${this.map.toUpperCase()} (bytes)`;
    return this.#join(['TIME    ', ...this.columns.map((c) => c.header)]);
  }

  #join(cells: string[]): string {
    return cells.map((s, i) => (i === 0 || i === cells.length - 1 ? s : s.padEnd(this.columns[i - 1]!.width))).join(' ').trimEnd();
  }

  #decode(bytes: Uint8Array): BtfValue | undefined {
    if (!this.#codec || bytes.length < this.#codec.size) return undefined;
    return this.#codec.decode(bytes);
  }

  #family(v: BtfValue): number | undefined {
    if (!this.#familyColumn) return undefined;
    const f = member(v, this.#familyColumn.name);
    const n = Number(f);
    // ip_version style fields say 4 or 6; AF_INET is 2.
    return n === 4 ? 2 : n;
  }

  /** One table row. `time` is the TIME cell. */
  row(time: string, bytes: Uint8Array): string {
    const v = this.#decode(bytes);
    if (v === undefined) {
      const why = this.#codec ? ` (short record: ${bytes.length} of ${this.#codec.size} bytes)` : '';
      return `${time} ${hex(bytes)}${why}`;
    }
    const family = this.#family(v);
    const cells = this.columns.map((c) => {
      if (c.pair) {
        const text = pairText(c.pair, bytes, family);
        if (text.length > c.width) c.width = text.length;
        return text;
      }
      const x = member(v, c.name);
      const text = x === undefined ? '' : fieldText(c.kind, c.name, c.layout, x, bytes.subarray(c.offset, c.offset + c.layout.size), this.#ctx, family);
      if (text.length > c.width) c.width = text.length;
      return text;
    });
    return this.#join([time, ...cells]);
  }

  /** The `data` object of a JSON event line. */
  data(bytes: Uint8Array): Record<string, unknown> | { bytes: string } {
    const v = this.#decode(bytes);
    if (v === undefined) return { bytes: hex(bytes) };
    const family = this.#family(v);
    const out: Record<string, unknown> = {};
    for (const c of this.columns) {
      if (c.pair) {
        out[c.name] = pairText(c.pair, bytes, family);
        continue;
      }
      const x = member(v, c.name);
      if (x !== undefined) out[c.name] = fieldJson(c.kind, c.layout, x, bytes.subarray(c.offset, c.offset + c.layout.size), family);
    }
    return out;
  }

  /** One JSON line (without newline). */
  json(timeMs: number, bytes: Uint8Array): string {
    return JSON.stringify({ type: 'event', map: this.map, time: new Date(timeMs).toISOString(), data: this.data(bytes) });
  }
}
