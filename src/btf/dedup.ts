/**
 * BTF deduplication: many copies of the same types (one per compilation unit, as a static
 * linker or pahole finds them) become one.
 *
 * This follows the algorithm of libbpf's `btf__dedup` (`src/btf.c`), in its phases, with its
 * names, so the two read side by side:
 *
 * 1. **strings**: here names are compared as strings, which is what libbpf's string dedup
 *    makes possible; offsets are given later by whoever encodes the result.
 * 2. **primitive types** (`btf_dedup_prim_types`): INT, ENUM, ENUM64, FWD, FLOAT reference no
 *    other type; equal ones collapse. An enum forward declaration (an ENUM with no values)
 *    resolves to the full enum of the same name and size.
 * 3. **structs and unions** (`btf_dedup_struct_types`): a candidate with the same shallow
 *    shape (name, size, member names and offsets) is equivalent when the two *type graphs*
 *    are: `btf_dedup_is_equiv` walks both at once, recording a hypothetical mapping
 *    canonical -> candidate, so cycles (`struct list { struct list *next; }`) terminate. A
 *    FWD is equivalent to a struct/union of the same name and kind; the walk records that too.
 * 4. **forward declarations** (`btf_dedup_resolve_fwds`): a FWD still unresolved maps to the
 *    one struct/union of its name, if the name is unique.
 * 5. **reference types** (`btf_dedup_ref_types`): PTR, TYPEDEF, CONST, VOLATILE, RESTRICT,
 *    TYPE_TAG, FUNC, DECL_TAG, ARRAY and FUNC_PROTO are stable once what they reference is
 *    canonical, so they collapse by plain equality, leaves first.
 * 6. **compaction and remapping**: canonical types keep their order and get new ids.
 *
 * VAR and DATASEC are never merged (each names one variable or one section).
 *
 * Worked example. Two units both include `struct point { int x; }` and take `struct point *`:
 * ```
 * [1] INT int       [2] STRUCT point {x: 1}   [3] PTR -> 2
 * [4] INT int       [5] STRUCT point {x: 4}   [6] PTR -> 5
 * ```
 * Phase 2 maps 4 -> 1. Phase 3 compares 5 with candidate 2: same shape; member types 4 and 1
 * resolve to the same canonical (1), so 5 -> 2. Phase 5: 3 is `PTR -> 2`, canonical; 6 becomes
 * `PTR -> 2` after resolving, equal to 3, so 6 -> 3. Phase 6 keeps [1] [2] [3].
 * @module
 */
import { BtfError } from './errors.js';
import type { BtfType } from './kinds.js';

/** The result of {@link dedupBtfTypes}. */
export interface DedupResult {
  /** The canonical types, in their original order; the first has id 1. */
  types: BtfType[];
  /**
   * Old id -> new id, for every input id (index 0 is `void` -> 0). Use it to rewrite type ids
   * held elsewhere (`.BTF.ext` func_info and CO-RE records).
   */
  idMap: Uint32Array;
}

const UNPROCESSED = 0xffffffff;
const IN_PROGRESS = 0xfffffffe;
/** Ids above this are markers, not types (libbpf `BTF_MAX_NR_TYPES`). */
const MAX_ID = 0x7fffffff;

/**
 * Calls `fn` on every type id field of `t` and stores what it returns: the one place that
 * knows which fields of which kind hold type ids (libbpf `btf_field_iter` with
 * `BTF_FIELD_ITER_IDS`).
 */
export function mapTypeIds(t: BtfType, fn: (id: number) => number): void {
  switch (t.kind) {
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
    case 'FUNC':
    case 'VAR':
    case 'DECL_TAG':
      t.type = fn(t.type);
      return;
    case 'ARRAY':
      t.type = fn(t.type);
      t.indexType = fn(t.indexType);
      return;
    case 'STRUCT':
    case 'UNION':
      for (const m of t.members) m.type = fn(m.type);
      return;
    case 'FUNC_PROTO':
      t.returnType = fn(t.returnType);
      for (const p of t.params) p.type = fn(p.type);
      return;
    case 'DATASEC':
      for (const v of t.vars) v.type = fn(v.type);
      return;
    default:
      return;
  }
}

/**
 * Deduplicates `types` (ids 1..n, in order; ids in them refer to this list). The input objects
 * are modified (reference fields are rewritten); clone them first to keep them.
 * @throws {@link BtfError} when a type refers to an id outside the list, or reference types
 *   form a cycle that passes through no struct or union.
 */
export function dedupBtfTypes(types: BtfType[]): DedupResult {
  return new Dedup(types).run();
}

// Keys play the role of libbpf's hashes: equal keys mean "candidates"; the checks below decide.
const intKey = (t: Extract<BtfType, { kind: 'INT' }>) => `INT|${t.name}|${t.size}|${t.encoding}|${t.bitsOffset}|${t.nrBits}`;
const enumKey = (t: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>) => `${t.kind}|${t.name}|${t.size}`;
const shallowStructKey = (t: Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>) =>
  `${t.kind}|${t.name}|${t.size}|${t.kindFlag ? 1 : 0}|${t.members.map((m) => `${m.name}@${m.bitsOffset}:${m.bitfieldSize}`).join(',')}`;

class Dedup {
  /** Index = id; [0] is void. */
  private readonly t: (BtfType | undefined)[];
  private readonly map: Uint32Array;
  private readonly table = new Map<string, number[]>();
  private hypot = new Map<number, number>();
  private hypotList: number[] = [];

  constructor(types: BtfType[]) {
    this.t = [undefined, ...types];
    this.map = new Uint32Array(this.t.length).fill(UNPROCESSED);
    this.map[0] = 0;
    for (let id = 1; id < this.t.length; id++) {
      const t = this.t[id]!;
      if (t.kind === 'VAR' || t.kind === 'DATASEC') this.map[id] = id;
      mapTypeIds(t, (ref) => {
        if (!Number.isInteger(ref) || ref < 0 || ref >= this.t.length) {
          throw new BtfError(`type [${id}] ${t.kind} '${t.name}' refers to type [${ref}], which does not exist (${types.length} types)`, { typeId: id });
        }
        return ref;
      });
    }
  }

  run(): DedupResult {
    const n = this.t.length;
    for (let id = 1; id < n; id++) this.primType(id);
    for (let id = 1; id < n; id++) this.structType(id);
    this.resolveFwds();
    for (let id = 1; id < n; id++) this.refType(id);
    // Compaction: canonical types in order, new ids from 1.
    const newId = new Uint32Array(n);
    const out: BtfType[] = [];
    for (let id = 1; id < n; id++) {
      if (this.map[id] !== id) continue;
      out.push(this.t[id]!);
      newId[id] = out.length;
    }
    const idMap = new Uint32Array(n);
    for (let id = 1; id < n; id++) idMap[id] = newId[this.resolve(id)]!;
    for (const t of out) mapTypeIds(t, (ref) => idMap[ref]!);
    return { types: out, idMap };
  }

  private type(id: number): BtfType | undefined {
    return this.t[id];
  }

  private isMapped(id: number): boolean {
    return this.map[id]! <= MAX_ID;
  }

  /** libbpf `resolve_type_id`: follow the map to a canonical id (or the id itself). */
  private resolve(id: number): number {
    let steps = 0;
    while (this.isMapped(id) && this.map[id] !== id) {
      id = this.map[id]!;
      if (++steps > this.t.length) throw new BtfError(`type [${id}]: dedup mapping does not terminate`, { typeId: id });
    }
    return id;
  }

  /** libbpf `resolve_fwd_id`: a FWD already resolved to a struct/union gives that struct. */
  private resolveFwd(id: number): number {
    if (this.type(id)?.kind !== 'FWD') return id;
    const r = this.resolve(id);
    return this.type(r)?.kind === 'FWD' ? id : r;
  }

  private candidates(key: string): number[] {
    let list = this.table.get(key);
    if (!list) this.table.set(key, (list = []));
    return list;
  }

  // Phase 2 (`btf_dedup_prim_type`).
  private primType(id: number): void {
    const t = this.type(id)!;
    let key: string;
    let found = id;
    switch (t.kind) {
      case 'INT':
        key = intKey(t);
        found = this.candidates(key)[0] ?? id;
        break;
      case 'ENUM':
      case 'ENUM64':
        key = enumKey(t);
        for (const c of this.candidates(key)) {
          const cand = this.type(c) as typeof t;
          if (enumsEqual(t, cand)) {
            found = c;
            break;
          }
          if (enumsCompatible(t, cand)) {
            // An enum forward declaration resolves to the full enum, whichever came first.
            if (isEnumFwd(t)) {
              found = c;
              break;
            }
            this.map[c] = id;
          }
        }
        break;
      case 'FWD':
        key = `FWD|${t.name}|${t.fwdKind}`;
        found = this.candidates(key)[0] ?? id;
        break;
      case 'FLOAT':
        key = `FLOAT|${t.name}|${t.size}`;
        found = this.candidates(key)[0] ?? id;
        break;
      default:
        return;
    }
    this.map[id] = found;
    if (found === id) this.candidates(key).push(id);
  }

  // Phase 3 (`btf_dedup_struct_type`).
  private structType(id: number): void {
    if (this.isMapped(id)) return;
    const t = this.type(id)!;
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return;
    const key = shallowStructKey(t);
    let found = id;
    for (const c of this.candidates(key)) {
      this.hypot = new Map();
      this.hypotList = [];
      if (!this.isEquiv(id, c, 0)) continue;
      this.mergeHypot();
      found = c;
      break;
    }
    this.map[id] = found;
    if (found === id) this.candidates(key).push(id);
  }

  /**
   * libbpf `btf_dedup_is_equiv`: whether the graph rooted at `cand` is equivalent to the one at
   * `canon`, assuming the pairs already in the hypothetical map are.
   */
  private isEquiv(candId: number, canonId: number, depth: number): boolean {
    if (this.resolve(candId) === this.resolve(canonId)) return true;
    canonId = this.resolveFwd(canonId);
    const seen = this.hypot.get(canonId);
    if (seen !== undefined) return seen === candId || this.identical(seen, candId, 16);
    // Reference chains without a struct in between are bounded by the type count.
    if (depth > this.t.length) return false;
    this.hypot.set(canonId, candId);
    this.hypotList.push(canonId);

    const cand = this.type(candId);
    const canon = this.type(canonId);
    if (!cand || !canon) return false;
    if (cand.name !== canon.name) return false;
    if ((cand.kind === 'FWD' || canon.kind === 'FWD') && cand.kind !== canon.kind) {
      const [fwd, real] = cand.kind === 'FWD' ? [cand, canon] : [canon, cand];
      return fwd.kind === 'FWD' && fwd.fwdKind === (real.kind === 'UNION' ? 'union' : real.kind === 'STRUCT' ? 'struct' : '');
    }
    if (cand.kind !== canon.kind) return false;
    switch (cand.kind) {
      case 'INT':
        return intKey(cand) === intKey(canon as typeof cand);
      case 'ENUM':
      case 'ENUM64':
        return enumsCompatible(cand, canon as typeof cand);
      case 'FWD':
        return cand.fwdKind === (canon as typeof cand).fwdKind;
      case 'FLOAT':
        return cand.size === (canon as typeof cand).size;
      case 'PTR':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'TYPE_TAG': {
        const o = canon as typeof cand;
        if (cand.kindFlag !== o.kindFlag) return false;
        return this.isEquiv(cand.type, o.type, depth + 1);
      }
      case 'FUNC': {
        const o = canon as typeof cand;
        if (cand.linkage !== o.linkage) return false;
        return this.isEquiv(cand.type, o.type, depth + 1);
      }
      case 'ARRAY': {
        const o = canon as typeof cand;
        if (cand.nelems !== o.nelems) return false;
        return this.isEquiv(cand.indexType, o.indexType, depth + 1) && this.isEquiv(cand.type, o.type, depth + 1);
      }
      case 'STRUCT':
      case 'UNION': {
        const o = canon as typeof cand;
        if (shallowStructKey(cand) !== shallowStructKey(o)) return false;
        return cand.members.every((m, i) => this.isEquiv(m.type, o.members[i]!.type, depth + 1));
      }
      case 'FUNC_PROTO': {
        const o = canon as typeof cand;
        if (cand.params.length !== o.params.length || cand.params.some((p, i) => p.name !== o.params[i]!.name)) return false;
        if (!this.isEquiv(cand.returnType, o.returnType, depth + 1)) return false;
        return cand.params.every((p, i) => this.isEquiv(p.type, o.params[i]!.type, depth + 1));
      }
      default:
        return false;
    }
  }

  /**
   * libbpf `btf_dedup_identical_types`: a bounded structural comparison, for compilers that
   * emit two identical copies of one type inside one unit (two `int[4]` arrays, say).
   */
  private identical(a: number, b: number, depth: number): boolean {
    if (a === b || this.resolve(a) === this.resolve(b)) return true;
    if (depth <= 0) return false;
    const x = this.type(a);
    const y = this.type(b);
    if (!x || !y || x.kind !== y.kind || x.name !== y.name) return false;
    switch (x.kind) {
      case 'INT':
        return intKey(x) === intKey(y as typeof x);
      case 'PTR':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'TYPE_TAG':
        return x.kindFlag === (y as typeof x).kindFlag && this.identical(x.type, (y as typeof x).type, depth - 1);
      case 'ARRAY': {
        const o = y as typeof x;
        return x.nelems === o.nelems && this.identical(x.type, o.type, depth - 1) && this.identical(x.indexType, o.indexType, depth - 1);
      }
      case 'STRUCT':
      case 'UNION': {
        const o = y as typeof x;
        return shallowStructKey(x) === shallowStructKey(o) && x.members.every((m, i) => this.identical(m.type, o.members[i]!.type, depth - 1));
      }
      default:
        return false;
    }
  }

  /** libbpf `btf_dedup_merge_hypot_map`: keep what the successful walk proved. */
  private mergeHypot(): void {
    for (const canonId of this.hypotList) {
      const t = this.resolve(this.hypot.get(canonId)!);
      const c = this.resolve(canonId);
      const tk = this.type(t)?.kind;
      const ck = this.type(c)?.kind;
      if (tk !== 'FWD' && ck === 'FWD') this.map[c] = t;
      if (tk === 'FWD' && ck !== 'FWD') this.map[t] = c;
      if ((tk === 'STRUCT' || tk === 'UNION') && ck !== 'FWD' && this.isMapped(c) && !this.isMapped(t)) this.map[t] = c;
    }
  }

  // Phase 4 (`btf_dedup_resolve_fwds`).
  private resolveFwds(): void {
    const byName = new Map<string, number>();
    for (let id = 1; id < this.t.length; id++) {
      const t = this.type(id)!;
      if ((t.kind !== 'STRUCT' && t.kind !== 'UNION') || this.map[id] !== id) continue;
      // 0: the name is not unique.
      byName.set(t.name, byName.has(t.name) ? 0 : id);
    }
    for (let id = 1; id < this.t.length; id++) {
      const t = this.type(id)!;
      if (t.kind !== 'FWD' || this.map[id] !== id) continue;
      const c = byName.get(t.name);
      if (!c) continue;
      const ck = this.type(c)!.kind;
      if ((ck === 'STRUCT' && t.fwdKind === 'struct') || (ck === 'UNION' && t.fwdKind === 'union')) this.map[id] = c;
    }
  }

  // Phase 5 (`btf_dedup_ref_type`): returns the canonical id of `id`.
  private refType(id: number): number {
    if (this.map[id] === IN_PROGRESS) {
      throw new BtfError(`type [${id}] ${this.type(id)?.kind}: reference cycle without a struct or union`, { typeId: id });
    }
    if (this.isMapped(id)) return this.resolve(id);
    const t = this.type(id)!;
    this.map[id] = IN_PROGRESS;
    let key: string;
    switch (t.kind) {
      case 'PTR':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'TYPE_TAG':
        t.type = this.refType(t.type);
        key = `${t.kind}|${t.name}|${t.kindFlag ? 1 : 0}|${t.type}`;
        break;
      case 'FUNC':
        t.type = this.refType(t.type);
        key = `FUNC|${t.name}|${t.linkage}|${t.type}`;
        break;
      case 'DECL_TAG':
        t.type = this.refType(t.type);
        key = `DECL_TAG|${t.name}|${t.kindFlag ? 1 : 0}|${t.componentIdx}|${t.type}`;
        break;
      case 'ARRAY':
        t.type = this.refType(t.type);
        t.indexType = this.refType(t.indexType);
        key = `ARRAY|${t.type}|${t.indexType}|${t.nelems}`;
        break;
      case 'FUNC_PROTO':
        t.returnType = this.refType(t.returnType);
        for (const p of t.params) p.type = this.refType(p.type);
        key = `FUNC_PROTO|${t.returnType}|${t.params.map((p) => `${p.name}:${p.type}`).join(',')}`;
        break;
      default:
        // Every other kind was mapped by an earlier phase.
        throw new BtfError(`type [${id}] ${t.kind}: not deduplicated by any phase`, { typeId: id });
    }
    const found = this.candidates(key)[0] ?? id;
    this.map[id] = found;
    if (found === id) this.candidates(key).push(id);
    return found;
  }
}

function isEnumFwd(t: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>): boolean {
  return t.values.length === 0;
}

function enumsEqual(a: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>, b: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>): boolean {
  if (a.kind !== b.kind || a.name !== b.name || a.size !== b.size || a.signed !== b.signed || a.values.length !== b.values.length) return false;
  return a.values.every((v, i) => v.name === b.values[i]!.name && v.value === b.values[i]!.value);
}

/** libbpf `btf_compat_enum`: equal, or one is a forward declaration of the other. */
function enumsCompatible(a: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>, b: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>): boolean {
  if (!isEnumFwd(a) && !isEnumFwd(b)) return enumsEqual(a, b);
  return a.kind === b.kind && a.name === b.name && a.size === b.size;
}
