/**
 * Which BTF type the records of an event map (`BPF_MAP_TYPE_RINGBUF`,
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`) carry. The kernel does not know: a ring buffer holds
 * bytes. The object says it in one of these ways, tried in order:
 *
 * 1. the user: `--event-type NAME` (every event map) or `--event-type MAP=NAME`;
 * 2. the map definition: `__type(value, struct event)` (the loader creates the map with
 *    value size 0 and keeps the type as this hint);
 * 3. a global `struct event *__tsbpf_event_<map>` (the `TSBPF_EVENT(map, type)` macro);
 * 4. the instructions: the constant size given to `bpf_ringbuf_reserve`,
 *    `bpf_ringbuf_output` or `bpf_perf_event_output` for that map, matched to the one struct
 *    of that size in the object's BTF (a struct named `event` or `<map>_event` wins a tie).
 *
 * Step 4 is a small forward scan of each program that follows constants and map references
 * through registers, good for what clang emits for `bpf_ringbuf_reserve(&events,
 * sizeof(*e), 0)`: `r1 = map[events]; r2 = 152; call 131`. A register written by anything
 * else forgets what it held; a call forgets r0-r5.
 * @module
 */
import { BPF_ALU64, BPF_CALL, BPF_CLASS, BPF_FUNC, BPF_JMP, BPF_K, BPF_LD, BPF_MOV, BPF_OP, BPF_SRC, BPF_X, BPF_ALU, BPF_LDX } from '../../asm/index.js';
import { sizeOf, type Btf } from '../../btf/index.js';
import { declaredEventType, type ObjectSpec } from '../../object/index.js';
import { TsbpfError } from '../../errors.js';

/** How the record type of a map was found. */
export type EventTypeSource = 'option' | 'map definition' | '__tsbpf_event global' | 'reserve size' | 'none';

/** The record type of one event map. */
export interface EventType {
  /** BTF type id in the object's BTF; undefined when none was found. */
  typeId: number | undefined;
  source: EventTypeSource;
  /** Why there is none (for the warning), or how it was inferred. */
  note?: string;
}

/** Finds a named type for `--event-type NAME`: a struct, union or typedef; `struct x` also works. */
export function findNamedType(btf: Btf, name: string): number | undefined {
  const bare = name.replace(/^(struct|union)\s+/, '');
  for (const kind of ['STRUCT', 'UNION', 'TYPEDEF'] as const) {
    const id = btf.findByName(bare, kind);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Parses `--event-type` values into a default type name and per-map names. */
export function parseEventTypeOptions(values: readonly string[]): { all: string | undefined; byMap: Map<string, string> } {
  let all: string | undefined;
  const byMap = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq > 0) byMap.set(v.slice(0, eq), v.slice(eq + 1));
    else all = v;
  }
  return { all, byMap };
}

/** Helper calls that take an event map, with the argument registers of the map and the size. */
const OUTPUT_CALLS = new Map<number, { map: number; size: number }>([
  [BPF_FUNC.ringbuf_reserve, { map: 1, size: 2 }],
  [BPF_FUNC.ringbuf_output, { map: 1, size: 3 }],
  [BPF_FUNC.perf_event_output, { map: 2, size: 5 }],
]);

type Reg = { map: string } | { imm: number } | undefined;

/** Constant record sizes given to output helpers, per map name (step 4). */
export function recordSizes(spec: ObjectSpec): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const p of spec.programs.values()) {
    const regs: Reg[] = new Array(11).fill(undefined);
    for (const insn of p.instructions) {
      const cls = BPF_CLASS(insn.opcode);
      const dst = insn.dst;
      if (insn.reference?.kind === 'map' && cls === BPF_LD) {
        regs[dst] = { map: insn.reference.map };
        continue;
      }
      if (cls === BPF_JMP && BPF_OP(insn.opcode) === BPF_CALL) {
        const call = insn.src === 0 ? OUTPUT_CALLS.get(insn.imm) : undefined;
        if (call) {
          const m = regs[call.map];
          const s = regs[call.size];
          if (m && 'map' in m && s && 'imm' in s) {
            let set = out.get(m.map);
            if (!set) out.set(m.map, (set = new Set()));
            set.add(s.imm);
          }
        }
        for (let r = 0; r <= 5; r++) regs[r] = undefined;
        continue;
      }
      if ((cls === BPF_ALU64 || cls === BPF_ALU) && BPF_OP(insn.opcode) === BPF_MOV && insn.off === 0) {
        regs[dst] = BPF_SRC(insn.opcode) === BPF_K ? { imm: insn.imm } : BPF_SRC(insn.opcode) === BPF_X ? regs[insn.src] : undefined;
        continue;
      }
      if (cls === BPF_ALU64 || cls === BPF_ALU || cls === BPF_LD || cls === BPF_LDX) {
        if (dst <= 10) regs[dst] = undefined;
      }
    }
  }
  return out;
}

/** Named structs (and unions) of `size` bytes in `btf`. */
function structsOfSize(btf: Btf, size: number): number[] {
  const ids: number[] = [];
  for (let id = 1; id <= btf.maxId; id++) {
    const t = btf.type(id);
    if ((t.kind === 'STRUCT' || t.kind === 'UNION') && t.name && t.size === size) ids.push(id);
  }
  return ids;
}

/**
 * Resolves the record type of event map `map` of `spec` (see the module comment).
 * @throws TsbpfError when `--event-type` names a type the BTF does not have.
 */
export function resolveEventType(spec: ObjectSpec, map: string, option: string | undefined, sizes: Map<string, Set<number>>): EventType {
  const btf = spec.btf;
  if (option !== undefined) {
    const id = btf ? findNamedType(btf, option) : undefined;
    if (id === undefined) throw new TsbpfError(`no type '${option}' in the BTF of object '${spec.name}' (for --event-type of map '${map}')`);
    return { typeId: id, source: 'option' };
  }
  if (!btf) return { typeId: undefined, source: 'none', note: 'the object has no BTF' };
  const declared = declaredEventType(spec, map);
  if (declared) return { typeId: declared.typeId, source: declared.origin === 'map value' ? 'map definition' : '__tsbpf_event global' };
  const set = sizes.get(map);
  if (!set || set.size === 0) return { typeId: undefined, source: 'none', note: 'no constant record size found in the programs' };
  if (set.size > 1) return { typeId: undefined, source: 'none', note: `records of several sizes (${[...set].join(', ')} bytes)` };
  const size = [...set][0]!;
  const candidates = structsOfSize(btf, size);
  if (candidates.length === 1) return { typeId: candidates[0]!, source: 'reserve size', note: `the only struct of ${size} bytes` };
  const named = candidates.filter((id) => ['event', `${map}_event`, `${map}_t`, 'data_t'].includes(btf.nameOf(id)));
  if (named.length === 1) return { typeId: named[0]!, source: 'reserve size', note: `struct of ${size} bytes named '${btf.nameOf(named[0]!)}'` };
  if (candidates.length === 0) return { typeId: undefined, source: 'none', note: `no struct of ${size} bytes in the BTF` };
  return { typeId: undefined, source: 'none', note: `${candidates.length} structs of ${size} bytes` };
}

/** `sizeof` of an event type, for messages. */
export function eventTypeSize(btf: Btf, id: number): number {
  return sizeOf(btf, id);
}
