/**
 * tcpconnect: prints every active TCP connection (connect()), IPv4 and IPv6.
 *
 *   npx tsx examples/tcpconnect.ts [--pid PID] [--dport PORT] [--duration S]
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCollection, parseObject, RingbufReader } from '../src/index.js';
import { clock, recordDecoder, untilDone } from './common.js';

const { values } = parseArgs({ options: { pid: { type: 'string' }, dport: { type: 'string' }, duration: { type: 'string' } } });

interface Event {
  pid: number;
  uid: number;
  family: number;
  dport: number;
  saddr_v4: number;
  daddr_v4: number;
  saddr_v6: number[];
  daddr_v6: number[];
  comm: string;
}

const AF_INET = 2;

/** `saddr_v4` holds the address in network byte order; decoded as a host-order number. */
function ipv4(n: number): string {
  const b = new Uint8Array(new Uint32Array([n]).buffer);
  return [...b].join('.');
}

/** RFC 5952 text of 16 bytes: lowercase hex groups, the longest run of zero groups as `::`. */
function ipv6(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best[0]! < 0) return hex.join(':');
  return `${hex.slice(0, best[0]).join(':')}::${hex.slice(best[0]! + best[1]!).join(':')}`;
}

const spec = parseObject(readFileSync(new URL('./bpf/tcpconnect.bpfel.o', import.meta.url)), { fileName: 'tcpconnect.bpfel.o' });
using coll = loadCollection(spec, {
  constants: { targ_pid: Number(values.pid ?? 0), targ_dport: Number(values.dport ?? 0) },
});
using links = coll.attachAll();
using reader = RingbufReader.open(coll.map('events')!);
const decode = recordDecoder<Event>(spec, 'events');

console.log(`${'TIME'.padEnd(9)}${'PID'.padStart(7)} ${'COMM'.padEnd(16)} IP ${'SADDR'.padEnd(25)} ${'DADDR'.padEnd(25)} ${'DPORT'.padStart(5)}`);
reader.on((rec) => {
  const e = decode(rec.bytes);
  const v4 = e.family === AF_INET;
  const [s, d] = v4 ? [ipv4(e.saddr_v4), ipv4(e.daddr_v4)] : [ipv6(e.saddr_v6), ipv6(e.daddr_v6)];
  console.log(
    `${clock().padEnd(9)}${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${v4 ? '4 ' : '6 '} ${s.padEnd(25)} ${d.padEnd(25)} ${String(e.dport).padStart(5)}`,
  );
});
await untilDone(values.duration);
