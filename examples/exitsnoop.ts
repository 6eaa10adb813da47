/**
 * exitsnoop: prints every process exit with its age and exit status or fatal signal.
 *
 *   npx tsx examples/exitsnoop.ts [--pid PID] [--failed] [--duration S]
 *
 * The program is a BTF tracepoint (`tp_btf/sched_process_exit`) reading `task_struct`
 * fields: `loadCollection` applies its CO-RE relocations against the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) before loading.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, RingbufReader } from '../src/index.js';
import { clock, recordDecoder, signalName, untilDone } from './common.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, failed: { type: 'boolean' }, duration: { type: 'string' } } });

interface Event {
  age_ns: bigint;
  pid: number;
  ppid: number;
  exit_code: number;
  sig: number;
  comm: string;
}

const spec = parseObject(readFileSync(new URL('./bpf/exitsnoop.bpfel.o', import.meta.url)), { fileName: 'exitsnoop.bpfel.o' });
using coll = loadCollection(spec, {
  constants: { targ_pid: Number(values.pid ?? 0), targ_failed: values.failed ?? false },
});
using links = coll.attachAll();
using reader = RingbufReader.open(coll.map('events')!);
const decode = recordDecoder<Event>(spec, 'events');

console.log(`${'TIME'.padEnd(9)}${'PCOMM'.padEnd(16)} ${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'AGE(s)'.padStart(8)}  EXIT`);
reader.on((rec) => {
  const e = decode(rec.bytes);
  const how = e.sig ? `signal ${e.sig} (${signalName(e.sig)})` : `code ${e.exit_code}`;
  const age = (Number(e.age_ns) / 1e9).toFixed(2);
  console.log(`${clock().padEnd(9)}${e.comm.padEnd(16)} ${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)} ${age.padStart(8)}  ${how}`);
});
await untilDone(values.duration);
