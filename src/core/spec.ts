/**
 * The access spec: what a CO-RE relocation's access string says, resolved against a BTF
 * (libbpf `struct bpf_core_spec`, built by `bpf_core_parse_spec`).
 *
 * The compiler records `__builtin_preserve_access_index(&s->a[3])` as a root type and an
 * access string of indices. The first index is always an array index into the root type
 * (`&s->x` is `&s[0].x`, so it is usually `0`); each next one is a member index when the
 * current type is a struct/union and an element index when it is an array:
 *
 * ```
 * struct sample {            // [1]
 *     int __unimportant;     //   member 0
 *     struct {               //   member 1, anonymous
 *         int __1;           //     member 0
 *         int __2;           //     member 1
 *         int a[7];          //     member 2
 *     };
 * };
 * &s->a[3]  ->  "0:1:2:3"
 * ```
 *
 * The *raw* spec is the list of indices as written: `[0, 1, 2, 3]`. The *high-level* spec
 * (`accessors`) keeps only what must be found again in another BTF: the root array access
 * `[0]`, named members (`a`, found by name in the target), and array indices (`[3]`);
 * anonymous members are steps of the path, not things to match. Along the way the bit offset
 * from the root is summed: here 0*sizeof(sample)*8 + 32 (anon struct) + 64 (`a`) + 3*32.
 *
 * Type-based relocations have the access string `0` and no accessors; enumerator relocations
 * have one index, the enumerator, recorded with its name.
 * @module
 */
import type { Btf } from '../btf/btf.js';
import { describeType } from '../btf/btf.js';
import { BtfError } from '../btf/errors.js';
import { BTF_KIND_ARRAY, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_NAMES, BTF_KIND_STRUCT, BTF_KIND_UNION, type BtfType } from '../btf/kinds.js';
import { resolveType, sizeOf } from '../btf/query.js';
import { CoreError } from './errors.js';
import { BPF_CORE_SPEC_MAX_LEN, coreReloKindName, isEnumvalBased, isFieldBased, isKnownCoreReloKind, isTypeBased } from './kinds.js';

/** One step of a high-level spec (libbpf `struct bpf_core_accessor`). */
export interface CoreAccessor {
  /** The type the step applies to: the struct/union of a member, the element type of an array index. */
  typeId: number;
  /** Member index, array index, or enumerator index. */
  idx: number;
  /** The member or enumerator name; undefined for an array index. */
  name: string | undefined;
}

/** A parsed (local) or matched (target) access spec (libbpf `struct bpf_core_spec`). */
export interface CoreSpec {
  /** The BTF the spec's ids refer to. */
  btf: Btf;
  /** The root type id (the relocation's `type_id`, or the target candidate's id). */
  rootTypeId: number;
  /** The relocation kind. */
  kind: number;
  /** High-level accessors: named members, array indices, or the enumerator. */
  accessors: CoreAccessor[];
  /** Low-level spec: every index, anonymous members included (the access string). */
  raw: number[];
  /** Bit offset of the accessed field from the start of the root (field-based kinds). */
  bitOffset: number;
}

/** The parts of a `.BTF.ext` core_relo record the engine reads. */
export interface CoreReloRecord {
  /** `insn_off`: byte offset of the instruction in its ELF section. */
  insnOff: number;
  /** `type_id`: the local root type. */
  typeId: number;
  /** The access string (`0:1:2`). */
  accessStr: string;
  /** `kind` (`enum bpf_core_relo_kind`). */
  kind: number;
}

/**
 * `btf.type(id)`, decoded once per BTF ({@link Btf.sharedType}): relocations look at the same
 * few structs (task_struct, with its hundreds of members) again and again, and decoding one
 * allocates every member name. Decoded types are plain data and never modified here.
 */
export function typeById(btf: Btf, id: number): BtfType {
  return btf.sharedType(id);
}

/** `btf__resolve_size`, failing with a CO-RE error. */
export function resolveSize(btf: Btf, id: number): number {
  try {
    return sizeOf(btf, id);
  } catch (e) {
    if (e instanceof BtfError) throw new CoreError(`cannot size type ${describeType(btf, id)}: ${e.message}`, {}, { cause: e });
    throw e;
  }
}

/** `skip_mods_and_typedefs`, failing with a CO-RE error on a cycle or an id out of range. */
export function skipModsAndTypedefs(btf: Btf, id: number): number {
  try {
    return resolveType(btf, id);
  } catch (e) {
    if (e instanceof BtfError) throw new CoreError(e.message, {}, { cause: e });
    throw e;
  }
}

function isComposite(kind: number): boolean {
  return kind === BTF_KIND_STRUCT || kind === BTF_KIND_UNION;
}

/**
 * A flexible array member (`char data[]`): an array of 0 elements that is the last member of
 * the struct the previous accessor named (libbpf `is_flex_arr`). Its index is not bounded.
 */
export function isFlexArray(btf: Btf, prev: CoreAccessor | undefined, nelems: number): boolean {
  if (!prev || prev.name === undefined || nelems > 0) return false;
  return prev.idx === btf.vlenOf(prev.typeId) - 1;
}

/**
 * Parses the access string of `relo` against the local BTF (libbpf `bpf_core_parse_spec`).
 * @throws {@link CoreError} (without location: the caller adds it) for an unknown kind, a
 *   type id out of range, a malformed access string, an index past a struct's members or an
 *   array's bounds, an access deeper than the type, or a type without a size.
 */
export function parseAccessSpec(btf: Btf, relo: CoreReloRecord): CoreSpec {
  const { kind, accessStr, typeId } = relo;
  if (!isKnownCoreReloKind(kind)) throw new CoreError(`unknown CO-RE relocation kind ${kind}`);
  const kindName = coreReloKindName(kind);
  if (!btf.has(typeId)) throw new CoreError(`<${kindName}>: type id ${typeId} out of range (1..${btf.maxId})`);
  const bad = (why: string): CoreError =>
    new CoreError(`<${kindName}> ${describeType(btf, typeId)}: access string '${accessStr}' ${why}`);
  if (accessStr === '' || accessStr[0] === ':') throw bad('is malformed');
  const spec: CoreSpec = { btf, rootTypeId: typeId, kind, accessors: [], raw: [], bitOffset: 0 };

  // Type-based relocations carry no field access.
  if (isTypeBased(kind)) {
    if (accessStr !== '0') throw bad("is invalid (type-based relocations use '0')");
    return spec;
  }

  // "0:1:2:3" -> [0, 1, 2, 3]. libbpf reads each with sscanf("%d"), so digits only here.
  for (const part of accessStr.split(':')) {
    if (!/^[0-9]+$/.test(part)) throw bad('is malformed');
    const idx = Number(part);
    if (!Number.isSafeInteger(idx) || idx > 0x7fffffff) throw bad(`has index ${part} out of range`);
    if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) throw bad(`is longer than ${BPF_CORE_SPEC_MAX_LEN} accessors`);
    spec.raw.push(idx);
  }

  let id = skipModsAndTypedefs(btf, typeId);
  let idx = spec.raw[0]!;
  spec.accessors.push({ typeId: id, idx, name: undefined });

  if (isEnumvalBased(kind)) {
    const k = btf.kindOf(id);
    if (k !== BTF_KIND_ENUM && k !== BTF_KIND_ENUM64) throw bad(`is for an enumerator but ${describeType(btf, id)} is not an enum`);
    if (spec.raw.length > 1) throw bad('is deeper than the enum (one enumerator index expected)');
    if (idx >= btf.vlenOf(id)) throw bad(`names enumerator #${idx} but the enum has ${btf.vlenOf(id)}`);
    const t = typeById(btf, id);
    if (t.kind === 'ENUM' || t.kind === 'ENUM64') spec.accessors[0]!.name = t.values[idx]!.name;
    return spec;
  }

  if (!isFieldBased(kind)) throw bad('is for an unsupported kind');
  spec.bitOffset = idx * resolveSize(btf, id) * 8;

  for (let i = 1; i < spec.raw.length; i++) {
    id = skipModsAndTypedefs(btf, id);
    idx = spec.raw[i]!;
    const k = btf.kindOf(id);
    if (isComposite(k)) {
      const t = typeById(btf, id);
      if (t.kind !== 'STRUCT' && t.kind !== 'UNION') throw bad('is inconsistent');
      if (idx >= t.members.length) throw bad(`names member #${idx} of ${describeType(btf, id)}, which has ${t.members.length}`);
      const m = t.members[idx]!;
      spec.bitOffset += m.bitsOffset;
      // Anonymous members are steps of the path only; named ones are matched by name.
      if (m.name !== '') spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (k === BTF_KIND_ARRAY) {
      const elem = skipModsAndTypedefs(btf, btf.dataU32(id, 0));
      const nelems = btf.dataU32(id, 2);
      const flex = isFlexArray(btf, spec.accessors[spec.accessors.length - 1], nelems);
      if (!flex && idx >= nelems) throw bad(`indexes element ${idx} of ${describeType(btf, id)}, which has ${nelems}`);
      spec.accessors.push({ typeId: elem, idx, name: undefined });
      spec.bitOffset += idx * resolveSize(btf, elem) * 8;
      id = elem;
    } else {
      throw bad(`is deeper than the type: index #${i} (${idx}) applies to ${describeType(btf, id)}, not a struct, union or array`);
    }
  }
  return spec;
}

/** libbpf's `btf_kind_str`: the kind in lowercase, `void` for kind 0. */
export function btfKindStr(btf: Btf, id: number): string {
  const k = btf.kindOf(id);
  return k === 0 ? 'void' : (BTF_KIND_NAMES[k] ?? 'unknown').toLowerCase();
}

/**
 * A spec as libbpf's `bpf_core_format_spec` prints it, so tsbpf's and libbpf's debug output
 * can be compared line by line: `<byte_off> [5] struct task_struct.comm (0:3 @ offset 12)`,
 * `<enumval_value> [12] enum pid_type::PIDTYPE_MAX = 4`, `<type_size> [5] struct task_struct`.
 */
export function formatSpec(spec: CoreSpec): string {
  const { btf, rootTypeId: id, kind } = spec;
  const name = btf.nameOf(id);
  let s = `<${coreReloKindName(kind)}> [${id}] ${btfKindStr(btf, id)} ${name || '<anon>'}`;
  if (isTypeBased(kind)) return s;
  if (isEnumvalBased(kind)) {
    const t = typeById(btf, skipModsAndTypedefs(btf, id));
    if ((t.kind === 'ENUM' || t.kind === 'ENUM64') && spec.raw.length > 0) {
      const e = t.values[spec.raw[0]!];
      if (e) s += `::${e.name} = ${e.value}`;
    }
    return s;
  }
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  const off = spec.bitOffset % 8 ? `${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8}` : `${spec.bitOffset / 8}`;
  return `${s} (${spec.raw.join(':')} @ offset ${off})`;
}
