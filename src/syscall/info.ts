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
  /** `id`: the map's system-wide id. */
  id: number;
  /** `key_size` */
  keySize: number;
  /** `value_size` */
  valueSize: number;
  /** `max_entries` */
  maxEntries: number;
  /** `map_flags` */
  flags: number;
  /** `name`: up to 15 characters (`BPF_OBJ_NAME_LEN` - 1). */
  name: string;
  /** `ifindex`: device of an offloaded map, else 0. */
  ifindex: number;
  /** `btf_vmlinux_value_type_id` (struct_ops maps). */
  btfVmlinuxValueTypeId: number;
  /** `netns_dev` (offloaded maps). */
  netnsDev: bigint;
  /** `netns_ino` (offloaded maps). */
  netnsIno: bigint;
  /** `btf_id`: the BTF object of the key and value types, 0 without BTF. */
  btfId: number;
  /** `btf_key_type_id` */
  btfKeyTypeId: number;
  /** `btf_value_type_id` */
  btfValueTypeId: number;
  /** `btf_vmlinux_id`: the BTF object of `btfVmlinuxValueTypeId`. */
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
  /** `type`: `enum bpf_prog_type`. */
  type: number;
  /** `id`: the program's system-wide id. */
  id: number;
  /** `tag`: 8 bytes as 16 hex digits. */
  tag: string;
  /** `jited_prog_len`: bytes of native code, 0 when not JITed. */
  jitedProgLen: number;
  /** `xlated_prog_len`: bytes of the instructions as the verifier rewrote them. */
  xlatedProgLen: number;
  /** `load_time`: ns since boot. */
  loadTime: bigint;
  /** `created_by_uid` */
  createdByUid: number;
  /** `map_ids`: the maps the program uses. */
  mapIds: number[];
  /** `name`: up to 15 characters. */
  name: string;
  /** `ifindex`: device of an offloaded or device-bound program. */
  ifindex: number;
  /** `gpl_compatible`: the license allows GPL-only helpers. */
  gplCompatible: boolean;
  /** `btf_id`: the program's BTF object, 0 without BTF. */
  btfId: number;
  /** `run_time_ns`: total run time, counted while stats are enabled (`BPF_ENABLE_STATS` or `kernel.bpf_stats_enabled`). */
  runTimeNs: bigint;
  /** `run_cnt`: runs, counted while stats are enabled. */
  runCnt: bigint;
  /** `recursion_misses`: runs skipped because the program was already running on the CPU. */
  recursionMisses: bigint;
  /** `verified_insns`: instructions the verifier processed (Linux 5.16). */
  verifiedInsns: number;
  /** `attach_btf_obj_id`: BTF object of the attach target (tracing, ext, lsm). */
  attachBtfObjId: number;
  /** `attach_btf_id`: the attach target's type id in it. */
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
  /** `type`: `enum bpf_link_type`. */
  type: number;
  /** `id`: the link's system-wide id. */
  id: number;
  /** `prog_id`: the attached program. */
  progId: number;
  /** The type-specific union (offset 16 of `struct bpf_link_info`), undecoded. */
  detail: Uint8Array;
  /** For `raw_tracepoint` links: the tracepoint name. For `tracing`: attach type and target. */
  rawTracepoint?: string;
  /** `attach_type` (tracing, cgroup, netns, tcx, netkit links). */
  attachType?: number;
  /** `target_obj_id` (tracing links: the target's BTF object). */
  targetObjId?: number;
  /** `target_btf_id` (tracing links: the target function's type id). */
  targetBtfId?: number;
  /** `cgroup_id` (cgroup links). */
  cgroupId?: bigint;
  /** `netns_ino` (netns links). */
  netnsIno?: number;
  /** `ifindex` (XDP, tcx and netkit links). */
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
