/**
 * Network-device programs: XDP (`SEC("xdp")`) and tcx (`SEC("tcx/ingress")`,
 * `SEC("tcx/egress")`, 6.6+), both as links on an interface index. Interfaces are named in
 * the caller's network namespace (`/sys/class/net/<name>/ifindex`).
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { AttachType, ProgType } from '../uapi/bpf.js';
import { BpfError, linkCreate } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink } from './link.js';
import type { AttachableProgram } from './link.js';

/** The ifindex of interface `name` in this network namespace. */
export function ifindex(kind: string, name: string | number): number {
  if (typeof name === 'number') {
    if (!Number.isInteger(name) || name <= 0) throw new AttachError(kind, String(name), 'not an interface index');
    return name;
  }
  if (!/^[^/\0]{1,15}$/.test(name) || name === '.' || name === '..') throw new AttachError(kind, name, 'not an interface name');
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    throw new AttachError(kind, name, 'no such network interface in this network namespace');
  }
}

/**
 * `XDP_FLAGS_*` (if_link.h). An XDP link takes only the three mode bits, at most one of them
 * (`dev_xdp_attach`: "link supports only XDP mode flags"); the other two belong to the netlink
 * attach (`IFLA_XDP_FLAGS`).
 */
export const XdpFlags = {
  /**
   * `XDP_FLAGS_UPDATE_IF_NOEXIST`: fail with EBUSY when the device already has a program.
   * Netlink attach only; `BPF_LINK_CREATE` refuses it (EINVAL), and a link never replaces
   * another attachment anyway.
   */
  UPDATE_IF_NOEXIST: 1,
  /**
   * `XDP_FLAGS_SKB_MODE`: generic XDP, run in the stack after the skb is allocated
   * (`do_xdp_generic`); works on any device, including veth and lo, but is the slowest mode.
   */
  SKB_MODE: 2,
  /**
   * `XDP_FLAGS_DRV_MODE`: native XDP, run by the driver on the raw frame before any skb
   * exists; the driver must implement it (`ndo_bpf`), else the attach fails with EOPNOTSUPP.
   */
  DRV_MODE: 4,
  /**
   * `XDP_FLAGS_HW_MODE`: offloaded to the NIC (e.g. nfp); the program must have been loaded
   * for that device (`prog_ifindex`).
   */
  HW_MODE: 8,
  /**
   * `XDP_FLAGS_REPLACE` (5.7+): replace only if the attached program is the one given in
   * `IFLA_XDP_EXPECTED_FD`, else EEXIST. Netlink attach only; a link swaps its program with
   * `BPF_LINK_UPDATE` ({@link Link.update}).
   */
  REPLACE: 16,
} as const;

/** Options of {@link attachXdp}. */
export interface XdpOptions {
  /** `XdpFlags.SKB_MODE` (generic), `DRV_MODE` (native) or `HW_MODE`; default: the kernel picks. */
  mode?: number;
}

/** Whether an interface with index `idx` exists in this network namespace. */
function ifindexExists(idx: number): boolean {
  try {
    return readdirSync('/sys/class/net').some((n) => {
      try {
        return Number(readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8').trim()) === idx;
      } catch {
        return false;
      }
    });
  } catch {
    return true;
  }
}

function linkError(kind: string, target: string, prog: AttachableProgram, e: unknown, idx: number): AttachError {
  // BPF_LINK_CREATE reports an unknown ifindex as ENODEV or, for XDP, EINVAL.
  if (e instanceof BpfError && (e.errno === 'ENODEV' || (e.errno === 'EINVAL' && !ifindexExists(idx)))) return new AttachError(kind, target, 'no such network interface', { cause: e });
  if (e instanceof BpfError && e.errno === 'EBUSY') return new AttachError(kind, target, 'a program is already attached (EBUSY); detach it first', { cause: e });
  return new AttachError(kind, target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
}

/** Attaches an XDP program to interface `iface` (name or index) with an XDP link (5.9+). */
export function attachXdp(prog: AttachableProgram, iface: string | number, o: XdpOptions = {}): FdLink {
  const target = String(iface);
  requireProgType('xdp', target, prog, ProgType.XDP);
  const idx = ifindex('xdp', iface);
  try {
    return new FdLink('xdp', target, linkCreate({ prog_fd: prog.fd, target_fd: idx, attach_type: AttachType.XDP, flags: o.mode ?? 0 }));
  } catch (e) {
    throw linkError('xdp', target, prog, e, idx);
  }
}

/** Where a tcx program runs. */
export type TcxDirection = 'ingress' | 'egress';

/**
 * `BPF_F_BEFORE`/`BPF_F_AFTER` and friends (bpf.h): where a program goes in a multi-program
 * attachment list (`bpf_mprog_attach`, tcx and netkit, 6.6+). Without ordering bits a new
 * program is appended.
 */
export const MprogFlags = {
  /**
   * `BPF_F_REPLACE`: replace the program named by `replace_bpf_fd` instead of adding one
   * (`BPF_PROG_ATTACH`; a link swaps its program with `BPF_LINK_UPDATE` instead).
   */
  REPLACE: 1 << 2,
  /** `BPF_F_BEFORE`: insert before the relative program or link; with none (`relative_fd` 0), first. */
  BEFORE: 1 << 3,
  /** `BPF_F_AFTER`: insert after the relative program or link; with none (`relative_fd` 0), last. */
  AFTER: 1 << 4,
  /** `BPF_F_ID`: the relative object is given by id (`relative_id`), not by fd. */
  ID: 1 << 5,
  /** `BPF_F_LINK`: the relative object is a link, not a program. */
  LINK: 1 << 13,
} as const;

/** Options of {@link attachTcx}. */
export interface TcxOptions {
  /** `MprogFlags` ordering bits, with `relativeFd` naming the program or link they refer to. */
  flags?: number;
  /**
   * `link_create.tcx.relative_fd` (or `relative_id` with `MprogFlags.ID`): the program (or,
   * with `MprogFlags.LINK`, the link) that `BEFORE`/`AFTER` position against; 0 for none.
   */
  relativeFd?: number;
  /** Fail with ESTALE unless the attachment list is at this revision. */
  expectedRevision?: bigint;
}

/** Attaches a `sched_cls` program to `iface`'s ingress or egress with a tcx link (6.6+). */
export function attachTcx(prog: AttachableProgram, iface: string | number, direction: TcxDirection, o: TcxOptions = {}): FdLink {
  const kind = `tcx/${direction}`;
  const target = String(iface);
  requireProgType(kind, target, prog, ProgType.SCHED_CLS);
  const idx = ifindex(kind, iface);
  try {
    const fd = linkCreate({
      prog_fd: prog.fd,
      target_fd: idx,
      attach_type: direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS,
      flags: o.flags ?? 0,
      relative_fd: o.relativeFd ?? 0,
      expected_revision: o.expectedRevision ?? 0n,
    });
    return new FdLink(kind, target, fd);
  } catch (e) {
    throw linkError(kind, target, prog, e, idx);
  }
}

/** Attaches a `sched_cls` program to a netkit device's primary or peer side (6.7+). */
export function attachNetkit(prog: AttachableProgram, iface: string | number, side: 'primary' | 'peer'): FdLink {
  const kind = `netkit/${side}`;
  const target = String(iface);
  requireProgType(kind, target, prog, ProgType.SCHED_CLS);
  const idx = ifindex(kind, iface);
  try {
    const at = side === 'primary' ? AttachType.NETKIT_PRIMARY : AttachType.NETKIT_PEER;
    return new FdLink(kind, target, linkCreate({ prog_fd: prog.fd, target_fd: idx, attach_type: at, relative_fd: 0, expected_revision: 0n }));
  } catch (e) {
    throw linkError(kind, target, prog, e, idx);
  }
}
