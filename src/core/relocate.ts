/**
 * One relocation, start to finish ({@link calcReloInsn}, libbpf `bpf_core_calc_relo_insn`):
 *
 * 1. parse the local access spec ({@link parseAccessSpec});
 * 2. TYPE_ID_LOCAL needs no target: the value is the local id;
 * 3. otherwise take the candidates of the local root type (by essential name, see
 *    `candidates.ts`), match the spec against each ({@link matchSpec}) and compute the values
 *    for each match ({@link calcRelo});
 * 4. all matching candidates must agree (same bit offset, same value, same poison decision),
 *    or the relocation is ambiguous and fails; the cache keeps only the matching candidates;
 * 5. no match: existence kinds give 0, TYPE_* kinds 0, and the rest poison the instruction.
 * @module
 */
import type { Btf } from '../btf/btf.js';
import { describeType } from '../btf/btf.js';
import { BtfError } from '../btf/errors.js';
import { calcRelo, type CoreReloResult } from './calc.js';
import type { CandidateCache, CoreCandidate } from './candidates.js';
import { coreEssentialName } from './compat.js';
import { CoreError } from './errors.js';
import { BPF_CORE_TYPE_ID_LOCAL, coreReloKindName } from './kinds.js';
import { matchSpec } from './match.js';
import { formatSpec, parseAccessSpec, type CoreReloRecord, type CoreSpec } from './spec.js';

/** A relocation's result with how it was reached. */
export interface CoreRelocation extends CoreReloResult {
  /** The parsed local spec. */
  localSpec: CoreSpec;
  /** The spec of the first matching candidate, if any matched. */
  targetSpec: CoreSpec | undefined;
  /** Candidates by essential name before matching. */
  candidates: number;
  /** Candidates that matched (and agreed). */
  matched: CoreCandidate[];
}

/**
 * Computes one relocation of `local`'s record `relo` against the candidates in `cache`.
 * @param littleEndian byte order of the BPF target, for bitfield shifts.
 * @throws {@link CoreError} without location (the caller adds program, relocation and insn):
 *   a malformed record, an anonymous local type, ambiguous candidates, a field that cannot be
 *   relocated, or malformed BTF met on the way.
 */
export function calcReloInsn(local: Btf, relo: CoreReloRecord, cache: CandidateCache, littleEndian: boolean): CoreRelocation {
  try {
    return calcReloInsnUnchecked(local, relo, cache, littleEndian);
  } catch (e) {
    if (e instanceof BtfError) throw new CoreError(e.message, {}, { cause: e });
    throw e;
  }
}

function calcReloInsnUnchecked(local: Btf, relo: CoreReloRecord, cache: CandidateCache, littleEndian: boolean): CoreRelocation {
  const localSpec = parseAccessSpec(local, relo);
  const localId = relo.typeId;

  if (relo.kind === BPF_CORE_TYPE_ID_LOCAL) {
    // The id may have changed when objects were linked, so the instruction is not checked.
    const id = BigInt(localId);
    return {
      localSpec,
      targetSpec: undefined,
      candidates: 0,
      matched: [],
      origVal: id,
      newVal: id,
      poison: undefined,
      validate: false,
      origSize: 0,
      newSize: 0,
      failMemszAdjust: false,
      origTypeId: 0,
      newTypeId: 0,
    };
  }

  if (local.nameOf(localId) === '') {
    throw new CoreError(`<${coreReloKindName(relo.kind)}> ${describeType(local, localId)}: relocations against anonymous types are not supported`);
  }

  const cands = cache.get(localId);
  const matched: CoreCandidate[] = [];
  let result: CoreReloResult | undefined;
  let targetSpec: CoreSpec | undefined;
  for (const cand of cands) {
    const candSpec = matchSpec(localSpec, cand.btf, cand.id);
    if (!candSpec) continue;
    const candRes = calcRelo(localSpec, candSpec, littleEndian);
    if (!result || !targetSpec) {
      result = candRes;
      targetSpec = candSpec;
    } else if (candSpec.bitOffset !== targetSpec.bitOffset) {
      throw new CoreError(
        `field offset ambiguity: ${formatSpec(candSpec)} (bit ${candSpec.bitOffset}) != ${formatSpec(targetSpec)} (bit ${targetSpec.bitOffset})`,
      );
    } else if ((candRes.poison !== undefined) !== (result.poison !== undefined) || candRes.newVal !== result.newVal) {
      throw new CoreError(
        `relocation decision ambiguity: candidate [${cand.id}] gives ${candRes.poison ? 'failure' : 'success'} ${candRes.newVal}, ` +
          `candidate [${matched[0]!.id}] gives ${result.poison ? 'failure' : 'success'} ${result.newVal}`,
      );
    }
    matched.push(cand);
  }

  if (matched.length > 0 && result) {
    // Later relocations against this type only consider these.
    cache.prune(localId, matched);
    return { ...result, localSpec, targetSpec, candidates: cands.length, matched };
  }

  // No candidate: existence kinds say 0, the others poison the instruction.
  const res = calcRelo(localSpec, undefined, littleEndian);
  if (res.poison !== undefined) {
    const what = describeAccess(localSpec);
    res.poison =
      cands.length === 0
        ? `${what}: no type named '${coreEssentialName(local.nameOf(localId))}' of a compatible kind in the target`
        : `${what}: not found in ${cands.length} candidate${cands.length > 1 ? 's' : ''} (${cands.map((c) => `[${c.id}]`).join(', ')})`;
  }
  return { ...res, localSpec, targetSpec: undefined, candidates: cands.length, matched };
}

/**
 * What a spec accesses, in C terms: `task_struct.real_parent`, `bits.b`, `s[1].a[3]`,
 * `pid_type::PIDTYPE_MAX`, or the type itself for type-based kinds.
 */
export function describeAccess(spec: CoreSpec): string {
  const root = spec.btf.nameOf(spec.rootTypeId) || '<anon>';
  if (spec.accessors.length === 0) return `'${root}'`;
  if (spec.accessors[0]!.name !== undefined && spec.accessors.length === 1 && spec.raw.length === 1) {
    return `'${root}::${spec.accessors[0]!.name}'`;
  }
  let s = root;
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  return `'${s}'`;
}
