/**
 * `BpfError`: a failed bpf() (or related) syscall, with the command name, the errno name
 * and a hint saying what usually causes that errno for that command.
 * @module
 */
import { readFileSync } from 'node:fs';
import { TsbpfError } from '../errors.js';
import { errnoDescription, errnoName, Errno } from './errno.js';

/**
 * A syscall that failed. The message reads
 * `BPF_MAP_CREATE: EPERM (operation not permitted): needs root or CAP_BPF ...`.
 */
export class BpfError extends TsbpfError {
  /** The command or syscall, as the UAPI spells it: `BPF_MAP_CREATE`, `perf_event_open`. */
  readonly command: string;
  /** The errno name, e.g. `EPERM`. */
  readonly errno: string;
  /** The errno number, e.g. 1. */
  readonly errnoNumber: number;
  /** What to try, or undefined when there is nothing specific to say. */
  readonly hint: string | undefined;

  constructor(command: string, errnoNumber: number, hint?: string, options?: { cause?: unknown; context?: string }) {
    const name = errnoName(errnoNumber);
    const ctx = options?.context ? `${options.context}: ` : '';
    super(`${ctx}${command}: ${name} (${errnoDescription(errnoNumber)})${hint ? `: ${hint}` : ''}`, options);
    this.command = command;
    this.errno = name;
    this.errnoNumber = errnoNumber;
    this.hint = hint;
  }
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Commands that create a new fd from nothing; unprivileged_bpf_disabled applies to them. */
const fdCreating = new Set(['BPF_MAP_CREATE', 'BPF_PROG_LOAD', 'BPF_BTF_LOAD', 'BPF_LINK_CREATE', 'BPF_TOKEN_CREATE']);

/** The hint tsbpf attaches to `errno` from `command` when the caller has nothing better. */
export function defaultHint(command: string, errno: number): string | undefined {
  switch (errno) {
    case Errno.EPERM: {
      const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
      const parts: string[] = [];
      if (command === 'perf_event_open') {
        parts.push('needs root or CAP_PERFMON (see kernel.perf_event_paranoid)');
      } else if (command.endsWith('_GET_FD_BY_ID') || command.endsWith('_GET_NEXT_ID')) {
        parts.push('needs root or CAP_SYS_ADMIN');
      } else {
        parts.push('needs root or CAP_BPF (tracing programs also CAP_PERFMON, networking CAP_NET_ADMIN)');
      }
      if (!root && fdCreating.has(command)) {
        const v = readSysctl('/proc/sys/kernel/unprivileged_bpf_disabled');
        if (v !== undefined && v !== '0') parts.push(`kernel.unprivileged_bpf_disabled is ${v}`);
      }
      if (root) parts.push('running as root: possibly a LSM or lockdown policy, or RLIMIT_MEMLOCK on kernels before 5.11');
      return parts.join('; ');
    }
    case Errno.E2BIG:
      if (command === 'BPF_MAP_UPDATE_ELEM' || command === 'BPF_MAP_UPDATE_BATCH') return 'the map is full (max_entries reached)';
      return 'the kernel does not know a non-zero attribute field: it is older than this feature, or a size is too large';
    case Errno.ENOSPC:
      if (command === 'BPF_PROG_LOAD' || command === 'BPF_BTF_LOAD') return 'the log buffer is too small; retry with a larger log';
      return 'the map is full (max_entries reached)';
    case Errno.EBADF:
      return 'the file descriptor is not open (was the object closed?)';
    case Errno.ENOENT:
      if (command === 'BPF_OBJ_GET' || command === 'BPF_OBJ_PIN') return 'no such pinned path';
      if (command === 'BPF_MAP_UPDATE_ELEM') return 'the key does not exist (BPF_EXIST)';
      return undefined;
    case Errno.EEXIST:
      if (command === 'BPF_OBJ_PIN') return 'the path already exists; unpin it first';
      if (command.startsWith('BPF_MAP_UPDATE')) return 'the key already exists (BPF_NOEXIST)';
      return undefined;
    case Errno.EINVAL:
      if (command === 'BPF_MAP_CREATE') return 'the kernel rejected the map attributes (type, sizes, flags or max_entries)';
      return undefined;
    case Errno.EOPNOTSUPP:
    case Errno.ENOTSUPP:
      return 'the operation is not supported for this object type or kernel';
    case Errno.ENOMEM:
      return 'the kernel could not allocate memory (map too large? memcg limit?)';
    case Errno.EMFILE:
      return 'too many open files; raise the limit with `ulimit -n` or close objects you no longer use';
    default:
      return undefined;
  }
}

/** Builds the `BpfError` for a failed `command`, with the default hint. */
export function bpfError(command: string, errno: number, context?: string): BpfError {
  return new BpfError(command, errno, defaultHint(command, errno), context === undefined ? undefined : { context });
}
