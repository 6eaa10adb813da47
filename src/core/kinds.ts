/**
 * CO-RE relocation kinds: the UAPI's `enum bpf_core_relo_kind` (include/uapi/linux/bpf.h),
 * with the short names libbpf prints (`byte_off`, `field_exists`, ...) and objdump shows
 * (`CO-RE <byte_off> [5] struct task_struct::pid (0:0)`).
 *
 * The kinds fall in three families that read their access string differently:
 * - field-based (`FIELD_*`): `0:1:2` walks from the root type through members/array elements;
 * - type-based (`TYPE_*`): the access string is always `0`, the root type is the subject;
 * - enumerator-based (`ENUMVAL_*`): the access string is one index, the enumerator.
 * @module
 */

/** `BPF_CORE_FIELD_BYTE_OFFSET`: field offset in bytes. */
export const BPF_CORE_FIELD_BYTE_OFFSET = 0;
/** `BPF_CORE_FIELD_BYTE_SIZE`: field size in bytes. */
export const BPF_CORE_FIELD_BYTE_SIZE = 1;
/** `BPF_CORE_FIELD_EXISTS`: 1 when the field exists in the target. */
export const BPF_CORE_FIELD_EXISTS = 2;
/** `BPF_CORE_FIELD_SIGNED`: 1 when the field is a signed integer or enum. */
export const BPF_CORE_FIELD_SIGNED = 3;
/** `BPF_CORE_FIELD_LSHIFT_U64`: left shift that brings a bitfield's top bit to bit 63. */
export const BPF_CORE_FIELD_LSHIFT_U64 = 4;
/** `BPF_CORE_FIELD_RSHIFT_U64`: right shift that then brings the bitfield down to bit 0. */
export const BPF_CORE_FIELD_RSHIFT_U64 = 5;
/** `BPF_CORE_TYPE_ID_LOCAL`: the type's id in the object's own BTF. */
export const BPF_CORE_TYPE_ID_LOCAL = 6;
/** `BPF_CORE_TYPE_ID_TARGET`: the type's id in the target (kernel) BTF. */
export const BPF_CORE_TYPE_ID_TARGET = 7;
/** `BPF_CORE_TYPE_EXISTS`: 1 when a compatible type exists in the target. */
export const BPF_CORE_TYPE_EXISTS = 8;
/** `BPF_CORE_TYPE_SIZE`: the target type's size in bytes. */
export const BPF_CORE_TYPE_SIZE = 9;
/** `BPF_CORE_ENUMVAL_EXISTS`: 1 when the enumerator exists in the target. */
export const BPF_CORE_ENUMVAL_EXISTS = 10;
/** `BPF_CORE_ENUMVAL_VALUE`: the enumerator's value in the target. */
export const BPF_CORE_ENUMVAL_VALUE = 11;
/** `BPF_CORE_TYPE_MATCHES`: 1 when the target type matches the local one (stricter than exists). */
export const BPF_CORE_TYPE_MATCHES = 12;

/** libbpf's `core_relo_kind_str()` names, indexed by kind. */
export const CORE_RELO_KIND_NAMES = [
  'byte_off',
  'byte_sz',
  'field_exists',
  'signed',
  'lshift_u64',
  'rshift_u64',
  'local_type_id',
  'target_type_id',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
] as const;

/** A kind's short name (`byte_off`), or `unknown` (as libbpf prints it). */
export function coreReloKindName(kind: number): string {
  return CORE_RELO_KIND_NAMES[kind] ?? 'unknown';
}

/** Whether `kind` is one of the kinds this engine knows (0..12). */
export function isKnownCoreReloKind(kind: number): boolean {
  return Number.isInteger(kind) && kind >= 0 && kind < CORE_RELO_KIND_NAMES.length;
}

/** libbpf `core_relo_is_field_based`. */
export function isFieldBased(kind: number): boolean {
  return kind >= BPF_CORE_FIELD_BYTE_OFFSET && kind <= BPF_CORE_FIELD_RSHIFT_U64;
}

/** libbpf `core_relo_is_type_based`. */
export function isTypeBased(kind: number): boolean {
  return (kind >= BPF_CORE_TYPE_ID_LOCAL && kind <= BPF_CORE_TYPE_SIZE) || kind === BPF_CORE_TYPE_MATCHES;
}

/** libbpf `core_relo_is_enumval_based`. */
export function isEnumvalBased(kind: number): boolean {
  return kind === BPF_CORE_ENUMVAL_EXISTS || kind === BPF_CORE_ENUMVAL_VALUE;
}

/**
 * The `imm` of a poisoned instruction: `call 0xbad2310` ("bad relo"). The verifier rejects it
 * with `invalid func unknown#195896080` only if the instruction is reachable, so code guarded
 * by `bpf_core_field_exists()` still loads (libbpf `bpf_core_poison_insn`).
 */
export const BPF_CORE_POISON_IMM = 0xbad2310;

/** Longest access string, in accessors (libbpf `BPF_CORE_SPEC_MAX_LEN`). */
export const BPF_CORE_SPEC_MAX_LEN = 64;
