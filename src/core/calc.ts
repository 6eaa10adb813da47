/**
 * From a matched spec to numbers: the value the compiler put in the instruction (computed
 * from the local spec) and the value it must hold for the target (from the target spec)
 * (libbpf `bpf_core_calc_relo` and its `_field_`, `_type_`, `_enumval_` helpers).
 *
 * Bitfields. A load of a bitfield reads a whole naturally aligned integer and shifts: for
 * `unsigned int b : 13` at bit 3 of a struct, the load is 4 bytes at offset 0, then
 * `<< (64 - (3 + 13))` brings the field's top bit to bit 63 and `>> (64 - 13)` brings it
 * down to bit 0 (arithmetic shift for a signed field). The load size starts at the field's
 * declared type size and doubles until the field fits in one aligned load (at most 8 bytes).
 * On a big-endian target the left shift counts from the other end:
 * `(8 - byte_sz) * 8 + (bit_off - byte_off * 8)`.
 * @module
 */
import { describeType } from '../btf/btf.js';
import { BTF_INT_SIGNED, BTF_KIND_ARRAY, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_INT, BTF_KIND_PTR } from '../btf/kinds.js';
import { CoreError } from './errors.js';
import {
  BPF_CORE_ENUMVAL_EXISTS,
  BPF_CORE_ENUMVAL_VALUE,
  BPF_CORE_FIELD_BYTE_OFFSET,
  BPF_CORE_FIELD_BYTE_SIZE,
  BPF_CORE_FIELD_EXISTS,
  BPF_CORE_FIELD_LSHIFT_U64,
  BPF_CORE_FIELD_RSHIFT_U64,
  BPF_CORE_FIELD_SIGNED,
  BPF_CORE_TYPE_EXISTS,
  BPF_CORE_TYPE_ID_TARGET,
  BPF_CORE_TYPE_MATCHES,
  BPF_CORE_TYPE_SIZE,
  coreReloKindName,
  isEnumvalBased,
  isFieldBased,
  isTypeBased,
} from './kinds.js';
import { resolveSize, skipModsAndTypedefs, type CoreSpec, typeById } from './spec.js';

/** The outcome of one relocation against one spec pair (libbpf `struct bpf_core_relo_res`). */
export interface CoreReloResult {
  /** `orig_val`: what the compiler left in the instruction. */
  origVal: bigint;
  /** `new_val`: what the target needs. */
  newVal: bigint;
  /** Why the instruction must be poisoned, or undefined. */
  poison: string | undefined;
  /** Whether the instruction must hold `origVal` before patching (not for bitfields, type ids). */
  validate: boolean;
  /** Memory access size for a load/store of the field, locally and in the target (0 when n/a). */
  origSize: number;
  /** The same size in the target. */
  newSize: number;
  /** The load/store size may not be changed from `origSize` to `newSize` (signed or non-int field). */
  failMemszAdjust: boolean;
  /** Field type ids behind `origSize`/`newSize`. */
  origTypeId: number;
  /** The target field's type id (in the candidate's BTF). */
  newTypeId: number;
}

interface FieldValue {
  val: bigint;
  /** Load/store size (0 when not a plain field's offset). */
  size: number;
  typeId: number;
  validate: boolean;
}

/** Size of the innermost element of `id` (arrays of arrays of T: sizeof T). */
function elementSize(spec: CoreSpec, id: number): { size: number; id: number } {
  let elem = skipModsAndTypedefs(spec.btf, id);
  while (spec.btf.kindOf(elem) === BTF_KIND_ARRAY) elem = skipModsAndTypedefs(spec.btf, spec.btf.dataU32(elem, 0));
  return { size: resolveSize(spec.btf, elem), id: elem };
}

/**
 * libbpf `bpf_core_calc_field_relo`. `spec` undefined: the field was not found; FIELD_EXISTS
 * gives 0 and every other kind asks for poison (returns undefined).
 */
function calcField(kind: number, spec: CoreSpec | undefined, littleEndian: boolean): FieldValue | undefined {
  if (kind === BPF_CORE_FIELD_EXISTS) return { val: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return undefined;
  const btf = spec.btf;
  const acc = spec.accessors[spec.accessors.length - 1]!;

  // The last step is an array element (`a[3]`, or the root `s[1]`).
  if (acc.name === undefined) {
    if (kind === BPF_CORE_FIELD_BYTE_OFFSET) {
      const elem = elementSize(spec, acc.typeId);
      return { val: BigInt(Math.floor(spec.bitOffset / 8)), size: elem.size, typeId: acc.typeId, validate: true };
    }
    if (kind === BPF_CORE_FIELD_BYTE_SIZE) return { val: BigInt(resolveSize(btf, acc.typeId)), size: 0, typeId: 0, validate: true };
    throw new CoreError(`<${coreReloKindName(kind)}> cannot be applied to an array element access`);
  }

  const t = typeById(btf, acc.typeId);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') throw new CoreError(`accessor names a member of ${describeType(btf, acc.typeId)}, not a struct or union`);
  const m = t.members[acc.idx]!;
  const fieldTypeId = skipModsAndTypedefs(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = resolveSize(btf, fieldTypeId);
    // libbpf divides by the size here; only a corrupt BTF gives a bitfield a sizeless type.
    if (byteSz <= 0) throw new CoreError(`<${coreReloKindName(kind)}> bitfield member #${acc.idx} has a type of size ${byteSz}`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    // The smallest aligned load that holds the whole bitfield.
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreError(`<${coreReloKindName(kind)}> bitfield at bit ${bitOff} (${bitSz} bits) cannot be read with one 64-bit load`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = resolveSize(btf, fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }

  // For bitfields the compiler may have chosen another (equally valid) load, so only the
  // signedness and the right shift are checked against the instruction.
  let validate = !bitfield;
  switch (kind) {
    case BPF_CORE_FIELD_BYTE_OFFSET: {
      if (bitfield) return { val: BigInt(byteOff), size: 0, typeId: 0, validate };
      const elem = elementSize(spec, fieldTypeId);
      return { val: BigInt(byteOff), size: elem.size, typeId: fieldTypeId, validate };
    }
    case BPF_CORE_FIELD_BYTE_SIZE:
      return { val: BigInt(byteSz), size: 0, typeId: 0, validate };
    case BPF_CORE_FIELD_SIGNED: {
      const k = btf.kindOf(fieldTypeId);
      const signed =
        ((k === BTF_KIND_ENUM || k === BTF_KIND_ENUM64) && btf.kindFlagOf(fieldTypeId)) ||
        (k === BTF_KIND_INT && (((btf.dataU32(fieldTypeId, 0) >>> 24) & 0x0f) & BTF_INT_SIGNED) !== 0);
      validate = true;
      return { val: signed ? 1n : 0n, size: 0, typeId: 0, validate };
    }
    case BPF_CORE_FIELD_LSHIFT_U64: {
      const v = littleEndian ? 64 - (bitOff + bitSz - byteOff * 8) : (8 - byteSz) * 8 + (bitOff - byteOff * 8);
      return { val: BigInt.asUintN(64, BigInt(v)), size: 0, typeId: 0, validate };
    }
    case BPF_CORE_FIELD_RSHIFT_U64:
      return { val: BigInt.asUintN(64, BigInt(64 - bitSz)), size: 0, typeId: 0, validate: true };
    default:
      throw new CoreError(`unrecognized CO-RE relocation ${coreReloKindName(kind)} (${kind})`);
  }
}

/** libbpf `bpf_core_calc_type_relo`: a type that is not found gives 0 (never poison). */
function calcType(kind: number, spec: CoreSpec | undefined): { val: bigint; validate: boolean } {
  if (!spec) return { val: 0n, validate: true };
  switch (kind) {
    case BPF_CORE_TYPE_ID_TARGET:
      // Type ids in the instruction may change when objects are linked: not checked.
      return { val: BigInt(spec.rootTypeId), validate: false };
    case BPF_CORE_TYPE_EXISTS:
    case BPF_CORE_TYPE_MATCHES:
      return { val: 1n, validate: true };
    case BPF_CORE_TYPE_SIZE:
      return { val: BigInt(resolveSize(spec.btf, spec.rootTypeId)), validate: true };
    default:
      throw new CoreError(`unrecognized CO-RE relocation ${coreReloKindName(kind)} (${kind})`);
  }
}

/** libbpf `bpf_core_calc_enumval_relo`; undefined asks for poison. */
function calcEnumval(kind: number, spec: CoreSpec | undefined): bigint | undefined {
  switch (kind) {
    case BPF_CORE_ENUMVAL_EXISTS:
      return spec ? 1n : 0n;
    case BPF_CORE_ENUMVAL_VALUE: {
      if (!spec) return undefined;
      const acc = spec.accessors[0]!;
      const t = typeById(spec.btf, acc.typeId);
      if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') throw new CoreError(`${describeType(spec.btf, acc.typeId)} is not an enum`);
      // The value as a u64: a signed enum's -1 is 0xffffffffffffffff, as libbpf stores it.
      return BigInt.asUintN(64, BigInt(t.values[acc.idx]!.value));
    }
    default:
      throw new CoreError(`unrecognized CO-RE relocation ${coreReloKindName(kind)} (${kind})`);
  }
}

/** Why an instruction is poisoned when no candidate matched. */
function notFoundReason(local: CoreSpec): string {
  if (isEnumvalBased(local.kind)) return `enumerator '${local.accessors[0]?.name ?? '?'}' not found in the target`;
  return 'field not found in the target';
}

/**
 * libbpf `bpf_core_calc_relo`: original and new values for one local spec and one target
 * spec (undefined when no candidate matched).
 * @param littleEndian byte order of the BPF target (the object's), for bitfield shifts.
 * @throws {@link CoreError} for an unknown kind or a field that cannot be relocated.
 */
export function calcRelo(local: CoreSpec, target: CoreSpec | undefined, littleEndian: boolean): CoreReloResult {
  const kind = local.kind;
  const res: CoreReloResult = {
    origVal: 0n,
    newVal: 0n,
    poison: undefined,
    validate: true,
    origSize: 0,
    newSize: 0,
    failMemszAdjust: false,
    origTypeId: 0,
    newTypeId: 0,
  };
  if (isFieldBased(kind)) {
    const o = calcField(kind, local, littleEndian);
    if (!o) throw new CoreError('local field spec is empty');
    res.origVal = o.val;
    res.origSize = o.size;
    res.origTypeId = o.typeId;
    res.validate = o.validate;
    const n = calcField(kind, target, littleEndian);
    if (!n) {
      res.poison = notFoundReason(local);
      return res;
    }
    res.newVal = n.val;
    res.newSize = n.size;
    res.newTypeId = n.typeId;
    // Changing a load's size is safe only for pointers (32-bit kernel pointers) and unsigned
    // ints, where zero extension keeps the value; checked for LDX/ST/STX when patching.
    if (res.origSize !== res.newSize && target) {
      const lb = local.btf;
      const tb = target.btf;
      const lk = lb.kindOf(res.origTypeId);
      const tk = tb.kindOf(res.newTypeId);
      const unsignedInt = (b: typeof lb, id: number): boolean => ((b.dataU32(id, 0) >>> 24) & 0x0f) !== BTF_INT_SIGNED;
      const safe =
        (lk === BTF_KIND_PTR && tk === BTF_KIND_PTR) ||
        (lk === BTF_KIND_INT && tk === BTF_KIND_INT && unsignedInt(lb, res.origTypeId) && unsignedInt(tb, res.newTypeId));
      res.failMemszAdjust = !safe;
    }
  } else if (isTypeBased(kind)) {
    const o = calcType(kind, local);
    res.origVal = o.val;
    res.validate = o.validate;
    res.newVal = calcType(kind, target).val;
  } else if (isEnumvalBased(kind)) {
    const o = calcEnumval(kind, local);
    if (o === undefined) throw new CoreError('local enumerator spec is empty');
    res.origVal = o;
    const n = calcEnumval(kind, target);
    if (n === undefined) res.poison = notFoundReason(local);
    else res.newVal = n;
  } else {
    throw new CoreError(`unrecognized CO-RE relocation ${coreReloKindName(kind)} (${kind})`);
  }
  return res;
}
