/**
 * Well-known fields: how `tsbpf run` renders a member of an event struct, chosen by its name
 * and BTF type, the conventions BCC's tools print by hand:
 *
 * | field                                   | rendered as                                   |
 * |-----------------------------------------|-----------------------------------------------|
 * | any `char[]` (`comm`, `task`, `filename`) | the string up to its NUL                     |
 * | `ret`, `retval`, `err`, `errno`          | the number, and its errno name when negative (`-2 ENOENT`) |
 * | `saddr`, `daddr` (+ `_v4`, `_v6`)        | IPv4 for 4 bytes, IPv6 for 16 (with an `af`/`family` field of 2 the first 4 bytes are IPv4) |
 * | `sport`, `dport`, `lport`, `port`        | a port; network byte order when the type is `__be16` or the name ends in `_be` |
 * | `sig`, `signal`                          | the signal name (`SIGKILL`)                   |
 * | `family`, `af`                           | the address family (`AF_INET6`)               |
 * | `ts`, `timestamp`                        | seconds since the first event (`bpf_ktime_get_ns` values) |
 * | `*_ns`, `*_us`, `*_ms`                   | a duration with a unit (`1.25ms`)             |
 * | other integers                          | decimal                                       |
 *
 * Addresses are read from the raw bytes (they are stored in network byte order whatever
 * the host's), everything else from the value the BTF codec decoded.
 * @module
 */
import { constants } from 'node:os';
import type { BtfValue, ValueLayout } from '../../btf/index.js';

/** How a column renders. */
export type FieldKind = 'string' | 'int' | 'errno' | 'ipv4' | 'ipv6' | 'ip' | 'family' | 'port' | 'port-be' | 'signal' | 'timestamp' | 'duration' | 'other';

const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);
const signalNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!signalNames.has(n) && name !== 'SIGIOT' && name !== 'SIGPOLL') signalNames.set(n, name);

/** `AF_*` names of `linux/socket.h` that events carry. */
const ADDRESS_FAMILIES: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET' };

/** `ENOENT` for 2, undefined for an unknown number. */
export function errnoName(n: number): string | undefined {
  return errnoNames.get(n);
}

/** `SIGKILL` for 9, undefined for an unknown number. */
export function signalName(n: number): string | undefined {
  return signalNames.get(n);
}

/** The unit of a duration field from its name suffix, in nanoseconds per unit. */
export function durationScale(name: string): number | undefined {
  if (/(^|_)(ns|nsecs?)$/.test(name)) return 1;
  if (/(^|_)(us|usecs?)$/.test(name)) return 1e3;
  if (/(^|_)(ms|msecs?)$/.test(name)) return 1e6;
  return undefined;
}

/** The {@link FieldKind} of member `name` whose layout is `layout`. */
export function fieldKind(name: string, layout: ValueLayout): FieldKind {
  const n = name.toLowerCase();
  if (layout.kind === 'string') return 'string';
  if (/^[sd]addr(_v[46])?$|^(src|dst)_?addr$|^addr$/.test(n)) {
    if (layout.size === 4) return 'ipv4';
    if (layout.size === 16) return 'ipv6';
  }
  if (layout.kind !== 'int') return 'other';
  if (/^(ret|retval|err|errno|error)$/.test(n)) return 'errno';
  if (/^[sdl]port(_be)?$|^port(_be)?$/.test(n) && layout.size === 2) {
    return /be16/.test(layout.typeName) || n.endsWith('_be') ? 'port-be' : 'port';
  }
  if (n === 'sig' || n === 'signal') return 'signal';
  if ((n === 'family' || n === 'af' || n === 'sa_family') && layout.size <= 2) return 'family';
  if (n === 'ts' || n === 'timestamp' || n === 'ts_ns') return 'timestamp';
  if (durationScale(n) !== undefined) return 'duration';
  return 'int';
}

/** IPv4 dotted quad from 4 bytes in network order. */
export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * IPv6 text as `inet_ntop` writes it (RFC 5952): lowercase hex groups, the longest run of
 * two or more zero groups as `::`, and `::ffff:a.b.c.d` for IPv4-mapped addresses.
 */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIPv4(b.subarray(12, 16))}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** A duration of `ns` nanoseconds with a unit: `850ns`, `12.5us`, `4.56ms`, `1.23s`. */
export function formatDuration(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1e3) return `${ns}ns`;
  if (a < 1e6) return `${trim(ns / 1e3)}us`;
  if (a < 1e9) return `${trim(ns / 1e6)}ms`;
  return `${trim(ns / 1e9)}s`;
}

function trim(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

const latin1 = new TextDecoder('latin1');

/** A decoded value as one table cell (no kind-specific rendering). */
export function plainText(v: BtfValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) {
    // A char array that is not UTF-8: show it byte for byte, control bytes escaped.
    return latin1.decode(v).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  }
  if (Array.isArray(v)) return `[${v.map(plainText).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}=${plainText(x)}`)
    .join(',')}}`;
}

/** A BTF value made JSON-safe: bigints as numbers when exact, else strings; bytes as arrays. */
export function jsonValue(v: BtfValue): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return plainText(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

/** Context kept across the events of one run: the first timestamp seen. */
export interface FieldContext {
  firstTs: bigint | undefined;
}

function asBigInt(v: BtfValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return 0n;
}

function signed(v: BtfValue, size: number): number {
  return Number(BigInt.asIntN(size * 8, asBigInt(v)));
}

/**
 * The text of one well-known field. `raw` is the field's bytes (for addresses), `v` its
 * decoded value, `family` the value of an `af`/`family` field of the same event.
 */
export function fieldText(kind: FieldKind, name: string, layout: ValueLayout, v: BtfValue, raw: Uint8Array, ctx: FieldContext, family?: number): string {
  switch (kind) {
    case 'ipv4':
      return formatIPv4(raw);
    case 'ipv6':
      return family === 2 ? formatIPv4(raw) : formatIPv6(raw);
    case 'errno': {
      const n = signed(v, layout.size);
      const e = n < 0 ? errnoName(-n) : undefined;
      return e ? `${n} ${e}` : String(n);
    }
    case 'port':
      return String(v);
    case 'port-be':
      return String((raw[0]! << 8) | raw[1]!);
    case 'signal': {
      const s = signalName(Number(v));
      return s ?? String(v);
    }
    case 'family':
      return ADDRESS_FAMILIES[Number(v)] ?? String(v);
    case 'timestamp': {
      const t = asBigInt(v);
      ctx.firstTs ??= t;
      return ((Number(t - ctx.firstTs) / 1e9).toFixed(6));
    }
    case 'duration':
      return formatDuration(Number(v) * (durationScale(name.toLowerCase()) ?? 1));
    default:
      return plainText(v);
  }
}

/** The JSON value of one field: numbers stay numbers, addresses become text, ports host order. */
export function fieldJson(kind: FieldKind, layout: ValueLayout, v: BtfValue, raw: Uint8Array, family?: number): unknown {
  switch (kind) {
    case 'ipv4':
      return formatIPv4(raw);
    case 'ipv6':
      return family === 2 ? formatIPv4(raw) : formatIPv6(raw);
    case 'errno':
      return signed(v, layout.size);
    case 'port-be':
      return (raw[0]! << 8) | raw[1]!;
    default:
      return jsonValue(v);
  }
}
