/**
 * Whether an extern's BTF type agrees with its definition's (libbpf `glob_sym_btf_matches`,
 * `map_defs_match`): the check that stops `extern int x;` in one object from binding to
 * `long x;` in another.
 *
 * The rules are libbpf's: modifiers and typedefs are skipped; names must match for named
 * kinds; sizes for INT/FLOAT/ENUM; behind a pointer only the shape is checked (a FWD matches
 * a struct of its name); arrays ignore their length; function arguments are compared by
 * type, not name; extern and global linkage agree, static never does. `.maps` externs
 * compare as map definitions: type, key/value sizes and types, max_entries, flags, pinning.
 * @module
 */
import type { BtfType } from '../btf/index.js';

/** A type by id (0 and unknown ids give undefined: void). */
export type TypeLookup = (id: number) => BtfType | undefined;

const MAX_DEPTH = 32;

function skipModsAndTypedefs(types: TypeLookup, id: number): { id: number; t: BtfType | undefined } {
  for (let i = 0; i < MAX_DEPTH; i++) {
    const t = types(id);
    if (!t) return { id, t };
    if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return { id, t };
    id = t.type;
  }
  return { id, t: undefined };
}

const named = new Set(['STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'FUNC', 'VAR']);

/**
 * Whether type `id1` of `a` and `id2` of `b` are compatible for one global symbol; undefined
 * when they are, else the reason (for the error message).
 */
export function globalTypesMismatch(a: TypeLookup, id1: number, b: TypeLookup, id2: number, exact = true, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return 'types nest too deeply';
  const r1 = skipModsAndTypedefs(a, id1);
  const r2 = skipModsAndTypedefs(b, id2);
  const t1 = r1.t;
  const t2 = r2.t;
  const k1 = t1?.kind ?? 'void';
  const k2 = t2?.kind ?? 'void';
  if (!exact && t1 && t2 && (k1 === 'FWD') !== (k2 === 'FWD')) {
    if (t1.name !== t2.name) return `incompatible forward declaration names '${t1.name}' and '${t2.name}'`;
    const [fwd, real] = t1.kind === 'FWD' ? [t1, t2] : [t2, t1];
    if (fwd.kind === 'FWD' && ((fwd.fwdKind === 'union' && real.kind === 'UNION') || (fwd.fwdKind === 'struct' && real.kind === 'STRUCT'))) return undefined;
    return `incompatible forward declaration and concrete kind ${real.kind}`;
  }
  if (k1 !== k2) return `incompatible BTF kinds ${k1} and ${k2}`;
  if (!t1 || !t2) return undefined; // void
  if (named.has(t1.kind) && t1.name !== t2.name) return `incompatible ${t1.kind} names '${t1.name}' and '${t2.name}'`;
  switch (t1.kind) {
    case 'FWD':
      return undefined;
    case 'INT':
    case 'FLOAT':
    case 'ENUM':
    case 'ENUM64': {
      const s2 = (t2 as typeof t1).size;
      return t1.size === s2 ? undefined : `incompatible ${t1.kind} '${t1.name}' size ${t1.size} and ${s2}`;
    }
    case 'PTR':
      return globalTypesMismatch(a, t1.type, b, (t2 as typeof t1).type, false, depth + 1);
    case 'ARRAY':
      return globalTypesMismatch(a, t1.type, b, (t2 as typeof t1).type, exact, depth + 1);
    case 'FUNC': {
      const o = t2 as typeof t1;
      if ((t1.linkage === 0) !== (o.linkage === 0)) return `incompatible func '${t1.name}' linkage`;
      return globalTypesMismatch(a, t1.type, b, o.type, exact, depth + 1);
    }
    case 'VAR': {
      const o = t2 as typeof t1;
      if ((t1.linkage === 0) !== (o.linkage === 0)) return `incompatible var '${t1.name}' linkage`;
      return globalTypesMismatch(a, t1.type, b, o.type, exact, depth + 1);
    }
    case 'STRUCT':
    case 'UNION': {
      if (!exact) return undefined;
      const o = t2 as typeof t1;
      if (t1.members.length !== o.members.length) return `incompatible number of ${t1.kind} fields ${t1.members.length} and ${o.members.length}`;
      for (let i = 0; i < t1.members.length; i++) {
        const m1 = t1.members[i]!;
        const m2 = o.members[i]!;
        if (m1.name !== m2.name) return `incompatible field #${i} names '${m1.name}' and '${m2.name}'`;
        if (m1.bitsOffset !== m2.bitsOffset || m1.bitfieldSize !== m2.bitfieldSize) return `incompatible field #${i} ('${m1.name}') offsets`;
        const why = globalTypesMismatch(a, m1.type, b, m2.type, exact, depth + 1);
        if (why) return why;
      }
      return undefined;
    }
    case 'FUNC_PROTO': {
      const o = t2 as typeof t1;
      if (t1.params.length !== o.params.length) return `incompatible number of FUNC_PROTO params ${t1.params.length} and ${o.params.length}`;
      for (let i = 0; i < t1.params.length; i++) {
        const why = globalTypesMismatch(a, t1.params[i]!.type, b, o.params[i]!.type, exact, depth + 1);
        if (why) return why;
      }
      return globalTypesMismatch(a, t1.returnType, b, o.returnType, exact, depth + 1);
    }
    default:
      return `unsupported BTF kind ${t1.kind}`;
  }
}

/** The fields of a BTF map definition (`struct { __uint(type, ...); ... }`) the linker compares. */
interface MapDef {
  ints: Map<string, number>;
  key?: number;
  value?: number;
  inner?: MapDef;
}

function readMapDef(types: TypeLookup, id: number, depth = 0): MapDef | string {
  const { t } = skipModsAndTypedefs(types, id);
  if (!t || t.kind !== 'STRUCT') return 'not a struct';
  const def: MapDef = { ints: new Map() };
  for (const m of t.members) {
    const mt = skipModsAndTypedefs(types, m.type).t;
    if (m.name === 'key' || m.name === 'value') {
      if (mt?.kind !== 'PTR') return `'${m.name}' is not a pointer`;
      def[m.name] = mt.type;
    } else if (m.name === 'values') {
      // `__array(values, struct inner)`: an array of pointers to the inner definition.
      if (mt?.kind !== 'ARRAY') return "'values' is not an array";
      const p = skipModsAndTypedefs(types, mt.type).t;
      if (p?.kind !== 'PTR') return "'values' is not an array of pointers";
      if (depth > 0) return 'inner map definitions nest';
      const inner = readMapDef(types, p.type, depth + 1);
      if (typeof inner === 'string') return `inner map: ${inner}`;
      def.inner = inner;
    } else {
      // `__uint(name, N)` is `int (*name)[N]`.
      if (mt?.kind !== 'PTR') return `'${m.name}' is not a pointer to an array`;
      const arr = skipModsAndTypedefs(types, mt.type).t;
      if (arr?.kind !== 'ARRAY') return `'${m.name}' is not a pointer to an array`;
      def.ints.set(m.name, arr.nelems);
    }
  }
  return def;
}

function sizeOfType(types: TypeLookup, id: number): number | undefined {
  for (let i = 0; i < MAX_DEPTH; i++) {
    const t = types(id);
    if (!t) return undefined;
    switch (t.kind) {
      case 'INT':
      case 'FLOAT':
      case 'ENUM':
      case 'ENUM64':
      case 'STRUCT':
      case 'UNION':
      case 'DATASEC':
        return t.size;
      case 'PTR':
        return 8;
      case 'ARRAY': {
        const e = sizeOfType(types, t.type);
        return e === undefined ? undefined : e * t.nelems;
      }
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
        id = t.type;
        continue;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** Size of type `id` (libbpf `btf__resolve_size`), or undefined. */
export function resolveSize(types: TypeLookup, id: number): number | undefined {
  return sizeOfType(types, id);
}

/**
 * Whether two `.maps` variables define the same map (libbpf `glob_map_defs_match`): an
 * extern map definition must be complete and equal to the real one. Undefined when they
 * match, else what differs.
 */
export function mapDefsMismatch(a: TypeLookup, var1: number, b: TypeLookup, var2: number): string | undefined {
  const v1 = a(var1);
  const v2 = b(var2);
  if (v1?.kind !== 'VAR' || v2?.kind !== 'VAR') return 'invalid map definition type';
  const d1 = readMapDef(a, v1.type);
  const d2 = readMapDef(b, v2.type);
  if (typeof d1 === 'string') return `invalid map definition: ${d1}`;
  if (typeof d2 === 'string') return `invalid map definition: ${d2}`;
  return defsMismatch(a, d1, b, d2);
}

function defsMismatch(a: TypeLookup, d1: MapDef, b: TypeLookup, d2: MapDef): string | undefined {
  const int = (d: MapDef, n: string) => d.ints.get(n) ?? 0;
  if (int(d1, 'type') !== int(d2, 'type')) return 'map type mismatch';
  const keySize = (d: MapDef, t: TypeLookup) => (d.key !== undefined ? resolveSize(t, d.key) : int(d, 'key_size'));
  const valueSize = (d: MapDef, t: TypeLookup) => (d.value !== undefined ? resolveSize(t, d.value) : int(d, 'value_size'));
  if (keySize(d1, a) !== keySize(d2, b)) return 'map key_size mismatch';
  if ((d1.key === undefined) !== (d2.key === undefined)) return 'map key type mismatch';
  if (d1.key !== undefined && globalTypesMismatch(a, d1.key, b, d2.key!)) return 'map key type mismatch';
  if (valueSize(d1, a) !== valueSize(d2, b)) return 'map value_size mismatch';
  if ((d1.value === undefined) !== (d2.value === undefined)) return 'map value type mismatch';
  if (d1.value !== undefined && globalTypesMismatch(a, d1.value, b, d2.value!)) return 'map value type mismatch';
  for (const f of ['max_entries', 'map_flags', 'numa_node', 'pinning']) {
    if (int(d1, f) !== int(d2, f)) return `map ${f} mismatch`;
  }
  if ((d1.inner === undefined) !== (d2.inner === undefined)) return 'map inner map mismatch';
  if (d1.inner && d2.inner) {
    const why = defsMismatch(a, d1.inner, b, d2.inner);
    if (why) return `inner ${why}`;
  }
  return undefined;
}
