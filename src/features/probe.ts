/**
 * Feature probes: which map types, program types, helpers and link types this kernel has.
 *
 * Each probe asks the kernel the smallest question that tells (create a 1-entry map, load
 * `r0 = 0; exit`), the same rules as `bpftool feature probe kernel` (libbpf
 * `libbpf_probe_bpf_map_type`, `libbpf_probe_bpf_prog_type`, `libbpf_probe_bpf_helper`),
 * and caches the answer for the life of the process. A probe that fails for a reason other
 * than "not supported" (EPERM: not root) throws, so a missing privilege is never reported as
 * a missing feature.
 * @module
 */
import { readFileSync } from 'node:fs';
import { NotSupportedError } from '../errors.js';
import {
  AttachType,
  BpfError,
  btfLoadRaw,
  Errno,
  Fd,
  LinkType,
  linkTypeName,
  MapFlags,
  MapType,
  mapCreate,
  mapTypeName,
  ProgFlags,
  ProgType,
  progLoadRaw,
  progTypeName,
} from '../syscall/index.js';
import { boundedLoop, callHelper, isaProbe, largeProgram, returnImm } from './insns.js';
import { kernelEnum, localStorageBtf } from './btf.js';

const mapCache = new Map<number, boolean>();
const progCache = new Map<number, boolean>();
const helperCache = new Map<string, boolean>();

/** `LINUX_VERSION_CODE` of the running kernel (for kprobe's `kern_version`). */
function kernelVersionCode(): number {
  try {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(readFileSync('/proc/sys/kernel/osrelease', 'utf8'));
    if (!m) return 0;
    return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3]), 255);
  } catch {
    return 0;
  }
}

function pageSize(): number {
  return 4096;
}

/** Tries to create a small map of `type`; true when the kernel accepts it. */
function tryMap(type: number): boolean {
  let keySize = 4;
  let valueSize = 4;
  let maxEntries = 1;
  let flags = 0;
  let btf: Fd | undefined;
  let btfKey = 0;
  let btfValue = 0;
  let vmlinuxValue = 0;
  let expectErrno = 0;
  let inner: Fd | undefined;
  switch (type) {
    case MapType.STACK_TRACE:
      valueSize = 8;
      break;
    case MapType.LPM_TRIE:
      keySize = 8;
      valueSize = 8;
      flags = MapFlags.NO_PREALLOC;
      break;
    case MapType.CGROUP_STORAGE:
    case MapType.PERCPU_CGROUP_STORAGE:
      keySize = 16; // struct bpf_cgroup_storage_key
      valueSize = 8;
      maxEntries = 0;
      break;
    case MapType.QUEUE:
    case MapType.STACK:
    case MapType.BLOOM_FILTER:
      keySize = 0;
      break;
    case MapType.SK_STORAGE:
    case MapType.INODE_STORAGE:
    case MapType.TASK_STORAGE:
    case MapType.CGRP_STORAGE: {
      const r = btfLoadRaw(localStorageBtf());
      if (!r.fd) {
        if (r.errno === Errno.EPERM) throw new BpfError('BPF_BTF_LOAD', r.errno, 'needs root or CAP_BPF');
        return false;
      }
      btf = r.fd;
      btfKey = 1;
      btfValue = 3;
      valueSize = 8;
      maxEntries = 0;
      flags = MapFlags.NO_PREALLOC;
      break;
    }
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      keySize = 0;
      valueSize = 0;
      maxEntries = pageSize();
      break;
    case MapType.STRUCT_OPS:
      // A bogus vmlinux type id: a kernel with struct_ops maps answers ENOTSUPP (524).
      vmlinuxValue = 1;
      expectErrno = Errno.ENOTSUPP;
      break;
    case MapType.ARENA:
      keySize = 0;
      valueSize = 0;
      maxEntries = 1; // pages
      flags = MapFlags.MMAPABLE;
      break;
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
      inner = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
      break;
  }
  try {
    const fd = mapCreate({
      map_type: type,
      key_size: keySize,
      value_size: valueSize,
      max_entries: maxEntries,
      map_flags: flags,
      inner_map_fd: inner?.raw ?? 0,
      btf_fd: btf?.raw ?? 0,
      btf_key_type_id: btfKey,
      btf_value_type_id: btfValue,
      btf_vmlinux_value_type_id: vmlinuxValue,
    });
    fd.close();
    return expectErrno === 0;
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    if (expectErrno) return e.errnoNumber === expectErrno;
    if (e.errnoNumber === Errno.EPERM) throw e;
    return false;
  } finally {
    inner?.close();
    btf?.close();
  }
}

/**
 * Whether this kernel supports map type `type` (`MapType.*`). Cached. Throws `BpfError` when
 * the probe itself is not permitted (not root).
 */
export function probeMapType(type: number): boolean {
  let r = mapCache.get(type);
  if (r === undefined) {
    r = tryMap(type);
    mapCache.set(type, r);
  }
  return r;
}

interface ProgProbeSetup {
  expected_attach_type?: number;
  kern_version?: number;
  prog_flags?: number;
  attach_btf_id?: number;
  /** errno that means "supported" (when the probe cannot load a valid program). */
  expectErrno?: number;
  /** ...and text the log must contain. */
  expectLog?: string;
}

function progSetup(type: number): ProgProbeSetup {
  switch (type) {
    case ProgType.CGROUP_SOCK_ADDR:
      return { expected_attach_type: AttachType.CGROUP_INET4_CONNECT };
    case ProgType.CGROUP_SOCKOPT:
      return { expected_attach_type: AttachType.CGROUP_GETSOCKOPT };
    case ProgType.SK_LOOKUP:
      return { expected_attach_type: AttachType.SK_LOOKUP };
    case ProgType.KPROBE:
      return { kern_version: kernelVersionCode() };
    case ProgType.LIRC_MODE2:
      return { expected_attach_type: AttachType.LIRC_MODE2 };
    case ProgType.NETFILTER:
      return { expected_attach_type: AttachType.NETFILTER };
    // Tracing programs need a BTF target; type id 1 is never a function, and a kernel that
    // knows the type says so (libbpf's probe rule).
    case ProgType.TRACING:
      return { expected_attach_type: AttachType.TRACE_FENTRY, attach_btf_id: 1, expectErrno: Errno.EINVAL, expectLog: 'attach_btf_id 1 is not a function' };
    case ProgType.LSM:
      return { expected_attach_type: AttachType.LSM_MAC, attach_btf_id: 1, expectErrno: Errno.EINVAL, expectLog: 'attach_btf_id 1 is not a function' };
    case ProgType.EXT:
      return { attach_btf_id: 1, expectErrno: Errno.EINVAL, expectLog: 'Cannot replace kernel functions' };
    case ProgType.SYSCALL:
      return { prog_flags: ProgFlags.SLEEPABLE };
    case ProgType.STRUCT_OPS:
      return { expectErrno: Errno.ENOTSUPP };
    default:
      return {};
  }
}

/**
 * Whether this kernel supports program type `type` (`ProgType.*`): it loads `r0 = 0; exit`.
 * Cached. Tracing, LSM and extension programs count as supported when the kernel refuses the
 * probe for the expected reason; under lockdown they are refused earlier and report false,
 * as bpftool does.
 */
export function probeProgType(type: number): boolean {
  let r = progCache.get(type);
  if (r !== undefined) return r;
  const s = progSetup(type);
  const wantLog = s.expectLog !== undefined;
  const res = progLoadRaw({
    prog_type: type,
    insns: returnImm(0),
    license: 'GPL',
    expected_attach_type: s.expected_attach_type ?? 0,
    kern_version: s.kern_version ?? 0,
    prog_flags: s.prog_flags ?? 0,
    attach_btf_id: s.attach_btf_id ?? 0,
    log_level: wantLog ? 1 : 0,
    log_size: wantLog ? 4096 : 0,
  });
  res.fd?.close();
  if (s.expectErrno !== undefined) {
    r = !res.fd && res.errno === s.expectErrno && (!s.expectLog || res.log.includes(s.expectLog));
  } else {
    r = res.fd !== undefined;
  }
  progCache.set(type, r);
  return r;
}

/** The log lines that mean "this helper does not exist for this program type". */
const helperMissing = ['invalid func ', 'unknown func ', 'program of this type cannot use helper '];

/**
 * Whether helper `helper` (`enum bpf_func_id`) may be called from programs of type
 * `progType`: loads `call helper; exit` and reads the verifier log. Any other refusal
 * (wrong arguments) means the helper exists. Undefined when it cannot be told (the program
 * type is unsupported, or is tracing/ext/lsm/struct_ops, which need a BTF target).
 */
export function probeHelper(progType: number, helper: number): boolean | undefined {
  if ([ProgType.TRACING, ProgType.EXT, ProgType.LSM, ProgType.STRUCT_OPS].includes(progType as 26)) return undefined;
  if (!probeProgType(progType)) return undefined;
  const key = `${progType}:${helper}`;
  let r = helperCache.get(key);
  if (r !== undefined) return r;
  const s = progSetup(progType);
  const res = progLoadRaw({
    prog_type: progType,
    insns: callHelper(helper),
    license: 'GPL',
    expected_attach_type: s.expected_attach_type ?? 0,
    kern_version: s.kern_version ?? 0,
    prog_flags: s.prog_flags ?? 0,
    log_level: 1,
    log_size: 4096,
  });
  res.fd?.close();
  r = res.fd !== undefined || !helperMissing.some((m) => res.log.includes(m));
  helperCache.set(key, r);
  return r;
}

/**
 * Helper names by id, from the kernel's `enum bpf_func_id` (`BPF_FUNC_map_lookup_elem` ->
 * `bpf_map_lookup_elem`); empty without kernel BTF.
 */
export function kernelHelpers(): Map<number, string> {
  const out = new Map<number, string>();
  const e = kernelEnum('bpf_func_id');
  if (!e) return out;
  for (const [name, id] of e) {
    if (name.startsWith('BPF_FUNC_') && id > 0 && name !== '__BPF_FUNC_MAX_ID') out.set(id, 'bpf_' + name.slice(9));
  }
  return out;
}

/**
 * Whether this kernel knows link type `type` (`LinkType.*`). Creating a link needs an attach
 * target for each type, so this reads the kernel's own `enum bpf_link_type` from its BTF;
 * without kernel BTF it answers from the program types the link needs.
 */
export function probeLinkType(type: number): boolean {
  const e = kernelEnum('bpf_link_type');
  const name = linkTypeName[type];
  if (!name) return false;
  if (e) return e.get(`BPF_LINK_TYPE_${name.toUpperCase()}`) === type;
  const needs: Record<number, number> = {
    [LinkType.RAW_TRACEPOINT]: ProgType.RAW_TRACEPOINT,
    [LinkType.TRACING]: ProgType.TRACING,
    [LinkType.CGROUP]: ProgType.CGROUP_SKB,
    [LinkType.XDP]: ProgType.XDP,
    [LinkType.NETFILTER]: ProgType.NETFILTER,
  };
  return needs[type] !== undefined && probeProgType(needs[type]!);
}

/** The instruction-set and verifier features bpftool lists under "miscellaneous". */
export type MiscFeature = 'large_insn_limit' | 'bounded_loops' | 'isa_v2_ext' | 'isa_v3_ext';

const miscCache = new Map<MiscFeature, boolean>();

/**
 * Whether the verifier accepts a program that needs `feature`: more than 4096 instructions
 * (5.2), bounded loops (5.3), ISA v2 jumps `JLT`/`JLE`/`JSLT`/`JSLE` (4.14), ISA v3 32-bit
 * jumps (5.1). Same probe programs as bpftool. Cached.
 */
export function probeMisc(feature: MiscFeature): boolean {
  let r = miscCache.get(feature);
  if (r !== undefined) return r;
  const insns =
    feature === 'large_insn_limit' ? largeProgram() : feature === 'bounded_loops' ? boundedLoop() : isaProbe(feature === 'isa_v2_ext' ? 2 : 3);
  const type = feature === 'large_insn_limit' ? ProgType.SCHED_CLS : ProgType.SOCKET_FILTER;
  const res = progLoadRaw({ prog_type: type, insns, license: 'GPL' });
  res.fd?.close();
  // A large program may be refused for other reasons (complexity); only E2BIG/EINVAL say "no".
  r = feature === 'large_insn_limit' ? res.errno !== Errno.E2BIG && res.errno !== Errno.EINVAL : res.fd !== undefined;
  miscCache.set(feature, r);
  return r;
}

/** The first kernel of each map type, for error messages. */
const mapMinKernel: Record<number, string> = {
  [MapType.RINGBUF]: '5.8',
  [MapType.USER_RINGBUF]: '6.1',
  [MapType.BLOOM_FILTER]: '5.16',
  [MapType.CGRP_STORAGE]: '6.2',
  [MapType.ARENA]: '6.9',
  [MapType.TASK_STORAGE]: '5.11',
  [MapType.INODE_STORAGE]: '5.10',
  [MapType.STRUCT_OPS]: '5.6',
};

/** Throws `NotSupportedError` naming the map type unless this kernel supports it. */
export function requireMapType(type: number): void {
  if (!probeMapType(type)) throw new NotSupportedError(`map type '${mapTypeName[type] ?? type}'`, mapMinKernel[type]);
}

/** Throws `NotSupportedError` naming the program type unless this kernel supports it. */
export function requireProgType(type: number): void {
  if (!probeProgType(type)) throw new NotSupportedError(`program type '${progTypeName[type] ?? type}'`);
}

/** Forgets cached answers (tests). */
export function clearProbeCache(): void {
  mapCache.clear();
  progCache.clear();
  helperCache.clear();
  miscCache.clear();
}

