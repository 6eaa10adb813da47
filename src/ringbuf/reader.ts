/**
 * `RingbufReader`: records of one or more `BPF_MAP_TYPE_RINGBUF` maps, delivered without
 * copying and without blocking the event loop (like libbpf's `ring_buffer__new` +
 * `ring_buffer__add`).
 *
 * Waiting: each ring's map fd is epoll-able (`ringbuf_map_poll_kern` reports readable while
 * `producer_pos != consumer_pos`). The reader watches the fds from Node's own event loop
 * (libuv's epoll set, through `watchReadable` in `src/syscall/poll.ts`), so a waiting reader
 * costs no thread and no spinning. A slow fallback timer also checks producer_pos (no
 * syscall): producers that pass `BPF_RB_NO_WAKEUP` never wake anyone.
 *
 * A BUSY record (reserved, not yet committed) stops the pass; the watch of that ring pauses
 * and a short timer retries, because the fd stays readable (level-triggered) while the record
 * is pending and an immediate retry would spin through the event loop.
 *
 * Mappings: the consumer page and the producer area are mapped with `mapShared`, which
 * unmaps when the last view of the pages is garbage-collected. `close()` only closes fds and
 * watches; a record view kept after it still reads mapped memory (stale, never a crash).
 * @module
 */
import { TsbpfError } from '../errors.js';
import { BpfMap } from '../maps/index.js';
import { MapType, PROT_READ, PROT_WRITE, mapShared, pageSize, watchReadable, type FdWatch } from '../syscall/index.js';
import { ReaderClosedError, RingbufCorruptedError, RingbufMapError } from './errors.js';
import { Ring, StopReason } from './ring.js';
import type { RingRecord } from './record.js';
import { ringDataSize } from './ring-map.js';

/** Called with each record; the record is valid until the function returns. */
export type RecordCallback = (record: RingRecord) => void;

/** Options of {@link RingbufReader}. */
export interface RingbufReaderOptions {
  /** Closes the reader when aborted (a pending wait or iteration ends). */
  signal?: AbortSignal;
  /**
   * How often a waiting reader checks producer_pos without a wakeup, for producers that
   * use `BPF_RB_NO_WAKEUP` (ms, default 100; 0 disables the timer).
   */
  fallbackIntervalMs?: number;
  /** Delay before retrying a ring stopped at a BUSY record (ms, default 1). */
  busyRetryMs?: number;
}

interface Source {
  ring: Ring;
  map: BpfMap;
  watch: FdWatch | undefined;
  busyTimer: NodeJS.Timeout | undefined;
  /** Set once the ring is found corrupt: it is never read or watched again. */
  broken: boolean;
}

/**
 * Reads one or more ring buffers. Create with {@link RingbufReader.open} (or `new` then
 * {@link RingbufReader.add}); the reader owns duplicates of the maps' fds and its mappings;
 * the caller keeps ownership of the `BpfMap`s it passed. Ring buffers exist since Linux 5.8.
 *
 * Three ways to read, do not mix them on one reader at the same time:
 * - `reader.on(fn)`: a callback per record, driven by the event loop;
 * - `for await (const rec of reader)`: each record valid until the loop body ends;
 * - `consume(fn)` (non-blocking drain) and `await poll(timeoutMs, fn)`.
 */
export class RingbufReader {
  readonly #sources: Source[] = [];
  readonly #fallbackMs: number;
  readonly #busyRetryMs: number;
  #closed = false;
  #callback: RecordCallback | undefined;
  #onError: ((e: unknown) => void) | undefined;
  /** Resolvers of pending waits (poll, the iterator). */
  #waiters: Array<(ready: boolean) => void> = [];
  #fallbackTimer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.close();
  readonly #count = [0];

  constructor(options: RingbufReaderOptions = {}) {
    this.#fallbackMs = options.fallbackIntervalMs ?? 100;
    this.#busyRetryMs = options.busyRetryMs ?? 1;
    if (options.signal) {
      this.#signal = options.signal;
      if (options.signal.aborted) this.#closed = true;
      else options.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** A reader over `maps` (see {@link RingbufReader.add} for what it checks). */
  static open(maps: BpfMap | readonly BpfMap[], options: RingbufReaderOptions = {}): RingbufReader {
    const r = new RingbufReader(options);
    try {
      for (const m of Array.isArray(maps) ? maps : [maps as BpfMap]) r.add(m);
    } catch (e) {
      r.close();
      throw e;
    }
    return r;
  }

  /**
   * Adds a ring buffer; returns its index, which records carry as `source`. Throws
   * {@link RingbufMapError} when the map is closed, not a `BPF_MAP_TYPE_RINGBUF`, or its
   * size is not a power-of-two multiple of the page size; `BpfError` when mmap fails.
   */
  add(map: BpfMap): number {
    this.#checkOpen();
    const size = ringDataSize(map, MapType.RINGBUF);
    const page = pageSize();
    const own = map.clone();
    try {
      // Exactly like libbpf's ring_buffer__add: consumer page RW at offset 0, producer page
      // plus the doubly-mapped data area RO at offset PAGE.
      const consumer = mapShared(own.fd, page, PROT_READ | PROT_WRITE, 0);
      const producer = mapShared(own.fd, page + 2 * size, PROT_READ, page);
      const index = this.#sources.length;
      this.#sources.push({ ring: new Ring(consumer, producer, page, size, map.name, index), map: own, watch: undefined, busyTimer: undefined, broken: false });
      if (this.#callback) this.#startWatch(this.#sources[index]!);
      return index;
    } catch (e) {
      own.close();
      throw e;
    }
  }

  /** Number of rings. */
  get size(): number {
    return this.#sources.length;
  }

  /** Whether {@link RingbufReader.close} was called (or the signal aborted). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes published by producers and not consumed yet, over all rings. */
  pending(): number {
    let n = 0;
    for (const s of this.#sources) n += s.ring.pending();
    return n;
  }

  /**
   * Hands every committed record of every ring to `fn` (or the `on` callback) without
   * waiting; returns how many. Throws {@link ReaderClosedError} after close,
   * {@link RingbufCorruptedError} for a corrupt ring, and whatever `fn` throws (the record it
   * threw on counts as consumed).
   */
  consume(fn?: RecordCallback, limit = Infinity): number {
    this.#checkOpen();
    const cb = fn ?? this.#callback;
    if (!cb) throw new TsbpfError('consume() needs a callback (or call on() first)');
    let total = 0;
    for (const s of this.#sources) {
      if (total >= limit) break;
      s.ring.drain(cb, limit - total, this.#count);
      total += this.#count[0]!;
    }
    return total;
  }

  /**
   * Waits up to `timeoutMs` (Infinity: no limit) for data, without blocking the event loop,
   * then consumes like {@link RingbufReader.consume}. Resolves with the number of records
   * (0 on timeout, or when the reader is closed while waiting).
   */
  async poll(timeoutMs: number, fn?: RecordCallback): Promise<number> {
    this.#checkOpen();
    if (this.pending() === 0) {
      const ready = await this.#wait(timeoutMs);
      if (!ready || this.#closed) return 0;
    }
    return this.consume(fn);
  }

  /**
   * Calls `fn` for every record from now on, driven by the event loop, until
   * {@link RingbufReader.off} or close. Errors (a throwing `fn`, a corrupt ring) go to
   * `onError`; without it, the reader closes and the error is rethrown (uncaught).
   */
  on(fn: RecordCallback, onError?: (e: unknown) => void): this {
    this.#checkOpen();
    this.#callback = fn;
    this.#onError = onError;
    for (const s of this.#sources) this.#startWatch(s);
    this.#startFallback();
    // Records already waiting do not wake a watcher; deliver them on the next tick.
    setImmediate(() => this.#service());
    return this;
  }

  /** Stops the `on` callback (the reader stays open). */
  off(): this {
    this.#callback = undefined;
    this.#stopWatches();
    return this;
  }

  /**
   * Records one at a time. A record is valid until the loop asks for the next one (the
   * consumer position is published then); breaking out of the loop publishes it too. The
   * iteration ends when the reader is closed or its signal aborts.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<RingRecord, void, undefined> {
    this.#checkOpen();
    let next = 0;
    for (;;) {
      if (this.#closed) return;
      let rec: RingRecord | undefined;
      let ring: Ring | undefined;
      // Round-robin over the rings so one busy ring cannot starve the others.
      const n = this.#sources.length;
      for (let k = 0; k < n && !rec; k++) {
        ring = this.#sources[(next + k) % n]!.ring;
        rec = ring.peek();
      }
      if (!rec || !ring) {
        if (this.pending() > 0) {
          // Data is published but the next record is BUSY: yield to the event loop for a
          // moment instead of spinning (the fd stays readable until the commit).
          await new Promise((r) => setTimeout(r, this.#busyRetryMs));
        } else if (!(await this.#wait(Infinity))) {
          return;
        }
        continue;
      }
      next++;
      try {
        yield rec;
      } finally {
        // The window closes when the loop asks for the next record or leaves the loop.
        if (!this.#closed) ring.release();
      }
    }
  }

  /**
   * Closes the watches, timers and the reader's fds. Pending waits resolve (poll with 0, the
   * iterator ends). The mapped pages are unmapped once no view of them remains. Idempotent.
   */
  close(): void {
    if (this.#closed && this.#sources.length === 0) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#stopWatches();
    // A pass may be running (close called from a record callback): end it after this record.
    for (const s of this.#sources) s.ring.stop();
    for (const s of this.#sources) {
      s.watch?.close();
      s.watch = undefined;
      s.map.close();
    }
    this.#sources.length = 0;
    this.#wake(false);
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new ReaderClosedError();
  }

  /** Resolves true when some ring has data, false on timeout or close. */
  #wait(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (ready: boolean): void => {
        if (timer) clearTimeout(timer);
        resolve(ready);
      };
      this.#waiters.push(done);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => this.#expire(done), Math.max(0, timeoutMs));
      for (const s of this.#sources) this.#startWatch(s);
      this.#startFallback();
      // Data may have arrived between the caller's check and the watch (the watch would
      // fire too, but only on the next loop turn).
      if (this.pending() > 0) this.#wake(true);
    });
  }

  #expire(done: (ready: boolean) => void): void {
    const i = this.#waiters.indexOf(done);
    if (i >= 0) this.#waiters.splice(i, 1);
    if (this.#waiters.length === 0 && !this.#callback) this.#stopWatches();
    done(false);
  }

  #wake(ready: boolean): void {
    const ws = this.#waiters;
    this.#waiters = [];
    if (!this.#callback) this.#stopWatches();
    for (const w of ws) w(ready);
  }

  /** The timer that notices records from producers that never wake us (BPF_RB_NO_WAKEUP). */
  #startFallback(): void {
    if (this.#fallbackMs <= 0 || this.#fallbackTimer) return;
    this.#fallbackTimer = setInterval(() => {
      if (this.pending() > 0) this.#readable();
    }, this.#fallbackMs);
    // The fd watches keep the process alive while someone waits; this timer need not.
    this.#fallbackTimer.unref();
  }

  #startWatch(s: Source): void {
    if (s.broken) return;
    if (s.watch) {
      if (!s.busyTimer) s.watch.resume();
      return;
    }
    s.watch = watchReadable(s.map.fd, () => this.#readable());
  }

  #stopWatches(): void {
    for (const s of this.#sources) {
      s.watch?.pause();
      if (s.busyTimer) clearTimeout(s.busyTimer);
      s.busyTimer = undefined;
    }
    if (this.#fallbackTimer) clearInterval(this.#fallbackTimer);
    this.#fallbackTimer = undefined;
  }

  #readable(): void {
    if (this.#waiters.length) this.#wake(true);
    if (this.#callback) this.#service();
  }

  /** Drains every ring into the `on` callback; pauses rings stopped at BUSY. */
  #service(): void {
    const fn = this.#callback;
    if (!fn || this.#closed) return;
    for (const s of this.#sources) {
      let reason: StopReason;
      try {
        reason = s.ring.drain(fn, Infinity, this.#count);
      } catch (e) {
        if (e instanceof RingbufCorruptedError) {
          // Unrecoverable: stop watching this ring (its fd would stay readable forever).
          s.broken = true;
          s.watch?.pause();
        }
        if (this.#onError) {
          this.#onError(e);
          continue;
        }
        this.close();
        throw e;
      }
      if (reason === StopReason.Busy && !s.busyTimer) {
        s.watch?.pause();
        s.busyTimer = setTimeout(() => {
          s.busyTimer = undefined;
          if (this.#callback && !this.#closed) {
            s.watch?.resume();
            this.#service();
          }
        }, this.#busyRetryMs);
      }
    }
  }
}
