/**
 * hello: "hello world" with bpf_printk. The program writes a line to the kernel's trace
 * buffer on each exec(); this reads them back.
 *
 *   npx tsx examples/hello.ts [--duration S]
 *
 * bpf_printk lines are events of the `bpf_trace/bpf_trace_printk` tracepoint. Reading the
 * global /sys/kernel/tracing/trace_pipe would steal lines from anyone else reading it, so
 * this makes a tracing instance of its own (instances/<name>), enables that event in it
 * and reads the instance's trace_pipe; the instance is removed at exit.
 * @module
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, readSync, rmdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, tracefsRoot } from '../src/index.js';
import { untilDone } from './common.js';

const { values } = parseArgs({ options: { duration: { type: 'string' } } });

const spec = parseObject(readFileSync(new URL('./bpf/hello.bpfel.o', import.meta.url)), { fileName: 'hello.bpfel.o' });
using coll = loadCollection(spec);

const instance = `${tracefsRoot()}/instances/tsbpf-hello-${process.pid}`;
mkdirSync(instance);
const enable = `${instance}/events/bpf_trace/bpf_trace_printk/enable`;
try {
  writeFileSync(enable, '1');
  using links = coll.attachAll();
  // A blocking read of trace_pipe would hold a thread (and the process) until the next line;
  // non-blocking reads every 100 ms return EAGAIN when there is nothing.
  const fd = openSync(`${instance}/trace_pipe`, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(64 * 1024);
  let partial = '';
  const drain = (): void => {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw e;
      }
      if (n <= 0) return;
      const lines = (partial + buf.toString('utf8', 0, n)).split('\n');
      partial = lines.pop()!;
      for (const line of lines) console.log(line.trim());
    }
  };
  const timer = setInterval(drain, 100);
  console.log(`Attached ${links.links.length} program; printing bpf_printk output... Hit Ctrl-C to end.`);
  await untilDone(values.duration);
  clearInterval(timer);
  drain();
  closeSync(fd);
} finally {
  writeFileSync(enable, '0');
  rmdirSync(instance);
}
