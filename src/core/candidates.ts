/**
 * Candidate search: which target types might be the local type `task_struct___old`?
 *
 * Every target type with the same *essential* name (flavor suffix stripped on both sides) and
 * a CO-RE-compatible kind (same kind, or ENUM ~ ENUM64), in id order (libbpf
 * `bpf_core_add_cands`). vmlinux is searched first; kernel modules' split BTF only when
 * vmlinux has no candidate at all (libbpf `bpf_core_find_cands`).
 *
 * libbpf scans every target type for each local root type. Here exact names come from the
 * target's name index, and flavored target names (`foo___2`, which BTF dedup and hand-written
 * flavors produce) from an index of the string section's `___` names built once per target,
 * then the name index again. The answer is the same list, in the same order.
 * @module
 */
import type { Btf } from '../btf/btf.js';
import { coreEssentialName, essentialNameLength, kindsCoreCompat } from './compat.js';

/** One target type that might correspond to a local type (libbpf `struct bpf_core_cand`). */
export interface CoreCandidate {
  /** The BTF holding it: vmlinux or a module's split BTF. */
  btf: Btf;
  /** The candidate's type id in that BTF. */
  id: number;
}

/**
 * The target of relocation: the kernel's BTF and, optionally, its modules' split BTF (each
 * based on `vmlinux`). A bare {@link Btf} means vmlinux with no modules, which is also how
 * libbpf treats an override (`btf_custom_path`): modules are not searched.
 */
export interface CoreTarget {
  /** The kernel's own BTF (`/sys/kernel/btf/vmlinux`, or a BTFHub file). */
  vmlinux: Btf;
  /** Module BTFs (`/sys/kernel/btf/<module>`), searched in this order. */
  modules?: readonly Btf[];
}

/** A target as the engine uses it. */
export function toCoreTarget(t: Btf | CoreTarget): CoreTarget {
  return 'vmlinux' in t ? t : { vmlinux: t };
}

// Per BTF: its string section as a one-byte-per-char string, so the native
// String.prototype.indexOf can search it (offsets stay byte offsets).
const stringTexts = new WeakMap<Btf, string>();
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();

function stringText(btf: Btf): string {
  let text = stringTexts.get(btf);
  if (text === undefined) {
    text = latin1.decode(btf.stringBytes);
    stringTexts.set(btf, text);
  }
  return text;
}

// Per BTF: essential name -> the flavored names (`foo___x`) in its own string section.
const flavorIndexes = new WeakMap<Btf, Map<string, string[]>>();

/**
 * The flavored names of `btf`'s own string section, by essential name. Built once per BTF:
 * a search for `___` (rare in kernel names) and, around each hit, the enclosing string.
 */
function flavorIndex(btf: Btf): Map<string, string[]> {
  let index = flavorIndexes.get(btf);
  if (index) return index;
  index = new Map();
  const text = stringText(btf);
  for (let at = text.indexOf('___'); at >= 0; ) {
    const start = text.lastIndexOf('\0', at) + 1;
    let end = text.indexOf('\0', at);
    if (end < 0) end = text.length;
    let name = text.slice(start, end);
    // Non-ASCII names are UTF-8: decode them properly (offsets above stay byte offsets).
    if (/[^\x00-\x7f]/.test(name)) name = utf8.decode(btf.stringBytes.subarray(start, end));
    const len = essentialNameLength(name);
    if (len < name.length) {
      const key = name.slice(0, len);
      const list = index.get(key);
      if (list) list.push(name);
      else index.set(key, [name]);
    }
    at = text.indexOf('___', end);
  }
  flavorIndexes.set(btf, index);
  return index;
}

/**
 * Names in the string sections of `btf` (and its bases) whose essential name is `essential`
 * but that carry a flavor (`essential___something`).
 */
function flavoredNames(btf: Btf, essential: string): Set<string> {
  const out = new Set<string>();
  for (let b: Btf | undefined = btf; b; b = b.base) for (const n of flavorIndex(b).get(essential) ?? []) out.add(n);
  return out;
}

/**
 * Target types of `target` (own types only, for split BTF) that are candidates for a local
 * type of kind `localKind` and essential name `essential` (libbpf `bpf_core_add_cands`).
 */
export function addCandidates(target: Btf, essential: string, localKind: number, out: CoreCandidate[]): void {
  const ids: number[] = [];
  for (const id of target.findAllByName(essential)) if (id >= target.firstId) ids.push(id);
  for (const name of flavoredNames(target, essential)) {
    for (const id of target.findAllByName(name)) if (id >= target.firstId) ids.push(id);
  }
  ids.sort((a, b) => a - b);
  for (const id of ids) {
    if (kindsCoreCompat(target.kindOf(id), localKind)) out.push({ btf: target, id });
  }
}

/**
 * Candidates for local type `localId` (libbpf `bpf_core_find_cands`): vmlinux first, modules
 * only when vmlinux has none. The local type must be named.
 */
export function findCandidates(local: Btf, localId: number, target: CoreTarget): CoreCandidate[] {
  const essential = coreEssentialName(local.nameOf(localId));
  const kind = local.kindOf(localId);
  const out: CoreCandidate[] = [];
  addCandidates(target.vmlinux, essential, kind, out);
  if (out.length > 0) return out;
  for (const m of target.modules ?? []) addCandidates(m, essential, kind, out);
  return out;
}

/**
 * Candidate lists per local type id, shared by the relocations of one object as libbpf's
 * `cand_cache`. A list shrinks to the candidates that matched a relocation, so later
 * relocations against the same type see only those (libbpf `bpf_core_calc_relo_insn`).
 */
export class CandidateCache {
  private readonly lists = new Map<number, CoreCandidate[]>();

  constructor(
    /** The object's BTF, where the local types live. */
    readonly local: Btf,
    /** Where candidates are searched. */
    readonly target: CoreTarget,
  ) {}

  /** The (possibly pruned) candidate list of `localId`. */
  get(localId: number): CoreCandidate[] {
    let list = this.lists.get(localId);
    if (!list) {
      list = findCandidates(this.local, localId, this.target);
      this.lists.set(localId, list);
    }
    return list;
  }

  /** Replaces the list of `localId` with the candidates that matched. */
  prune(localId: number, matched: CoreCandidate[]): void {
    this.lists.set(localId, matched);
  }
}
