/**
 * Pre-flight: the running kernel answers what its BTF cannot. `checkObject` (`src/check`)
 * judges an object from a kernel's BTF; on the machine that will load it, the kernel itself
 * can be asked:
 *
 * - program and map types: a tiny load or map create (`src/features` probes);
 * - helpers: whether *this program type* may call each helper (the BTF enum says only that the
 *   helper exists), and, for a non-GPL license, whether the verifier refuses it as GPL-only
 *   (`call helper; exit` loaded with the object's license: `check_helper_call` checks
 *   `gpl_only` right after finding the helper, before looking at arguments);
 * - `.kconfig` values: the kernel's config (`/proc/config.gz`, `/boot/config-$(uname -r)`);
 * - untyped `__ksym` variables and kprobe targets missing from BTF: `/proc/kallsyms`.
 *
 * Each answer is a `CheckItem` with `source: 'probe'`; {@link mergePreflight} puts them into
 * the BTF report, replacing the BTF findings about the same thing.
 * @module
 */
import {
  helperLabel,
  isGplCompatible,
  kernelVerdict,
  kprobeFunction,
  objectNeeds,
  type CheckArea,
  type CheckItem,
  type CheckReport,
  type Verdict,
} from '../check/index.js';
import { readKallsyms, readKernelConfig, runningKernelVersion } from '../collection/index.js';
import { probeHelper, probeMapType, probeProgType } from '../features/index.js';
import { callHelper, returnImm } from '../features/insns.js';
import type { ObjectSpec } from '../object/index.js';
import { attachTypeName, Errno, errnoName, mapTypeName, ProgType, progLoadRaw, progTypeName } from '../syscall/index.js';

/** Options of {@link preflight}. */
export interface PreflightOptions {
  /** Only these programs (default: all). */
  programs?: readonly string[];
  /** The kernel config (default: read from `/proc/config.gz` or `/boot`); tests pass one. */
  kernelConfig?: Map<string, string> | undefined;
  /** Path of kallsyms (default `/proc/kallsyms`). */
  kallsyms?: string;
}

/**
 * Whether the running kernel refuses helper `helper` in a program of type `progType` under
 * `license` because the helper is GPL-only. Undefined when it cannot tell (the helper is not
 * available to that program type, or the type needs a BTF attach target).
 */
export function probeGplOnly(progType: number, helper: number, license: string, expectedAttachType = 0): boolean | undefined {
  if (probeHelper(progType, helper) !== true) return undefined;
  const res = progLoadRaw({
    prog_type: progType,
    insns: callHelper(helper),
    license,
    expected_attach_type: expectedAttachType,
    kern_version: progType === ProgType.KPROBE ? runningKernelVersion() : 0,
    log_level: 1,
    log_size: 4096,
  });
  res.fd?.close();
  if (res.log.includes('cannot call GPL-restricted function')) return true;
  if (res.log.includes('unknown func') || res.log.includes('program of this type cannot use helper')) return undefined;
  return false;
}

/** Program types whose load names a BTF attach target (`attach_btf_id`). */
const BTF_ATTACHED = new Set<number>([ProgType.TRACING, ProgType.LSM, ProgType.EXT, ProgType.STRUCT_OPS]);

/**
 * Whether the kernel would load a program of `progType` with `expectedAttachType`: loads
 * `r0 = 0; exit` with `attach_btf_id` 1 (never a function), so a kernel that has the type and
 * attach type answers EINVAL about the target (libbpf's probe rule), while one that refuses
 * the attach type itself answers otherwise: EPERM from lockdown for fentry, fexit, fmod_ret
 * and lsm (`bpf_prog_load` -> `security_locked_down(LOCKDOWN_BPF_READ_KERNEL)`), EINVAL
 * without the target message when the type is unknown.
 */
function probeBtfAttached(progType: number, expectedAttachType: number): { ok: boolean; detail: string } {
  if (progType === ProgType.STRUCT_OPS || progType === ProgType.EXT) {
    return { ok: probeProgType(progType), detail: 'probed without a target' };
  }
  const res = progLoadRaw({
    prog_type: progType,
    insns: returnImm(0),
    license: 'GPL',
    expected_attach_type: expectedAttachType,
    attach_btf_id: 1,
    log_level: 1,
    log_size: 4096,
  });
  res.fd?.close();
  const at = attachTypeName[expectedAttachType] ?? String(expectedAttachType);
  if (res.errno === Errno.EINVAL && /attach_btf_id 1 is not/.test(res.log)) return { ok: true, detail: `the kernel accepts ${at} programs (checked with an invalid target)` };
  if (res.errno === Errno.EPERM) return { ok: false, detail: `the kernel refuses ${at} programs: EPERM (kernel lockdown refuses fentry/fexit/fmod_ret/lsm, or a missing capability)` };
  return { ok: false, detail: `the kernel refuses ${at} programs: ${errnoName(res.errno)}${res.log ? `: ${res.log.trim().split('\n')[0]}` : ''}` };
}

/**
 * Asks the running kernel what `spec`'s BTF report could not settle. Needs root (probes load
 * programs); throws a `BpfError` (EPERM) otherwise, never reports a missing privilege as a
 * missing feature.
 */
export function preflight(spec: ObjectSpec, options: PreflightOptions = {}): CheckItem[] {
  const only = options.programs ? new Set(options.programs) : undefined;
  const needs = objectNeeds(spec);
  const items: CheckItem[] = [];
  const add = (area: CheckArea, program: string | undefined, subject: string, verdict: Verdict, detail: string): void => {
    items.push({ area, program, subject, verdict, detail, source: 'probe' });
  };
  const gpl = isGplCompatible(spec.license);
  const untyped = new Set<string>();
  const kprobeTargets = new Map<string, { program: string; subject: string }>();

  for (const p of needs.programs) {
    const prog = p.program;
    if (only && !only.has(prog.name)) continue;
    const typeName = progTypeName[prog.type] ?? String(prog.type);
    let typeOk: boolean;
    if (BTF_ATTACHED.has(prog.type)) {
      const r = probeBtfAttached(prog.type, prog.expectedAttachType);
      typeOk = r.ok;
      add('program', prog.name, `program type ${typeName}`, r.ok ? 'ok' : 'fail', r.detail);
    } else {
      typeOk = probeProgType(prog.type);
      add('program', prog.name, `program type ${typeName}`, typeOk ? 'ok' : 'fail', typeOk ? 'the kernel loads this program type' : 'the kernel refuses this program type');
    }
    for (const id of p.helpers.keys()) {
      const available = typeOk ? probeHelper(prog.type, id) : undefined;
      if (available === undefined) continue;
      add('helper', prog.name, helperLabel(id), available ? 'ok' : 'fail', available ? `available to ${typeName} programs` : `not available to ${typeName} programs on this kernel`);
      if (available && !gpl) {
        const gplOnly = probeGplOnly(prog.type, id, spec.license, prog.expectedAttachType);
        if (gplOnly) add('license', prog.name, helperLabel(id), 'fail', `GPL-only: the verifier refuses it under license '${spec.license}'`);
        else if (gplOnly === false) add('license', prog.name, helperLabel(id), 'ok', `not GPL-only on this kernel: the verifier accepts it under license '${spec.license}'`);
      }
    }
    for (const k of p.ksyms.values()) if (!k.typed) untyped.add(k.name);
    const fn = kprobeFunction(prog);
    if (fn !== undefined) kprobeTargets.set(fn, { program: prog.name, subject: prog.section });
  }

  for (const m of needs.maps) {
    const ok = probeMapType(m.type);
    add('map', undefined, `map '${m.name}' (${mapTypeName[m.type] ?? m.type})`, ok ? 'ok' : 'fail', ok ? 'the kernel creates this map type' : 'the kernel refuses this map type');
  }

  const wanted = new Set([...untyped, ...kprobeTargets.keys()]);
  if (wanted.size > 0) {
    const found = readKallsyms(wanted, options.kallsyms);
    for (const p of needs.programs) {
      for (const k of p.ksyms.values()) {
        if (k.typed || (only && !only.has(p.program.name))) continue;
        const addr = found.get(k.name);
        if (addr !== undefined) add('ksym', p.program.name, k.name, 'ok', `in /proc/kallsyms at 0x${addr.toString(16)}`);
        else add('ksym', p.program.name, k.name, k.weak ? 'warn' : 'fail', `not in /proc/kallsyms${k.weak ? ': __weak, resolves to 0' : ''}`);
      }
    }
    for (const [sym, where] of kprobeTargets) {
      const hit = found.has(sym);
      add('attach', where.program, where.subject, hit ? 'ok' : 'fail', hit ? `'${sym}' in /proc/kallsyms` : `'${sym}' not in /proc/kallsyms`);
    }
  }

  const kconfig = needs.kconfig.filter((e) => !e.weak && !['LINUX_KERNEL_VERSION', 'LINUX_HAS_BPF_COOKIE', 'LINUX_HAS_SYSCALL_WRAPPER'].includes(e.name));
  if (kconfig.length > 0) {
    const config = 'kernelConfig' in options ? options.kernelConfig : readKernelConfig();
    for (const e of kconfig) {
      const v = config?.get(e.name);
      if (v !== undefined) add('kconfig', undefined, e.name, 'ok', `${e.name}=${v}`);
      else if (!config) add('kconfig', undefined, e.name, 'warn', 'no kernel config to read (/proc/config.gz, /boot/config-*)');
      else add('kconfig', undefined, e.name, 'warn', "not set in the kernel's config: fine for a tristate or bool (n), a load error for other types");
    }
  }
  return items;
}

/**
 * `report` with the pre-flight `items` merged in: a probe finding replaces the BTF findings of
 * the same area, program and subject (the running kernel's own answer beats what its BTF
 * suggests: a GPL-only table entry, a "cannot tell").
 */
export function mergePreflight(report: CheckReport, items: readonly CheckItem[]): CheckReport {
  const key = (i: CheckItem): string => `${i.area}\0${i.program ?? ''}\0${i.subject}`;
  const probed = new Set(items.map(key));
  const kept = report.items.filter((i) => !probed.has(key(i)));
  const all = [...kept, ...items];
  return { kernel: report.kernel, verdict: kernelVerdict(all), items: all };
}
