/**
 * xdpcount: counts the packets arriving on an interface by IP protocol, printed every
 * `--interval` seconds and at the end.
 *
 *   npx tsx examples/xdpcount.ts --iface IF [--mode skb|drv] [--interval S] [--duration S]
 *
 * `SEC("xdp")` names no interface, so `attachAll` leaves the program alone: it is attached
 * with `attachXdp` to the interface given. The counters are per-CPU: one value per CPU,
 * summed here.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { attachXdp, loadCollection, parseObject, typedMap, XdpFlags } from '../src/index.js';
import { untilDone } from './common.js';

const { values } = parseArgs({
  options: { iface: { type: 'string' }, mode: { type: 'string' }, interval: { type: 'string' }, duration: { type: 'string' } },
});
if (!values.iface) {
  console.error('usage: xdpcount.ts --iface IF [--mode skb|drv] [--interval S] [--duration S]');
  process.exit(1);
}

const protocols = new Map([
  [1, 'ICMP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [58, 'ICMPv6'],
  [255, 'non-IP'],
]);

const spec = parseObject(readFileSync(new URL('./bpf/xdpcount.bpfel.o', import.meta.url)), { fileName: 'xdpcount.bpfel.o' });
using coll = loadCollection(spec);
const mode = values.mode === 'skb' ? XdpFlags.SKB_MODE : values.mode === 'drv' ? XdpFlags.DRV_MODE : undefined;
using link = attachXdp(coll.program('xdp_count')!, values.iface, mode === undefined ? {} : { mode });
using packets = typedMap<number, bigint>(coll.map('packets')!);

function print(): void {
  const rows: [string, bigint][] = [];
  // entriesPerCpu: each key with one value per possible CPU.
  for (const [proto, perCpu] of packets.entriesPerCpu()) {
    const total = perCpu.reduce((a, b) => a + b, 0n);
    if (total > 0n) rows.push([protocols.get(proto) ?? `proto ${proto}`, total]);
  }
  rows.sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0));
  console.log(`${'PROTOCOL'.padEnd(10)} PACKETS`);
  for (const [name, n] of rows) console.log(`${name.padEnd(10)} ${n}`);
}

console.log(`Counting packets on ${values.iface} (${link.kind})... Hit Ctrl-C to end.`);
const timer = values.interval ? setInterval(print, Number(values.interval) * 1000) : undefined;
await untilDone(values.duration);
if (timer) clearInterval(timer);
print();
