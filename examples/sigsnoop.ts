/**
 * sigsnoop: prints every signal sent: sender, target, signal and outcome.
 *
 *   npx tsx examples/sigsnoop.ts [--pid SENDER] [--sig N] [--duration S]
 *
 * Events come through a perf event array: `PerfReader` opens one perf buffer per CPU and
 * stores their fds in the map; records are read with the same API as ring buffers.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, PerfReader } from '../src/index.js';
import { clock, recordDecoder, signalName, untilDone } from './common.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, sig: { type: 'string' }, duration: { type: 'string' } } });

interface Event {
  pid: number;
  tpid: number;
  sig: number;
  result: number;
  comm: string;
  tcomm: string;
}

const results = ['delivered', 'ignored', 'already pending', 'overflow', 'lose info'];

const spec = parseObject(readFileSync(new URL('./bpf/sigsnoop.bpfel.o', import.meta.url)), { fileName: 'sigsnoop.bpfel.o' });
using coll = loadCollection(spec, {
  constants: { targ_pid: Number(values.pid ?? 0), targ_sig: Number(values.sig ?? 0) },
});
using links = coll.attachAll();
using reader = PerfReader.open(coll.map('events')!, { onLost: (cpu, n) => console.error(`lost ${n} events on CPU ${cpu}`) });
// The perf array's own value is an fd: the record type comes from TSBPF_EVENT(events, ...).
const decode = recordDecoder<Event>(spec, 'events');

console.log(`${'TIME'.padEnd(9)}${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${'SIG'.padEnd(9)} ${'TPID'.padStart(7)} ${'TCOMM'.padEnd(16)} RESULT`);
reader.on((rec) => {
  const e = decode(rec.bytes);
  console.log(
    `${clock().padEnd(9)}${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${signalName(e.sig).padEnd(9)} ${String(e.tpid).padStart(7)} ${e.tcomm.padEnd(16)} ${results[e.result] ?? e.result}`,
  );
});
await untilDone(values.duration);
