/**
 * Why a CO-RE relocation found nothing, told in the target kernel's terms: the closest thing
 * the kernel has instead.
 *
 * A relocation fails when no candidate type matches the whole access path. The path is walked
 * again here, step by step, in the first candidate (the type of the same essential name),
 * and the first step that breaks is described:
 *
 * - the member exists but its type is not compatible (libbpf `bpf_core_fields_are_compat`):
 *   **retyped** (`task_struct.pid: int here, struct pid * in the kernel`);
 * - the member is gone, and a member with a close name exists (edit distance at most a third
 *   of the name, at least 2; a compatible type preferred; names the local struct has itself
 *   left out): **renamed** (`state -> __state`, at offset 24);
 * - the member is gone, no name is close, but a compatible member sits where it used to be
 *   (same bit offset): **renamed** too, by position;
 * - nothing near: **vanished**, naming the struct's nearest member anyway when there is one;
 * - no type of that name at all: the closest type name of the same kind.
 *
 * Names are compared by Levenshtein distance. Worked example: local `task_struct.state`
 * against Linux 5.14+, where the field became `__state`: distance 2, the limit for a 5-letter
 * name is 2, so the report says `renamed: 'task_struct.__state' (offset 24, unsigned int)`.
 * @module
 */
import type { Btf } from '../btf/btf.js';
import { BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION } from '../btf/kinds.js';
import { findMember, skipModifiers } from '../btf/query.js';
import { cTypeName } from '../btf/value.js';
import { coreEssentialName, fieldsAreCompat, findCandidates, kindsCoreCompat, type CoreSpec, type CoreTarget } from '../core/index.js';
import { isEnumvalBased, isFieldBased } from '../core/kinds.js';

/** What became of a relocated field, enumerator or type in a target kernel. */
export interface ClosestCandidate {
  /**
   * `renamed`: a close name (or the same place) exists; `retyped`: same name, incompatible
   * type; `vanished`: nothing close; `missing-type`: no type of the root's name.
   */
  change: 'renamed' | 'retyped' | 'vanished' | 'missing-type';
  /** What the object accesses, in C terms (`task_struct.state`). */
  local: string;
  /** The kernel's closest thing (`task_struct.__state`, `enum pid_type::PIDTYPE_MAX`), if any. */
  candidate: string | undefined;
  /** Edit distance between the names, when a name was matched by distance. */
  distance: number | undefined;
  /** Byte offset of the candidate member in its struct (bitfields: bits / 8, rounded down). */
  offset: number | undefined;
  /** C type of the member in the object's BTF. */
  localType: string | undefined;
  /** C type of the candidate in the kernel's BTF; differs from `localType` for `retyped`. */
  targetType: string | undefined;
  /** One sentence for reports. */
  text: string;
}

/** Levenshtein distance between `a` and `b` (insert, delete, substitute cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** The largest distance still called "close" for a name of this length. */
export function closeLimit(name: string): number {
  return Math.max(2, Math.floor(name.length / 3));
}

interface FlatMember {
  /** Path from the struct, anonymous levels as `(anon)`: `__state`, `(anon).utime`. */
  name: string;
  type: number;
  bitsOffset: number;
}

/** Named members of struct/union `id`, those of anonymous members included (as C sees them). */
function flatMembers(btf: Btf, id: number, base = 0, depth = 0, out: FlatMember[] = []): FlatMember[] {
  const t = btf.type(skipModifiers(btf, id));
  if ((t.kind !== 'STRUCT' && t.kind !== 'UNION') || depth > 8) return out;
  for (const m of t.members) {
    if (m.name !== '') out.push({ name: m.name, type: m.type, bitsOffset: base + m.bitsOffset });
    else flatMembers(btf, m.type, base + m.bitsOffset, depth + 1, out);
  }
  return out;
}

/**
 * Whether one name contains the other (`pid` in `__pid`, `state` in `__state`): the usual
 * shape of a kernel rename, whatever the edit distance. Names under 3 letters never count.
 */
function contains(a: string, b: string): boolean {
  return a.length >= 3 && b.length >= 3 && (a.includes(b) || b.includes(a));
}

/**
 * The closest name in `items` to `name`, by rank, then distance: a name that contains the
 * other or is within the close limit ranks first when `prefer` accepts it (a compatible
 * type), then without; then everything else. So `state` (a `long`) finds `__state` (an
 * `unsigned int`, distance 2), not `stats` (a struct, distance 1), and `pid` finds `__pid`
 * rather than `prio` (both distance 2, but `__pid` contains `pid`).
 */
function nearest<T extends { name: string }>(name: string, items: readonly T[], prefer: (t: T) => boolean = () => false): { item: T; distance: number; close: boolean } | undefined {
  const limit = closeLimit(name);
  let best: { item: T; distance: number; rank: number } | undefined;
  for (const item of items) {
    const d = editDistance(name, item.name);
    const inside = contains(name, item.name);
    const close = inside || d <= limit;
    // rank: 0 contains + preferred, 1 close + preferred, 2 contains, 3 close, 4 not close.
    const rank = !close ? 4 : (prefer(item) ? 0 : 2) + (inside ? 0 : 1);
    if (!best || rank < best.rank || (rank === best.rank && d < best.distance)) best = { item, distance: d, rank };
  }
  return best && { item: best.item, distance: best.distance, close: best.rank < 4 };
}

// Per BTF: `kind:name` -> its nearest type name (a scan of every type, done once).
const nearestTypes = new WeakMap<Btf, Map<string, { name: string; id: number; distance: number } | undefined>>();

/** The closest type name of a CO-RE-compatible kind to `name` in `btf` (own types). */
function nearestTypeName(btf: Btf, name: string, kind: number): { name: string; id: number; distance: number } | undefined {
  let cache = nearestTypes.get(btf);
  if (!cache) nearestTypes.set(btf, (cache = new Map()));
  const key = `${kind}:${name}`;
  if (cache.has(key)) return cache.get(key);
  const best = scanTypeNames(btf, name, kind);
  cache.set(key, best);
  return best;
}

function scanTypeNames(btf: Btf, name: string, kind: number): { name: string; id: number; distance: number } | undefined {
  let best: { name: string; id: number; distance: number } | undefined;
  const limit = closeLimit(name);
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    if (!kindsCoreCompat(btf.kindOf(id), kind)) continue;
    const n = btf.nameOf(id);
    if (n === '' || Math.abs(n.length - name.length) > limit) continue;
    const d = editDistance(name, n);
    if (d <= limit && (!best || d < best.distance)) best = { name: n, id, distance: d };
  }
  return best;
}

/** `struct `, `union ` or nothing (enums, typedefs, ints): how C spells the type's name. */
function typeKeyword(btf: Btf, id: number): string {
  const k = btf.kindOf(id);
  return k === BTF_KIND_STRUCT ? 'struct ' : k === BTF_KIND_UNION ? 'union ' : '';
}

/**
 * Explains why the relocation with local spec `spec` has no match in `target`, or undefined
 * when every step of the path exists (the failure is elsewhere: an array index past the
 * kernel's array, a bitfield that cannot be loaded; the poison reason says which).
 */
export function explainFailure(spec: CoreSpec, target: CoreTarget): ClosestCandidate | undefined {
  const local = spec.btf;
  const rootName = local.nameOf(spec.rootTypeId);
  const essential = coreEssentialName(rootName);
  const cands = findCandidates(local, spec.rootTypeId, target);
  const base = { distance: undefined, offset: undefined, localType: undefined, targetType: undefined };
  if (cands.length === 0) {
    const kw = typeKeyword(local, spec.rootTypeId);
    const near = nearestTypeName(target.vmlinux, essential, local.kindOf(spec.rootTypeId));
    return {
      ...base,
      change: 'missing-type',
      local: `${kw}${essential}`,
      candidate: near ? `${kw}${near.name}` : undefined,
      distance: near?.distance,
      text: near
        ? `no type '${kw}${essential}' in this kernel; closest: '${kw}${near.name}' (distance ${near.distance})`
        : `no type '${kw}${essential}' in this kernel`,
    };
  }
  const cand = cands[0]!;
  const tb = cand.btf;

  if (isEnumvalBased(spec.kind)) {
    const acc = spec.accessors[0]!;
    const t = tb.type(skipModifiers(tb, cand.id));
    if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') return undefined;
    const near = nearest<{ name: string; value: number | bigint }>(acc.name ?? "", t.values);
    const local = `enum ${essential}::${acc.name}`;
    if (!near) return { ...base, change: 'vanished', local, candidate: undefined, text: `'${local}': enum has no values in this kernel` };
    const candidate = `enum ${essential}::${near.item.name}`;
    const close = near.close;
    return {
      ...base,
      change: close ? 'renamed' : 'vanished',
      local,
      candidate,
      distance: near.distance,
      text: close
        ? `'${local}' not in this kernel; closest: '${candidate}' = ${near.item.value} (distance ${near.distance})`
        : `'${local}' vanished (nearest enumerator '${near.item.name}', distance ${near.distance})`,
    };
  }
  if (!isFieldBased(spec.kind)) return undefined;

  // Walk the access path: accessors[0] is the root's array index; then members and indices.
  let targetId = cand.id;
  let path = essential;
  for (let i = 1; i < spec.accessors.length; i++) {
    const acc = spec.accessors[i]!;
    const tid = skipModifiers(tb, targetId);
    if (acc.name === undefined) {
      if (tb.kindOf(tid) !== BTF_KIND_ARRAY) {
        return { ...base, change: 'retyped', local: path, candidate: path, targetType: cTypeName(tb, targetId), text: `'${path}' is not an array in this kernel (${cTypeName(tb, targetId)})` };
      }
      path += `[${acc.idx}]`;
      targetId = tb.dataU32(tid, 0);
      continue;
    }
    const lt = local.type(acc.typeId);
    if (lt.kind !== 'STRUCT' && lt.kind !== 'UNION') return undefined;
    const lm = lt.members[acc.idx]!;
    const localType = cTypeName(local, lm.type);
    const parent = path;
    path += `.${acc.name}`;
    const k = tb.kindOf(tid);
    if (k !== BTF_KIND_STRUCT && k !== BTF_KIND_UNION) {
      return { ...base, change: 'retyped', local: path, candidate: parent, localType, targetType: cTypeName(tb, targetId), text: `'${parent}' is ${cTypeName(tb, targetId)} in this kernel, not a struct or union` };
    }
    const found = findMember(tb, tid, acc.name);
    if (found) {
      if (!fieldsAreCompat(local, lm.type, tb, found.member.type)) {
        const targetType = cTypeName(tb, found.member.type);
        return {
          ...base,
          change: 'retyped',
          local: path,
          candidate: path,
          offset: Math.floor(found.bitsOffset / 8),
          localType,
          targetType,
          text: `'${path}' changed type: ${localType} in the object, ${targetType} in this kernel (offset ${Math.floor(found.bitsOffset / 8)})`,
        };
      }
      targetId = found.member.type;
      continue;
    }
    // A kernel member whose name the local struct also has stands for that local member,
    // not for this one: `tgid` gone does not make `pid` its new name.
    const localNames = new Set(flatMembers(local, acc.typeId).map((m) => m.name));
    const members = flatMembers(tb, tid).filter((m) => !localNames.has(m.name));
    const compatible = (m: FlatMember): boolean => fieldsAreCompat(local, lm.type, tb, m.type);
    const near = nearest(acc.name, members, compatible);
    const describe = (m: FlatMember): string => `'${parent}.${m.name}' (offset ${Math.floor(m.bitsOffset / 8)}, ${cTypeName(tb, m.type)})`;
    if (near?.close) {
      const m = near.item;
      return {
        ...base,
        change: 'renamed',
        local: path,
        candidate: `${parent}.${m.name}`,
        distance: near.distance,
        offset: Math.floor(m.bitsOffset / 8),
        localType,
        targetType: cTypeName(tb, m.type),
        text: `'${path}' not in this kernel; closest: ${describe(m)}, distance ${near.distance}`,
      };
    }
    // No close name: a compatible member at the local member's place is the next best guess.
    const localBits = localMemberOffset(local, acc.typeId, acc.idx);
    const samePlace = localBits === undefined ? undefined : members.find((m) => m.bitsOffset === localBits && compatible(m));
    if (samePlace) {
      return {
        ...base,
        change: 'renamed',
        local: path,
        candidate: `${parent}.${samePlace.name}`,
        offset: Math.floor(samePlace.bitsOffset / 8),
        localType,
        targetType: cTypeName(tb, samePlace.type),
        text: `'${path}' not in this kernel; at its place: ${describe(samePlace)}`,
      };
    }
    return {
      ...base,
      change: 'vanished',
      local: path,
      candidate: near ? `${parent}.${near.item.name}` : undefined,
      distance: near?.distance,
      localType,
      text: near ? `'${path}' vanished from this kernel (nearest name ${describe(near.item)}, distance ${near.distance})` : `'${path}' vanished from this kernel`,
    };
  }
  return undefined;
}

/** Bit offset of member `idx` of local struct `id` (relative to that struct). */
function localMemberOffset(btf: Btf, id: number, idx: number): number | undefined {
  const t = btf.type(id);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  return t.members[idx]?.bitsOffset;
}
