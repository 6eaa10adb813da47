/**
 * What `tsbpf run` shows of an object, found from its maps and BTF alone (no kernel): the
 * {@link RunPlan}. It is plain JSON, so a recording carries it and `tsbpf replay` shows the
 * same things the same way.
 *
 * - **events**: every `BPF_MAP_TYPE_RINGBUF` and `BPF_MAP_TYPE_PERF_EVENT_ARRAY`, with its
 *   record type (`event-type.ts`).
 * - **histograms**: a map whose name contains `hist`, either
 *   (a) an array or hash of u32/u64 counters indexed by slot (`key` = slot), or
 *   (b) values that are a struct with a `slots` array of u32/u64 (BCC's `struct hist`), one
 *   histogram per key (a single one when the map has one entry at key 0). Log2 slots, or
 *   linear buckets when the name contains `lhist` or `linear`: their step comes from a
 *   `.rodata` variable `<map>_step` (else `hist_step`, else 1) and their start from
 *   `<map>_base` (else `hist_base`, else 0). The unit is a word of the map name (`usecs`,
 *   `nsecs`, `msecs`, `bytes`...).
 * - **counters**: any other hash or array map with integer values (or a struct of integers)
 *   and a key of at most 16 bytes, printed as a table sorted by value. Maps that hold
 *   per-item state rather than counts are left out by name: `start`, `ts`, `tstamp`,
 *   `inflight`, `args`, `pending` (as a word of the name), and names starting with `__`.
 * - **stacks**: a hash of counts whose key struct holds stack ids (`kern_stack_id`,
 *   `user_stack_id`, any `*stack_id`), next to a `BPF_MAP_TYPE_STACK_TRACE` map: a
 *   profiler's samples, printed as symbolised stacks.
 * - **printk**: whether a program calls `bpf_trace_printk`/`bpf_trace_vprintk`.
 * @module
 */
import { BPF_CALL, BPF_CLASS, BPF_FUNC, BPF_JMP, BPF_OP } from '../../asm/index.js';
import { valueCodec, type Btf, type ValueLayout } from '../../btf/index.js';
import type { ObjectMapSpec, ObjectSpec } from '../../object/index.js';
import { MapType } from '../../uapi/bpf.js';
import { TsbpfError } from '../../errors.js';
import { recordSizes, resolveEventType, type EventTypeSource } from './event-type.js';
import type { HistScale } from './hist.js';

/** An event map and its record type. */
export interface EventPlan {
  map: string;
  kind: 'ringbuf' | 'perf';
  typeId: number | undefined;
  source: EventTypeSource;
  note?: string;
}

/** A histogram map and how to read it. */
export interface HistPlan {
  map: string;
  /** `index`: the key is the slot; `struct`: the value holds a `slots[]` array. */
  layout: 'index' | 'struct';
  /** Bytes of one slot counter (4 or 8). */
  slotSize: number;
  /** For `struct`: byte offset and length of `slots[]` in the value. */
  slotsOffset: number;
  slotCount: number;
  scale: HistScale;
  /** bpftrace title (`usecs`, or the map name) and BCC header (`usecs`, or `value`). */
  title: string;
  unit: string;
  keyTypeId: number;
  valueTypeId: number;
  keySize: number;
  valueSize: number;
  perCpu: boolean;
  /** An array with one entry, or a hash that is only ever used with key 0. */
  singleKeyed: boolean;
}

/** A counter map. */
export interface CounterPlan {
  map: string;
  keyTypeId: number;
  valueTypeId: number;
  keySize: number;
  valueSize: number;
  perCpu: boolean;
  /** An array: zero entries are not shown (every index exists). */
  array: boolean;
}

/**
 * A map of counts keyed by stack trace ids (a profiler: `struct key { pid; kern_stack_id;
 * user_stack_id; comm }` -> count), read with the `BPF_MAP_TYPE_STACK_TRACE` map the ids
 * point into, and printed as BCC's profile prints stacks.
 */
export interface StackPlan {
  map: string;
  /** The stack trace map. */
  stackMap: string;
  keyTypeId: number;
  valueSize: number;
  perCpu: boolean;
  /** Key members: kernel and user stack ids, pid, comm (names as the key struct spells them). */
  kernField: string | undefined;
  userField: string | undefined;
  pidField: string | undefined;
  commField: string | undefined;
}

/** Everything `run` shows of an object. */
export interface RunPlan {
  events: EventPlan[];
  histograms: HistPlan[];
  counters: CounterPlan[];
  /** Stack counts (absent in recordings of older tsbpf: read as none). */
  stacks?: StackPlan[];
  /** A program calls bpf_trace_printk: show `trace_pipe`. */
  printk: boolean;
}

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** `--event-type` values: a name for all event maps, and per-map names. */
  eventTypeAll?: string;
  eventTypeByMap?: ReadonlyMap<string, string>;
  /** The `.rodata` bytes as they will be loaded (after parameters), by map name. */
  data?: ReadonlyMap<string, Uint8Array>;
}

const PER_CPU = new Set<number>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);
const ARRAYS = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY]);
const TABLES = new Set<number>([MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);
const STATE_WORDS = /(^|_)(start|starts|ts|tstamp|timestamps?|inflight|args|pending)(_|$)/;

/** A unit word in a map name. */
export function unitOf(name: string): string | undefined {
  const m = /(^|_)(usecs|nsecs|msecs|secs|kbytes|bytes|us|ns|ms)(_|$)/.exec(name);
  if (!m) return undefined;
  return ({ us: 'usecs', ns: 'nsecs', ms: 'msecs' } as Record<string, string>)[m[2]!] ?? m[2]!;
}

function layoutOf(btf: Btf | undefined, id: number): ValueLayout | undefined {
  if (!btf || !id) return undefined;
  try {
    return valueCodec(btf, id).layout;
  } catch {
    return undefined;
  }
}

const isCounterInt = (l: ValueLayout | undefined, size: number): boolean =>
  l ? l.kind === 'int' && !l.bool && (l.size === 4 || l.size === 8) : size === 4 || size === 8;

/** A `.rodata` integer variable's value, for the linear histogram step and base. */
function rodataNumber(spec: ObjectSpec, data: ReadonlyMap<string, Uint8Array> | undefined, names: string[]): number | undefined {
  for (const name of names) {
    for (const m of spec.maps.values()) {
      if (!m.dataSection?.startsWith('.rodata') || !m.variables) continue;
      const v = m.variables.find((x) => x.name === name);
      if (!v || v.size > 8) continue;
      const bytes = (data?.get(m.name) ?? m.data)?.subarray(v.offset, v.offset + v.size);
      if (!bytes || bytes.length !== v.size) continue;
      let n = 0n;
      for (let i = 0; i < v.size; i++) n |= BigInt(bytes[spec.littleEndian ? i : v.size - 1 - i]!) << BigInt(8 * i);
      return Number(n);
    }
  }
  return undefined;
}

function histPlan(spec: ObjectSpec, m: ObjectMapSpec, data: DiscoverOptions['data']): HistPlan | undefined {
  const btf = spec.btf;
  const linear = /lhist|linear/.test(m.name);
  const unit = unitOf(m.name);
  let scale: HistScale = { kind: 'log2' };
  if (linear) {
    const step = rodataNumber(spec, data, [`${m.name}_step`, 'hist_step']) || 1;
    const base = rodataNumber(spec, data, [`${m.name}_base`, 'hist_base']) ?? 0;
    scale = { kind: 'linear', base, step };
  }
  const common = {
    map: m.name,
    scale,
    title: unit ?? m.name,
    unit: unit ?? 'value',
    keyTypeId: m.keyTypeId,
    valueTypeId: m.valueTypeId,
    keySize: m.keySize,
    valueSize: m.valueSize,
    perCpu: PER_CPU.has(m.type),
  };
  const value = layoutOf(btf, m.valueTypeId);
  // (b) struct hist { u32 slots[N]; ... }
  if (value && value.kind === 'struct') {
    const f = value.fields.find((x) => x.name === 'slots');
    if (f && f.layout.kind === 'array' && f.layout.elem.kind === 'int' && (f.layout.elemSize === 4 || f.layout.elemSize === 8)) {
      const single = (ARRAYS.has(m.type) && m.maxEntries === 1) || m.keySize === 4;
      return { ...common, layout: 'struct', slotSize: f.layout.elemSize, slotsOffset: f.bitOffset / 8, slotCount: f.layout.length, singleKeyed: single };
    }
    return undefined;
  }
  // (a) counters indexed by slot.
  if (m.keySize === 4 && isCounterInt(value, m.valueSize)) {
    return { ...common, layout: 'index', slotSize: m.valueSize, slotsOffset: 0, slotCount: m.maxEntries, singleKeyed: true };
  }
  return undefined;
}

function counterPlan(spec: ObjectSpec, m: ObjectMapSpec): CounterPlan | undefined {
  if (m.keySize === 0 || m.keySize > 16) return undefined;
  if (m.name.startsWith('__') || STATE_WORDS.test(m.name)) return undefined;
  const value = layoutOf(spec.btf, m.valueTypeId);
  const ok = value
    ? (value.kind === 'int' && !value.bool) || (value.kind === 'struct' && value.fields.length > 0 && value.fields.every((f) => f.layout.kind === 'int' && f.name !== ''))
    : [1, 2, 4, 8].includes(m.valueSize);
  if (!ok) return undefined;
  return { map: m.name, keyTypeId: m.keyTypeId, valueTypeId: m.valueTypeId, keySize: m.keySize, valueSize: m.valueSize, perCpu: PER_CPU.has(m.type), array: ARRAYS.has(m.type) };
}

/** A map of counts keyed by a struct holding stack ids, when the object has a stack trace map. */
function stackPlan(spec: ObjectSpec, m: ObjectMapSpec, stackMap: string | undefined): StackPlan | undefined {
  if (!stackMap) return undefined;
  const key = layoutOf(spec.btf, m.keyTypeId);
  const value = layoutOf(spec.btf, m.valueTypeId);
  if (!key || key.kind !== 'struct' || !isCounterInt(value, m.valueSize)) return undefined;
  const ints = key.fields.filter((f) => f.layout.kind === 'int').map((f) => f.name);
  const ids = ints.filter((n) => /stack(_?id)?$/.test(n));
  if (!ids.length) return undefined;
  const user = ids.find((n) => /^u|user/.test(n));
  const kern = ids.find((n) => n !== user);
  return {
    map: m.name,
    stackMap,
    keyTypeId: m.keyTypeId,
    valueSize: m.valueSize,
    perCpu: PER_CPU.has(m.type),
    kernField: kern,
    userField: user,
    pidField: ints.find((n) => n === 'pid' || n === 'tgid'),
    commField: key.fields.find((f) => f.name === 'comm' && f.layout.kind === 'string')?.name,
  };
}

/** Whether any program calls `bpf_trace_printk` or `bpf_trace_vprintk`. */
export function callsPrintk(spec: ObjectSpec): boolean {
  for (const p of spec.programs.values()) {
    for (const i of p.instructions) {
      if (BPF_CLASS(i.opcode) === BPF_JMP && BPF_OP(i.opcode) === BPF_CALL && i.src === 0 && (i.imm === BPF_FUNC.trace_printk || i.imm === BPF_FUNC.trace_vprintk)) return true;
    }
  }
  return false;
}

/**
 * The {@link RunPlan} of `spec`.
 * @throws TsbpfError when `--event-type` names a type that does not exist, or a map that is
 *   not an event map of the object.
 */
export function discover(spec: ObjectSpec, options: DiscoverOptions = {}): RunPlan {
  const plan: RunPlan = { events: [], histograms: [], counters: [], stacks: [], printk: callsPrintk(spec) };
  const stackMap = [...spec.maps.values()].find((m) => m.type === MapType.STACK_TRACE)?.name;
  const sizes = recordSizes(spec);
  for (const [name] of options.eventTypeByMap ?? []) {
    const m = spec.maps.get(name);
    if (!m || (m.type !== MapType.RINGBUF && m.type !== MapType.PERF_EVENT_ARRAY)) {
      const events = [...spec.maps.values()].filter((x) => x.type === MapType.RINGBUF || x.type === MapType.PERF_EVENT_ARRAY).map((x) => x.name);
      throw new TsbpfError(`--event-type: object '${spec.name}' has no event map '${name}'${events.length ? ` (event maps: ${events.join(', ')})` : ''}`);
    }
  }
  for (const m of spec.maps.values()) {
    if (m.dataSection) continue;
    if (m.type === MapType.RINGBUF || m.type === MapType.PERF_EVENT_ARRAY) {
      const option = options.eventTypeByMap?.get(m.name) ?? options.eventTypeAll;
      const t = resolveEventType(spec, m.name, option, sizes);
      plan.events.push({ map: m.name, kind: m.type === MapType.RINGBUF ? 'ringbuf' : 'perf', typeId: t.typeId, source: t.source, ...(t.note ? { note: t.note } : {}) });
      continue;
    }
    if (!TABLES.has(m.type)) continue;
    if (/hist/.test(m.name)) {
      const h = histPlan(spec, m, options.data);
      if (h) {
        plan.histograms.push(h);
        continue;
      }
    }
    const st = stackPlan(spec, m, stackMap);
    if (st) {
      plan.stacks!.push(st);
      continue;
    }
    const c = counterPlan(spec, m);
    if (c) plan.counters.push(c);
  }
  return plan;
}
