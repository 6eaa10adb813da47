/**
 * runqlat: how long runnable tasks wait for a CPU, as a log2 histogram in microseconds,
 * printed at the end (and every `--interval` seconds).
 *
 *   npx tsx examples/runqlat.ts [--pid PID] [--interval S] [--duration S]
 *
 * Nothing is sent per event: the kernel side counts into an array map (`hist_usecs`, one
 * u64 per log2 slot) and user space reads the array when it prints. `typedMap` gives a
 * handle whose keys and values are JS numbers, decoded by the map's BTF.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, typedMap } from '../src/index.js';
import { printLog2Hist, untilDone } from './common.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, interval: { type: 'string' }, duration: { type: 'string' } } });

const spec = parseObject(readFileSync(new URL('./bpf/runqlat.bpfel.o', import.meta.url)), { fileName: 'runqlat.bpfel.o' });
using coll = loadCollection(spec, { constants: { targ_pid: Number(values.pid ?? 0) } });
using links = coll.attachAll();
// key: __u32 slot, value: __u64 count.
using hist = typedMap<number, bigint>(coll.map('hist_usecs')!);

/** Reads the slots (and, with `reset`, zeroes them for the next interval). */
function slots(reset: boolean): bigint[] {
  const out: bigint[] = [];
  for (let slot = 0; slot < hist.maxEntries; slot++) {
    out.push(hist.lookup(slot) ?? 0n);
    if (reset) hist.update(slot, 0n);
  }
  return out;
}

console.log(`Tracing run queue latency${values.pid ? ` of pid ${values.pid}` : ''}... Hit Ctrl-C to end.`);
const timer = values.interval ? setInterval(() => printLog2Hist(slots(true), 'usecs'), Number(values.interval) * 1000) : undefined;
await untilDone(values.duration);
if (timer) clearInterval(timer);
links.close(); // stop counting before the final read
printLog2Hist(slots(false), 'usecs');
