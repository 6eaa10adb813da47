/**
 * The attach plan: for each program of the object, where `tsbpf run` attaches it and with
 * what, decided from its section name and the target options before anything is loaded.
 * `--dry-run` prints it; the run executes it.
 *
 * A section that names its target (`tracepoint/sched/sched_process_exec`,
 * `uprobe//bin/bash:readline`, `iter/task`) attaches as it says (libbpf's auto-attach).
 * The others take their target from an option, as libbpf's skeleton leaves them to the user:
 *
 * | program                                   | option                                 |
 * |-------------------------------------------|----------------------------------------|
 * | `xdp`                                     | `--iface IF` (XDP link)                |
 * | `tc`/`tcx/ingress`/`tcx/egress`           | `--iface IF` (tcx link; `tc` means ingress) |
 * | `netkit/primary`, `netkit/peer`           | `--iface IF`                           |
 * | `cgroup/...`, `cgroup_skb/...`, `sockops` | `--cgroup PATH`                        |
 * | `perf_event`                              | `--freq HZ` (default 99) or `--event NAME`, on every CPU, `--pid` to narrow |
 * | `uprobe`/`uretprobe` without a target     | `--binary PATH:FUNCTION` (and `--pid`)  |
 *
 * Pure: the plan names what to do; `session.ts` does it.
 * @module
 */
import { findSectionDef, type ObjectSpec, type ProgramSpec } from '../../object/index.js';
import { AttachType, CGROUP_PROG_TYPES, ProgType } from '../../uapi/bpf.js';

/** Target options of `tsbpf run`. */
export interface TargetOptions {
  iface?: string;
  cgroup?: string;
  /** Sampling frequency of perf_event programs. */
  freq?: number;
  /** perf event name: `cpu-clock`, `cycles`, `instructions`, ... */
  event?: string;
  pid?: number;
  /** `PATH:FUNCTION[+OFFSET]` or `PATH:OFFSET` for uprobes without a target. */
  binary?: string;
}

/** What to do with one program. */
export type AttachStep =
  | { how: 'section'; describe: string }
  | { how: 'xdp'; iface: string }
  | { how: 'tcx'; iface: string; direction: 'ingress' | 'egress' }
  | { how: 'netkit'; iface: string; side: 'primary' | 'peer' }
  | { how: 'cgroup'; path: string }
  | { how: 'perf_event'; event: string; freq: number; pid: number | undefined }
  | { how: 'uprobe'; target: string; retprobe: boolean; pid: number | undefined }
  | { how: 'skip'; reason: string };

/** One program's line of the plan. */
export interface PlannedAttach {
  program: string;
  section: string;
  step: AttachStep;
}

/** perf event names of `--event`: `[perf type, config]` (`PERF_TYPE_HARDWARE` 0, `PERF_TYPE_SOFTWARE` 1). */
export const PERF_EVENTS: Readonly<Record<string, readonly [number, number]>> = {
  'cpu-clock': [1, 0],
  'task-clock': [1, 1],
  'page-faults': [1, 2],
  'context-switches': [1, 3],
  'cpu-migrations': [1, 4],
  cycles: [0, 0],
  'cpu-cycles': [0, 0],
  instructions: [0, 1],
  'cache-references': [0, 2],
  'cache-misses': [0, 3],
  'branch-instructions': [0, 4],
  'branch-misses': [0, 5],
};

function needs(option: string, what: string): AttachStep {
  return { how: 'skip', reason: `needs ${option} (${what})` };
}

/** Where program `p` goes with the given options. */
export function planProgram(p: ProgramSpec, o: TargetOptions): AttachStep {
  const info = findSectionDef(p.section);
  if (!info) return { how: 'skip', reason: `unknown section '${p.section}'` };
  const auto = info.def.autoAttach;
  const t = info.target;
  // Sections with a target (and BTF-attached ones, whose target was fixed at load).
  if (auto === 'trace' || auto === 'lsm' || auto === 'iter' || (auto !== undefined && t)) {
    return { how: 'section', describe: `${info.def.pattern.replace(/[+/]$/, '')}${t ? ` ${t}` : ''}` };
  }
  switch (p.type) {
    case ProgType.XDP:
      return o.iface ? { how: 'xdp', iface: o.iface } : needs('--iface IF', 'an XDP program');
    case ProgType.SCHED_CLS: {
      if (!o.iface) return needs('--iface IF', 'a tc program');
      if (p.expectedAttachType === AttachType.NETKIT_PRIMARY || p.expectedAttachType === AttachType.NETKIT_PEER) {
        return { how: 'netkit', iface: o.iface, side: p.expectedAttachType === AttachType.NETKIT_PEER ? 'peer' : 'primary' };
      }
      return { how: 'tcx', iface: o.iface, direction: p.expectedAttachType === AttachType.TCX_EGRESS || /egress/.test(p.section) ? 'egress' : 'ingress' };
    }
    case ProgType.PERF_EVENT:
      return { how: 'perf_event', event: o.event ?? 'cpu-clock', freq: o.freq ?? 99, pid: o.pid };
    case ProgType.KPROBE:
      if (auto === 'uprobe') {
        return o.binary
          ? { how: 'uprobe', target: o.binary, retprobe: /^uretprobe/.test(p.section), pid: o.pid }
          : needs('--binary PATH:FUNCTION', 'a uprobe without a target in its section');
      }
      return { how: 'skip', reason: `section '${p.section}' names no function to probe` };
  }
  if (CGROUP_PROG_TYPES.has(p.type)) return o.cgroup ? { how: 'cgroup', path: o.cgroup } : needs('--cgroup PATH', 'a cgroup program');
  return { how: 'skip', reason: `'${p.section}' programs are not attached by tsbpf run` };
}

/** The plan for every program (or those in `only`). */
export function planAttach(spec: ObjectSpec, o: TargetOptions, only?: readonly string[]): PlannedAttach[] {
  const out: PlannedAttach[] = [];
  for (const p of spec.programs.values()) {
    if (only && !only.includes(p.name)) continue;
    out.push({ program: p.name, section: p.section, step: planProgram(p, o) });
  }
  return out;
}

/** One line of the plan: `handle_exec (tracepoint/sched/sched_process_exec) -> tracepoint sched/sched_process_exec`. */
export function describeStep(s: AttachStep): string {
  switch (s.how) {
    case 'section':
      return s.describe;
    case 'xdp':
      return `xdp on interface ${s.iface}`;
    case 'tcx':
      return `tcx ${s.direction} on interface ${s.iface}`;
    case 'netkit':
      return `netkit ${s.side} on interface ${s.iface}`;
    case 'cgroup':
      return `cgroup ${s.path}`;
    case 'perf_event':
      return `perf_event ${s.event} at ${s.freq} Hz on every CPU${s.pid !== undefined ? `, pid ${s.pid}` : ''}`;
    case 'uprobe':
      return `${s.retprobe ? 'uretprobe' : 'uprobe'} ${s.target}${s.pid !== undefined ? `, pid ${s.pid}` : ''}`;
    case 'skip':
      return `not attached: ${s.reason}`;
  }
}
