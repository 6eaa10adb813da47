/**
 * Kprobes (`SEC("kprobe/<func>[+<offset>]")`, `kretprobe`, `ksyscall/<name>`) through the
 * kprobe PMU (`probe-pmu.ts`), attached like any perf event, and multi-kprobe links.
 *
 * `kprobe.multi` resolves its glob against tracefs `available_filter_functions` and attaches
 * every match with one `BPF_LINK_CREATE` (`link_create.kprobe_multi`).
 *
 * A kernel built without `CONFIG_KPROBES` has neither the PMU nor tracefs `kprobe_events`;
 * attaching then fails with an {@link AttachError} saying so before any syscall.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { AttachType, ProgType } from '../uapi/bpf.js';
import { BpfError, linkCreate } from '../syscall/index.js';
import { NotSupportedError } from '../errors.js';
import { AttachError, requireProgType } from './errors.js';
import { attachToPerfEvent } from './perf-event.js';
import { openProbe, pmuType, retprobeBit } from './probe-pmu.js';
import { tracefsRoot } from './tracepoint.js';
import { FdLink, type AttachableProgram, type Link } from './link.js';

/** Options of {@link attachKprobe}. */
export interface KprobeOptions {
  /** Bytes into the function (kprobe only). */
  offset?: number | bigint;
  /** A kretprobe: run when the function returns (the PMU's `retprobe` bit of `config`). */
  retprobe?: boolean;
  /**
   * `bpf_get_attach_cookie()` value (`link_create.perf_event.bpf_cookie`, 5.15+). Needs a
   * perf_event link: on older kernels the attach fails instead of falling back to the ioctl.
   */
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
 * The kernel functions a `kprobe.multi` glob (`*`, `?`) names, from tracefs
 * `available_filter_functions` (what ftrace, and so fprobe, can attach to), each once; a
 * module's functions (`name [module]`) count by their name, as libbpf's glob resolution does.
 */
export function kprobeMultiSymbols(pattern: string, list = readFileSync(`${tracefsRoot()}/available_filter_functions`, 'utf8')): string[] {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  const out = new Set<string>();
  for (const line of list.split('\n')) {
    const name = line.split(' ', 1)[0]!;
    // "__ftrace_invalid_address___<n>" marks a record ftrace could not resolve.
    if (name && re.test(name) && !name.startsWith('__ftrace_invalid_address__')) out.add(name);
  }
  return [...out];
}

/**
 * Attaches a `kprobe.multi` program to every kernel function matching `pattern` (a glob, as in
 * `SEC("kprobe.multi/vfs_*")`) or to the functions a list names (libbpf's `opts.syms`),
 * with one `BPF_LINK_CREATE` of type `BPF_TRACE_KPROBE_MULTI` (5.18+, `CONFIG_FPROBE`). The
 * program must have been loaded with that expected attach type (`SEC("kprobe.multi/...")`).
 * @throws {@link AttachError} on a kernel without kprobes, when nothing matches, or when the
 * kernel refuses the link (a kernel without fprobe says `EOPNOTSUPP`).
 */
export function attachKprobeMulti(
  prog: AttachableProgram,
  target: string | readonly string[],
  o: { retprobe?: boolean; cookies?: readonly bigint[] } = {},
): Link {
  const kind = o.retprobe ? 'kretprobe.multi' : 'kprobe.multi';
  const pattern = typeof target === 'string' ? target : target.join(',');
  requireProgType(kind, pattern, prog, ProgType.KPROBE);
  const missing = kprobesMissing(kind, pattern);
  if (missing) throw missing;
  let syms: string[];
  try {
    syms = typeof target === 'string' ? kprobeMultiSymbols(target) : [...target];
  } catch (e) {
    throw new AttachError(kind, pattern, `cannot read available_filter_functions from tracefs: ${(e as Error).message}`, { cause: e });
  }
  if (syms.length === 0) throw new AttachError(kind, pattern, 'no kernel function matches (see available_filter_functions in tracefs)');
  try {
    const fd = linkCreate({
      prog_fd: prog.fd,
      target_fd: 0,
      attach_type: AttachType.TRACE_KPROBE_MULTI,
      kprobe_multi: { flags: o.retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0, syms, ...(o.cookies ? { cookies: o.cookies } : {}) },
    });
    return new FdLink(kind, pattern, fd);
  } catch (e) {
    const why = e instanceof BpfError && e.errno === 'EOPNOTSUPP' ? 'kernel without kprobe_multi links (needs Linux >= 5.18 with CONFIG_FPROBE)' : (e as Error).message;
    throw new AttachError(kind, pattern, `attaching to ${syms.length} function(s) failed: ${why}`, { cause: e });
  }
}

/** `BPF_F_KPROBE_MULTI_RETURN`: the link fires on return (`kretprobe.multi`). */
const BPF_F_KPROBE_MULTI_RETURN = 1;
