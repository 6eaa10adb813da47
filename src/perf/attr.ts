/**
 * The `struct perf_event_attr` a perf buffer reader needs (include/uapi/linux/perf_event.h):
 * a software event `PERF_COUNT_SW_BPF_OUTPUT` that carries `PERF_SAMPLE_RAW` records written
 * by `bpf_perf_event_output`. Host byte order.
 * @module
 */
import { hostLittleEndian } from '../syscall/index.js';

/** `PERF_TYPE_SOFTWARE`. */
export const PERF_TYPE_SOFTWARE = 1;
/** `PERF_COUNT_SW_BPF_OUTPUT`. */
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
/** `PERF_SAMPLE_RAW`. */
export const PERF_SAMPLE_RAW = 1 << 10;
/** `PERF_EVENT_IOC_ENABLE` (`_IO('$', 0)`). */
export const PERF_EVENT_IOC_ENABLE = 0x2400;
/** `PERF_EVENT_IOC_DISABLE` (`_IO('$', 1)`). */
export const PERF_EVENT_IOC_DISABLE = 0x2401;
/** `PERF_ATTR_SIZE_VER5`: every field up to `aux_watermark`. */
const PERF_ATTR_SIZE = 112;
/** The `watermark` bit of the flags bitfield at offset 40: wake on bytes, not on events. */
const WATERMARK_BIT = 1n << 14n;

/** When the kernel wakes a waiting reader. */
export interface PerfWakeup {
  /** Wake after this many records (`wakeup_events`; default 1). */
  events?: number;
  /** Wake once this many bytes are waiting (`wakeup_watermark`; overrides `events`). */
  watermarkBytes?: number;
}

/** Encodes the attr of a `PERF_COUNT_SW_BPF_OUTPUT` event with raw samples. */
export function bpfOutputAttr(wakeup: PerfWakeup = {}): Uint8Array {
  const b = new Uint8Array(PERF_ATTR_SIZE);
  const v = new DataView(b.buffer);
  const le = hostLittleEndian;
  v.setUint32(0, PERF_TYPE_SOFTWARE, le); // type
  v.setUint32(4, PERF_ATTR_SIZE, le); // size
  v.setBigUint64(8, BigInt(PERF_COUNT_SW_BPF_OUTPUT), le); // config
  v.setBigUint64(16, 1n, le); // sample_period
  v.setBigUint64(24, BigInt(PERF_SAMPLE_RAW), le); // sample_type
  const watermark = wakeup.watermarkBytes !== undefined && wakeup.watermarkBytes > 0;
  v.setBigUint64(40, watermark ? WATERMARK_BIT : 0n, le); // flags (disabled = 0: enabled at open)
  v.setUint32(48, watermark ? wakeup.watermarkBytes! : Math.max(1, wakeup.events ?? 1), le); // wakeup_events / wakeup_watermark
  return b;
}
