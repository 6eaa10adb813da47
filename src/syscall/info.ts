/**
 * Decoders of `struct bpf_map_info`, `struct bpf_prog_info` and `struct bpf_link_info`
 * (include/uapi/linux/bpf.h), read with `BPF_OBJ_GET_INFO_BY_FD`.
 * @module
 */
import { NativeBuffer, hostLittleEndian } from './memory.js';
import { objGetInfoByFd } from './obj.js';

const le = hostLittleEndian;

function name16(b: Uint8Array, off: number): string {
  const s = b.subarray(off, off + 16);
  const end = s.indexOf(0);
  return new TextDecoder().decode(end < 0 ? s : s.subarray(0, end));
}

/** `struct bpf_map_info`, camelCased (C names in comments). */
export interface MapInfo {
  /** `type` */
  type: number;
  id: number;
  /** `key_size` */
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** `map_flags` */
  flags: number;
  name: string;
  ifindex: number;
  btfVmlinuxValueTypeId: number;
  netnsDev: bigint;
  netnsIno: bigint;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxId: number;
  /** `map_extra` */
  mapExtra: bigint;
}

const MAP_INFO_SIZE = 88;

/** `BPF_OBJ_GET_INFO_BY_FD` on a map. */
export function mapInfo(fd: number): MapInfo {
  const b = new NativeBuffer(MAP_INFO_SIZE);
  try {
    b.bytes.fill(0);
    objGetInfoByFd(fd, b);
    const v = b.view;
    return {
      type: v.getUint32(0, le),
      id: v.getUint32(4, le),
      keySize: v.getUint32(8, le),
      valueSize: v.getUint32(12, le),
      maxEntries: v.getUint32(16, le),
      flags: v.getUint32(20, le),
      name: name16(b.bytes, 24),
      ifindex: v.getUint32(40, le),
      btfVmlinuxValueTypeId: v.getUint32(44, le),
      netnsDev: v.getBigUint64(48, le),
      netnsIno: v.getBigUint64(56, le),
      btfId: v.getUint32(64, le),
      btfKeyTypeId: v.getUint32(68, le),
      btfValueTypeId: v.getUint32(72, le),
      btfVmlinuxId: v.getUint32(76, le),
      mapExtra: v.getBigUint64(80, le),
    };
  } finally {
    b.free();
  }
}

/** `struct bpf_prog_info`, the fields tsbpf shows (`bpftool prog show`). */
export interface ProgInfo {
  type: number;
  id: number;
  /** `tag`: 8 bytes as 16 hex digits. */
  tag: string;
  jitedProgLen: number;
  xlatedProgLen: number;
  /** `load_time`: ns since boot. */
  loadTime: bigint;
  createdByUid: number;
  mapIds: number[];
  name: string;
  ifindex: number;
  gplCompatible: boolean;
  btfId: number;
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
  attachBtfObjId: number;
  attachBtfId: number;
}

const PROG_INFO_SIZE = 232;

function readProgInfo(fd: number, mapIds: NativeBuffer | undefined, nrMapIds: number): { b: NativeBuffer; len: number } {
  const b = new NativeBuffer(PROG_INFO_SIZE);
  b.bytes.fill(0);
  if (mapIds) {
    b.view.setUint32(52, nrMapIds, le);
    b.view.setBigUint64(56, mapIds.ptr, le);
  }
  const len = objGetInfoByFd(fd, b);
  return { b, len };
}

/** `BPF_OBJ_GET_INFO_BY_FD` on a program (two calls: the second fetches `map_ids`). */
export function progInfo(fd: number): ProgInfo {
  let { b } = readProgInfo(fd, undefined, 0);
  const nrMaps = b.view.getUint32(52, le);
  let mapIds: number[] = [];
  if (nrMaps > 0 && nrMaps < 65536) {
    b.free();
    const ids = new NativeBuffer(nrMaps * 4);
    try {
      ({ b } = readProgInfo(fd, ids, nrMaps));
      const got = Math.min(nrMaps, b.view.getUint32(52, le));
      mapIds = Array.from({ length: got }, (_, i) => ids.view.getUint32(i * 4, le));
    } finally {
      ids.free();
    }
  }
  try {
    const v = b.view;
    const tag = Array.from(b.bytes.subarray(8, 16), (x) => x.toString(16).padStart(2, '0')).join('');
    return {
      type: v.getUint32(0, le),
      id: v.getUint32(4, le),
      tag,
      jitedProgLen: v.getUint32(16, le),
      xlatedProgLen: v.getUint32(20, le),
      loadTime: v.getBigUint64(40, le),
      createdByUid: v.getUint32(48, le),
      mapIds,
      name: name16(b.bytes, 64),
      ifindex: v.getUint32(80, le),
      gplCompatible: (v.getUint32(84, le) & 1) === 1,
      btfId: v.getUint32(128, le),
      runTimeNs: v.getBigUint64(192, le),
      runCnt: v.getBigUint64(200, le),
      recursionMisses: v.getBigUint64(208, le),
      verifiedInsns: v.getUint32(216, le),
      attachBtfObjId: v.getUint32(220, le),
      attachBtfId: v.getUint32(224, le),
    };
  } finally {
    b.free();
  }
}

/** `struct bpf_link_info`: the common head plus the raw type-specific union bytes. */
export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
  /** The type-specific union (offset 16 of `struct bpf_link_info`), undecoded. */
  detail: Uint8Array;
  /** For `raw_tracepoint` links: the tracepoint name. For `tracing`: attach type and target. */
  rawTracepoint?: string;
  attachType?: number;
  targetObjId?: number;
  targetBtfId?: number;
  cgroupId?: bigint;
  netnsIno?: number;
  ifindex?: number;
}

const LINK_INFO_SIZE = 96;

/** `BPF_OBJ_GET_INFO_BY_FD` on a link. */
export function linkInfo(fd: number): LinkInfo {
  const b = new NativeBuffer(LINK_INFO_SIZE);
  const name = new NativeBuffer(256);
  try {
    b.bytes.fill(0);
    name.bytes.fill(0);
    objGetInfoByFd(fd, b);
    const v = b.view;
    const type = v.getUint32(0, le);
    const info: LinkInfo = {
      type,
      id: v.getUint32(4, le),
      progId: v.getUint32(8, le),
      detail: b.bytes.slice(16),
    };
    switch (type) {
      case 1: {
        // raw_tracepoint { tp_name; tp_name_len }: a second call with a buffer for the name.
        b.bytes.fill(0);
        b.view.setBigUint64(16, name.ptr, le);
        b.view.setUint32(24, name.size, le);
        objGetInfoByFd(fd, b);
        const end = name.bytes.indexOf(0);
        info.rawTracepoint = new TextDecoder().decode(name.bytes.subarray(0, end < 0 ? name.size : end));
        break;
      }
      case 2: // tracing { attach_type; target_obj_id; target_btf_id }
        info.attachType = v.getUint32(16, le);
        info.targetObjId = v.getUint32(20, le);
        info.targetBtfId = v.getUint32(24, le);
        break;
      case 3: // cgroup { cgroup_id; attach_type }
        info.cgroupId = v.getBigUint64(16, le);
        info.attachType = v.getUint32(24, le);
        break;
      case 5: // netns { netns_ino; attach_type }
        info.netnsIno = v.getUint32(16, le);
        info.attachType = v.getUint32(20, le);
        break;
      case 6: // xdp { ifindex }
      case 11: // tcx { ifindex; attach_type }
      case 13: // netkit { ifindex; attach_type }
        info.ifindex = v.getUint32(16, le);
        if (type !== 6) info.attachType = v.getUint32(20, le);
        break;
    }
    return info;
  } finally {
    b.free();
    name.free();
  }
}
