/**
 * bashreadline: prints every command line typed into an interactive bash, system-wide.
 *
 *   npx tsx examples/bashreadline.ts [--duration S]
 *
 * The program's section, `uretprobe//bin/bash:readline`, names the file and function:
 * `attachAll` finds `readline` in the file's symbol tables (Debian's bash is stripped but
 * exports it in `.dynsym`), turns it into a file offset and opens the uprobe.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, RingbufReader } from '../src/index.js';
import { clock, recordDecoder, untilDone } from './common.js';

const { values } = parseArgs({ options: { duration: { type: 'string' } } });

interface Event {
  pid: number;
  comm: string;
  line: string;
}

const spec = parseObject(readFileSync(new URL('./bpf/bashreadline.bpfel.o', import.meta.url)), { fileName: 'bashreadline.bpfel.o' });
using coll = loadCollection(spec);
using links = coll.attachAll();
using reader = RingbufReader.open(coll.map('events')!);
const decode = recordDecoder<Event>(spec, 'events');

console.log(`${'TIME'.padEnd(9)}${'PID'.padStart(7)}  COMMAND`);
reader.on((rec) => {
  const e = decode(rec.bytes);
  console.log(`${clock().padEnd(9)}${String(e.pid).padStart(7)}  ${e.line}`);
});
await untilDone(values.duration);
