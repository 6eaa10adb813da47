/**
 * Layer 2: the system-call layer, the only code in tsbpf that touches koffi.
 *
 * One typed wrapper per bpf(2) command (`mapCreate` <-> `BPF_MAP_CREATE`), `bpf_attr` fields
 * written at their UAPI offsets under their bpf.h names, every size and pointer computed here.
 * Failures become {@link BpfError} (command, errno name, hint). Also perf_event_open, ioctl,
 * mmap, epoll and setsockopt.
 *
 * May import: `src/errors.ts`, `src/bytes`. Imported by the runtime (`src/maps`,
 * `src/programs`, `src/link`, `src/features`, ...), never by the pure layer.
 * @module
 */
export * from './constants.js';
export * from './errno.js';
export { BpfError, bpfError, defaultHint } from './errors.js';
export { Fd, closeRaw } from './fd.js';
export { NativeBuffer, hostLittleEndian, align8 } from './memory.js';
export { supportedPlatform } from './ffi.js';
export * from './map.js';
export * from './obj.js';
export * from './info.js';
export * from './prog.js';
export * from './link.js';
export * from './btf.js';
export * from './misc.js';
export * from './sys.js';
export * from './poll.js';
export * from './mapped.js';
export * from './memlock.js';
