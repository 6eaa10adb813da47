/**
 * Object commands of bpf(2): pinning (`BPF_OBJ_PIN`, `BPF_OBJ_GET`), id enumeration
 * (`BPF_*_GET_NEXT_ID`, `BPF_*_GET_FD_BY_ID`) and `BPF_OBJ_GET_INFO_BY_FD`.
 * @module
 */
import { attr, bpfCall, bpfRaw } from './attr.js';
import { BpfCmd } from './constants.js';
import { Errno } from './errno.js';
import { bpfError } from './errors.js';
import { Fd } from './fd.js';
import { NativeBuffer, scratch } from './memory.js';

function cstring(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

// struct { pathname; bpf_fd; file_flags; path_fd } of union bpf_attr.
const OBJ_SIZE = 20;

/** `BPF_OBJ_PIN`: pins the object behind `bpfFd` at `pathname` (on a bpffs). */
export function objPin(bpfFd: number, pathname: string, fileFlags = 0): void {
  const p = cstring(pathname);
  const s = scratch(p.length);
  s.bytes.set(p);
  attr(OBJ_SIZE).ptr(0, s.ptr).u32(8, bpfFd).u32(12, fileFlags);
  bpfCall(BpfCmd.OBJ_PIN, 16, `pin '${pathname}'`);
}

/** `BPF_OBJ_GET`: opens the object pinned at `pathname`; the caller owns the fd. */
export function objGet(pathname: string, fileFlags = 0): Fd {
  const p = cstring(pathname);
  const s = scratch(p.length);
  s.bytes.set(p);
  attr(OBJ_SIZE).ptr(0, s.ptr).u32(12, fileFlags);
  return new Fd(bpfCall(BpfCmd.OBJ_GET, 16, `open pinned '${pathname}'`));
}

/** Which kind of object an id names, for the `*_GET_NEXT_ID`/`*_GET_FD_BY_ID` commands. */
export type ObjKind = 'prog' | 'map' | 'link' | 'btf';

const nextIdCmd: Record<ObjKind, number> = {
  prog: BpfCmd.PROG_GET_NEXT_ID,
  map: BpfCmd.MAP_GET_NEXT_ID,
  link: BpfCmd.LINK_GET_NEXT_ID,
  btf: BpfCmd.BTF_GET_NEXT_ID,
};
const fdByIdCmd: Record<ObjKind, number> = {
  prog: BpfCmd.PROG_GET_FD_BY_ID,
  map: BpfCmd.MAP_GET_FD_BY_ID,
  link: BpfCmd.LINK_GET_FD_BY_ID,
  btf: BpfCmd.BTF_GET_FD_BY_ID,
};
const cmdNames: Record<number, string> = {
  [BpfCmd.PROG_GET_NEXT_ID]: 'BPF_PROG_GET_NEXT_ID',
  [BpfCmd.MAP_GET_NEXT_ID]: 'BPF_MAP_GET_NEXT_ID',
  [BpfCmd.LINK_GET_NEXT_ID]: 'BPF_LINK_GET_NEXT_ID',
  [BpfCmd.BTF_GET_NEXT_ID]: 'BPF_BTF_GET_NEXT_ID',
};

// struct { start_id/prog_id/map_id/btf_id/link_id; next_id; open_flags; fd_by_id_token_fd }.
const ID_SIZE = 12;

/** `BPF_{PROG,MAP,LINK,BTF}_GET_NEXT_ID`: the next id after `startId`, or undefined at the end. */
export function objGetNextId(kind: ObjKind, startId: number): number | undefined {
  const a = attr(ID_SIZE).u32(0, startId);
  const cmd = nextIdCmd[kind];
  const r = bpfRaw(cmd, ID_SIZE);
  if (r === -Errno.ENOENT) return undefined;
  if (r < 0) throw bpfError(cmdNames[cmd]!, -r);
  return a.getU32(4);
}

/** Every id of `kind` in the system, ascending (needs CAP_SYS_ADMIN). */
export function objIds(kind: ObjKind): number[] {
  const ids: number[] = [];
  let id = 0;
  for (;;) {
    const next = objGetNextId(kind, id);
    if (next === undefined) return ids;
    ids.push(next);
    id = next;
  }
}

/**
 * `BPF_{PROG,MAP,LINK,BTF}_GET_FD_BY_ID`: opens the object with `id`; undefined when it no
 * longer exists (ENOENT). The caller owns the fd.
 */
export function objGetFdById(kind: ObjKind, id: number, openFlags = 0): Fd | undefined {
  attr(ID_SIZE).u32(0, id).u32(8, openFlags);
  const cmd = fdByIdCmd[kind];
  const r = bpfRaw(cmd, ID_SIZE);
  if (r === -Errno.ENOENT) return undefined;
  if (r < 0) throw bpfError(`BPF_${kind.toUpperCase()}_GET_FD_BY_ID`, -r, `${kind} id ${id}`);
  return new Fd(r);
}

// struct { bpf_fd; info_len; info } (info).
const INFO_SIZE = 16;

/**
 * `BPF_OBJ_GET_INFO_BY_FD`: fills `info` (a `struct bpf_{map,prog,link,btf}_info` the caller
 * prepared: zeros, plus pointers to arrays it wants filled) and returns the length the kernel
 * wrote.
 */
export function objGetInfoByFd(bpfFd: number, info: NativeBuffer): number {
  const a = attr(INFO_SIZE).u32(0, bpfFd).u32(4, info.size).ptr(8, info.ptr);
  bpfCall(BpfCmd.OBJ_GET_INFO_BY_FD, INFO_SIZE);
  return a.getU32(4);
}
