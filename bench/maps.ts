/**
 * Map syscalls: `BpfMap` lookup and update on ARRAY and HASH maps (ns/op), and reading a
 * 10,000-entry HASH with `BPF_MAP_LOOKUP_BATCH` (ns/entry), against libbpf's `bpf_map_*`
 * wrappers doing the same in C (bench/peer/maps.c).
 * Run: `npx tsx bench/maps.ts` (or `npm run bench -- maps`). Needs root. Prints JSON.
 */
import { BpfMap } from '../src/maps/index.js';
import { mapLookupElem } from '../src/syscall/index.js';
import { bpfRaw } from '../src/syscall/attr.js';
import { figure, measure, report, runPeer, type Figure, type Stats } from './lib.js';

/** Median/min/max of samples. */
function statsOf(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

const names = ['array_lookup', 'array_update', 'hash_lookup', 'hash_update', 'hash_batch_lookup_10k', 'array_lookup_alloc', 'array_lookup_floor'] as const;
type Name = (typeof names)[number];

export function bench(): Figure[] {
  const rounds = 9;
  const ops = 100_000;

  const mk = (type: string, max: number) => {
    const m = BpfMap.create({ type, keySize: 4, valueSize: 8, maxEntries: max });
    const v = new Uint8Array(8);
    const keys: Uint8Array[] = [];
    for (let k = 0; k < max; k++) {
      const key = new Uint8Array(new Uint32Array([k]).buffer);
      keys.push(key);
      new DataView(v.buffer).setBigUint64(0, BigInt(k), true);
      m.update(key, v);
    }
    return { m, keys };
  };
  const array = mk('array', 1024);
  const hash = mk('hash', 1024);
  const big = mk('hash', 10_000);

  let sink = 0;
  const value = new Uint8Array(8);
  // Like C's bpf_map_lookup_elem(fd, &key, &value): the value lands in caller memory.
  const out = new Uint8Array(8);
  const lookup = ({ m, keys }: { m: BpfMap; keys: Uint8Array[] }) => {
    let i = 0;
    return () => {
      m.lookupInto(keys[i++ & 1023]!, out);
      sink = (sink + out[0]!) | 0; // int32: a growing sum would box a heap number per op
    };
  };
  // The allocating form: a fresh Uint8Array per lookup.
  const lookupAlloc = ({ m, keys }: { m: BpfMap; keys: Uint8Array[] }) => {
    let i = 0;
    return () => {
      sink = (sink + m.lookupBytes(keys[i++ & 1023]!)![0]!) | 0;
    };
  };
  const update = ({ m, keys }: { m: BpfMap; keys: Uint8Array[] }) => {
    let i = 0;
    return () => {
      value[0] = i;
      m.updateBytes(keys[i++ & 1023]!, value);
    };
  };
  const batch = () => {
    const r = big.m.batchLookupRaw(10_000)!;
    if (r.count !== 10_000) throw new Error(`batch lookup returned ${r.count} entries`);
    sink = (sink + r.values[8]!) | 0;
  };
  const tsRun: Record<Name, () => number> = {
    array_lookup: () => measure(lookup(array), { runs: 1, iterations: ops, unit: 'ns' }).median,
    array_update: () => measure(update(array), { runs: 1, iterations: ops, unit: 'ns' }).median,
    hash_lookup: () => measure(lookup(hash), { runs: 1, iterations: ops, unit: 'ns' }).median,
    hash_update: () => measure(update(hash), { runs: 1, iterations: ops, unit: 'ns' }).median,
    hash_batch_lookup_10k: () => measure(batch, { runs: 1, iterations: 5, unit: 'ns' }).median / 10_000,
    array_lookup_alloc: () => measure(lookupAlloc(array), { runs: 1, iterations: ops, unit: 'ns' }).median,
    // The FFI floor: the same syscall with the attr left filled by one lookup, no copies.
    array_lookup_floor: () => {
      mapLookupElem(array.m.fd, array.keys[5]!, out);
      return measure(() => void bpfRaw(1, 32), { runs: 1, iterations: ops, unit: 'ns' }).median;
    },
  };

  // The machine is shared and noisy: each round measures C then tsbpf for one figure at a
  // time (the peer runs only that figure), so both see nearly the same load.
  const cOf: Record<Name, Exclude<Name, 'array_lookup_alloc' | 'array_lookup_floor'>> = {
    array_lookup: 'array_lookup',
    array_update: 'array_update',
    hash_lookup: 'hash_lookup',
    hash_update: 'hash_update',
    hash_batch_lookup_10k: 'hash_batch_lookup_10k',
    array_lookup_alloc: 'array_lookup',
    array_lookup_floor: 'array_lookup',
  };
  const ts: Record<string, number[]> = {};
  const c: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const peer = runPeer<Record<string, Stats>>('maps', ['1', String(ops), cOf[n]], ['bpf']);
      (c[n] ??= []).push(peer[cOf[n]]!.median);
      (ts[n] ??= []).push(tsRun[n]());
    }
  }
  for (const x of [array, hash, big]) x.m.close();
  if (sink === -1) console.log(sink);
  const label: Record<Name, [string, string, number]> = {
    array_lookup: ['maps: array lookup (lookupInto)', 'ns/op', 1.25],
    array_update: ['maps: array update (updateBytes)', 'ns/op', 1.25],
    hash_lookup: ['maps: hash lookup (lookupInto)', 'ns/op', 1.25],
    hash_update: ['maps: hash update (updateBytes)', 'ns/op', 1.25],
    array_lookup_alloc: ['maps: array lookup returning a new Uint8Array (lookupBytes)', 'ns/op', 0],
    array_lookup_floor: ['maps: array lookup, koffi floor (bpf() on a pre-filled attr, no copies)', 'ns/op', 0],
    hash_batch_lookup_10k: ['maps: hash batch lookup of 10k entries (batchLookupRaw)', 'ns/entry', 1.1],
  };
  return names.map((n) => figure(label[n][0], label[n][1], statsOf(ts[n]!), statsOf(c[n]!), label[n][2] || undefined));
}

if (import.meta.url === `file://${process.argv[1]}`) report(bench());
