/**
 * The other process of the concurrency tests (run with `node --import tsx`). It opens the
 * parent's maps by id and works on them while the parent reads:
 *
 *   ringbuf <idA> <idB> <runs> <n>   alternately runs a producer on ring A (records of 16
 *                                    bytes) and on ring B (24 bytes), `n` records a run, the
 *                                    payload's first u64 the record's index in its run
 *   churn <mapId> <ops> <lo> <hi>    updates and deletes random keys in [lo, hi) of a u32->u64
 *                                    hash map; a value is always key * 3 + 1
 *
 * Handshake: the child does a first round (ringbuf: one run on each ring), prints `ready`,
 * and waits for a `go` line on stdin before the rest. At the end it prints one JSON line with
 * what it did, then exits.
 */
import { createInterface } from 'node:readline';
import { BpfMap } from '../../src/maps/index.js';
import { fixedProducer, run } from '../ringbuf/producer.js';

const [mode, ...args] = process.argv.slice(2);
const num = (i: number): number => Number(args[i]);
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function handshake(): Promise<void> {
  process.stdout.write('ready\n');
  const line = await stdin.next();
  if (line.done || line.value !== 'go') throw new Error(`expected 'go' on stdin, got ${JSON.stringify(line.value)}`);
}

if (mode === 'ringbuf') {
  using a = BpfMap.fromId(num(0));
  using b = BpfMap.fromId(num(1));
  const runs = num(2);
  const n = num(3);
  using pa = fixedProducer(a.fd, n, 16);
  using pb = fixedProducer(b.fd, n, 24);
  const drops = [run(pa), run(pb)];
  await handshake();
  for (let r = 0; r < runs; r++) {
    drops[0]! += run(pa);
    drops[1]! += run(pb);
    // Let the parent's readers run between bursts now and then (not a timing assumption).
    if (r % 16 === 15) await new Promise((res) => setImmediate(res));
  }
  process.stdout.write(JSON.stringify({ drops }) + '\n');
  process.stdin.destroy();
} else if (mode === 'churn') {
  using m = BpfMap.fromId(num(0));
  const ops = num(1);
  const lo = num(2);
  const hi = num(3);
  const key = new Uint8Array(4);
  const value = new Uint8Array(8);
  const kv = new DataView(key.buffer);
  const vv = new DataView(value.buffer);
  let updates = 0;
  let deletes = 0;
  let seed = 12345;
  await handshake();
  for (let i = 0; i < ops; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const k = lo + (seed % (hi - lo));
    kv.setUint32(0, k, true);
    if ((seed >>> 16) & 1) {
      vv.setBigUint64(0, BigInt(k) * 3n + 1n, true);
      m.updateBytes(key, value);
      updates++;
    } else {
      if (m.delete(key)) deletes++;
    }
  }
  process.stdout.write(JSON.stringify({ updates, deletes }) + '\n');
  process.stdin.destroy();
} else {
  throw new Error(`unknown mode '${mode}'`);
}
