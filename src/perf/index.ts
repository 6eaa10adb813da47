/**
 * Layer 3 (runtime): perf buffer readers for `BPF_MAP_TYPE_PERF_EVENT_ARRAY` (one perf ring
 * per CPU, records written by `bpf_perf_event_output`), with the same record, callback and
 * iterator API as `src/ringbuf`.
 *
 * May import: `src/errors.ts`, `src/syscall`, `src/maps`, `src/ringbuf`. Imported by the CLI
 * and `src/index.ts`.
 * @module
 */
export { PerfReader, type PerfReaderOptions } from './reader.js';
export { PerfRing, PERF_RECORD_LOST, PERF_RECORD_SAMPLE } from './ring.js';
export { bpfOutputAttr, PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW, PERF_TYPE_SOFTWARE, PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_DISABLE, type PerfWakeup } from './attr.js';
