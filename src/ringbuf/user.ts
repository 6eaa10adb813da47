/**
 * The producer side of a `BPF_MAP_TYPE_USER_RINGBUF`: user space writes records, a BPF program
 * drains them with `bpf_user_ringbuf_drain(map, callback, ctx, flags)` (Linux 6.1).
 *
 * The roles of {@link Ring} reversed. Layout at mmap offsets of the map fd:
 *
 *     pgoff 0          consumer_pos (u64), written by the kernel   mapped PROT_READ
 *     pgoff 1          producer_pos (u64), written by us           mapped PROT_READ|PROT_WRITE
 *     pgoff 2 ..       data, twice back to back                    mapped PROT_READ|PROT_WRITE
 *
 * (`ringbuf_map_mmap_user` refuses a writable mapping of the consumer page: EPERM.)
 *
 * Protocol (the kernel's `__bpf_user_ringbuf_peek` is the reader):
 * - reserve: room is `size - (producer_pos - consumer_pos)`; the record takes
 *   `round_up(len + BPF_RINGBUF_HDR_SZ, 8)` bytes; write the header `{ len | BUSY_BIT, 0 }` at
 *   `producer_pos & mask`, then publish `producer_pos += total` (release);
 * - submit: clear BUSY in the header (an atomic exchange); discard: also set DISCARD_BIT.
 * The kernel stops at a BUSY record (its drain returns -EBUSY for it), so records must be
 * committed in order for the program to see them; a reserved record blocks the ones after it.
 * The kernel also refuses a record larger than a `struct bpf_dynptr` can describe.
 * @module
 */
import type { BpfMap } from '../maps/index.js';
import { MapType, PROT_READ, PROT_WRITE, mapShared, pageSize, watchWritable, type FdWatch } from '../syscall/index.js';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './ring.js';
import { ReaderClosedError, RingbufMapError } from './errors.js';
import { ringDataSize } from './ring-map.js';

/** A reserved record: write its `bytes`, then {@link UserRingbuf.submit} or {@link UserRingbuf.discard} it. */
export interface UserRecord {
  /** The record's payload, a view over the ring (no copy). */
  readonly bytes: Uint8Array;
  /** The same bytes as a DataView. */
  readonly view: DataView;
  /** Header offset in the data area (internal). */
  readonly headerOffset: number;
}

/** Options of {@link UserRingbuf.reserveAsync}. */
export interface ReserveOptions {
  /** Give up after this long (default: wait forever). */
  timeoutMs?: number;
  /** Stop waiting when aborted. */
  signal?: AbortSignal;
}

/** Why a reserve failed, as libbpf's `user_ring_buffer__reserve` errno. */
export class UserRingbufFullError extends RingbufMapError {}

/**
 * Writes records into a `BPF_MAP_TYPE_USER_RINGBUF` (libbpf's `user_ring_buffer`).
 *
 * ```ts
 * using rb = UserRingbuf.open(coll.map('input')!);
 * rb.write(new Uint8Array([1, 2, 3]));          // reserve + copy + submit
 * const r = rb.reserve(16); r.view.setBigUint64(0, 42n, true); rb.submit(r);
 * ```
 */
export class UserRingbuf {
  readonly #map: BpfMap;
  /** consumer_pos: the kernel's (read-only page). */
  readonly #consumerPos: BigUint64Array;
  /** producer_pos: ours. */
  readonly #producerPos: BigUint64Array;
  readonly #data: Uint8Array;
  /** Header words of the data area, for the atomic commit. */
  readonly #hdr: Int32Array;
  readonly #size: number;
  readonly #mask: number;
  /** Our copy of producer_pos (we are its only writer). */
  #prod: number;
  #closed = false;
  #watch: FdWatch | undefined;
  #waiters: (() => void)[] = [];

  private constructor(map: BpfMap) {
    const page = pageSize();
    const size = map.maxEntries;
    this.#map = map;
    this.#size = size;
    this.#mask = size - 1;
    const consumer = mapShared(map.fd, page, PROT_READ, 0);
    const producer = mapShared(map.fd, page + 2 * size, PROT_READ | PROT_WRITE, page);
    this.#consumerPos = new BigUint64Array(consumer, 0, 1);
    this.#producerPos = new BigUint64Array(producer, 0, 1);
    this.#data = new Uint8Array(producer, page, 2 * size);
    this.#hdr = new Int32Array(producer, page, (2 * size) / 4);
    this.#prod = Number(Atomics.load(this.#producerPos, 0));
  }

  /**
   * Maps `map` for writing. Throws {@link RingbufMapError} when it is closed, not a
   * `BPF_MAP_TYPE_USER_RINGBUF`, or not a power-of-two multiple of the page size.
   */
  static open(map: BpfMap): UserRingbuf {
    ringDataSize(map, MapType.USER_RINGBUF);
    const own = map.clone();
    try {
      return new UserRingbuf(own);
    } catch (e) {
      own.close();
      throw e;
    }
  }

  /** Free bytes in the ring (records take their length + 8, rounded up to 8). */
  get available(): number {
    return this.#size - (this.#prod - Number(Atomics.load(this.#consumerPos, 0)));
  }

  /**
   * Reserves `length` bytes, or throws {@link UserRingbufFullError} when they do not fit now
   * (ENOSPC; {@link reserveAsync} waits instead) or never can (E2BIG).
   */
  reserve(length: number): UserRecord {
    const r = this.#tryReserve(length);
    if (typeof r === 'string') throw new UserRingbufFullError(`map '${this.#map.name}': ${r}`);
    return r;
  }

  /** As {@link reserve}, but waits (in the event loop) for the BPF program to drain enough. */
  async reserveAsync(length: number, options: ReserveOptions = {}): Promise<UserRecord> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      const r = this.#tryReserve(length);
      if (typeof r !== 'string') return r;
      if (r.startsWith('E2BIG')) throw new UserRingbufFullError(`map '${this.#map.name}': ${r}`);
      options.signal?.throwIfAborted();
      const left = deadline - Date.now();
      if (left <= 0) throw new UserRingbufFullError(`map '${this.#map.name}': ${r} (timed out)`);
      await this.#waitWritable(left, options.signal);
    }
  }

  /** Commits a reserved record: the BPF program's next drain sees it. */
  submit(record: UserRecord): void {
    this.#commit(record, false);
  }

  /** Gives a reserved record back: the kernel skips it. */
  discard(record: UserRecord): void {
    this.#commit(record, true);
  }

  /** Reserves, copies `bytes` in, submits. */
  write(bytes: Uint8Array): void {
    const r = this.reserve(bytes.length);
    r.bytes.set(bytes);
    this.submit(r);
  }

  /** Whether {@link UserRingbuf.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Releases the map (the pages are unmapped once no view refers to them). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.close();
    this.#watch = undefined;
    for (const w of this.#waiters.splice(0)) w();
    this.#map.close();
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  #tryReserve(length: number): UserRecord | string {
    if (this.#closed) throw new ReaderClosedError('user ring buffer is closed');
    if (!Number.isInteger(length) || length < 0 || length & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) {
      return `E2BIG: record length ${length} is not a 30-bit length`;
    }
    const total = (length + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    if (total > this.#size) return `E2BIG: a ${length}-byte record does not fit in a ${this.#size}-byte ring`;
    const cons = Number(Atomics.load(this.#consumerPos, 0));
    if (this.#size - (this.#prod - cons) < total) return `ENOSPC: ${total} bytes needed, ${this.#size - (this.#prod - cons)} free`;
    const at = this.#prod & this.#mask;
    // The header first (len with BUSY, pg_off 0), then publish the new producer position.
    Atomics.store(this.#hdr, at / 4 + 1, 0);
    Atomics.store(this.#hdr, at / 4, (length | BPF_RINGBUF_BUSY_BIT) | 0);
    this.#prod += total;
    Atomics.store(this.#producerPos, 0, BigInt(this.#prod));
    // The payload starts after the header; the double mapping keeps it contiguous.
    const start = at + BPF_RINGBUF_HDR_SZ;
    const bytes = this.#data.subarray(start, start + length);
    return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, length), headerOffset: at };
  }

  #commit(record: UserRecord, discard: boolean): void {
    if (this.#closed) throw new ReaderClosedError('user ring buffer is closed');
    const i = record.headerOffset / 4;
    const len = Atomics.load(this.#hdr, i);
    if (!(len & BPF_RINGBUF_BUSY_BIT)) throw new RingbufMapError(`record at ${record.headerOffset} was already submitted or discarded`);
    const cleared = (len & ~BPF_RINGBUF_BUSY_BIT) | (discard ? BPF_RINGBUF_DISCARD_BIT : 0);
    Atomics.exchange(this.#hdr, i, cleared);
  }

  /** Resolves when the map fd is writable (the kernel drained something), or after `ms`. */
  #waitWritable(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters = this.#waiters.filter((w) => w !== done);
        if (this.#waiters.length === 0) this.#watch?.pause();
        resolve();
      };
      this.#waiters.push(done);
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      if (!this.#watch) this.#watch = watchWritable(this.#map.fd, () => this.#waiters.slice().forEach((w) => w()));
      else this.#watch.resume();
    });
  }
}
