/**
 * Errors of the attach layer: {@link AttachError} names what was attached where, and
 * {@link LockdownError} says plainly that kernel lockdown refused a program.
 * @module
 */
import { readFileSync } from 'node:fs';
import { TsbpfError } from '../errors.js';
import { AttachType, ProgType, progTypeName } from '../uapi/bpf.js';
import { BpfError } from '../syscall/index.js';

/**
 * Attaching failed: the target does not exist (tracepoint, symbol, interface, cgroup), or
 * the program cannot attach there. `target` names the target as the user wrote it.
 */
export class AttachError extends TsbpfError {
  constructor(
    /** The attach mechanism: `tracepoint`, `uprobe`, `xdp`, ... */
    readonly kind: string,
    /** The target as given: `syscalls/sys_enter_getpid`, `/bin/bash:readline`, `eth0`. */
    readonly target: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} '${target}': ${what}`, options);
  }
}

/** The kernel lockdown mode from securityfs (`none`, `integrity`, `confidentiality`), or undefined when unreadable. */
export function lockdownMode(path = '/sys/kernel/security/lockdown'): string | undefined {
  try {
    // The file reads "none [integrity] confidentiality": the bracketed word is active.
    const m = /\[(\w+)\]/.exec(readFileSync(path, 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

/**
 * A program refused with EPERM by kernel lockdown, although the caller has the capabilities
 * (trampoline programs -- fentry, fexit, fmod_ret, lsm -- under lockdown on this kind of kernel).
 */
export class LockdownError extends TsbpfError {
  constructor(
    /** The refused program's name. */
    readonly program: string,
    /** The active lockdown mode (`integrity`, `confidentiality`), undefined when securityfs could not be read. */
    readonly mode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `program '${program}' refused by kernel lockdown (${mode ? `mode '${mode}'` : 'mode unknown: /sys/kernel/security/lockdown not readable'}): ` +
        `BPF_PROG_LOAD returned EPERM although the process is root; lockdown forbids this program type, ` +
        `use tp_btf or raw_tp instead, or boot without lockdown (lockdown=none)`,
      options,
    );
  }
}

/**
 * Whether a (type, expected attach type) pair is one that lockdown refuses: BPF trampolines
 * (fentry, fexit, fmod_ret, and freplace, which attaches through one) and LSM.
 */
export function lockdownSensitive(progType: number, expectedAttachType: number | undefined): boolean {
  if (progType === ProgType.LSM || progType === ProgType.EXT) return true;
  if (progType !== ProgType.TRACING) return false;
  return (
    expectedAttachType === AttachType.TRACE_FENTRY ||
    expectedAttachType === AttachType.TRACE_FEXIT ||
    expectedAttachType === AttachType.MODIFY_RETURN
  );
}

/**
 * Turns an EPERM from loading or attaching a lockdown-sensitive program (see
 * {@link lockdownSensitive}) into a {@link LockdownError} when running as root; returns any
 * other error unchanged. The loader calls this on `BPF_PROG_LOAD` failures.
 */
export function explainLockdown(err: unknown, prog: { name: string; type: number; expectedAttachType?: number }): unknown {
  if (!(err instanceof BpfError) || err.errno !== 'EPERM') return err;
  if (!lockdownSensitive(prog.type, prog.expectedAttachType)) return err;
  const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
  if (!root) return err;
  return new LockdownError(prog.name, lockdownMode(), { cause: err });
}

/** Throws an {@link AttachError} unless `prog.type` is one of `types`. */
export function requireProgType(kind: string, target: string, prog: { name: string; type: number }, ...types: number[]): void {
  if (types.includes(prog.type)) return;
  const want = types.map((t) => progTypeName[t] ?? String(t)).join(' or ');
  throw new AttachError(kind, target, `program '${prog.name}' has type ${progTypeName[prog.type] ?? prog.type}; ${kind} needs ${want}`);
}
