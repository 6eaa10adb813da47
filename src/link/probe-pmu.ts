/**
 * The `kprobe` and `uprobe` PMUs (4.17+): dynamic perf event types whose number is in
 * `/sys/bus/event_source/devices/<pmu>/type`. A perf_event_attr of that type with
 * `config1` = pointer to a function name (kprobe) or file path (uprobe) and `config2` =
 * offset creates the probe without touching tracefs; bit `retprobe` of `config` (its
 * position is in `format/retprobe`, "config:0") makes it a return probe.
 * @module
 */
import { readFileSync } from 'node:fs';
import { NativeBuffer, perfEventOpen, type Fd } from '../syscall/index.js';
import { encodePerfEventAttr } from './perf-event.js';

const PMU_DIR = '/sys/bus/event_source/devices';

/** The PMU's perf type number, or undefined when the kernel has no such PMU. */
export function pmuType(pmu: 'kprobe' | 'uprobe'): number | undefined {
  try {
    const n = Number(readFileSync(`${PMU_DIR}/${pmu}/type`, 'utf8').trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The `config` bit of the PMU's `retprobe` format ("config:0" -> 0). */
export function retprobeBit(pmu: 'kprobe' | 'uprobe'): number {
  try {
    const m = /^config:(\d+)/.exec(readFileSync(`${PMU_DIR}/${pmu}/format/retprobe`, 'utf8').trim());
    if (m) return Number(m[1]);
  } catch {
    // Every kernel with the PMU so far uses bit 0.
  }
  return 0;
}

/** Encodes the probe's `perf_event_attr` and opens it. `name` is the function or path. */
export function openProbe(type: number, retprobe: number | undefined, name: string, offset: bigint, pid: number, refCtrOffset = 0n): Fd {
  const s = new TextEncoder().encode(name + '\0');
  const mem = new NativeBuffer(s.length);
  try {
    mem.bytes.set(s);
    // uprobe: ref_ctr_offset lives in config bits 32-63 (format/ref_ctr_offset).
    const config = (retprobe !== undefined ? 1n << BigInt(retprobe) : 0n) | (refCtrOffset << 32n);
    const attr = encodePerfEventAttr({ type, config, sample: 1n, config1: mem.ptr, config2: offset });
    // A probe for one process follows it on every CPU; a system-wide one is opened on CPU 0
    // and runs its program wherever the probe hits (as for tracepoints).
    return perfEventOpen(attr, pid, pid >= 0 ? -1 : 0);
  } finally {
    mem.free();
  }
}
