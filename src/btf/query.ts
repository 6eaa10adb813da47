/**
 * Questions a loader asks of BTF: what a typedef chain ends in, how big and how aligned a type
 * is, where a (possibly bitfield, possibly anonymous-nested) member sits, what an enumerator is
 * worth. (Whether two types are compatible for CO-RE is `src/core`'s question: see `typesAreCompat`.)
 *
 * Every walk along `type` references is bounded: at most {@link MAX_RESOLVE_DEPTH} steps (the
 * limit libbpf and cilium/ebpf use), so a malformed chain (`TYPEDEF a -> CONST -> TYPEDEF a`)
 * ends in a {@link BtfError} naming the type, never in a hang or a stack overflow.
 * @module
 */
import { describeType, type Btf } from './btf.js';
import { BtfError } from './errors.js';
import {
  BTF_KIND_ARRAY,
  BTF_KIND_CONST,
  BTF_KIND_DATASEC,
  BTF_KIND_DECL_TAG,
  BTF_KIND_ENUM,
  BTF_KIND_ENUM64,
  BTF_KIND_FLOAT,
  BTF_KIND_FUNC,
  BTF_KIND_FUNC_PROTO,
  BTF_KIND_FWD,
  BTF_KIND_INT,
  BTF_KIND_PTR,
  BTF_KIND_RESTRICT,
  BTF_KIND_STRUCT,
  BTF_KIND_TYPEDEF,
  BTF_KIND_TYPE_TAG,
  BTF_KIND_UNION,
  BTF_KIND_VAR,
  BTF_KIND_VOLATILE,
  type BtfMember,
} from './kinds.js';

/** Longest `type` chain followed before giving up (libbpf `MAX_RESOLVE_DEPTH`). */
export const MAX_RESOLVE_DEPTH = 32;

/** Size of a pointer in the BPF target (BPF is a 64-bit machine). */
export const BPF_PTR_SIZE = 8;

function isModifier(kind: number): boolean {
  return kind === BTF_KIND_CONST || kind === BTF_KIND_VOLATILE || kind === BTF_KIND_RESTRICT || kind === BTF_KIND_TYPE_TAG;
}

function chainError(btf: Btf, start: number, at: number, depth: number): BtfError {
  const what = depth > MAX_RESOLVE_DEPTH ? `reference chain longer than ${MAX_RESOLVE_DEPTH}` : 'reference cycle';
  return new BtfError(`type ${describeType(btf, start)}: ${what} (at ${describeType(btf, at)})`, { section: btf.section, typeId: start });
}

/**
 * Follows CONST, VOLATILE, RESTRICT and TYPE_TAG (and TYPEDEF unless `keepTypedefs`) from `id`
 * to the first other type; 0 stays 0 (`void`).
 * @throws {@link BtfError} on a cycle or a chain longer than {@link MAX_RESOLVE_DEPTH}.
 */
export function skipModifiers(btf: Btf, id: number, keepTypedefs = false): number {
  const start = id;
  for (let depth = 0; ; depth++) {
    if (id === 0) return 0;
    const kind = btf.kindOf(id);
    if (!(isModifier(kind) || (!keepTypedefs && kind === BTF_KIND_TYPEDEF))) return id;
    if (depth >= MAX_RESOLVE_DEPTH) throw chainError(btf, start, id, depth + 1);
    const next = btf.sizeOrTypeOf(id);
    if (next === start || next === id) throw chainError(btf, start, id, depth);
    id = next;
  }
}

/** Alias of {@link skipModifiers} that also skips typedefs: the type a chain "really" is. */
export function resolveType(btf: Btf, id: number): number {
  return skipModifiers(btf, id, false);
}

/** Options of {@link sizeOf}/{@link alignOf}. */
export interface LayoutOptions {
  /** Pointer size in bytes; BPF's is 8. */
  ptrSize?: number;
}

/**
 * `sizeof` of type `id` in bytes (libbpf `btf__resolve_size`): follows typedefs, modifiers,
 * VAR and DECL_TAG, multiplies arrays, gives the pointer size for PTR.
 * @throws {@link BtfError} for types without a size (void, FUNC, FUNC_PROTO, FWD), a cycle, or
 *   a size that does not fit in 32 bits.
 */
export function sizeOf(btf: Btf, id: number, options: LayoutOptions = {}): number {
  const ptrSize = options.ptrSize ?? BPF_PTR_SIZE;
  const start = id;
  let nelems = 1;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const kind = btf.kindOf(id);
    switch (kind) {
      case BTF_KIND_INT:
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
      case BTF_KIND_DATASEC:
      case BTF_KIND_FLOAT:
        return checkedSize(btf, start, nelems * btf.sizeOrTypeOf(id));
      case BTF_KIND_PTR:
        return checkedSize(btf, start, nelems * ptrSize);
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_CONST:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_VAR:
      case BTF_KIND_DECL_TAG:
      case BTF_KIND_TYPE_TAG:
        id = btf.sizeOrTypeOf(id);
        break;
      case BTF_KIND_ARRAY: {
        const n = btf.dataU32(id, 2);
        nelems *= n;
        if (nelems > 0xffffffff) throw new BtfError(`type ${describeType(btf, start)}: array size overflows`, { section: btf.section, typeId: start });
        id = btf.dataU32(id, 0);
        break;
      }
      default:
        throw new BtfError(`type ${describeType(btf, start)}: ${describeType(btf, id)} has no size`, { section: btf.section, typeId: start });
    }
  }
  throw chainError(btf, start, id, MAX_RESOLVE_DEPTH + 1);
}

function checkedSize(btf: Btf, start: number, size: number): number {
  if (size > 0xffffffff) throw new BtfError(`type ${describeType(btf, start)}: size ${size} does not fit in 32 bits`, { section: btf.section, typeId: start });
  return size;
}

/**
 * Alignment of type `id` in bytes (libbpf `btf__align_of`): scalars align to their size capped
 * at the pointer size; a struct to its most aligned member, or 1 when the layout shows it is
 * packed (a non-bitfield member at a misaligned offset, or a size not a multiple of the
 * alignment).
 */
export function alignOf(btf: Btf, id: number, options: LayoutOptions = {}): number {
  return alignOfDepth(btf, id, options.ptrSize ?? BPF_PTR_SIZE, 0, id);
}

function alignOfDepth(btf: Btf, id: number, ptrSize: number, depth: number, start: number): number {
  if (depth > MAX_RESOLVE_DEPTH) throw chainError(btf, start, id, depth);
  const kind = btf.kindOf(id);
  switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FLOAT:
      return Math.min(ptrSize, btf.sizeOrTypeOf(id));
    case BTF_KIND_PTR:
      return ptrSize;
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      return alignOfDepth(btf, btf.sizeOrTypeOf(id), ptrSize, depth + 1, start);
    case BTF_KIND_ARRAY:
      return alignOfDepth(btf, btf.dataU32(id, 0), ptrSize, depth + 1, start);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      const t = btf.type(id);
      if (t.kind !== 'STRUCT' && t.kind !== 'UNION') break;
      let max = 1;
      for (const m of t.members) {
        const a = alignOfDepth(btf, m.type, ptrSize, depth + 1, start);
        if (!m.bitfieldSize && m.bitsOffset % (8 * a) !== 0) return 1; // packed
        max = Math.max(max, a);
      }
      if (t.size % max !== 0) return 1; // packed
      return max;
    }
  }
  throw new BtfError(`type ${describeType(btf, start)}: ${describeType(btf, id)} has no alignment`, { section: btf.section, typeId: start });
}

/** A member found by {@link findMember}: the member and where it is from the outer struct's start. */
export interface FoundMember {
  /** The member found (inside nested anonymous structs/unions when that is where it is). */
  member: BtfMember;
  /** Bit offset from the start of the outermost struct/union searched. */
  bitsOffset: number;
  /** Member indexes walked, outermost first (anonymous members included): the CO-RE access path. */
  path: number[];
}

/**
 * Finds member `name` of struct/union `id` (typedefs and modifiers skipped), looking inside
 * anonymous struct/union members as C does. Returns undefined when there is none.
 */
export function findMember(btf: Btf, id: number, name: string): FoundMember | undefined {
  return findMemberDepth(btf, resolveType(btf, id), name, 0, [], 0);
}

function findMemberDepth(btf: Btf, id: number, name: string, base: number, path: number[], depth: number): FoundMember | undefined {
  if (depth > MAX_RESOLVE_DEPTH) throw chainError(btf, id, id, depth);
  const t = btf.type(id);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (m.name === name) return { member: m, bitsOffset: base + m.bitsOffset, path: [...path, i] };
    if (m.name === '') {
      const inner = resolveType(btf, m.type);
      const k = btf.kindOf(inner);
      if (k === BTF_KIND_STRUCT || k === BTF_KIND_UNION) {
        const found = findMemberDepth(btf, inner, name, base + m.bitsOffset, [...path, i], depth + 1);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** The value of enumerator `name` in ENUM/ENUM64 `id` (typedefs skipped), or undefined. */
export function enumValue(btf: Btf, id: number, name: string): number | bigint | undefined {
  const t = btf.type(resolveType(btf, id));
  if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') return undefined;
  for (const v of t.values) if (v.name === name) return v.value;
  return undefined;
}

/** Whether `id` (after typedefs/modifiers) is a STRUCT or UNION. */
export function isComposite(btf: Btf, id: number): boolean {
  const k = btf.kindOf(resolveType(btf, id));
  return k === BTF_KIND_STRUCT || k === BTF_KIND_UNION;
}

/** Whether type `id` is one of FUNC, FUNC_PROTO (has no size). */
export function isFunction(btf: Btf, id: number): boolean {
  const k = btf.kindOf(id);
  return k === BTF_KIND_FUNC || k === BTF_KIND_FUNC_PROTO;
}

/**
 * Checks that every typedef/modifier chain in `btf` ends (no cycles, depth within
 * {@link MAX_RESOLVE_DEPTH}). Parsing does not do this walk; loaders call it before trusting
 * chains from an untrusted file.
 * @throws {@link BtfError} naming the first type whose chain does not end.
 */
export function checkChains(btf: Btf): void {
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    const k = btf.kindOf(id);
    if (isModifier(k) || k === BTF_KIND_TYPEDEF) skipModifiers(btf, id);
    if (k === BTF_KIND_PTR) {
      // PTR -> itself is legal C-wise (void *p = &p) and ends here; the pointee chain must end.
      const to = btf.sizeOrTypeOf(id);
      if (to !== id) skipModifiers(btf, to);
    }
  }
}
