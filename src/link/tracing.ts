/**
 * BTF-typed tracing programs: `tp_btf`, `fentry`, `fexit`, `fmod_ret`, `lsm`, `freplace`.
 *
 * Their target is chosen at **load** time: `attach_btf_id` names a BTF type in vmlinux (or a
 * module, or a BPF program for freplace), so attaching needs no name, only the program:
 * `BPF_RAW_TRACEPOINT_OPEN` with a NULL name (5.5+), or `BPF_LINK_CREATE` for freplace with
 * an explicit target and for cookies. {@link resolveAttachTarget} finds the BTF id the
 * loader passes, by the same naming rules as the kernel:
 *
 * - `tp_btf/sched_switch` -> typedef `btf_trace_sched_switch` (`bpf_check_attach_target`,
 *   `BTF_TRACE_PREFIX`);
 * - `fentry/do_unlinkat`, `fexit/...`, `fmod_ret/...` -> the `FUNC` `do_unlinkat`;
 * - `lsm/file_open` -> the `FUNC` `bpf_lsm_file_open` (`BPF_LSM_FUNC_PREFIX`);
 * - `iter/task` -> the `FUNC` `bpf_iter_task` (`BPF_ITER_FUNC_PREFIX`).
 * @module
 */
import type { Btf } from '../btf/index.js';
import { AttachType, ProgType } from '../uapi/bpf.js';
import { BpfError, linkCreate, rawTracepointOpen } from '../syscall/index.js';
import { AttachError, explainLockdown, requireProgType } from './errors.js';
import { FdLink } from './link.js';
import type { AttachableProgram } from './link.js';

/** The kinds {@link resolveAttachTarget} knows. */
export type BtfAttachKind = 'tp_btf' | 'fentry' | 'fexit' | 'fmod_ret' | 'lsm' | 'iter';

/** What a BTF-typed program attaches to: the BTF name and id, for `attach_btf_id` at load. */
export interface AttachTarget {
  /** The section name's prefix (`fentry` in `SEC("fentry/do_unlinkat")`); decides the BTF name and kind looked up. */
  kind: BtfAttachKind;
  /** The target as written in the section name: `sched_switch`, `do_unlinkat`. */
  target: string;
  /** The BTF type's name: `btf_trace_sched_switch`, `bpf_lsm_file_open`. */
  btfName: string;
  /** Its id in `btf`. */
  btfId: number;
}

const prefixes: Record<BtfAttachKind, { prefix: string; kind: 'TYPEDEF' | 'FUNC' }> = {
  tp_btf: { prefix: 'btf_trace_', kind: 'TYPEDEF' },
  fentry: { prefix: '', kind: 'FUNC' },
  fexit: { prefix: '', kind: 'FUNC' },
  fmod_ret: { prefix: '', kind: 'FUNC' },
  lsm: { prefix: 'bpf_lsm_', kind: 'FUNC' },
  iter: { prefix: 'bpf_iter_', kind: 'FUNC' },
};

/**
 * Finds the BTF type that a `kind/target` program attaches to (pure: `btf` is vmlinux's or a
 * module's BTF, read by the caller).
 * @throws {@link AttachError} naming the target when `btf` has no such type.
 */
export function resolveAttachTarget(btf: Btf, kind: BtfAttachKind, target: string): AttachTarget {
  const p = prefixes[kind];
  if (!target) throw new AttachError(kind, target, 'no target: the section name must say where (e.g. SEC("fentry/do_unlinkat"))');
  const btfName = p.prefix + target;
  const btfId = btf.findByName(btfName, p.kind);
  if (btfId === undefined) throw new AttachError(kind, target, `kernel BTF has no ${p.kind.toLowerCase()} '${btfName}'`);
  return { kind, target, btfName, btfId };
}

/** The attach types tracing links take, by expected attach type. */
const tracingKinds: Record<number, string> = {
  [AttachType.TRACE_RAW_TP]: 'tp_btf',
  [AttachType.TRACE_FENTRY]: 'fentry',
  [AttachType.TRACE_FEXIT]: 'fexit',
  [AttachType.MODIFY_RETURN]: 'fmod_ret',
  [AttachType.LSM_MAC]: 'lsm',
};

/** Options of {@link attachTracing}. */
export interface TracingOptions {
  /** `bpf_get_attach_cookie()` value (fentry/fexit/fmod_ret/lsm, 5.19+). */
  cookie?: bigint;
  /** Shown in errors and as {@link Link.target}; the kernel already knows the target. */
  target?: string;
}

/**
 * Attaches a `tp_btf`, `fentry`, `fexit`, `fmod_ret` or `lsm` program at the target it was
 * loaded for.
 * @throws {@link LockdownError} when kernel lockdown refuses it, {@link AttachError} otherwise.
 */
export function attachTracing(prog: AttachableProgram, o: TracingOptions = {}): FdLink {
  const kind = tracingKinds[prog.expectedAttachType ?? -1] ?? 'tracing';
  const target = o.target ?? prog.name;
  requireProgType(kind, target, prog, ProgType.TRACING, ProgType.LSM);
  if (prog.type === ProgType.TRACING && kind === 'tracing') {
    throw new AttachError(kind, target, `program '${prog.name}' has no tracing attach type (iter programs attach with attachIter)`);
  }
  try {
    if (o.cookie !== undefined) {
      const fd = linkCreate({ prog_fd: prog.fd, target_fd: 0, attach_type: prog.expectedAttachType!, target_btf_id: 0, tracing_cookie: o.cookie });
      return new FdLink(kind, target, fd);
    }
    return new FdLink(kind, target, rawTracepointOpen(prog.fd, null));
  } catch (e) {
    const x = explainLockdown(e, prog);
    if (x !== e) throw x;
    throw new AttachError(kind, target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  }
}

/** Alias of {@link attachTracing} for LSM programs (`SEC("lsm/<hook>")`). */
export function attachLsm(prog: AttachableProgram, o: TracingOptions = {}): FdLink {
  return attachTracing(prog, o);
}

/**
 * Attaches an `freplace` (`BPF_PROG_TYPE_EXT`) program in place of function `btfId` of the
 * program `targetProgFd` (5.10+: a target other than the one given at load).
 * Without a target, uses the one from load time.
 */
export function attachFreplace(prog: AttachableProgram, target?: { progFd: number; btfId: number; name?: string }): FdLink {
  const name = target?.name ?? prog.name;
  requireProgType('freplace', name, prog, ProgType.EXT);
  try {
    const fd = target
      ? linkCreate({ prog_fd: prog.fd, target_fd: target.progFd, attach_type: 0, target_btf_id: target.btfId })
      : rawTracepointOpen(prog.fd, null);
    return new FdLink('freplace', name, fd);
  } catch (e) {
    if (e instanceof BpfError && e.errno === 'ENOENT') throw new AttachError('freplace', name, 'no such target function', { cause: e });
    throw new AttachError('freplace', name, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  }
}
