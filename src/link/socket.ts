/**
 * Socket-level programs: socket filters (`SO_ATTACH_BPF`), sk_lookup (a netns link, 5.9+)
 * and sockmap/sockhash programs (`sk_msg`, `sk_skb/*`: `BPF_LINK_CREATE` sockmap links on
 * 6.10+, else `BPF_PROG_ATTACH` to the map).
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import { AttachType, ProgType, attachTypeName } from '../uapi/bpf.js';
import { BpfError, hostLittleEndian, linkCreate, progAttach, progDetach, setsockopt } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink, LegacyAttachment, type AttachableProgram, type Link } from './link.js';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
/** `SO_DETACH_BPF` is `SO_DETACH_FILTER` (asm-generic/socket.h). */
const SO_DETACH_BPF = 27;

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, hostLittleEndian);
  return b;
}

/**
 * Attaches a socket filter program to socket `sockFd` (`SO_ATTACH_BPF`). Closing the result
 * detaches it (`SO_DETACH_BPF`); the socket stays the caller's. No link object: `pin` and
 * `update` throw.
 */
export function attachSocketFilter(prog: AttachableProgram, sockFd: number): Link {
  const target = `socket fd ${sockFd}`;
  requireProgType('socket filter', target, prog, ProgType.SOCKET_FILTER);
  try {
    setsockopt(sockFd, SOL_SOCKET, SO_ATTACH_BPF, int32(prog.fd));
  } catch (e) {
    throw new AttachError('socket filter', target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  }
  return new LegacyAttachment('socket filter', target, prog.name, () => {
    try {
      setsockopt(sockFd, SOL_SOCKET, SO_DETACH_BPF, int32(0));
    } catch (e) {
      // The socket was closed first: its filter went with it.
      if (!(e instanceof BpfError && (e.errno === 'EBADF' || e.errno === 'ENOTSOCK' || e.errno === 'ENOENT'))) throw e;
    }
  });
}

/**
 * Attaches an sk_lookup program to the network namespace at `netnsPath` (default: this
 * process's, `/proc/self/ns/net`).
 */
export function attachSkLookup(prog: AttachableProgram, netnsPath = '/proc/self/ns/net'): FdLink {
  requireProgType('sk_lookup', netnsPath, prog, ProgType.SK_LOOKUP);
  let ns: number;
  try {
    ns = openSync(netnsPath, 'r');
  } catch {
    throw new AttachError('sk_lookup', netnsPath, 'no such network namespace file');
  }
  try {
    return new FdLink('sk_lookup', netnsPath, linkCreate({ prog_fd: prog.fd, target_fd: ns, attach_type: AttachType.SK_LOOKUP }));
  } catch (e) {
    throw new AttachError('sk_lookup', netnsPath, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(ns);
  }
}

/** Attaches a flow dissector program to the network namespace at `netnsPath` (netns link, 5.8+). */
export function attachFlowDissector(prog: AttachableProgram, netnsPath = '/proc/self/ns/net'): FdLink {
  requireProgType('flow_dissector', netnsPath, prog, ProgType.FLOW_DISSECTOR);
  const ns = openSync(netnsPath, 'r');
  try {
    return new FdLink('flow_dissector', netnsPath, linkCreate({ prog_fd: prog.fd, target_fd: ns, attach_type: AttachType.FLOW_DISSECTOR }));
  } catch (e) {
    throw new AttachError('flow_dissector', netnsPath, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(ns);
  }
}

const sockmapAttachTypes: Record<number, number[]> = {
  [ProgType.SK_MSG]: [AttachType.SK_MSG_VERDICT],
  [ProgType.SK_SKB]: [AttachType.SK_SKB_STREAM_PARSER, AttachType.SK_SKB_STREAM_VERDICT, AttachType.SK_SKB_VERDICT],
};

/**
 * Attaches an `sk_msg` or `sk_skb` program to a sockmap/sockhash `mapFd` for `attachType`
 * (default: the program's expected attach type). Uses a sockmap link (6.10+) and falls back
 * to `BPF_PROG_ATTACH` (closing the result then runs `BPF_PROG_DETACH`).
 */
export function attachSockmap(prog: AttachableProgram, mapFd: number, attachType = prog.expectedAttachType): Link {
  const target = `sockmap fd ${mapFd}`;
  requireProgType('sockmap', target, prog, ProgType.SK_MSG, ProgType.SK_SKB);
  if (attachType === undefined || !sockmapAttachTypes[prog.type]!.includes(attachType)) {
    throw new AttachError('sockmap', target, `program '${prog.name}' needs an attach type of ${sockmapAttachTypes[prog.type]!.map((a) => attachTypeName[a]).join(', ')}`);
  }
  const kind = `sockmap ${attachTypeName[attachType]}`;
  try {
    return new FdLink(kind, target, linkCreate({ prog_fd: prog.fd, target_fd: mapFd, attach_type: attachType }));
  } catch (e) {
    if (!(e instanceof BpfError && (e.errno === 'EINVAL' || e.errno === 'EOPNOTSUPP' || e.errno === 'ENOTSUPP'))) {
      throw new AttachError(kind, target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    progAttach({ target_fd: mapFd, attach_bpf_fd: prog.fd, attach_type: attachType });
  } catch (e) {
    throw new AttachError(kind, target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  }
  return new LegacyAttachment(kind, target, prog.name, () => progDetach({ target_fd: mapFd, attach_bpf_fd: prog.fd, attach_type: attachType }));
}
