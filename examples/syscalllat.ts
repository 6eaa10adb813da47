/**
 * syscalllat: syscall latency (entry to exit) as a log2 histogram in microseconds, for
 * every syscall or one (`--nr`, the x86-64 number: 0 read, 1 write, 23 select, 230
 * clock_nanosleep), of every process or one.
 *
 *   npx tsx examples/syscalllat.ts [--pid PID] [--nr N] [--duration S]
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, typedMap } from '../src/index.js';
import { printLog2Hist, untilDone } from './common.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, nr: { type: 'string' }, duration: { type: 'string' } } });

const spec = parseObject(readFileSync(new URL('./bpf/syscalllat.bpfel.o', import.meta.url)), { fileName: 'syscalllat.bpfel.o' });
using coll = loadCollection(spec, {
  constants: { targ_pid: Number(values.pid ?? 0), targ_nr: Number(values.nr ?? -1) },
});
using links = coll.attachAll();
using hist = typedMap<number, bigint>(coll.map('hist_usecs')!);

console.log(`Tracing syscall latency${values.nr ? ` of syscall ${values.nr}` : ''}${values.pid ? ` in pid ${values.pid}` : ''}... Hit Ctrl-C to end.`);
await untilDone(values.duration);
links.close();
// An array map has every key: iterate it like a Map.
const slots = [...hist.entries()].sort(([a], [b]) => a - b).map(([, count]) => count);
printLog2Hist(slots, 'usecs');
console.log(`total: ${slots.reduce((a, b) => a + b, 0n)}`);
