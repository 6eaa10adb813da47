/**
 * Uprobes (`SEC("uprobe/<path>:<symbol>")`, `uretprobe`): a breakpoint in a file, at the
 * offset of a function (`elf-symbols.ts`) plus an optional offset, for every process or
 * one pid, through the uprobe PMU (`probe-pmu.ts`), then attached like any perf event.
 * @module
 */
import { ProgType } from '../uapi/bpf.js';
import { AttachError, requireProgType } from './errors.js';
import { attachToPerfEvent } from './perf-event.js';
import { openProbe, pmuType, retprobeBit } from './probe-pmu.js';
import { resolveBinaryPath, uprobeOffset } from './elf-symbols.js';
import type { AttachableProgram, Link } from './link.js';

/** Options of {@link attachUprobe}. */
export interface UprobeOptions {
  /** The function; its offset comes from the file's symbol tables. */
  symbol?: string;
  /** Added to the symbol's offset, or the file offset itself without `symbol`. */
  offset?: number | bigint;
  /** Only this process (default: every process that runs the file). */
  pid?: number;
  /** A uretprobe: run when the function returns. */
  retprobe?: boolean;
  /** `bpf_get_attach_cookie()` value. */
  cookie?: bigint;
  /** USDT semaphore file offset (`ref_ctr_offset`). */
  refCtrOffset?: bigint;
}

/**
 * Attaches a kprobe-type program as a uprobe on `binary` (absolute path, a library name
 * such as `libc.so.6`, or a command in `$PATH`).
 * @throws {@link AttachError} naming `binary:symbol` when the file or symbol is missing.
 */
export function attachUprobe(prog: AttachableProgram, binary: string, o: UprobeOptions = {}): Link {
  const kind = o.retprobe ? 'uretprobe' : 'uprobe';
  const shown = `${binary}${o.symbol ? `:${o.symbol}` : ''}${o.offset ? `+0x${BigInt(o.offset).toString(16)}` : ''}`;
  requireProgType(kind, shown, prog, ProgType.KPROBE);
  if (o.symbol === undefined && o.offset === undefined) throw new AttachError(kind, shown, 'give a symbol or an offset');
  const path = resolveBinaryPath(binary);
  const offset = (o.symbol !== undefined ? uprobeOffset(path, o.symbol) : 0n) + BigInt(o.offset ?? 0);
  const type = pmuType('uprobe');
  if (type === undefined) throw new AttachError(kind, shown, 'kernel built without CONFIG_UPROBE_EVENTS (no uprobe PMU in /sys/bus/event_source/devices)');
  let fd;
  try {
    fd = openProbe(type, o.retprobe ? retprobeBit('uprobe') : undefined, path, offset, o.pid ?? -1, o.refCtrOffset);
  } catch (e) {
    throw new AttachError(kind, shown, (e as Error).message, { cause: e });
  }
  return attachToPerfEvent(prog, fd, kind, shown, o.cookie);
}

/**
 * Parses a `uprobe` section target: `<path>:<symbol>[+<offset>]` or `<path>:<offset>`
 * (libbpf's `attach_uprobe` format). Undefined when it does not fit.
 */
export function parseUprobeTarget(t: string):
  | {
      /** The file as written: a path, a library name or a command ({@link attachUprobe} resolves it). */
      binary: string;
      /** The function, when the target names one. */
      symbol?: string;
      /** Added to the symbol's offset; without `symbol`, the file offset of the probe itself. */
      offset?: bigint;
    }
  | undefined {
  const m = /^([^:]+):(.+)$/.exec(t);
  if (!m) return undefined;
  const [, binary, rest] = m as unknown as [string, string, string];
  if (/^(0x[0-9a-f]+|\d+)$/i.test(rest)) return { binary, offset: BigInt(rest) };
  const p = /^([^+]+)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(rest);
  if (!p) return undefined;
  return p[2] ? { binary, symbol: p[1]!, offset: BigInt(p[2]) } : { binary, symbol: p[1]! };
}
