/**
 * `bpf_printk` output: the kernel writes `bpf_trace_printk` messages into the tracing ring
 * buffer, read (and consumed) line by line from `<tracefs>/trace_pipe`, which is what
 * `bpftool prog tracelog` shows.
 *
 * trace_pipe blocks a reader until a line comes, and a blocked read would hold one of
 * libuv's few threads (and the process) until then. It is opened `O_NONBLOCK` instead (the
 * file then returns `EAGAIN` when empty) and read on a short timer.
 * @module
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { tracefsRoot } from '../../link/index.js';
import { TsbpfError } from '../../errors.js';

/** Reads trace_pipe lines until {@link TracePipe.close}. */
export class TracePipe {
  #fd: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #partial = '';
  readonly #buf = Buffer.alloc(64 * 1024);
  #onLine: (line: string) => void;

  private constructor(fd: number, onLine: (line: string) => void, intervalMs: number) {
    this.#fd = fd;
    this.#onLine = () => {};
    // The tracing buffer keeps lines nobody read (from earlier programs): drop that backlog,
    // so only what is printed from now on shows.
    this.drain();
    this.#partial = '';
    this.#onLine = onLine;
    this.#timer = setInterval(() => this.drain(), intervalMs);
  }

  /**
   * Opens trace_pipe, drops what is already buffered, and calls `onLine` for each complete
   * line written from now on.
   * @throws TsbpfError when tracefs or trace_pipe cannot be opened.
   */
  static open(onLine: (line: string) => void, intervalMs = 100): TracePipe {
    let path = 'trace_pipe';
    try {
      path = `${tracefsRoot()}/trace_pipe`;
      return new TracePipe(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), onLine, intervalMs);
    } catch (e) {
      throw new TsbpfError(`cannot open '${path}' for bpf_printk output: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Reads what is there now (without waiting) and hands out complete lines. */
  drain(): void {
    if (this.#fd === undefined) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buf, 0, this.#buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw e;
      }
      if (n <= 0) return;
      const text = this.#partial + this.#buf.toString('utf8', 0, n);
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) this.#onLine(l);
    }
  }

  /** Stops reading and closes the file. Idempotent. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
