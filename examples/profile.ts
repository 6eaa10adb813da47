/**
 * profile: a sampling CPU profiler. Samples every CPU `--freq` times a second, then prints
 * the sampled stacks in folded form (`comm;user frames;kernel frames count`, outermost first),
 * the input of flame graph tools.
 *
 *   npx tsx examples/profile.ts [--pid PID] [--freq HZ] [--duration S]
 *
 * `SEC("perf_event")` names no event: `attachPerfEvent` opens a software CPU clock event on
 * each CPU and attaches the program to each (one link per CPU, as one `LinkGroup`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { attachPerfEvent, loadCollection, parseObject, PerfSwId, PerfType, typedMap } from '../src/index.js';
import { untilDone } from './common.js';
import { kernelSymbol, ProcessSymbols } from './symbolize.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, freq: { type: 'string' }, duration: { type: 'string' } } });

interface Key {
  pid: number;
  kern_stack_id: number;
  user_stack_id: number;
  comm: string;
}

const spec = parseObject(readFileSync(new URL('./bpf/profile.bpfel.o', import.meta.url)), { fileName: 'profile.bpfel.o' });
using coll = loadCollection(spec, { constants: { targ_pid: Number(values.pid ?? 0) } });
using links = attachPerfEvent(coll.program('do_sample')!, {
  type: PerfType.SOFTWARE,
  config: PerfSwId.CPU_CLOCK,
  frequency: Number(values.freq ?? 49),
});
using counts = typedMap<Key, bigint>(coll.map('counts')!);
// Stack trace maps have no BTF (the kernel takes none for them): read their bytes.
const stacks = coll.map('stacks')!;

/**
 * The frames of stack `id`, outermost first (empty for a negative id: no stack). A stack is
 * up to 127 u64 return addresses in host byte order, innermost first, zero after the last.
 */
function frames(id: number): bigint[] {
  if (id < 0) return [];
  const bytes = stacks.lookupBytes(new Uint8Array(new Uint32Array([id]).buffer));
  if (!bytes) return [];
  const ips = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return [...ips].filter((ip) => ip !== 0n).reverse();
}

console.log(`Sampling on ${links.links.length} CPUs at ${values.freq ?? 49} Hz${values.pid ? `, pid ${values.pid}` : ''}... Hit Ctrl-C to end.`);
await untilDone(values.duration);
links.close();

const perProcess = new Map<number, ProcessSymbols>();
const folded = new Map<string, bigint>();
for (const [key, count] of counts.entries()) {
  let syms = perProcess.get(key.pid);
  if (!syms) perProcess.set(key.pid, (syms = new ProcessSymbols(key.pid)));
  const user = frames(key.user_stack_id).map((ip) => syms.symbol(ip));
  const kern = frames(key.kern_stack_id).map(kernelSymbol);
  const line = [key.comm, ...user, ...kern].join(';');
  folded.set(line, (folded.get(line) ?? 0n) + count);
}
for (const [line, n] of [...folded].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0))) console.log(`${line} ${n}`);
