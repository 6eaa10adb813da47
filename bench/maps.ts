/**
 * Map syscalls: `BpfMap` lookup and update on ARRAY and HASH maps (ns/op), and reading a
 * 10,000-entry HASH with `BPF_MAP_LOOKUP_BATCH` (ns/entry), against libbpf's `bpf_map_*`
 * wrappers doing the same in C (bench/peer/maps.c).
 *
 * Three references for the array lookup, each against the same C peer: the bare koffi call
 * on a pre-filled attr (the floor of any FFI call), the leanest lookup JS can make (the floor
 * plus copying the key in and the value out, with no checks), and libbpf's own loop called
 * from this process (peer/inproc/maps.c): what the node process costs C itself.
 * Run: `npx tsx bench/maps.ts` (or `npm run bench -- maps`). Needs root. Prints JSON.
 */
import koffi from 'koffi';
import { BpfMap } from '../src/maps/index.js';
import { mapLookupElem } from '../src/syscall/index.js';
import { attrReady, bpfRaw, hot } from '../src/syscall/attr.js';
import { scratch } from '../src/syscall/memory.js';
import { buildPeerLibrary, figure, measure, report, runPeer, type Figure, type Stats } from './lib.js';

/** Median/min/max of samples. */
function statsOf(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

const names = [
  'array_lookup',
  'array_update',
  'hash_lookup',
  'hash_update',
  'hash_batch_lookup_10k',
  'array_lookup_alloc',
  'array_lookup_floor',
  'array_lookup_lean',
  'array_lookup_inproc',
] as const;
type Name = (typeof names)[number];

export function bench(): Figure[] {
  const rounds = 9;
  const ops = 100_000;

  // The key lives in one 4-byte buffer written before each call, as C's `uint32_t k = i & 1023`
  // lives on the stack: a separate Uint8Array per key would add cache misses the C peer does not
  // have (one object and one backing store per key: 1-9% of a lookup, measured in one process).
  const k32 = new Uint32Array(1);
  const key = new Uint8Array(k32.buffer);
  const mk = (type: string, max: number) => {
    const m = BpfMap.create({ type, keySize: 4, valueSize: 8, maxEntries: max });
    const v = new Uint8Array(8);
    for (let k = 0; k < max; k++) {
      k32[0] = k;
      new DataView(v.buffer).setBigUint64(0, BigInt(k), true);
      m.update(key, v);
    }
    return m;
  };
  const array = mk('array', 1024);
  const hash = mk('hash', 1024);
  const big = mk('hash', 10_000);

  let sink = 0;
  const value = new Uint8Array(8);
  // Like C's bpf_map_lookup_elem(fd, &key, &value): the value lands in caller memory.
  const out = new Uint8Array(8);
  const lookup = (m: BpfMap) => {
    let i = 0;
    return () => {
      k32[0] = i++ & 1023;
      m.lookupInto(key, out);
      sink = (sink + out[0]!) | 0; // int32: a growing sum would box a heap number per op
    };
  };
  // The allocating form: a fresh Uint8Array per lookup.
  const lookupAlloc = (m: BpfMap) => {
    let i = 0;
    return () => {
      k32[0] = i++ & 1023;
      sink = (sink + m.lookupBytes(key)![0]!) | 0;
    };
  };
  const update = (m: BpfMap) => {
    let i = 0;
    return () => {
      k32[0] = i & 1023;
      value[0] = i++;
      m.updateBytes(key, value);
    };
  };
  const batch = () => {
    const r = big.batchLookupRaw(10_000)!;
    if (r.count !== 10_000) throw new Error(`batch lookup returned ${r.count} entries`);
    sink = (sink + r.values[8]!) | 0;
  };
  // The leanest lookup a JS loader can make through koffi: the attr's key and value pointers
  // written once, then per lookup only map_fd, the key copied in and the value copied out,
  // with none of the checks lookupInto makes (sizes, closed map, errno names). Its distance
  // from C is what the FFI call and the copies cost by themselves.
  const lean = () => {
    const s = scratch(16);
    const bytes = s.bytes;
    const fd = array.fd;
    attrReady();
    hot.u32[1] = 0;
    hot.u64[1] = s.ptr; // key
    hot.u64[2] = s.ptr + 8n; // value
    hot.u64[3] = 0n; // flags
    let i = 0;
    return () => {
      k32[0] = i++ & 1023;
      for (let j = 0; j < 4; j++) bytes[j] = key[j]!;
      hot.u32[0] = fd;
      if (bpfRaw(1, 32) < 0) throw new Error('lookup failed');
      for (let j = 0; j < 8; j++) out[j] = bytes[8 + j]!;
      sink = (sink + out[0]!) | 0;
    };
  };
  // libbpf's loop (peer/lookup.h) called from this process (peer/inproc/maps.c), on `array`.
  const inproc = koffi.load(buildPeerLibrary('maps')).func('double peer_lookup_ns(int fd, int ops)') as (fd: number, ops: number) => number;
  const tsRun: Record<Name, () => number> = {
    array_lookup: () => measure(lookup(array), { runs: 1, iterations: ops, unit: 'ns' }).median,
    array_update: () => measure(update(array), { runs: 1, iterations: ops, unit: 'ns' }).median,
    hash_lookup: () => measure(lookup(hash), { runs: 1, iterations: ops, unit: 'ns' }).median,
    hash_update: () => measure(update(hash), { runs: 1, iterations: ops, unit: 'ns' }).median,
    hash_batch_lookup_10k: () => measure(batch, { runs: 1, iterations: 5, unit: 'ns' }).median / 10_000,
    array_lookup_alloc: () => measure(lookupAlloc(array), { runs: 1, iterations: ops, unit: 'ns' }).median,
    // The FFI floor: the same syscall with the attr left filled by one lookup, no copies.
    array_lookup_floor: () => {
      k32[0] = 5;
      mapLookupElem(array.fd, key, out);
      return measure(() => void bpfRaw(1, 32), { runs: 1, iterations: ops, unit: 'ns' }).median;
    },
    array_lookup_lean: () => measure(lean(), { runs: 1, iterations: ops, unit: 'ns' }).median,
    array_lookup_inproc: () => {
      inproc(array.fd, ops); // a warm-up run, as measure() makes
      return inproc(array.fd, ops);
    },
  };

  // The machine is shared and noisy: each round measures C then tsbpf for one figure at a
  // time (the peer runs only that figure), so both see nearly the same load.
  const cOf: Record<Name, Exclude<Name, 'array_lookup_alloc' | 'array_lookup_floor' | 'array_lookup_lean' | 'array_lookup_inproc'>> = {
    array_lookup: 'array_lookup',
    array_update: 'array_update',
    hash_lookup: 'hash_lookup',
    hash_update: 'hash_update',
    hash_batch_lookup_10k: 'hash_batch_lookup_10k',
    array_lookup_alloc: 'array_lookup',
    array_lookup_floor: 'array_lookup',
    array_lookup_lean: 'array_lookup',
    array_lookup_inproc: 'array_lookup',
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
  for (const m of [array, hash, big]) m.close();
  if (sink === -1) console.log(sink);
  const label: Record<Name, [string, string, number]> = {
    array_lookup: ['maps: array lookup (lookupInto)', 'ns/op', 1.25],
    array_update: ['maps: array update (updateBytes)', 'ns/op', 1.25],
    hash_lookup: ['maps: hash lookup (lookupInto)', 'ns/op', 1.25],
    hash_update: ['maps: hash update (updateBytes)', 'ns/op', 1.25],
    array_lookup_alloc: ['maps: array lookup returning a new Uint8Array (lookupBytes)', 'ns/op', 0],
    array_lookup_floor: ['maps: array lookup, koffi floor (bpf() on a pre-filled attr, no copies)', 'ns/op', 0],
    array_lookup_lean: ['maps: array lookup, leanest JS (attr pointers written once, key and value copied, no checks)', 'ns/op', 0],
    array_lookup_inproc: ['maps: array lookup, libbpf called from this process (peer/inproc/maps.c)', 'ns/op', 0],
    hash_batch_lookup_10k: ['maps: hash batch lookup of 10k entries (batchLookupRaw)', 'ns/entry', 1.1],
  };
  return names.map((n) => figure(label[n][0], label[n][1], statsOf(ts[n]!), statsOf(c[n]!), label[n][2] || undefined));
}

if (import.meta.url === `file://${process.argv[1]}`) report(bench());
