/**
 * Attach targets: does the kernel have what the section name points at?
 *
 * The names come from how the kernel exposes each kind of hook in its BTF (the same lookups
 * libbpf does at load for `SEC_ATTACH_BTF` programs, `libbpf_find_attach_btf_id`):
 *
 * | section                       | looked up in BTF                                       |
 * |-------------------------------|--------------------------------------------------------|
 * | `fentry/F`, `fexit/F`, `fmod_ret/F` | FUNC `F` (vmlinux, then modules; `fentry/mod:F` only in `mod`) |
 * | `tp_btf/T`, `raw_tp/T`        | TYPEDEF `btf_trace_T` (one per tracepoint, `include/trace/bpf_probe.h`) |
 * | `tracepoint/C/T`              | STRUCT `trace_event_raw_T` (`TRACE_EVENT`) or TYPEDEF `btf_trace_T` (`DEFINE_EVENT`) |
 * | `tracepoint/syscalls/sys_enter_S` | FUNC `__x64_sys_S` (or the arch's wrapper): one event per syscall |
 * | `lsm/H`                       | FUNC `bpf_lsm_H` (`kernel/bpf/bpf_lsm.c`)              |
 * | `iter/I`                      | FUNC `bpf_iter_I` (`DEFINE_BPF_ITER_FUNC`)              |
 * | `kprobe/F`, `kretprobe/F`     | FUNC `F`; absent means "not in BTF", not "absent": static and inlined functions are kprobe-able by address |
 *
 * Other sections (uprobes, XDP, TC, cgroups, sockets) attach to things outside the kernel's
 * BTF and are not checked here.
 * @module
 */
import type { Btf } from '../btf/btf.js';
import type { ProgramSpec } from '../object/index.js';
import type { CoreTarget } from '../core/index.js';

/** The outcome of resolving one program's attach target. */
export interface AttachResolution {
  /** What was looked up: `FUNC 'do_unlinkat'`, `TYPEDEF 'btf_trace_sched_switch'`. */
  lookedUp: string;
  /** Where it was found: `vmlinux`, a module BTF's name; undefined when not found. */
  foundIn: string | undefined;
  /** The found type's id. */
  typeId: number | undefined;
  /** Not finding it is an error (true) or only means the BTF cannot tell (false, kprobes). */
  required: boolean;
}

function find(target: CoreTarget, name: string, kind: 'FUNC' | 'TYPEDEF' | 'STRUCT', module?: string): { btf: Btf; id: number } | undefined {
  const all = [target.vmlinux, ...(target.modules ?? [])];
  for (const btf of all) {
    if (module !== undefined && !btf.section.endsWith(`/${module}`) && btf.section !== module) continue;
    const id = btf.findByName(name, kind);
    if (id !== undefined && id >= btf.firstId) return { btf, id };
  }
  return undefined;
}

function where(btf: Btf, target: CoreTarget): string {
  return btf === target.vmlinux ? 'vmlinux' : btf.section.split('/').pop()!;
}

/**
 * The kernel function a `kprobe/F` or `kretprobe/F+0x10` program names (`F`), or undefined
 * for other sections and for targets that are not a plain symbol (addresses).
 */
export function kprobeFunction(program: ProgramSpec): string | undefined {
  if (!/^k(?:ret)?probe\//.test(program.section) || !program.attachTarget) return undefined;
  const name = program.attachTarget.replace(/\+.*$/, '');
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : undefined;
}

/**
 * Resolves `program`'s attach target in `target`, or returns undefined when the program's
 * kind has no target in BTF (or its section names none).
 */
export function findAttachTarget(program: ProgramSpec, target: CoreTarget): AttachResolution[] | undefined {
  const t = program.attachTarget;
  if (!t) return undefined;
  const section = program.section;
  const prefix = section.slice(0, section.indexOf('/') < 0 ? section.length : section.indexOf('/'));
  const base = prefix.replace(/\.s$/, '');
  const lookups: { name: string; kind: 'FUNC' | 'TYPEDEF' | 'STRUCT'; module?: string; required: boolean }[] = [];
  switch (base) {
    case 'fentry':
    case 'fexit':
    case 'fmod_ret': {
      const colon = t.indexOf(':');
      if (colon >= 0) lookups.push({ name: t.slice(colon + 1), kind: 'FUNC', module: t.slice(0, colon), required: true });
      else lookups.push({ name: t, kind: 'FUNC', required: true });
      break;
    }
    case 'tp_btf':
    case 'raw_tp':
    case 'raw_tracepoint':
    case 'raw_tp.w':
    case 'raw_tracepoint.w':
      lookups.push({ name: `btf_trace_${t}`, kind: 'TYPEDEF', required: true });
      break;
    case 'tp':
    case 'tracepoint': {
      const name = t.slice(t.indexOf('/') + 1);
      const sys = t.startsWith('syscalls/') ? /^sys_(?:enter|exit)_(.+)$/.exec(name) : null;
      if (sys) {
        // Syscall tracepoints share one event class (trace_event_raw_sys_enter/exit) and
        // exist for each syscall the kernel has: look for its entry wrapper
        // (SYSCALL_DEFINE: `__x64_sys_openat` on x86-64, `__arm64_sys_openat` on arm64...).
        for (const prefix of ['__x64_sys_', '__arm64_sys_', '__s390x_sys_', '__riscv_sys_', '__powerpc_sys_', '__se_sys_', 'sys_']) {
          lookups.push({ name: `${prefix}${sys[1]}`, kind: 'FUNC', required: true });
        }
        break;
      }
      lookups.push({ name: `trace_event_raw_${name}`, kind: 'STRUCT', required: true });
      lookups.push({ name: `btf_trace_${name}`, kind: 'TYPEDEF', required: true });
      break;
    }
    case 'lsm':
    case 'lsm_cgroup':
      lookups.push({ name: `bpf_lsm_${t}`, kind: 'FUNC', required: true });
      break;
    case 'iter':
      lookups.push({ name: `bpf_iter_${t}`, kind: 'FUNC', required: true });
      break;
    case 'kprobe':
    case 'kretprobe': {
      const name = kprobeFunction(program);
      if (name !== undefined) lookups.push({ name, kind: 'FUNC', required: false });
      break;
    }
    default:
      return undefined;
  }
  if (lookups.length === 0) return undefined;
  // For tracepoints either name will do: report the first found, or both missing.
  const results: AttachResolution[] = [];
  for (const l of lookups) {
    const hit = find(target, l.name, l.kind, l.module);
    const r = { lookedUp: `${l.kind} '${l.name}'${l.module ? ` in module '${l.module}'` : ''}`, foundIn: hit ? where(hit.btf, target) : undefined, typeId: hit?.id, required: l.required };
    if (hit) return [r];
    results.push(r);
  }
  return results;
}
