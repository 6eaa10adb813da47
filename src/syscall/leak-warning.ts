/**
 * The leak warning: an {@link Fd} garbage-collected while still open is a caller that forgot
 * `close()` (or `using`). A FinalizationRegistry notices and reports it with
 * `process.emitWarning` (type `TsbpfFdLeak`); it does not close the fd. Closing from a
 * finalizer would hide the bug and run at an unpredictable time (Node made the same call for
 * `FileHandle`, DEP0137; cilium/ebpf's `internal/sys/fd.go` reports, too).
 *
 * The warning names what leaked, asked of the kernel while the fd is still open: its kind from
 * `/proc/self/fd` (`anon_inode:bpf-map`, `bpf-prog`, `bpf_link`, `btf`, ...) and, for maps,
 * programs and links, their name, type and id (`BPF_OBJ_GET_INFO_BY_FD`). How it was created
 * is the creating stack, recorded when `TSBPF_TRACE_FDS=1` (and always under vitest): a stack
 * costs tens of microseconds, too much for every fd by default.
 *
 *   tsbpf: BPF map 'events' (ringbuf, id 42) on fd 17 was garbage-collected without close(); created at:
 *       at mapCreate (src/syscall/map.ts:65:10)
 *       at BpfMap.create (src/maps/map.ts:120:16) ...
 *
 * `TSBPF_LEAK_WARNINGS=0` turns the warning off (and its bookkeeping: nothing is registered).
 * @module
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { linkTypeName, mapTypeName, progTypeName } from '../uapi/bpf.js';
import { linkInfo, mapInfo, progInfo } from './info.js';

/** Whether leak warnings are on: unless `TSBPF_LEAK_WARNINGS=0`. Read once, at load. */
export const leakWarningsEnabled = process.env.TSBPF_LEAK_WARNINGS !== '0';

/** Whether creation stacks are recorded: `TSBPF_TRACE_FDS=1`, or running under vitest. */
export const traceFdCreation = process.env.TSBPF_TRACE_FDS === '1' || process.env.VITEST !== undefined;

/**
 * What the registry holds for one watched fd. The owner keeps it too, and marks it closed:
 * cheaper than `unregister`, whose token table costs a few microseconds per fd (a collection
 * load registers dozens). The held value never references the owner, or the owner would
 * never be collected.
 */
export interface LeakWatch {
  fd: number;
  stack: string | undefined;
  open: boolean;
}

const registry = new FinalizationRegistry<LeakWatch>((held) => {
  if (held.open) process.emitWarning(leakMessage(held.fd, held.stack), 'TsbpfFdLeak');
});

/**
 * Reports `owner` if it is garbage-collected before {@link unwatchLeak} is called with what
 * this returns (undefined when leak warnings are off). `fd` is the number it owns.
 */
export function watchLeak(owner: object, fd: number): LeakWatch | undefined {
  if (!leakWarningsEnabled) return undefined;
  const held: LeakWatch = { fd, stack: traceFdCreation ? creationStack() : undefined, open: true };
  registry.register(owner, held);
  return held;
}

/** The owner closed or gave away its fd: no warning. */
export function unwatchLeak(watch: LeakWatch | undefined): void {
  if (watch) watch.open = false;
}

function creationStack(): string | undefined {
  // Drop the first lines (`Error`, this function, watchLeak, the Fd constructor).
  return new Error('fd created').stack?.split('\n').slice(4).join('\n');
}

/** The text of the warning for leaked `fd`. */
export function leakMessage(fd: number, stack: string | undefined): string {
  const created = stack ? `; created at:\n${stack}` : ' (set TSBPF_TRACE_FDS=1 to record where it was created)';
  return `tsbpf: ${describeFd(fd)} on fd ${fd} was garbage-collected without close()${created}`;
}

/**
 * What open `fd` is: `BPF map 'events' (ringbuf, id 42)`, `BPF program 'xdp_pass' (xdp,
 * id 7)`, `BPF link (tracing, id 3)`, `BTF object`, `perf event`, or the `/proc/self/fd` link
 * target for anything else. Never throws.
 */
export function describeFd(fd: number): string {
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'object';
  }
  try {
    switch (target) {
      case 'anon_inode:bpf-map': {
        const m = mapInfo(fd);
        return `BPF map ${m.name ? `'${m.name}' ` : ''}(${mapTypeName[m.type] ?? `type ${m.type}`}, id ${m.id})`;
      }
      case 'anon_inode:bpf-prog': {
        const p = progInfo(fd);
        return `BPF program ${p.name ? `'${p.name}' ` : ''}(${progTypeName[p.type] ?? `type ${p.type}`}, id ${p.id})`;
      }
      case 'anon_inode:bpf_link': {
        const l = linkInfo(fd);
        return `BPF link (${linkTypeName[l.type] ?? `type ${l.type}`}, id ${l.id}, program id ${l.progId})`;
      }
      case 'anon_inode:btf':
        return `BTF object${fdinfoField(fd, 'btf_id') ? ` (id ${fdinfoField(fd, 'btf_id')})` : ''}`;
      case 'anon_inode:[perf_event]':
        return 'perf event';
      case 'anon_inode:[eventpoll]':
        return 'epoll instance';
      default:
        return target.startsWith('anon_inode:') ? target.slice('anon_inode:'.length) : `file '${target}'`;
    }
  } catch {
    return target;
  }
}

function fdinfoField(fd: number, field: string): string | undefined {
  try {
    return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
