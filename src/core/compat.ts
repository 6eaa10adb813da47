/**
 * When is a target type "the same" as a local one? Three relations, each from libbpf's
 * `relo_core.c`, used by different relocation kinds:
 *
 * - {@link typesAreCompat} (`bpf_core_types_are_compat`) for TYPE_EXISTS, TYPE_SIZE,
 *   TYPE_ID_TARGET: loose. Root names already match (that is how candidates are found);
 *   below the root, names are ignored, kinds must agree (ENUM ~ ENUM64), pointers and arrays
 *   recurse into what they point at / hold, function prototypes compare arity and types.
 * - {@link fieldsAreCompat} (`bpf_core_fields_are_compat`) for a member found by name: any
 *   struct/union matches any struct/union, pointers always, ints whatever their size.
 * - {@link typesMatch} (`bpf_core_types_match`) for TYPE_MATCHES: strict. Every local member
 *   must exist in the target with a matching type, ints must agree in size and signedness,
 *   arrays in length, enums in size and enumerator names.
 *
 * Names compare by their *essential* part: `task_struct___old` is `task_struct`
 * ({@link essentialNameLength}).
 * @module
 */
import type { Btf } from '../btf/btf.js';
import {
  BTF_INT_SIGNED,
  BTF_KIND_ARRAY,
  BTF_KIND_ENUM,
  BTF_KIND_ENUM64,
  BTF_KIND_FLOAT,
  BTF_KIND_FUNC_PROTO,
  BTF_KIND_FWD,
  BTF_KIND_INT,
  BTF_KIND_PTR,
  BTF_KIND_STRUCT,
  BTF_KIND_UNION,
  BTF_KIND_UNKN,
} from '../btf/kinds.js';
import { CoreError } from './errors.js';
import { skipModsAndTypedefs, typeById } from './spec.js';

/** Recursion budget of the compatibility walks (libbpf's `depth = 32` / `level = 32`). */
const MAX_DEPTH = 32;

/**
 * Length of `name` without its flavor suffix (libbpf `bpf_core_essential_name_len`): the
 * part before the last `X___Y` separator, where X and Y are not underscores.
 * `task_struct___2` -> 11; `foo____bar` (four underscores) has no separator.
 */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

/** The essential name: `task_struct___old` -> `task_struct`. */
export function coreEssentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

function isAnyEnum(kind: number): boolean {
  return kind === BTF_KIND_ENUM || kind === BTF_KIND_ENUM64;
}

/** libbpf `btf_kind_core_compat`: same kind, or both enums (ENUM ~ ENUM64). */
export function kindsCoreCompat(a: number, b: number): boolean {
  return a === b || (isAnyEnum(a) && isAnyEnum(b));
}

function isComposite(kind: number): boolean {
  return kind === BTF_KIND_STRUCT || kind === BTF_KIND_UNION;
}

/** `btf_int_offset`: bit offset inside an INT (non-zero only in old bitfield-like ints). */
function intOffset(btf: Btf, id: number): number {
  return (btf.dataU32(id, 0) >>> 16) & 0xff;
}

function intEncoding(btf: Btf, id: number): number {
  return (btf.dataU32(id, 0) >>> 24) & 0x0f;
}

function tooDeep(local: Btf, localId: number): CoreError {
  return new CoreError(`type [${localId}] '${local.nameOf(localId)}': types nest deeper than ${MAX_DEPTH} levels`);
}

/**
 * libbpf `bpf_core_types_are_compat`, for type-based relocations. Assumes the root names
 * match (candidates are found by name).
 * @throws {@link CoreError} when the types nest deeper than 32 levels (libbpf's -EINVAL).
 */
export function typesAreCompat(local: Btf, localId: number, target: Btf, targetId: number, level = MAX_DEPTH): boolean {
  if (!kindsCoreCompat(local.kindOf(localId), target.kindOf(targetId))) return false;
  for (let depth = MAX_DEPTH; ; ) {
    if (--depth < 0) throw tooDeep(local, localId);
    localId = skipModsAndTypedefs(local, localId);
    targetId = skipModsAndTypedefs(target, targetId);
    const lk = local.kindOf(localId);
    const tk = target.kindOf(targetId);
    if (!kindsCoreCompat(lk, tk)) return false;
    switch (lk) {
      case BTF_KIND_UNKN:
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
      case BTF_KIND_FWD:
        return true;
      case BTF_KIND_INT:
        // Only old bitfield-like ints are rejected; size and signedness do not matter.
        return intOffset(local, localId) === 0 && intOffset(target, targetId) === 0;
      case BTF_KIND_PTR:
        localId = local.sizeOrTypeOf(localId);
        targetId = target.sizeOrTypeOf(targetId);
        continue;
      case BTF_KIND_ARRAY:
        localId = local.dataU32(localId, 0);
        targetId = target.dataU32(targetId, 0);
        continue;
      case BTF_KIND_FUNC_PROTO: {
        const lt = typeById(local, localId);
        const tt = typeById(target, targetId);
        if (lt.kind !== 'FUNC_PROTO' || tt.kind !== 'FUNC_PROTO') return false;
        if (lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw tooDeep(local, localId);
          const lp = skipModsAndTypedefs(local, lt.params[i]!.type);
          const tp = skipModsAndTypedefs(target, tt.params[i]!.type);
          if (!typesAreCompat(local, lp, target, tp, level - 1)) return false;
        }
        // The return type, as a tail call.
        localId = lt.returnType;
        targetId = tt.returnType;
        continue;
      }
      default:
        // FLOAT, FUNC, VAR, DATASEC...: not something CO-RE relocates.
        return false;
    }
  }
}

/**
 * libbpf `bpf_core_fields_are_compat`: whether a target member found by name can stand for
 * the local one.
 */
export function fieldsAreCompat(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw tooDeep(local, localId);
    localId = skipModsAndTypedefs(local, localId);
    targetId = skipModsAndTypedefs(target, targetId);
    const lk = local.kindOf(localId);
    const tk = target.kindOf(targetId);
    if (isComposite(lk) && isComposite(tk)) return true;
    if (!kindsCoreCompat(lk, tk)) return false;
    switch (lk) {
      case BTF_KIND_PTR:
      case BTF_KIND_FLOAT:
        return true;
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        // One of them anonymous, or both with the same flavor-less name.
        const ln = local.nameOf(localId);
        const tn = target.nameOf(targetId);
        const ll = essentialNameLength(ln);
        const tl = essentialNameLength(tn);
        return ll === 0 || tl === 0 || (ll === tl && ln.slice(0, ll) === tn.slice(0, tl));
      }
      case BTF_KIND_INT:
        return intOffset(local, localId) === 0 && intOffset(target, targetId) === 0;
      case BTF_KIND_ARRAY:
        localId = local.dataU32(localId, 0);
        targetId = target.dataU32(targetId, 0);
        continue;
      default:
        return false;
    }
  }
}

/** libbpf `bpf_core_names_match`: essential names equal; an anonymous target only matches anonymous. */
function namesMatch(localName: string, targetName: string): boolean {
  if (targetName === '') return localName === '';
  const tl = essentialNameLength(targetName);
  const ll = essentialNameLength(localName);
  return tl === ll && localName.slice(0, ll) === targetName.slice(0, tl);
}

/**
 * libbpf `bpf_core_types_match`, for TYPE_MATCHES. Assumes the root names match.
 * @throws {@link CoreError} when the types nest deeper than 32 levels.
 */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  return typesMatchAt(local, localId, target, targetId, false, MAX_DEPTH);
}

function typesMatchAt(local: Btf, localId: number, target: Btf, targetId: number, behindPtr: boolean, level: number): boolean {
  if (level <= 0) throw tooDeep(local, localId);
  for (let depth = MAX_DEPTH; ; ) {
    if (--depth < 0) throw tooDeep(local, localId);
    localId = skipModsAndTypedefs(local, localId);
    targetId = skipModsAndTypedefs(target, targetId);
    if (!namesMatch(local.nameOf(localId), target.nameOf(targetId))) return false;
    const lk = local.kindOf(localId);
    const tk = target.kindOf(targetId);
    switch (lk) {
      case BTF_KIND_UNKN:
        return lk === tk;
      case BTF_KIND_FWD: {
        const lf = local.kindFlagOf(localId);
        if (behindPtr) {
          if (lk === tk) return lf === target.kindFlagOf(targetId);
          // A FWD's kind_flag says struct (0) or union (1).
          return (tk === BTF_KIND_STRUCT && !lf) || (tk === BTF_KIND_UNION && lf);
        }
        return lk === tk && lf === target.kindFlagOf(targetId);
      }
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
        if (!isAnyEnum(tk)) return false;
        return enumsMatch(local, localId, target, targetId);
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
        if (behindPtr) {
          if (lk === tk) return true;
          if (tk !== BTF_KIND_FWD) return false;
          return (lk === BTF_KIND_UNION) === target.kindFlagOf(targetId);
        }
        if (lk !== tk) return false;
        return compositesMatch(local, localId, target, targetId, behindPtr, level);
      case BTF_KIND_INT: {
        if (lk !== tk) return false;
        const ls = intEncoding(local, localId) & BTF_INT_SIGNED;
        const ts = intEncoding(target, targetId) & BTF_INT_SIGNED;
        return local.sizeOrTypeOf(localId) === target.sizeOrTypeOf(targetId) && ls === ts;
      }
      case BTF_KIND_PTR:
        if (lk !== tk) return false;
        behindPtr = true;
        localId = local.sizeOrTypeOf(localId);
        targetId = target.sizeOrTypeOf(targetId);
        continue;
      case BTF_KIND_ARRAY:
        if (lk !== tk) return false;
        if (local.dataU32(localId, 2) !== target.dataU32(targetId, 2)) return false;
        localId = local.dataU32(localId, 0);
        targetId = target.dataU32(targetId, 0);
        continue;
      case BTF_KIND_FUNC_PROTO: {
        if (lk !== tk) return false;
        const lt = typeById(local, localId);
        const tt = typeById(target, targetId);
        if (lt.kind !== 'FUNC_PROTO' || tt.kind !== 'FUNC_PROTO') return false;
        if (lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatchAt(local, lt.params[i]!.type, target, tt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        localId = lt.returnType;
        targetId = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
}

/** libbpf `bpf_core_enums_match`: same size; every local enumerator named in the target. */
function enumsMatch(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  if (local.sizeOrTypeOf(localId) !== target.sizeOrTypeOf(targetId)) return false;
  const lt = typeById(local, localId);
  const tt = typeById(target, targetId);
  if ((lt.kind !== 'ENUM' && lt.kind !== 'ENUM64') || (tt.kind !== 'ENUM' && tt.kind !== 'ENUM64')) return false;
  if (lt.values.length > tt.values.length) return false;
  return lt.values.every((lv) => tt.values.some((tv) => namesMatch(lv.name, tv.name)));
}

/** libbpf `bpf_core_composites_match`: every local member has a same-named matching target member. */
function compositesMatch(local: Btf, localId: number, target: Btf, targetId: number, behindPtr: boolean, level: number): boolean {
  const lt = typeById(local, localId);
  const tt = typeById(target, targetId);
  if ((lt.kind !== 'STRUCT' && lt.kind !== 'UNION') || (tt.kind !== 'STRUCT' && tt.kind !== 'UNION')) return false;
  if (lt.members.length > tt.members.length) return false;
  for (const lm of lt.members) {
    let matched = false;
    for (const tm of tt.members) {
      if (!namesMatch(lm.name, tm.name)) continue;
      if (typesMatchAt(local, lm.type, target, tm.type, behindPtr, level - 1)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

