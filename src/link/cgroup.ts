/**
 * cgroup programs (`cgroup_skb/*`, `cgroup/sock_create`, `cgroup/connect4`,
 * `cgroup/sysctl`, ...) on a cgroup v2 directory, with cgroup links (5.7+): the program runs
 * for every process in the cgroup and its descendants, and several links can stack
 * (`BPF_F_ALLOW_MULTI` semantics).
 * @module
 */
import { closeSync, openSync, statSync } from 'node:fs';
import { CGROUP_PROG_TYPES, ProgType, attachTypeName } from '../uapi/bpf.js';
import { linkCreate } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink } from './link.js';
import type { AttachableProgram } from './link.js';

/** The cgroup program types, and LSM for `lsm_cgroup`. */
const cgroupProgTypes = [...CGROUP_PROG_TYPES, ProgType.LSM];

/**
 * Attaches `prog` to the cgroup v2 directory `path` (e.g. `/sys/fs/cgroup/my.slice`) for
 * `attachType` (default: the program's expected attach type).
 * @throws {@link AttachError} for a missing directory or a program that is not a cgroup program.
 */
export function attachCgroup(prog: AttachableProgram, path: string, attachType = prog.expectedAttachType): FdLink {
  const kind = `cgroup ${attachType !== undefined ? (attachTypeName[attachType] ?? attachType) : ''}`.trim();
  requireProgType(kind, path, prog, ...cgroupProgTypes);
  if (attachType === undefined) throw new AttachError(kind, path, `program '${prog.name}' has no expected attach type; pass one`);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new AttachError(kind, path, 'no such cgroup directory');
  }
  if (!st.isDirectory()) throw new AttachError(kind, path, 'not a cgroup directory');
  const dir = openSync(path, 'r');
  try {
    return new FdLink(kind, path, linkCreate({ prog_fd: prog.fd, target_fd: dir, attach_type: attachType }));
  } catch (e) {
    throw new AttachError(kind, path, `attaching program '${prog.name}' failed (is it a cgroup v2 directory?): ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(dir);
  }
}

