/**
 * biolatency: block I/O latency (issue to completion) as a log2 histogram in microseconds,
 * one per disk.
 *
 *   npx tsx examples/biolatency.ts [--duration S]
 *
 * The map `hist_usecs` is a hash from the kernel's dev_t to BCC's `struct hist`
 * (`__u32 slots[27]`): `typedMap` decodes the struct into `{ slots: number[] }`.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, typedMap } from '../src/index.js';
import { printLog2Hist, untilDone } from './common.js';

const { values } = parseArgs({ options: { duration: { type: 'string' } } });

/** Disk names by the kernel's dev_t (major << 20 | minor), from /sys/class/block/<name>/dev. */
function diskNames(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/sys/class/block')) {
    try {
      const [major, minor] = readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
      out.set(((major! << 20) | minor!) >>> 0, name);
    } catch {
      // a device that went away
    }
  }
  return out;
}

const spec = parseObject(readFileSync(new URL('./bpf/biolatency.bpfel.o', import.meta.url)), { fileName: 'biolatency.bpfel.o' });
using coll = loadCollection(spec);
using links = coll.attachAll();
using hist = typedMap<number, { slots: number[] }>(coll.map('hist_usecs')!);

console.log('Tracing block device I/O... Hit Ctrl-C to end.');
await untilDone(values.duration);
links.close();
const names = diskNames();
for (const [dev, h] of hist.entries()) {
  console.log(`\ndisk = ${names.get(dev) ?? `${dev >>> 20}:${dev & 0xfffff}`}`);
  printLog2Hist(h.slots, 'usecs');
}
