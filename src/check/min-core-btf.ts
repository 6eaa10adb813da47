/**
 * `gen min_core_btf`: the smallest BTF that relocates a set of objects the same way as a
 * kernel's full BTF, for systems whose kernel has no BTF (ship a few kilobytes per kernel
 * instead of BTFHub's megabytes). bpftool's algorithm (`gen.c`, "BTFGen"), in two passes:
 *
 * **1. Mark.** Every CO-RE relocation of every object is resolved against the full BTF exactly
 * as a loader would (same candidates, same pruning), and the *target* spec says what the
 * relocation touched:
 *
 * - field kinds (`byte_off`, `byte_sz`, `field_exists`, `signed`, `lshift/rshift_u64`): the
 *   root type, and along the access path each struct member walked and that member's type.
 *   Pointers are kept but not followed (`struct task_struct *parent` stays a pointer; if
 *   nothing else marks `task_struct`'s members it becomes a pointer to `void`);
 * - `type_exists`, `type_size`, `type_id_target`: the type, following pointers, but a struct
 *   stays empty (its size is what matters);
 * - `type_matches`: the type and, recursively, every member and member type, stopping at
 *   structs behind pointers (libbpf's `bpf_core_types_match` looks that deep);
 * - `enumval_exists`, `enumval_value`: the whole enum.
 *
 * Typedefs, modifiers, arrays and function prototypes bring what they refer to.
 *
 * **2. Emit.** Marked types are copied in their original id order into a new BTF; a struct or
 * union keeps only its marked members, at their original bit offsets and with its original
 * size, so offsets, sizes and bitfield shifts come out as with the full BTF. Type ids are
 * renumbered, and a reference to an unmarked type becomes `void` (id 0).
 *
 * Worked example: `BPF_CORE_READ(task, real_parent, tgid)` marks `task_struct` with members
 * `real_parent` (a pointer, kept as `struct task_struct *`) and `tgid` (and `pid_t` -> `int`).
 * The output has 4 types instead of vmlinux's ~127,000.
 *
 * One relocation kind cannot come out the same: `type_id_target` gives the type's id *in the
 * BTF it relocates against*, which is the minimised file's id, not the kernel's (as with bpftool).
 * @module
 */
import type { Btf } from '../btf/btf.js';
import type { BtfExt } from '../btf/ext.js';
import { BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION, type BtfType } from '../btf/kinds.js';
import { encodeBtf, StringTable } from '../btf/marshal.js';
import { mapTypeIds } from '../btf/dedup.js';
import {
  BPF_CORE_ENUMVAL_EXISTS,
  BPF_CORE_ENUMVAL_VALUE,
  BPF_CORE_TYPE_EXISTS,
  BPF_CORE_TYPE_ID_LOCAL,
  BPF_CORE_TYPE_ID_TARGET,
  BPF_CORE_TYPE_MATCHES,
  BPF_CORE_TYPE_SIZE,
  CandidateCache,
  calcReloInsn,
  CoreError,
  isFieldBased,
  type CoreSpec,
} from '../core/index.js';
import { TsbpfError } from '../errors.js';

/** An object as {@link minCoreBtf} reads it (an `ObjectSpec` will do). */
export interface MinCoreObject {
  /** For error messages. */
  name: string;
  /** The object's `.BTF`: the local types its relocations name. Required (an error names the object without it). */
  btf: Btf | undefined;
  /** The object's `.BTF.ext`, whose `core_relo` records are resolved. Required, like `btf`. */
  btfExt: BtfExt | undefined;
  /** The object's byte order, for the bitfield shifts of field relocations. */
  littleEndian: boolean;
}

/** The result of {@link minCoreBtf}. */
export interface MinCoreBtf {
  /** Raw BTF (header, types, strings), as bpftool writes it. */
  bytes: Uint8Array;
  /** The types written, in id order (index 0 is id 1). */
  types: BtfType[];
  /** For each written type, its id in the source BTF. */
  sourceIds: number[];
  /** How many relocations were recorded. */
  relocations: number;
}

/** Which types and members of the source BTF are needed. */
class Marks {
  readonly types = new Set<number>();
  /** Struct/union id -> indexes of needed members. */
  readonly members = new Map<number, Set<number>>();
  private readonly matchSeen = new Set<string>();

  constructor(private readonly btf: Btf) {}

  member(id: number, idx: number): void {
    let s = this.members.get(id);
    if (!s) this.members.set(id, (s = new Set()));
    s.add(idx);
  }

  /** bpftool `btfgen_mark_type`. */
  type(id: number, followPointers: boolean, depth = 0): void {
    if (id === 0) return;
    if (depth > 64) throw new TsbpfError(`min_core_btf: type [${id}]: reference chain deeper than 64`);
    this.types.add(id);
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'INT':
      case 'FLOAT':
      case 'ENUM':
      case 'ENUM64':
      case 'STRUCT':
      case 'UNION':
      case 'FWD':
        return;
      case 'PTR':
        if (followPointers) this.type(t.type, followPointers, depth + 1);
        return;
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'TYPE_TAG':
        this.type(t.type, followPointers, depth + 1);
        return;
      case 'ARRAY':
        this.type(t.type, followPointers, depth + 1);
        this.type(t.indexType, followPointers, depth + 1);
        return;
      case 'FUNC_PROTO':
        this.type(t.returnType, followPointers, depth + 1);
        for (const p of t.params) this.type(p.type, followPointers, depth + 1);
        return;
      default:
        throw new TsbpfError(`min_core_btf: type [${id}]: unsupported kind ${t.kind}`);
    }
  }

  /** bpftool `btfgen_mark_type_match`: members too, stopping at composites behind pointers. */
  typeMatch(id: number, behindPtr: boolean, depth = 0): void {
    if (id === 0) return;
    // Marking is idempotent, so each (type, behindPtr) needs one visit.
    const key = `${id}:${behindPtr}`;
    if (this.matchSeen.has(key)) return;
    this.matchSeen.add(key);
    if (depth > 64) throw new TsbpfError(`min_core_btf: type [${id}]: reference chain deeper than 64`);
    this.types.add(id);
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'INT':
      case 'FLOAT':
      case 'ENUM':
      case 'ENUM64':
        return;
      case 'STRUCT':
      case 'UNION':
        if (behindPtr) return;
        t.members.forEach((m, i) => {
          this.member(id, i);
          this.typeMatch(m.type, false, depth + 1);
        });
        return;
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'TYPE_TAG':
        this.typeMatch(t.type, behindPtr, depth + 1);
        return;
      case 'FWD':
        return;
      case 'PTR':
        this.typeMatch(t.type, true, depth + 1);
        return;
      case 'ARRAY':
        this.typeMatch(t.type, false, depth + 1);
        this.typeMatch(t.indexType, false, depth + 1);
        return;
      case 'FUNC_PROTO':
        this.typeMatch(t.returnType, false, depth + 1);
        for (const p of t.params) this.typeMatch(p.type, false, depth + 1);
        return;
      default:
        throw new TsbpfError(`min_core_btf: type [${id}]: unsupported kind ${t.kind}`);
    }
  }

  /** bpftool `btfgen_record_field_relo`: the root, then each member walked and its type. */
  field(spec: CoreSpec): void {
    const btf = this.btf;
    let id = spec.rootTypeId;
    this.type(id, false);
    for (let i = 1; i < spec.raw.length; i++) {
      id = skipModsAndTypedefs(btf, id);
      const k = btf.kindOf(id);
      if (k === BTF_KIND_STRUCT || k === BTF_KIND_UNION) {
        const idx = spec.raw[i]!;
        const t = btf.type(id);
        const m = t.kind === 'STRUCT' || t.kind === 'UNION' ? t.members[idx] : undefined;
        if (!m) throw new TsbpfError(`min_core_btf: type [${id}] has no member #${idx}`);
        this.member(id, idx);
        id = m.type;
        this.type(id, false);
      } else if (k === BTF_KIND_ARRAY) {
        id = btf.dataU32(id, 0);
      } else {
        throw new TsbpfError(`min_core_btf: type [${id}]: access path step ${i} into a ${btf.type(id).kind}`);
      }
    }
  }

  /** bpftool `btfgen_record_reloc`. */
  record(kind: number, spec: CoreSpec): void {
    if (isFieldBased(kind)) return this.field(spec);
    switch (kind) {
      case BPF_CORE_TYPE_ID_LOCAL:
        return;
      case BPF_CORE_TYPE_ID_TARGET:
      case BPF_CORE_TYPE_EXISTS:
      case BPF_CORE_TYPE_SIZE:
        return this.type(spec.rootTypeId, true);
      case BPF_CORE_TYPE_MATCHES:
        return this.typeMatch(spec.rootTypeId, false);
      case BPF_CORE_ENUMVAL_EXISTS:
      case BPF_CORE_ENUMVAL_VALUE:
        return this.type(spec.rootTypeId, false);
    }
  }
}

function skipModsAndTypedefs(btf: Btf, id: number): number {
  for (let depth = 0; depth < 64; depth++) {
    const t = btf.type(id);
    if (t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPEDEF' && t.kind !== 'TYPE_TAG') return id;
    id = t.type;
  }
  throw new TsbpfError(`min_core_btf: type [${id}]: modifier chain deeper than 64`);
}

/**
 * The minimal BTF of `source` (a kernel's full BTF, not split) that relocates `objects` as
 * `source` does (bpftool `gen min_core_btf`).
 * @throws {@link TsbpfError} naming the object when it has no BTF or `.BTF.ext`, and
 *   {@link CoreError} (with program-free location) when a relocation is ambiguous or malformed.
 */
export function minCoreBtf(source: Btf, objects: readonly MinCoreObject[]): MinCoreBtf {
  if (source.base) throw new TsbpfError(`min_core_btf: '${source.section}' is split BTF; pass the kernel's vmlinux BTF`);
  const marks = new Marks(source);
  let relocations = 0;
  for (const obj of objects) {
    if (!obj.btf) throw new TsbpfError(`min_core_btf: object '${obj.name}' has no .BTF section`);
    if (!obj.btfExt) throw new TsbpfError(`min_core_btf: object '${obj.name}' has no .BTF.ext section`);
    // One candidate cache per object, pruned as relocations match (as a loader does).
    const cache = new CandidateCache(obj.btf, { vmlinux: source });
    for (const sec of obj.btfExt.coreRelos) {
      sec.records.forEach((r, index) => {
        let res;
        try {
          res = calcReloInsn(obj.btf!, r, cache, obj.littleEndian);
        } catch (e) {
          if (e instanceof CoreError) throw new TsbpfError(`min_core_btf: object '${obj.name}': section '${sec.section}' relocation #${index}: ${e.message}`, { cause: e });
          throw e;
        }
        relocations++;
        if (res.targetSpec) marks.record(r.kind, res.targetSpec);
      });
    }
  }
  return emit(source, marks, relocations);
}

/** bpftool `btfgen_get_btf`: marked types in id order, marked members only, ids renumbered. */
function emit(source: Btf, marks: Marks, relocations: number): MinCoreBtf {
  const ids = [...marks.types].sort((a, b) => a - b);
  const newId = new Map<number, number>();
  ids.forEach((id, i) => newId.set(id, i + 1));
  const remap = (id: number): number => (id === 0 ? 0 : newId.get(id) ?? 0);
  const strings = new StringTable();
  const types: BtfType[] = [];
  for (const id of ids) {
    // Btf.type() decodes a fresh object: ours to edit. Strings are added in bpftool's order
    // (the type's name, then its members', values' or parameters'), ids remapped last.
    const t: BtfType = { ...source.type(id), id: newId.get(id)! };
    t.nameOff = strings.add(t.name);
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION': {
        const keep = marks.members.get(id);
        t.members = t.members
          .filter((_, i) => keep?.has(i))
          .map((m) => ({ name: m.name, nameOff: strings.add(m.name), type: m.type, bitsOffset: m.bitsOffset, bitfieldSize: m.bitfieldSize }));
        // libbpf's btf__add_field sets kind_flag once a bitfield member is added.
        t.kindFlag = t.members.some((m) => m.bitfieldSize !== 0);
        break;
      }
      case 'ENUM':
      case 'ENUM64':
        t.values = t.values.map((v) => ({ ...v, nameOff: strings.add(v.name) })) as typeof t.values;
        break;
      case 'FUNC_PROTO':
        t.params = t.params.map((p) => ({ ...p, nameOff: strings.add(p.name) }));
        break;
      case 'ARRAY':
      case 'PTR':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPEDEF':
      case 'TYPE_TAG':
      case 'INT':
      case 'FLOAT':
      case 'FWD':
        break;
      default:
        throw new TsbpfError(`min_core_btf: type [${id}]: unsupported kind ${t.kind}`);
    }
    mapTypeIds(t, remap);
    types.push(t);
  }
  const bytes = encodeBtf(types, strings.bytes(), { littleEndian: source.littleEndian });
  return { bytes, types, sourceIds: ids, relocations };
}
