/**
 * `BPF_BTF_LOAD`: hands raw BTF bytes to the kernel.
 * @module
 */
import { attr, bpfRaw } from './attr.js';
import { BpfCmd } from './constants.js';
import { BpfError, defaultHint } from './errors.js';
import { Fd } from './fd.js';
import { NativeBuffer, scratch } from './memory.js';

/** Result of a BTF load attempt. */
export interface BtfLoadResult {
  /** The BTF object's fd (owned by the caller), or undefined when the kernel refused it. */
  fd: Fd | undefined;
  /** 0 on success, else the errno of `BPF_BTF_LOAD`. */
  errno: number;
  /** The kernel's BTF verifier log (empty without a log buffer). */
  log: string;
  /** `btf_log_true_size`: the log size the whole log needs (Linux 6.4), 0 when unknown. */
  logTrueSize: number;
}

/**
 * `BPF_BTF_LOAD` without throwing on a kernel refusal. `logSize` 0 means no log; retry with a
 * log to see why the kernel refused.
 */
export function btfLoadRaw(btf: Uint8Array, opts: { logLevel?: number; logSize?: number; tokenFd?: number } = {}): BtfLoadResult {
  const logSize = Math.min(opts.logSize ?? 0, 0xffff_ffff >>> 2);
  const off = (btf.length + 7) & ~7;
  // Without a log, the thread's scratch memory: a NativeBuffer of its own would cost an
  // allocation and an ArrayBuffer on every object load.
  const mem = logSize ? new NativeBuffer(off + logSize) : scratch(off);
  try {
    mem.bytes.set(btf, 0);
    if (logSize) mem.bytes[off] = 0;
    // struct { btf; btf_log_buf; btf_size; btf_log_size; btf_log_level; btf_log_true_size; btf_flags; btf_token_fd }
    const a = attr(40).ptrInto(0, mem, 0).u32(16, btf.length);
    if (logSize) a.ptrInto(8, mem, off).u32(20, logSize).u32(24, opts.logLevel ?? 1);
    if (opts.tokenFd) a.u32(32, 1 << 16).i32(36, opts.tokenFd);
    const r = bpfRaw(BpfCmd.BTF_LOAD, opts.tokenFd ? 40 : 28);
    let log = '';
    if (logSize) {
      const b = mem.bytes.subarray(off, off + logSize);
      const end = b.indexOf(0);
      log = new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
    }
    const logTrueSize = a.getU32(28);
    if (r < 0) return { fd: undefined, errno: -r, log, logTrueSize };
    return { fd: new Fd(r), errno: 0, log, logTrueSize };
  } finally {
    if (logSize) mem.free();
  }
}

/** `BPF_BTF_LOAD`, throwing `BpfError` (with the kernel's log in the message) on failure. */
export function btfLoad(btf: Uint8Array): Fd {
  const r = btfLoadRaw(btf);
  if (r.fd) return r.fd;
  const again = btfLoadRaw(btf, { logSize: 1 << 16 });
  again.fd?.close();
  const last = again.log.trim().split('\n').pop();
  throw new BpfError('BPF_BTF_LOAD', r.errno, last ? `kernel says '${last}'` : defaultHint('BPF_BTF_LOAD', r.errno));
}
