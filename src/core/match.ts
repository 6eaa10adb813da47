/**
 * Matching a local access spec against one target candidate (libbpf `bpf_core_spec_match`).
 *
 * Walk the local high-level accessors and find each again in the target:
 * - a named member by name, searching inside anonymous struct/union members too
 *   (`bpf_core_match_member`), then check the two member types are compatible;
 * - an array index by bounds (a flexible array has none);
 * - an enumerator by essential name.
 * The target's own raw spec (anonymous members included) and bit offset are rebuilt on the
 * way, so `0:1` locally may become `0:3:0` in the target when a field moved into an
 * anonymous union.
 *
 * Worked example: local `struct s { int a; int b; }`, access `0:1` (`b`, bit offset 32);
 * target `struct s { long x; union { int b; int c; }; }`. Member `b` is not a direct member
 * of the target, so the anonymous union (member #1, bit 64) is searched, and `b` found as its
 * member #0: target raw spec `0:1:0`, bit offset 64.
 * @module
 */
import type { Btf } from '../btf/btf.js';
import { BTF_KIND_ARRAY, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_STRUCT, BTF_KIND_UNION } from '../btf/kinds.js';
import { essentialNameLength, fieldsAreCompat, typesAreCompat, typesMatch } from './compat.js';
import { CoreError } from './errors.js';
import { BPF_CORE_SPEC_MAX_LEN, BPF_CORE_TYPE_MATCHES, isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import { isFlexArray, resolveSize, skipModsAndTypedefs, type CoreAccessor, type CoreSpec, typeById } from './spec.js';

function tooDeep(): CoreError {
  return new CoreError(`target type nests deeper than ${BPF_CORE_SPEC_MAX_LEN} accessors`);
}

/**
 * Finds the member named by local accessor `localAcc` in target composite `targetId`,
 * descending into anonymous members. Extends `spec` (raw path, bit offset, accessor) as it
 * goes and undoes what turned out wrong. Returns the member's type id, or undefined.
 */
function matchMember(local: Btf, localAcc: CoreAccessor, target: Btf, targetId: number, spec: CoreSpec): number | undefined {
  targetId = skipModsAndTypedefs(target, targetId);
  const tk = target.kindOf(targetId);
  if (tk !== BTF_KIND_STRUCT && tk !== BTF_KIND_UNION) return undefined;
  const localType = typeById(local, localAcc.typeId);
  if (localType.kind !== 'STRUCT' && localType.kind !== 'UNION') return undefined;
  const localMember = localType.members[localAcc.idx]!;
  const t = typeById(target, targetId);
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) throw tooDeep();
    // Speculate that this member is the one.
    spec.bitOffset += m.bitsOffset;
    spec.raw.push(i);
    if (m.name === '') {
      // An embedded anonymous struct/union: look inside.
      const found = matchMember(local, localAcc, target, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === localAcc.name) {
      if (!fieldsAreCompat(local, localMember.type, target, m.type)) return undefined;
      spec.accessors.push({ typeId: targetId, idx: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitsOffset;
    spec.raw.pop();
  }
  return undefined;
}

/**
 * The target spec of `local` in candidate `targetId` of `target`, or undefined when the
 * candidate does not match (libbpf `bpf_core_spec_match` returning 0).
 * @throws {@link CoreError} for malformed BTF or nesting deeper than libbpf allows.
 */
export function matchSpec(local: CoreSpec, target: Btf, targetId: number): CoreSpec | undefined {
  const spec: CoreSpec = { btf: target, rootTypeId: targetId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };

  if (isTypeBased(local.kind)) {
    const ok =
      local.kind === BPF_CORE_TYPE_MATCHES
        ? typesMatch(local.btf, local.rootTypeId, target, targetId)
        : typesAreCompat(local.btf, local.rootTypeId, target, targetId);
    return ok ? spec : undefined;
  }

  if (isEnumvalBased(local.kind)) {
    // Has to resolve to an enum with an enumerator of the same essential name.
    const id = skipModsAndTypedefs(target, targetId);
    const k = target.kindOf(id);
    if (k !== BTF_KIND_ENUM && k !== BTF_KIND_ENUM64) return undefined;
    const t = typeById(target, id);
    if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') return undefined;
    const localName = local.accessors[0]!.name ?? '';
    const len = essentialNameLength(localName);
    for (let i = 0; i < t.values.length; i++) {
      const name = t.values[i]!.name;
      if (essentialNameLength(name) !== len || name.slice(0, len) !== localName.slice(0, len)) continue;
      spec.accessors.push({ typeId: id, idx: i, name });
      spec.raw.push(i);
      return spec;
    }
    return undefined;
  }

  if (!isFieldBased(local.kind)) return undefined;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i]!;
    targetId = skipModsAndTypedefs(target, targetId);
    if (acc.name !== undefined) {
      const next = matchMember(local.btf, acc, target, targetId, spec);
      if (next === undefined) return undefined;
      targetId = next;
    } else {
      // For i = 0 the root itself is the "element" type; deeper, it must be an array.
      if (i > 0) {
        if (target.kindOf(targetId) !== BTF_KIND_ARRAY) return undefined;
        const nelems = target.dataU32(targetId, 2);
        const flex = isFlexArray(target, spec.accessors[spec.accessors.length - 1], nelems);
        if (!flex && acc.idx >= nelems) return undefined;
        targetId = skipModsAndTypedefs(target, target.dataU32(targetId, 0));
      }
      if (spec.raw.length === BPF_CORE_SPEC_MAX_LEN) throw tooDeep();
      spec.accessors.push({ typeId: targetId, idx: acc.idx, name: undefined });
      spec.raw.push(acc.idx);
      spec.bitOffset += acc.idx * resolveSize(target, targetId) * 8;
    }
  }
  return spec;
}
