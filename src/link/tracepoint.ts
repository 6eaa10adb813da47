/**
 * Tracepoint programs (`SEC("tracepoint/<category>/<name>")`): the tracepoint's id comes
 * from tracefs (`events/<category>/<name>/id`), a perf event of `PERF_TYPE_TRACEPOINT` is
 * opened with that id as `config`, and the program is attached to it (`perf-event.ts`).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ProgType } from '../uapi/bpf.js';
import { Fd, perfEventOpen } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { attachToPerfEvent, encodePerfEventAttr, PerfType } from './perf-event.js';
import type { AttachableProgram, Link } from './link.js';

const TRACEFS_DIRS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
let tracefs: string | undefined;

/**
 * The tracefs mount point. When none is mounted and the process is root, mounts it at
 * `/sys/kernel/tracing` (as perf and libbpf users expect); otherwise throws with the command
 * to run.
 */
export function tracefsRoot(): string {
  if (tracefs) return tracefs;
  for (const d of TRACEFS_DIRS) {
    if (existsSync(`${d}/events`)) return (tracefs = d);
  }
  const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
  const cmd = 'mount -t tracefs nodev /sys/kernel/tracing';
  if (root) {
    try {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'pipe' });
    } catch (e) {
      throw new AttachError('tracefs', '/sys/kernel/tracing', `not mounted, and \`${cmd}\` failed`, { cause: e });
    }
    if (existsSync('/sys/kernel/tracing/events')) return (tracefs = '/sys/kernel/tracing');
  }
  throw new AttachError('tracefs', '/sys/kernel/tracing', `not mounted: run \`${cmd}\` as root`);
}

/** The id of tracepoint `category/name` (`events/<category>/<name>/id` in tracefs). */
export function tracepointId(category: string, name: string): number {
  const target = `${category}/${name}`;
  if (!/^[\w.-]+$/.test(category) || !/^[\w.-]+$/.test(name)) {
    throw new AttachError('tracepoint', target, 'not a tracepoint name (expected <category>/<name>)');
  }
  const path = `${tracefsRoot()}/events/${category}/${name}/id`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new AttachError('tracepoint', target, `no such tracepoint (${path} does not exist)`);
  }
  const id = Number(text.trim());
  if (!Number.isInteger(id) || id < 0) throw new AttachError('tracepoint', target, `bad id '${text.trim()}' in ${path}`);
  return id;
}

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions {
  /** `bpf_get_attach_cookie()` value (5.15+). */
  cookie?: bigint;
  /** false: attach with `PERF_EVENT_IOC_SET_BPF` as kernels before 5.15 must (no link object). */
  perfLink?: boolean;
}

/**
 * Attaches a tracepoint program to `category/name` (e.g. `syscalls`, `sys_enter_getppid`).
 * @throws {@link AttachError} for an unknown tracepoint or a program of another type.
 */
export function attachTracepoint(prog: AttachableProgram, category: string, name: string, o: TracepointOptions = {}): Link {
  const target = `${category}/${name}`;
  requireProgType('tracepoint', target, prog, ProgType.TRACEPOINT);
  const id = tracepointId(category, name);
  // pid -1 with cpu 0: a system-wide event; a tracepoint runs its program on every CPU anyway.
  let fd: Fd;
  try {
    fd = perfEventOpen(encodePerfEventAttr({ type: PerfType.TRACEPOINT, config: BigInt(id), sample: 1n }), -1, 0);
  } catch (e) {
    throw new AttachError('tracepoint', target, (e as Error).message, { cause: e });
  }
  return attachToPerfEvent(prog, fd, 'tracepoint', target, o.cookie, o.perfLink ?? true);
}
