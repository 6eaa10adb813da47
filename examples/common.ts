/**
 * What the TypeScript examples share: how long to run, decoding records by the BTF type the
 * object names for them, and printing histograms. The tsbpf API calls themselves (parse,
 * load, attach, read) are written out in each example.
 * @module
 */
import { constants } from 'node:os';
import { resolveType, skipModifiers, valueCodec, type BtfValue, type ObjectSpec } from '../src/index.js';

/**
 * Resolves after `durationSec` seconds (when given) or at the first SIGINT/SIGTERM,
 * whichever comes first.
 */
export function untilDone(durationSec?: string | number): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    // Signal handlers do not keep Node running: without this timer a program that only waits
    // (its maps are read at the end) would exit at once, its top-level await unsettled.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      if (timer) clearTimeout(timer);
      clearInterval(keepAlive);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    if (durationSec !== undefined) timer = setTimeout(done, Number(durationSec) * 1000);
  });
}

/**
 * A decoder for the records of ring buffer or perf event array `mapName`: by the
 * `__type(value, struct event)` of the map definition, else by the type of the
 * `TSBPF_EVENT(map, type)` pointer (`__tsbpf_event_<map>`), as `tsbpf run` finds it.
 */
export function recordDecoder<T>(spec: ObjectSpec, mapName: string): (bytes: Uint8Array) => T {
  const btf = spec.btf;
  if (!btf) throw new Error(`object '${spec.name}' has no BTF`);
  let typeId = spec.maps.get(mapName)?.valueTypeId ?? 0;
  if (!typeId) {
    const hint = btf.findByName(`__tsbpf_event_${mapName}`, 'VAR');
    const ptr = hint === undefined ? undefined : btf.type(skipModifiers(btf, (btf.type(hint) as { type: number }).type));
    if (ptr?.kind === 'PTR') typeId = resolveType(btf, ptr.type);
  }
  if (!typeId) throw new Error(`no record type for map '${mapName}'`);
  const codec = valueCodec(btf, typeId, { littleEndian: spec.littleEndian });
  return (bytes) => codec.decode(bytes) as T;
}

/** A record as decoded (plain JS values by BTF type). */
export type Decoded = Record<string, BtfValue>;

/** `HH:MM:SS` of now. */
export function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** `SIGUSR1` for 10. */
export function signalName(sig: number): string {
  const e = Object.entries(constants.signals).find(([, n]) => n === sig);
  return e ? e[0] : String(sig);
}

/**
 * Prints log2 slot counts as BCC does (`print_log2_hist`): one row per slot from the first to
 * the last non-empty one, `low -> high : count |****|` with 40 stars for the largest count.
 */
export function printLog2Hist(slots: readonly (number | bigint)[], unit: string, out: (line: string) => void = console.log): void {
  const counts = slots.map(Number);
  let last = -1;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) last = i;
  if (last < 0) {
    out(`     ${unit.padStart(19)} : count    (no events)`);
    return;
  }
  const max = Math.max(...counts);
  out(`${unit.padStart(24)} : count    distribution`);
  for (let i = 0; i <= last; i++) {
    const low = i === 0 ? 0 : 2 ** i;
    const high = 2 ** (i + 1) - 1;
    const c = counts[i]!;
    const stars = '*'.repeat(Math.round((c * 40) / max));
    out(`${String(low).padStart(10)} -> ${String(high).padEnd(10)} : ${String(c).padEnd(8)} |${stars.padEnd(40)}|`);
  }
}
