/**
 * execsnoop: prints every exec() as it happens.
 *
 *   npx tsx examples/execsnoop.ts [--duration S]
 *
 * The smallest complete tsbpf program: parse the object, load it, attach its one program,
 * read its ring buffer.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, RingbufReader } from '../src/index.js';
import { clock, recordDecoder, untilDone } from './common.js';

const { values } = parseArgs({ options: { duration: { type: 'string' } } });

interface Event {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  filename: string;
}

// Parsing is pure: an ObjectSpec of plain data (programs, maps, BTF).
const spec = parseObject(readFileSync(new URL('./bpf/execsnoop.bpfel.o', import.meta.url)), { fileName: 'execsnoop.bpfel.o' });
// Loading creates the maps and programs in the kernel; the collection owns their fds.
using coll = loadCollection(spec);
// SEC("tracepoint/sched/sched_process_exec") says where to attach. `using`: the links,
// reader and collection are closed, in reverse order, when the program ends.
using links = coll.attachAll();
using reader = RingbufReader.open(coll.map('events')!);
const decode = recordDecoder<Event>(spec, 'events');

console.log(`${'TIME'.padEnd(9)}${'PCOMM'.padEnd(17)}${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'UID'.padStart(5)}  FILENAME`);
reader.on((rec) => {
  const e = decode(rec.bytes);
  console.log(`${clock().padEnd(9)}${e.comm.padEnd(17)}${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)} ${String(e.uid).padStart(5)}  ${e.filename}`);
});
await untilDone(values.duration);
