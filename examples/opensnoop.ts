/**
 * opensnoop: prints every openat(2) with its result, a file descriptor or an error.
 *
 *   npx tsx examples/opensnoop.ts [--pid PID] [--failed] [--duration S]
 *
 * Shows `.rodata` constants set before load: `--pid` becomes `targ_pid`, which the
 * verifier then sees as a constant (dead branches are pruned).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errnoName, loadCollection, parseObject, RingbufReader } from '../src/index.js';
import { clock, recordDecoder, untilDone } from './common.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, failed: { type: 'boolean' }, duration: { type: 'string' } } });

interface Event {
  pid: number;
  uid: number;
  ret: number;
  flags: number;
  comm: string;
  fname: string;
}

const spec = parseObject(readFileSync(new URL('./bpf/opensnoop.bpfel.o', import.meta.url)), { fileName: 'opensnoop.bpfel.o' });
using coll = loadCollection(spec, {
  constants: { targ_pid: Number(values.pid ?? 0), targ_failed: values.failed ?? false },
});
using links = coll.attachAll();
using reader = RingbufReader.open(coll.map('events')!);
const decode = recordDecoder<Event>(spec, 'events');

console.log(`${'TIME'.padEnd(9)}${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${'FD'.padStart(4)} ${'ERR'.padEnd(7)} PATH`);
reader.on((rec) => {
  const e = decode(rec.bytes);
  const [fd, err] = e.ret >= 0 ? [String(e.ret), '0'] : ['-1', errnoName(-e.ret)];
  console.log(`${clock().padEnd(9)}${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${fd.padStart(4)} ${err.padEnd(7)} ${e.fname}`);
});
await untilDone(values.duration);
