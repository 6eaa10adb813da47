/**
 * Programs on perf events: tracepoints, kprobes and uprobes (all opened through
 * perf_event_open(2)) and sampling events (`perf_event` programs).
 *
 * Since 5.15 a perf event takes a program through a **perf_event link** (`BPF_LINK_CREATE`
 * with `BPF_PERF_EVENT`, `target_fd` = the perf event fd); before that with the ioctl
 * `PERF_EVENT_IOC_SET_BPF`, which has no link object (nothing to pin, no `info`). Either
 * way the event is then enabled with `PERF_EVENT_IOC_ENABLE`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { AttachType, ProgType } from '../uapi/bpf.js';
import { BpfError, Fd, hostLittleEndian, ioctl, linkCreate, perfEventOpen } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink, LegacyAttachment, LinkGroup, closingOnError, type AttachableProgram, type Link } from './link.js';

/**
 * `enum perf_type_id`: the fixed event types of `perf_event_attr.type`. Dynamic PMUs (kprobe,
 * uprobe) have numbers above these, read from `/sys/bus/event_source/devices/<pmu>/type`.
 */
export const PerfType = {
  /** `PERF_TYPE_HARDWARE`: CPU counters, `config` a {@link PerfHwId}; needs a hardware PMU (often absent in VMs: ENOENT). */
  HARDWARE: 0,
  /** `PERF_TYPE_SOFTWARE`: kernel-maintained counters, `config` a {@link PerfSwId}; available everywhere. */
  SOFTWARE: 1,
  /** `PERF_TYPE_TRACEPOINT`: `config` is the tracepoint id from tracefs `events/<category>/<name>/id`. */
  TRACEPOINT: 2,
  /** `PERF_TYPE_HW_CACHE`: cache events, `config` = cache id `| op << 8 | result << 16` (`perf_hw_cache_id`). */
  HW_CACHE: 3,
  /** `PERF_TYPE_RAW`: `config` is a CPU-specific event code, passed to the PMU as is. */
  RAW: 4,
  /** `PERF_TYPE_BREAKPOINT`: hardware breakpoints; they need `bp_type`/`bp_addr`, which {@link PerfEventAttr} does not set. */
  BREAKPOINT: 5,
} as const;

/** `enum perf_sw_ids`: the `config` values of {@link PerfType.SOFTWARE} events. */
export const PerfSwId = {
  /** `PERF_COUNT_SW_CPU_CLOCK`: a per-CPU high-resolution timer; the usual CPU profiler clock where there are no hardware counters. */
  CPU_CLOCK: 0,
  /** `PERF_COUNT_SW_TASK_CLOCK`: a clock that runs only while the monitored task runs. */
  TASK_CLOCK: 1,
  /** `PERF_COUNT_SW_PAGE_FAULTS`: every page fault, minor and major. */
  PAGE_FAULTS: 2,
  /** `PERF_COUNT_SW_CONTEXT_SWITCHES`: every context switch. */
  CONTEXT_SWITCHES: 3,
  /** `PERF_COUNT_SW_CPU_MIGRATIONS`: the task moved to another CPU. */
  CPU_MIGRATIONS: 4,
  /** `PERF_COUNT_SW_PAGE_FAULTS_MIN`: minor faults, served without I/O. */
  PAGE_FAULTS_MIN: 5,
  /** `PERF_COUNT_SW_PAGE_FAULTS_MAJ`: major faults, which needed I/O. */
  PAGE_FAULTS_MAJ: 6,
  /** `PERF_COUNT_SW_ALIGNMENT_FAULTS`: unaligned accesses the kernel fixed up (never counts on x86). */
  ALIGNMENT_FAULTS: 7,
  /** `PERF_COUNT_SW_EMULATION_FAULTS`: instructions the kernel had to emulate. */
  EMULATION_FAULTS: 8,
  /** `PERF_COUNT_SW_DUMMY`: counts nothing; a placeholder for side-band records (mmap, comm). */
  DUMMY: 9,
  /**
   * `PERF_COUNT_SW_BPF_OUTPUT`: the event `bpf_perf_event_output()` writes to; the per-CPU
   * events of a `PERF_EVENT_ARRAY` map are opened with it (`src/perf`).
   */
  BPF_OUTPUT: 10,
} as const;

/** `enum perf_hw_id` (the common ones): the `config` values of {@link PerfType.HARDWARE} events. */
export const PerfHwId = {
  /** `PERF_COUNT_HW_CPU_CYCLES`: CPU cycles (affected by frequency scaling). */
  CPU_CYCLES: 0,
  /** `PERF_COUNT_HW_INSTRUCTIONS`: retired instructions. */
  INSTRUCTIONS: 1,
  /** `PERF_COUNT_HW_CACHE_REFERENCES`: cache accesses, usually of the last-level cache. */
  CACHE_REFERENCES: 2,
  /** `PERF_COUNT_HW_CACHE_MISSES`: cache misses, usually of the last-level cache. */
  CACHE_MISSES: 3,
  /** `PERF_COUNT_HW_BRANCH_INSTRUCTIONS`: retired branch instructions. */
  BRANCH_INSTRUCTIONS: 4,
  /** `PERF_COUNT_HW_BRANCH_MISSES`: mispredicted branches. */
  BRANCH_MISSES: 5,
} as const;

// _IO('$', 0), _IO('$', 1), _IOW('$', 8, __u32): include/uapi/linux/perf_event.h.
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;

/** The fields of `struct perf_event_attr` tsbpf sets. */
export interface PerfEventAttr {
  /** `type`: a {@link PerfType} value, or a dynamic PMU's number (kprobe, uprobe: `/sys/bus/event_source/devices/<pmu>/type`). */
  type: number;
  /** `config`: the event within `type` ({@link PerfSwId}, {@link PerfHwId}, a tracepoint id; the retprobe bit for probe PMUs). */
  config: bigint;
  /** `sample_period`, or `sample_freq` when `freq` is set. */
  sample?: bigint;
  /** The `freq` bit (bit 10 of the flags word): `sample` is a frequency in Hz, not a period in events. */
  freq?: boolean;
  /** Open disabled (bit 0 of the flags word). */
  disabled?: boolean;
  /** `config1` (uprobe/kprobe: the path or function name pointer). */
  config1?: bigint;
  /** `config2` (uprobe/kprobe: the offset). */
  config2?: bigint;
  /** `sample_type` */
  sampleType?: bigint;
  /** `wakeup_events` */
  wakeupEvents?: number;
}

/** `PERF_ATTR_SIZE_VER7`: up to `sig_data`. */
export const PERF_ATTR_SIZE = 128;

/** Encodes a `struct perf_event_attr` (host byte order, `size` = {@link PERF_ATTR_SIZE}). */
export function encodePerfEventAttr(a: PerfEventAttr): Uint8Array {
  const b = new Uint8Array(PERF_ATTR_SIZE);
  const v = new DataView(b.buffer);
  const le = hostLittleEndian;
  v.setUint32(0, a.type, le);
  v.setUint32(4, PERF_ATTR_SIZE, le);
  v.setBigUint64(8, a.config, le);
  v.setBigUint64(16, a.sample ?? 0n, le);
  v.setBigUint64(24, a.sampleType ?? 0n, le);
  // The bitfield word: disabled is bit 0, freq bit 10 (perf_event.h).
  let flags = 0n;
  if (a.disabled) flags |= 1n;
  if (a.freq) flags |= 1n << 10n;
  v.setBigUint64(40, flags, le);
  v.setUint32(48, a.wakeupEvents ?? 0, le);
  v.setBigUint64(56, a.config1 ?? 0n, le);
  v.setBigUint64(64, a.config2 ?? 0n, le);
  return b;
}

/** Program types a perf event accepts (`perf_event_set_bpf_prog`). */
const perfEventProgTypes = [ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT];

/**
 * Attaches `prog` to an open perf event. Takes ownership of `perfFd` (closed with the link,
 * or on failure). Uses a perf_event link where the kernel has them, else the ioctl.
 * @param kind what is attached, for errors and {@link Link.kind} (`tracepoint`, `uprobe`, ...).
 * @param target where it is attached, for errors (`sched/sched_switch`).
 * @param useLink false: use the pre-5.15 ioctl even where links exist (tests, old-kernel behaviour).
 */
export function attachToPerfEvent(prog: AttachableProgram, perfFd: Fd, kind: string, target: string, cookie?: bigint, useLink = true): Link {
  return closingOnError([perfFd], () => {
    let link: Fd | undefined;
    try {
      if (useLink) {
        link = linkCreate({
          prog_fd: prog.fd,
          target_fd: perfFd.raw,
          attach_type: AttachType.PERF_EVENT,
          ...(cookie !== undefined ? { perf_event_cookie: cookie } : {}),
        });
      }
    } catch (e) {
      // Kernels before 5.15 reject BPF_PERF_EVENT with EINVAL: fall back to the ioctl below.
      if (!(e instanceof BpfError) || e.errno !== 'EINVAL' || cookie !== undefined) throw wrap(kind, target, prog, e);
    }
    if (link) {
      closingOnError([link], () => ioctl(perfFd.raw, PERF_EVENT_IOC_ENABLE, 0));
      // The link holds the perf event; keeping our fd too lets close() release both.
      return new FdLink(kind, target, link, [perfFd]);
    }
    try {
      ioctl(perfFd.raw, PERF_EVENT_IOC_SET_BPF, prog.fd);
      ioctl(perfFd.raw, PERF_EVENT_IOC_ENABLE, 0);
    } catch (e) {
      throw wrap(kind, target, prog, e);
    }
    return new LegacyAttachment(`${kind} (ioctl)`, target, prog.name, () => perfFd.close());
  });
}

function wrap(kind: string, target: string, prog: AttachableProgram, e: unknown): AttachError {
  return new AttachError(kind, target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
}

/** CPUs that are online now (`/sys/devices/system/cpu/online`, "0-3,6"). */
export function onlineCpus(): number[] {
  const text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [lo, hi] = part.split('-').map(Number);
    if (lo === undefined || !Number.isInteger(lo)) continue;
    for (let c = lo; c <= (hi ?? lo); c++) out.push(c);
  }
  return out;
}

/** Options of {@link attachPerfEvent}. */
export interface PerfEventOptions {
  /** `PerfType.SOFTWARE`, `PerfType.HARDWARE`, ... */
  type: number;
  /** `PerfSwId.CPU_CLOCK`, `PerfHwId.CPU_CYCLES`, ... */
  config: number | bigint;
  /** Sample every `period` events ... */
  period?: number | bigint;
  /** ... or `frequency` times a second. Default: 99 Hz. */
  frequency?: number;
  /** Only this process (every CPU); default: every process. */
  pid?: number;
  /** CPUs to sample on; default: every online CPU. */
  cpus?: number[];
}

/**
 * Attaches a `perf_event` program to a sampling event on every CPU (a CPU profiler): one
 * perf event and one link per CPU, returned as a {@link LinkGroup}.
 */
export function attachPerfEvent(prog: AttachableProgram, o: PerfEventOptions): LinkGroup {
  const target = `type ${o.type} config ${o.config}`;
  requireProgType('perf_event', target, prog, ProgType.PERF_EVENT);
  const attr = encodePerfEventAttr({
    type: o.type,
    config: BigInt(o.config),
    sample: o.period !== undefined ? BigInt(o.period) : BigInt(o.frequency ?? 99),
    freq: o.period === undefined,
    disabled: true,
  });
  const links: Link[] = [];
  try {
    for (const cpu of o.cpus ?? onlineCpus()) {
      let fd: Fd;
      try {
        fd = perfEventOpen(attr, o.pid ?? -1, cpu);
      } catch (e) {
        throw new AttachError('perf_event', `${target} cpu ${cpu}`, (e as Error).message, { cause: e });
      }
      links.push(attachToPerfEvent(prog, fd, 'perf_event', `${target} cpu ${cpu}`));
    }
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new LinkGroup('perf_event', target, links);
}
