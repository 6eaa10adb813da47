/**
 * `checkObject`: will this object load on that kernel? Answered from the kernel's BTF alone,
 * without loading anything, so it runs for any number of kernels (a BTFHub directory, the
 * kernels of a fleet) on any machine.
 *
 * Each check gives {@link CheckItem}s with a verdict:
 *
 * - **core**: every CO-RE relocation ({@link computeFixups}); a poisoned instruction fails
 *   only when the verifier can reach it ({@link reachableSlots}), and a failure names the
 *   kernel's closest candidate ({@link explainFailure}); a field that moved says from where
 *   to where;
 * - **attach**: the section's attach target exists (`attach.ts`);
 * - **program**, **map**, **helper**: the program type, expected attach type, map types and
 *   helper ids are in the kernel's UAPI enums (`kernel.ts`); GPL-only helpers against the
 *   object's license (`license.ts`);
 * - **kfunc**, **ksym**: `__ksym` functions and variables are in the kernel's BTF, with a
 *   compatible prototype;
 * - **kconfig**: which `.kconfig` values BTF cannot tell (they come from the kernel's config);
 * - **btf**: BTF kinds the loader will have to downgrade for this kernel (`sanitizeBtf`).
 *
 * Verdicts: `fail` (the load will fail), `warn` (it may, or BTF cannot tell), `note` (it
 * will load, with a change worth knowing), `ok`.
 * @module
 */
import { helperName } from '../asm/helpers.js';
import type { Btf } from '../btf/btf.js';
import { BTF_FUNC_EXTERN, BTF_FUNC_GLOBAL, BTF_KIND_FUNC } from '../btf/kinds.js';
import {
  applyFixups,
  BPF_CORE_ENUMVAL_EXISTS,
  BPF_CORE_FIELD_BYTE_OFFSET,
  BPF_CORE_FIELD_EXISTS,
  BPF_CORE_TYPE_EXISTS,
  BPF_CORE_TYPE_ID_LOCAL,
  BPF_CORE_TYPE_MATCHES,
  computeFixups,
  parseAccessSpec,
  typesAreCompat,
  type CoreFixup,
} from '../core/index.js';
import { TsbpfError } from '../errors.js';
import type { ObjectSpec } from '../object/index.js';
import { attachTypeName, mapTypeName, progTypeName } from '../uapi/bpf.js';
import { findAttachTarget } from './attach.js';
import { explainFailure, type ClosestCandidate } from './closest.js';
import { btfFeaturesOf, kernelBtfFacts, type CheckKernel, type EnumValues } from './kernel.js';
import { GPL_ONLY_HELPERS, isGplCompatible } from './license.js';
import { helperLabel, objectNeeds, type KsymUse, type ProgramNeeds } from './needs.js';
import { reachableSlots } from './reachable.js';

/** How bad a finding is, mildest first. */
export type Verdict = 'ok' | 'note' | 'warn' | 'fail';

/** Verdicts in order of severity. */
export const VERDICTS: readonly Verdict[] = Object.freeze(['ok', 'note', 'warn', 'fail']);

/** A kernel's overall verdict: will the object load (`ok`), may it not (`warn`), will it fail? */
export type KernelVerdict = 'ok' | 'warn' | 'fail';

/** What a finding is about. */
export type CheckArea = 'core' | 'attach' | 'program' | 'map' | 'helper' | 'license' | 'kfunc' | 'ksym' | 'kconfig' | 'btf';

/** One finding of {@link checkObject}. */
export interface CheckItem {
  /** Which check produced it (`core`, `attach`, `helper`...). */
  area: CheckArea;
  /** The program it concerns; undefined for object-wide checks (maps, BTF, kconfig). */
  program: string | undefined;
  /** What was checked: `task_struct.pid`, `bpf_ringbuf_output`, `map 'events'`. */
  subject: string;
  /** `fail`: the load will fail; `warn`: it may, or BTF cannot tell; `note`: it loads, with a change worth knowing; `ok`. */
  verdict: Verdict;
  /** What was found, in one line. */
  detail: string;
  /** For a failed relocation: the kernel's closest candidate. */
  closest?: ClosestCandidate;
  /** For a relocation: the fixup it computed. */
  fixup?: CoreFixup;
  /** Who decided: `btf` (the kernel's BTF) or `probe` (the running kernel, `src/preflight`). */
  source: 'btf' | 'probe';
}

/** The checks of one object against one kernel. */
export interface CheckReport {
  /** The kernel's name (its BTF path). */
  kernel: string;
  /** The worst verdict of the items, notes counting as `ok` (the object loads). */
  verdict: KernelVerdict;
  /** Every finding, `ok` ones included: CO-RE relocations first, then each program's checks, then maps, kconfig and BTF kinds. */
  items: CheckItem[];
}

/** Options of {@link checkObject}. */
export interface CheckOptions {
  /** Only these programs (default: all). */
  programs?: readonly string[];
}

/** The worst verdict of `items` (`ok` for none). */
export function worstVerdict(items: readonly { verdict: Verdict }[]): Verdict {
  let worst = 0;
  for (const i of items) worst = Math.max(worst, VERDICTS.indexOf(i.verdict));
  return VERDICTS[worst]!;
}

/** The overall verdict of a kernel's findings: the worst, with notes counting as `ok`. */
export function kernelVerdict(items: readonly { verdict: Verdict }[]): KernelVerdict {
  const w = worstVerdict(items);
  return w === 'note' ? 'ok' : w;
}

/**
 * Checks `spec` against `kernel` from BTF alone.
 * @returns one report: every finding, and the worst verdict.
 * @throws never for what the object or the kernel lack (those are findings); only
 *   {@link TsbpfError}s of malformed input (BTF records that do not parse).
 */
export function checkObject(spec: ObjectSpec, kernel: CheckKernel, options: CheckOptions = {}): CheckReport {
  const only = options.programs ? new Set(options.programs) : undefined;
  const needs = objectNeeds(spec);
  const programs = needs.programs.filter((p) => !only || only.has(p.program.name));
  const facts = kernelBtfFacts(kernel.vmlinux);
  const items: CheckItem[] = [];
  // A BTF without the UAPI enums is not a whole vmlinux BTF (a minimised one, a module's): a
  // function or typedef missing from it may still be in the kernel.
  const partial = !facts.progTypes && !facts.helpers && !facts.mapTypes;
  const add = (area: CheckArea, program: string | undefined, subject: string, verdict: Verdict, detail: string, extra: Partial<CheckItem> = {}): void => {
    if (partial && verdict === 'fail' && (area === 'attach' || area === 'kfunc' || area === 'ksym')) {
      verdict = 'warn';
      detail += ' (but this BTF is not a whole vmlinux BTF: it has no BPF UAPI enums)';
    }
    items.push({ area, program, subject, verdict, detail, source: 'btf', ...extra });
  };

  checkCore(spec, kernel, programs, add);

  // A BTF without the UAPI enums (a module's, a minimised one) cannot judge types: say so once.
  for (const [values, name, area, used] of [
    [facts.progTypes, 'bpf_prog_type', 'program', programs.length > 0],
    [facts.attachTypes, 'bpf_attach_type', 'program', programs.some((p) => p.program.expectedAttachType !== 0)],
    [facts.helpers, 'bpf_func_id', 'helper', programs.some((p) => p.helpers.size > 0)],
    [facts.mapTypes, 'bpf_map_type', 'map', needs.maps.length > 0],
  ] as const) {
    if (!values && used) add(area, undefined, `enum ${name}`, 'warn', `not in this BTF: ${area === 'helper' ? 'helper ids' : area === 'map' ? 'map types' : name === 'bpf_prog_type' ? 'program types' : 'attach types'} cannot be checked`);
  }

  for (const p of programs) {
    const prog = p.program;
    const name = prog.name;
    checkEnum(facts.progTypes, 'bpf_prog_type', prog.type, progTypeName[prog.type], (v, d) => add('program', name, `program type ${progTypeName[prog.type] ?? prog.type}`, v, d));
    if (prog.expectedAttachType !== 0) {
      checkEnum(facts.attachTypes, 'bpf_attach_type', prog.expectedAttachType, attachTypeName[prog.expectedAttachType], (v, d) =>
        add('program', name, `attach type ${attachTypeName[prog.expectedAttachType] ?? prog.expectedAttachType}`, v, d),
      );
    }
    const attach = findAttachTarget(prog, kernel);
    if (attach) {
      const found = attach.find((a) => a.foundIn !== undefined);
      const subject = `${prog.section}`;
      if (found) add('attach', name, subject, 'ok', `${found.lookedUp} in ${found.foundIn} (id ${found.typeId})`);
      else if (attach.some((a) => a.required)) add('attach', name, subject, 'fail', `not in this kernel: ${attach.map((a) => a.lookedUp).join(' or ')}`);
      else add('attach', name, subject, 'warn', `${attach.map((a) => a.lookedUp).join(', ')} not in BTF (static or inlined functions have no BTF; check /proc/kallsyms)`);
    }
    for (const id of p.helpers.keys()) checkHelper(facts.helpers, id, spec.license, (area, v, d) => add(area, name, helperLabel(id), v, d));
    for (const k of p.kfuncs.values()) checkKfunc(spec.btf, kernel, k, (v, d) => add('kfunc', name, k.name, v, d));
    for (const k of p.ksyms.values()) checkKsym(spec.btf, kernel, k, (v, d) => add('ksym', name, k.name, v, d));
  }

  for (const m of needs.maps) {
    checkEnum(facts.mapTypes, 'bpf_map_type', m.type, mapTypeName[m.type], (v, d) => add('map', undefined, `map '${m.name}' (${mapTypeName[m.type] ?? m.type})`, v, d));
  }

  for (const e of needs.kconfig) {
    if (e.name === 'LINUX_KERNEL_VERSION' || e.name === 'LINUX_HAS_BPF_COOKIE' || e.name === 'LINUX_HAS_SYSCALL_WRAPPER') {
      add('kconfig', undefined, e.name, 'ok', 'computed by the loader');
    } else if (e.weak) {
      add('kconfig', undefined, e.name, 'ok', '__weak: 0 when the kernel config lacks it');
    } else {
      add('kconfig', undefined, e.name, 'warn', "read from the kernel's config at load (/proc/config.gz); BTF cannot tell whether it is set");
    }
  }

  checkBtfKinds(spec, facts, needs.btfKinds, add);
  return { kernel: kernel.name, verdict: kernelVerdict(items), items };
}

type Add = (area: CheckArea, program: string | undefined, subject: string, verdict: Verdict, detail: string, extra?: Partial<CheckItem>) => void;

function checkEnum(values: EnumValues | undefined, enumName: string, value: number, label: string | undefined, report: (v: Verdict, detail: string) => void): void {
  if (!values) return; // reported once for the whole BTF
  const name = values.get(value);
  if (name !== undefined) return report('ok', `${name} = ${value}`);
  const newest = Math.max(...values.keys());
  report('fail', `${label ?? `value ${value}`} (${value}) is not in this kernel's 'enum ${enumName}' (newest: ${values.get(newest)} = ${newest})`);
}

function checkHelper(values: EnumValues | undefined, id: number, license: string, report: (area: CheckArea, v: Verdict, detail: string) => void): void {
  checkEnum(values, 'bpf_func_id', id, helperName(id), (v, d) => report('helper', v, d));
  const name = helperName(id);
  if (name && GPL_ONLY_HELPERS.has(name) && !isGplCompatible(license)) {
    report('license', 'fail', `GPL-only helper, but the license is '${license}' (the verifier says: cannot call GPL-restricted function from non-GPL compatible program)`);
  }
}

function findInKernel(kernel: CheckKernel, name: string, kind: 'FUNC' | 'VAR'): { btf: Btf; id: number } | undefined {
  for (const btf of [kernel.vmlinux, ...(kernel.modules ?? [])]) {
    for (const id of btf.findAllByName(name, kind)) {
      // An extern declaration (an object's BTF used as a target) defines nothing.
      if (id < btf.firstId || (kind === 'FUNC' && btf.vlenOf(id) === BTF_FUNC_EXTERN)) continue;
      return { btf, id };
    }
  }
  return undefined;
}

function btfLabel(btf: Btf, kernel: CheckKernel): string {
  return btf === kernel.vmlinux ? 'vmlinux' : btf.section.split('/').pop()!;
}

// FUNC ids tagged `bpf_kfunc` (pahole >= 1.25 writes DECL_TAG 'bpf_kfunc' on every kfunc), per BTF.
const kfuncTags = new WeakMap<Btf, Set<number>>();
function taggedKfuncs(btf: Btf): Set<number> {
  let s = kfuncTags.get(btf);
  if (!s) {
    s = new Set();
    for (const id of btf.findAllByName('bpf_kfunc', 'DECL_TAG')) {
      const t = btf.type(id);
      if (t.kind === 'DECL_TAG' && t.componentIdx === -1) s.add(t.type);
    }
    kfuncTags.set(btf, s);
  }
  return s;
}

function checkKfunc(local: Btf | undefined, kernel: CheckKernel, k: KsymUse, report: (v: Verdict, detail: string) => void): void {
  const hit = findInKernel(kernel, k.name, 'FUNC');
  if (!hit) {
    if (k.weak) return report('warn', '__weak kfunc not in this kernel: resolves to 0 (guard calls with bpf_ksym_exists())');
    return report('fail', `kfunc not in this kernel's BTF (vmlinux${kernel.modules?.length ? ' or modules' : ''})`);
  }
  const where = `${btfLabel(hit.btf, kernel)} [${hit.id}]`;
  if (local && k.typeId !== undefined && local.has(k.typeId)) {
    const lf = local.type(k.typeId);
    const tf = hit.btf.type(hit.id);
    if (lf.kind === 'FUNC' && tf.kind === 'FUNC' && !typesAreCompat(local, lf.type, hit.btf, tf.type)) {
      return report('fail', `prototype differs from the kernel's (${where}): libbpf's and the kernel's type check will refuse it`);
    }
  }
  const tagged = taggedKfuncs(hit.btf.base ?? hit.btf);
  const taggedHere = taggedKfuncs(hit.btf);
  if ((tagged.size > 0 || taggedHere.size > 0) && !tagged.has(hit.id) && !taggedHere.has(hit.id)) {
    return report('warn', `in ${where}, but not tagged 'bpf_kfunc': a kernel function that is not a kfunc cannot be called`);
  }
  report('ok', `in ${where}`);
}

function checkKsym(local: Btf | undefined, kernel: CheckKernel, k: KsymUse, report: (v: Verdict, detail: string) => void): void {
  const hit = findInKernel(kernel, k.name, 'VAR');
  if (hit) {
    if (k.typed && local && k.typeId !== undefined && local.has(k.typeId)) {
      const lv = local.type(k.typeId);
      const tv = hit.btf.type(hit.id);
      if (lv.kind === 'VAR' && tv.kind === 'VAR' && !typesAreCompat(local, lv.type, hit.btf, tv.type)) {
        return report('fail', `type differs from the kernel's VAR (${btfLabel(hit.btf, kernel)} [${hit.id}])`);
      }
    }
    return report('ok', `VAR in ${btfLabel(hit.btf, kernel)} [${hit.id}]`);
  }
  if (k.typed) {
    return k.weak ? report('warn', '__weak typed ksym not in this kernel: resolves to 0') : report('fail', "typed ksym: no VAR of this name in the kernel's BTF");
  }
  // An untyped ksym is any kallsyms symbol: BTF lists per-CPU variables only.
  report(k.weak ? 'ok' : 'warn', 'untyped ksym: resolved from /proc/kallsyms at load; BTF cannot tell');
}

function checkBtfKinds(spec: ObjectSpec, facts: ReturnType<typeof kernelBtfFacts>, counts: Map<string, number>, add: Add): void {
  const features = btfFeaturesOf(facts);
  if (!features || !spec.btf) return;
  const downgrades: [boolean, string, string][] = [
    [features.btfFunc, 'FUNC', 'TYPEDEF'],
    [features.btfFunc, 'FUNC_PROTO', 'ENUM'],
    [features.btfDatasec, 'VAR', 'INT'],
    [features.btfDatasec, 'DATASEC', 'STRUCT'],
    [features.btfFloat, 'FLOAT', 'STRUCT'],
    [features.btfDeclTag, 'DECL_TAG', 'INT'],
    [features.btfTypeTag, 'TYPE_TAG', 'CONST'],
    [features.btfEnum64, 'ENUM64', 'UNION'],
  ];
  for (const [has, kind, into] of downgrades) {
    const n = counts.get(kind) ?? 0;
    if (!has && n > 0) add('btf', undefined, `BTF_KIND_${kind}`, 'note', `kernel lacks it: the loader rewrites ${n} type${n > 1 ? 's' : ''} as ${into}`);
  }
  if (!features.btfFuncGlobal && features.btfFunc) {
    let n = 0;
    for (let id = spec.btf.firstId; id <= spec.btf.maxId; id++) {
      const t = spec.btf.kindOf(id) === BTF_KIND_FUNC ? spec.btf.type(id) : undefined;
      if (t?.kind === 'FUNC' && t.linkage === BTF_FUNC_GLOBAL) n++;
    }
    if (n > 0) add('btf', undefined, 'BTF_FUNC_GLOBAL', 'note', `kernel lacks global functions in BTF: the loader makes ${n} static`);
  }
}

/** The CO-RE part: fixups, reachability of poisoned instructions, closest candidates. */
function checkCore(spec: ObjectSpec, kernel: CheckKernel, programs: ProgramNeeds[], add: Add): void {
  let fixups: CoreFixup[];
  try {
    fixups = computeFixups(spec, kernel, { programs: programs.map((p) => p.program.name) });
  } catch (e) {
    if (!(e instanceof TsbpfError)) throw e;
    add('core', undefined, 'CO-RE', 'fail', e.message);
    return;
  }
  if (fixups.length === 0) return;
  const local = spec.btf!;
  // Per program: which slots the verifier may reach once relocated.
  const reach = new Map<string, Set<number> | string>();
  for (const p of programs) {
    if (!fixups.some((f) => f.program === p.program.name)) continue;
    try {
      reach.set(p.program.name, reachableSlots(applyFixups(p.program.instructions, fixups, p.program.name)));
    } catch (e) {
      if (!(e instanceof TsbpfError)) throw e;
      reach.set(p.program.name, e.message);
    }
  }
  for (const f of fixups) {
    const subject = `${f.access.replace(/'/g, '')} <${f.kindName}>`;
    const at = `relo #${f.relocation} (insn #${f.insn})`;
    const r = reach.get(f.program);
    if (typeof r === 'string') {
      add('core', f.program, subject, 'fail', `${at}: ${r}`, { fixup: f });
      continue;
    }
    const closest = (): ClosestCandidate | undefined => {
      try {
        return explainFailure(parseAccessSpec(local, { insnOff: 0, typeId: f.localTypeId, accessStr: f.accessStr, kind: f.kind }), kernel);
      } catch (e) {
        if (e instanceof TsbpfError) return undefined;
        throw e;
      }
    };
    if (f.poison !== undefined) {
      const c = closest();
      const why = c ? c.text : f.poison;
      if (r?.has(f.insn)) add('core', f.program, subject, 'fail', `${at}: poisoned and reachable: ${why}`, { fixup: f, closest: c });
      else add('core', f.program, subject, 'note', `${at}: poisoned, but unreachable once relocated (guarded by a CO-RE check): ${why}`, { fixup: f, closest: c });
      continue;
    }
    // Nothing matched but nothing is poisoned: existence checks, and type kinds, get 0.
    if (f.matched === 0 && f.kind !== BPF_CORE_TYPE_ID_LOCAL) {
      const existence = f.kind === BPF_CORE_FIELD_EXISTS || f.kind === BPF_CORE_TYPE_EXISTS || f.kind === BPF_CORE_ENUMVAL_EXISTS || f.kind === BPF_CORE_TYPE_MATCHES;
      const c = f.kind === BPF_CORE_TYPE_MATCHES && f.candidates > 0 ? undefined : closest();
      const what = f.kind === BPF_CORE_TYPE_MATCHES ? 'does not match' : 'absent';
      const asks = existence ? 'the program asks, and gets 0' : `the program gets ${f.target}`;
      add('core', f.program, subject, 'note', `${at}: ${what} in this kernel (${asks})${c ? `: ${c.text}` : ''}`, { fixup: f, closest: c });
      continue;
    }
    const cand = f.candidate ? ` (${f.candidate.type}${f.candidate.accessStr ? ` ${f.candidate.accessStr}` : ''})` : '';
    const size = f.localSize !== f.targetSize ? `, load size ${f.localSize} -> ${f.targetSize}` : '';
    const moved = f.kind === BPF_CORE_FIELD_BYTE_OFFSET && f.local !== f.target ? `moved: offset ${f.local} -> ${f.target}` : `${f.local} -> ${f.target}`;
    add('core', f.program, subject, 'ok', `${at}: ${moved}${size}${cand}`, { fixup: f });
  }
}
