/**
 * `PerfReader`: records written with `bpf_perf_event_output` into a
 * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`, read from one perf ring per CPU (like libbpf's
 * `perf_buffer__new`).
 *
 * Setup per CPU: `perf_event_open(PERF_COUNT_SW_BPF_OUTPUT, pid -1, cpu)`, mmap of
 * 1 + 2^n pages (read-write: we write `data_tail`), the event fd stored in the map at key
 * `cpu`, `PERF_EVENT_IOC_ENABLE`. Waiting, callbacks and iteration work like
 * {@link RingbufReader}: event fds are watched from Node's event loop.
 * @module
 */
import { TsbpfError } from '../errors.js';
import { BpfMap } from '../maps/index.js';
import {
  MapType, PROT_READ, PROT_WRITE, bpfError, ioctl, mapShared, pageSize, perfEventOpen, possibleCpus, watchReadable,
  hostLittleEndian, type Fd, type FdWatch,
} from '../syscall/index.js';
import { BpfError } from '../syscall/index.js';
import { ReaderClosedError, RingbufMapError } from '../ringbuf/errors.js';
import type { RecordCallback } from '../ringbuf/reader.js';
import type { RingRecord } from '../ringbuf/record.js';
import { PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE, bpfOutputAttr, type PerfWakeup } from './attr.js';
import { PerfRing } from './ring.js';

/** Options of {@link PerfReader.open}. */
export interface PerfReaderOptions extends PerfWakeup {
  /** Data pages per CPU, a power of two (default 8). */
  pagesPerCpu?: number;
  /** Called with the CPU and count whenever the kernel reports lost records. */
  onLost?: (cpu: number, lost: number) => void;
  /** Closes the reader when aborted. */
  signal?: AbortSignal;
  /**
   * How often a waiting reader checks data_head without a wakeup (ms, default 100; 0
   * disables): with `watermarkBytes` the kernel stays silent until the watermark.
   */
  fallbackIntervalMs?: number;
}

interface Cpu {
  ring: PerfRing;
  fd: Fd;
  watch: FdWatch | undefined;
}

/**
 * Reads a perf event array. The reader owns its perf event fds and mappings; the map stays
 * the caller's (the reader's fds are stored in it; close() removes them). Linux 4.4+.
 */
export class PerfReader {
  readonly #cpus: Cpu[] = [];
  readonly #map: BpfMap;
  readonly #onLost: ((cpu: number, lost: number) => void) | undefined;
  #closed = false;
  #callback: RecordCallback | undefined;
  #onError: ((e: unknown) => void) | undefined;
  #waiters: Array<(ready: boolean) => void> = [];
  #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.close();
  readonly #fallbackMs: number;
  #fallbackTimer: NodeJS.Timeout | undefined;
  /** Records lost over the reader's life (sum of PERF_RECORD_LOST counts). */
  lost = 0;

  private constructor(map: BpfMap, options: PerfReaderOptions) {
    this.#map = map.clone();
    this.#onLost = options.onLost;
    this.#fallbackMs = options.fallbackIntervalMs ?? 100;
    if (options.signal) {
      this.#signal = options.signal;
      options.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /**
   * Opens one perf ring per possible CPU (CPUs that are offline are skipped) and stores
   * their fds in `map`. Throws {@link RingbufMapError} for a closed map or one that is not a
   * `BPF_MAP_TYPE_PERF_EVENT_ARRAY`, `BpfError` when perf_event_open or mmap fail.
   */
  static open(map: BpfMap, options: PerfReaderOptions = {}): PerfReader {
    if (map.closed) throw new RingbufMapError(`map '${map.name}' is closed`);
    if (map.type !== MapType.PERF_EVENT_ARRAY) throw new RingbufMapError(`map '${map.name}' is of type ${map.traits.name}, not perf_event_array`);
    const pages = options.pagesPerCpu ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0 || pages > 1 << 16) {
      throw new RingbufMapError(`pagesPerCpu ${pages} is not a power of two (1..65536)`);
    }
    if (options.signal?.aborted) throw new ReaderClosedError('perf reader');
    const r = new PerfReader(map, options);
    try {
      const page = pageSize();
      const attr = bpfOutputAttr(options);
      const n = Math.min(possibleCpus(), map.maxEntries);
      for (let cpu = 0; cpu < n; cpu++) {
        let fd: Fd;
        try {
          fd = perfEventOpen(attr, -1, cpu);
        } catch (e) {
          // An offline CPU has no event (ENODEV); libbpf skips it the same way.
          if (e instanceof BpfError && e.errnoNumber === 19) continue;
          throw e;
        }
        try {
          const mapping = mapShared(fd.raw, page * (pages + 1), PROT_READ | PROT_WRITE, 0);
          const key = new Uint8Array(4);
          new DataView(key.buffer).setUint32(0, cpu, hostLittleEndian);
          const value = new Uint8Array(4);
          new DataView(value.buffer).setUint32(0, fd.raw, hostLittleEndian);
          r.#map.updateBytes(key, value);
          ioctl(fd.raw, PERF_EVENT_IOC_ENABLE, 0);
          r.#cpus.push({ ring: new PerfRing(mapping, page, cpu), fd, watch: undefined });
        } catch (e) {
          fd.close();
          throw e;
        }
      }
      if (r.#cpus.length === 0) throw bpfError('perf_event_open', 19, 'no online CPU');
    } catch (e) {
      r.close();
      throw e;
    }
    return r;
  }

  /** Whether the reader is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes waiting over all CPUs. */
  pending(): number {
    let n = 0;
    for (const c of this.#cpus) n += c.ring.pending();
    return n;
  }

  /** Hands every waiting sample to `fn` without waiting; returns how many. */
  consume(fn?: RecordCallback, limit = Infinity): number {
    if (this.#closed) throw new ReaderClosedError('perf reader');
    const cb = fn ?? this.#callback;
    if (!cb) throw new TsbpfError('consume() needs a callback (or call on() first)');
    let total = 0;
    for (const c of this.#cpus) {
      if (total >= limit) break;
      total += c.ring.drain(cb, limit - total);
      this.#takeLost(c);
    }
    return total;
  }

  /** Waits up to `timeoutMs` for data without blocking the event loop, then consumes. */
  async poll(timeoutMs: number, fn?: RecordCallback): Promise<number> {
    if (this.#closed) throw new ReaderClosedError('perf reader');
    if (this.pending() === 0 && !(await this.#wait(timeoutMs))) return 0;
    if (this.#closed) return 0;
    return this.consume(fn);
  }

  /** Calls `fn` for each sample, driven by the event loop, until off() or close(). */
  on(fn: RecordCallback, onError?: (e: unknown) => void): this {
    if (this.#closed) throw new ReaderClosedError('perf reader');
    this.#callback = fn;
    this.#onError = onError;
    this.#watch(true);
    setImmediate(() => this.#service());
    return this;
  }

  /** Stops the `on` callback. */
  off(): this {
    this.#callback = undefined;
    this.#watch(false);
    return this;
  }

  /** Samples one at a time; each is valid until the loop asks for the next. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RingRecord, void, undefined> {
    if (this.#closed) throw new ReaderClosedError('perf reader');
    let next = 0;
    for (;;) {
      if (this.#closed) return;
      let rec: RingRecord | undefined;
      let cpu: Cpu | undefined;
      for (let k = 0; k < this.#cpus.length && !rec; k++) {
        cpu = this.#cpus[(next + k) % this.#cpus.length]!;
        rec = cpu.ring.peek();
        this.#takeLost(cpu);
      }
      if (!rec || !cpu) {
        if (!(await this.#wait(Infinity))) return;
        continue;
      }
      next++;
      try {
        yield rec;
      } finally {
        if (!this.#closed) cpu.ring.release();
      }
    }
  }

  /** Disables the events, removes them from the map, closes fds and watches. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#watch(false);
    // A pass may be running (close called from a record callback): end it after this record.
    for (const c of this.#cpus) c.ring.stop();
    for (const c of this.#cpus) {
      c.watch?.close();
      try {
        ioctl(c.fd.raw, PERF_EVENT_IOC_DISABLE, 0);
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, c.ring.cpu, hostLittleEndian);
        this.#map.delete(key);
      } catch {
        // Best effort: the map may be gone already; the fd is closed below either way.
      }
      c.fd.close();
    }
    this.#cpus.length = 0;
    this.#map.close();
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w(false);
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  #takeLost(c: Cpu): void {
    const lost = c.ring.lost;
    if (!lost) return;
    c.ring.lost = 0;
    this.lost += lost;
    this.#onLost?.(c.ring.cpu, lost);
  }

  #watch(on: boolean): void {
    for (const c of this.#cpus) {
      if (!on) c.watch?.pause();
      else if (c.watch) c.watch.resume();
      else c.watch = watchReadable(c.fd.raw, () => this.#readable());
    }
    if (!on && this.#fallbackTimer) {
      clearInterval(this.#fallbackTimer);
      this.#fallbackTimer = undefined;
    } else if (on && !this.#fallbackTimer && this.#fallbackMs > 0) {
      // Reads data_head (no syscall): catches records that did not reach the watermark.
      this.#fallbackTimer = setInterval(() => {
        if (this.pending() > 0) this.#readable();
      }, this.#fallbackMs);
      this.#fallbackTimer.unref();
    }
  }

  #wait(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (ready: boolean): void => {
        if (timer) clearTimeout(timer);
        resolve(ready);
      };
      this.#waiters.push(done);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const i = this.#waiters.indexOf(done);
          if (i >= 0) this.#waiters.splice(i, 1);
          if (!this.#waiters.length && !this.#callback) this.#watch(false);
          done(false);
        }, Math.max(0, timeoutMs));
      }
      this.#watch(true);
      if (this.pending() > 0) this.#readable();
    });
  }

  #readable(): void {
    if (this.#waiters.length) {
      const ws = this.#waiters;
      this.#waiters = [];
      if (!this.#callback) this.#watch(false);
      for (const w of ws) w(true);
    }
    if (this.#callback) this.#service();
  }

  #service(): void {
    if (!this.#callback || this.#closed) return;
    try {
      this.consume(this.#callback);
    } catch (e) {
      if (this.#onError) return this.#onError(e);
      this.close();
      throw e;
    }
  }
}
