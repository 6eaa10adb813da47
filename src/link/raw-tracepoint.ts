/**
 * Raw tracepoint programs (`SEC("raw_tp/<name>")`): `BPF_RAW_TRACEPOINT_OPEN` with the
 * tracepoint's name (no tracefs needed; the program gets the tracepoint's raw arguments).
 * @module
 */
import { ProgType } from '../uapi/bpf.js';
import { BpfError, rawTracepointOpen } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink } from './link.js';
import type { AttachableProgram } from './link.js';

/**
 * Attaches a raw tracepoint program to tracepoint `name` (e.g. `sys_enter`).
 * @throws {@link AttachError} for an unknown tracepoint (ENOENT) or a program of another type.
 */
export function attachRawTracepoint(prog: AttachableProgram, name: string, cookie?: bigint): FdLink {
  requireProgType('raw_tracepoint', name, prog, ProgType.RAW_TRACEPOINT, ProgType.RAW_TRACEPOINT_WRITABLE);
  try {
    return new FdLink('raw_tracepoint', name, rawTracepointOpen(prog.fd, name, cookie ?? 0n));
  } catch (e) {
    if (e instanceof BpfError && e.errno === 'ENOENT') throw new AttachError('raw_tracepoint', name, 'no such tracepoint', { cause: e });
    throw new AttachError('raw_tracepoint', name, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  }
}
