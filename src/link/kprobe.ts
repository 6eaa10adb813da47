/**
 * Kprobes (`SEC("kprobe/<func>[+<offset>]")`, `kretprobe`, `ksyscall/<name>`) through the
 * kprobe PMU (`probe-pmu.ts`), attached like any perf event, and multi-kprobe links.
 *
 * A kernel built without `CONFIG_KPROBES` has neither the PMU nor tracefs `kprobe_events`;
 * attaching then fails with an {@link AttachError} saying so before any syscall.
 * @module
 */
import { existsSync } from 'node:fs';
import { ProgType } from '../uapi/bpf.js';
import { NotSupportedError } from '../errors.js';
import { AttachError, requireProgType } from './errors.js';
import { attachToPerfEvent } from './perf-event.js';
import { openProbe, pmuType, retprobeBit } from './probe-pmu.js';
import { tracefsRoot } from './tracepoint.js';
import type { AttachableProgram, Link } from './link.js';

/** Options of {@link attachKprobe}. */
export interface KprobeOptions {
  /** Bytes into the function (kprobe only). */
  offset?: number | bigint;
  retprobe?: boolean;
  cookie?: bigint;
}

/** The error for a kernel without kprobes, or undefined when it has them. */
export function kprobesMissing(kind: string, target: string): AttachError | undefined {
  if (pmuType('kprobe') !== undefined) return undefined;
  let legacy = false;
  try {
    legacy = existsSync(`${tracefsRoot()}/kprobe_events`);
  } catch {
    // No tracefs: no legacy interface either.
  }
  if (legacy) return undefined;
  return new AttachError(kind, target, 'kernel built without CONFIG_KPROBES (no kprobe PMU, no kprobe_events in tracefs)');
}

/**
 * Attaches a kprobe-type program to kernel function `func`.
 * @throws {@link AttachError} when the kernel has no kprobes or no such function.
 */
export function attachKprobe(prog: AttachableProgram, func: string, o: KprobeOptions = {}): Link {
  const kind = o.retprobe ? 'kretprobe' : 'kprobe';
  const target = o.offset ? `${func}+0x${BigInt(o.offset).toString(16)}` : func;
  requireProgType(kind, target, prog, ProgType.KPROBE);
  const missing = kprobesMissing(kind, target);
  if (missing) throw missing;
  const type = pmuType('kprobe');
  if (type === undefined) throw new NotSupportedError('kprobes through tracefs kprobe_events (legacy, before 4.17)', '4.17');
  let fd;
  try {
    fd = openProbe(type, o.retprobe ? retprobeBit('kprobe') : undefined, func, BigInt(o.offset ?? 0), -1);
  } catch (e) {
    throw new AttachError(kind, target, (e as Error).message, { cause: e });
  }
  return attachToPerfEvent(prog, fd, kind, target, o.cookie);
}

/** The kernel's entry symbol of system call `name` on this architecture (`getpid` -> `__x64_sys_getpid`). */
export function syscallSymbol(name: string): string {
  const prefix = process.arch === 'arm64' ? '__arm64_sys_' : process.arch === 'x64' ? '__x64_sys_' : '__se_sys_';
  return prefix + name;
}

/** Attaches a `ksyscall`/`kretsyscall` program to system call `name`. */
export function attachKsyscall(prog: AttachableProgram, name: string, o: KprobeOptions = {}): Link {
  return attachKprobe(prog, syscallSymbol(name), o);
}

/**
 * Attaches a `kprobe.multi` program to every kernel function matching `pattern` (a glob).
 * @throws {@link AttachError} on a kernel without kprobes; `NotSupportedError` otherwise
 * for now: `kprobe_multi` link fields are not yet in `src/syscall`'s `linkCreate`.
 */
export function attachKprobeMulti(prog: AttachableProgram, pattern: string, o: { retprobe?: boolean } = {}): Link {
  const kind = o.retprobe ? 'kretprobe.multi' : 'kprobe.multi';
  requireProgType(kind, pattern, prog, ProgType.KPROBE);
  const missing = kprobesMissing(kind, pattern);
  if (missing) throw missing;
  throw new NotSupportedError('kprobe_multi links in tsbpf (BPF_LINK_CREATE kprobe_multi fields missing in src/syscall)', '5.18');
}
