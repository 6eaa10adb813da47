/**
 * Layer 3 (runtime): attaching programs. One module per attach mechanism, each returning a
 * {@link Link} (`close`, `[Symbol.dispose]`, `pin`, `update`, `info`), and
 * {@link attachBySection} for what a section name says.
 *
 * May import: `src/syscall` (layer 2), the pure layer (`src/elf`, `src/btf`, `src/object`, `src/bytes`,
 * `src/uapi`, `src/errors.ts`). Never `src/cli`. Takes programs as {@link AttachableProgram}
 * (an fd, a name and a type), so it needs nothing from `src/programs`.
 * @module
 */
export { AttachError, LockdownError, lockdownMode, lockdownSensitive, explainLockdown } from './errors.js';
export { FdLink, LinkGroup, LegacyAttachment, loadPinnedLink, type AttachableProgram, type AttachmentInfo, type Link } from './link.js';
export {
  PerfType,
  PerfSwId,
  PerfHwId,
  PERF_ATTR_SIZE,
  encodePerfEventAttr,
  attachToPerfEvent,
  attachPerfEvent,
  onlineCpus,
  type PerfEventAttr,
  type PerfEventOptions,
} from './perf-event.js';
export { tracefsRoot, tracepointId, attachTracepoint, type TracepointOptions } from './tracepoint.js';
export { attachRawTracepoint } from './raw-tracepoint.js';
export { resolveAttachTarget, attachTracing, attachLsm, attachFreplace, type AttachTarget, type BtfAttachKind, type TracingOptions } from './tracing.js';
export { attachIter, IterLink, type IterOptions } from './iter.js';
export { pmuType, retprobeBit } from './probe-pmu.js';
export { resolveBinaryPath, symbolFileOffset, addressToFileOffset, uprobeOffset } from './elf-symbols.js';
export { attachUprobe, parseUprobeTarget, type UprobeOptions } from './uprobe.js';
export {
  attachUprobeMulti,
  uprobeMultiTargets,
  parseUprobeMultiTarget,
  globToRegExp,
  BPF_F_UPROBE_MULTI_RETURN,
  type UprobeMultiOptions,
  type UprobeMultiTarget,
} from './uprobe-multi.js';
export { attachKprobe, attachKsyscall, attachKprobeMulti, kprobeMultiSymbols, kprobesMissing, syscallSymbol, type KprobeOptions } from './kprobe.js';
export { ifindex, XdpFlags, MprogFlags, attachXdp, attachTcx, attachNetkit, type XdpOptions, type TcxOptions, type TcxDirection } from './netdev.js';
export { attachCgroup } from './cgroup.js';
export { attachSocketFilter, attachSkLookup, attachFlowDissector, attachSockmap } from './socket.js';
export {
  attachUsdt,
  parseUsdtNotes,
  parseUsdtArg,
  encodeUsdtSpec,
  UsdtArgType,
  USDT_MAX_ARGS,
  USDT_SPEC_SIZE,
  type UsdtNote,
  type UsdtArgSpec,
  type UsdtOptions,
  type UsdtSpecMap,
} from './usdt.js';
export { attachStructOps, attachStructOpsMap, encodeStructOps, structOpsMember, type StructOpsMapLike, type StructOpsMember, type StructOpsOptions } from './struct-ops.js';
export { attachBySection, type AttachBySectionOptions } from './section.js';
