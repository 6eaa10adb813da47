/**
 * The consumer side of one `BPF_MAP_TYPE_RINGBUF`, over its mapped pages.
 *
 * Layout (kernel `kernel/bpf/ringbuf.c`, `struct bpf_ringbuf`), seen from user space at
 * mmap offsets of the map fd:
 *
 *     pgoff 0          one page: consumer_pos (u64)        mapped PROT_READ|PROT_WRITE
 *     pgoff 1          one page: producer_pos (u64)        mapped PROT_READ
 *     pgoff 2 ..       data, `size` bytes, then the same   mapped PROT_READ
 *                      pages again (the kernel maps them twice back to back)
 *
 * The kernel refuses a writable mapping of anything but the consumer page
 * (`ringbuf_map_mmap_kern`: EPERM). Because the data pages repeat, a record that starts near
 * the end of the area and wraps around still reads contiguously: from `cons & mask` up to
 * `2 * size` every byte is mapped.
 *
 * Records (`BPF_RINGBUF_HDR_SZ` = 8): `{ u32 len; u32 pg_off }` then `len` bytes, the whole
 * padded to 8. While the producer fills a record, `len` has `BPF_RINGBUF_BUSY_BIT`; commit
 * clears it with an `xchg` (and sets `BPF_RINGBUF_DISCARD_BIT` for a discarded record).
 *
 * Worked example, size 4096: producer_pos 4200, consumer_pos 4080. The header sits at
 * 4080 & 4095 = 4080; len 100 means 8 + 100 -> 112 bytes, payload at 4088..4187, which runs
 * past 4096 into the second mapping of the data pages, i.e. the ring's bytes 0..91. The
 * consumer then stores consumer_pos = 4192, and 4200 - 4192 = 8 bytes remain (a header).
 *
 * Ordering: producer_pos is read with `Atomics.load` and consumer_pos written with
 * `Atomics.store` (on the koffi views: non-shared ArrayBuffers, which the spec allows; they
 * are sequentially consistent, at least as strong as the kernel's acquire/release pairs).
 * Record headers need acquire loads too; see {@link PLAIN_HEADER_LOADS} for how they get them.
 * @module
 */
import { RingRecord } from './record.js';
import { RingbufCorruptedError } from './errors.js';

/** `BPF_RINGBUF_BUSY_BIT`: the producer has reserved the record but not committed it. */
export const BPF_RINGBUF_BUSY_BIT = 0x8000_0000;
/** `BPF_RINGBUF_DISCARD_BIT`: the record was discarded; skip it. */
export const BPF_RINGBUF_DISCARD_BIT = 0x4000_0000;
/** `BPF_RINGBUF_HDR_SZ`. */
export const BPF_RINGBUF_HDR_SZ = 8;

/** What one pass over a ring ended on. */
export enum StopReason {
  /** Consumed everything the producer had published. */
  Empty = 0,
  /** Stopped at a record the producer has not committed yet (BUSY). */
  Busy = 1,
  /** Stopped because the limit of records was reached. */
  Limit = 2,
}


/**
 * Whether a plain typed-array read of a record header is already an acquire load, the order
 * `bpf_ringbuf_commit`'s `xchg` pairs with (libbpf: `smp_load_acquire(len_ptr)`).
 *
 * On x86 it is: loads are not reordered with other loads (x86-TSO), and V8 emits typed-array
 * loads in program order (they are chained on its effect chain, so the JIT does not move
 * the payload reads of the callback above the header read that found the record committed).
 * Elsewhere (arm64, ...) the CPU may reorder loads, so the header is read with
 * `Atomics.load`. The choice matters for speed: `Atomics.load` is a builtin call in Node 20
 * (not inlined), 13-19 ns here, where libbpf's whole per-record cost is 3-5 ns.
 */
export const PLAIN_HEADER_LOADS = process.arch === 'x64' || process.arch === 'ia32';

/**
 * Reads the header word at `index` with acquire semantics, chosen once: a branch between the
 * two inside the loop would keep the `Atomics.load` call in the loop's code and make V8 save
 * registers around it even where it is never taken. The loop copies it into a local first:
 * V8 does not fold a module constant, and reading it from the module's context on every
 * record cost about 5% of the loop (A/B in one process, 200 passes each).
 */
const loadHeader: (hdr: Int32Array, index: number) => number = PLAIN_HEADER_LOADS ? (hdr, i) => hdr[i]! : (hdr, i) => Atomics.load(hdr, i);

/**
 * Publish the consumer position at least every this many bytes during a pass (and always
 * when the pass ends), so the producer can reuse space while a long pass runs. libbpf
 * publishes after every record; each of our stores converts the position to a BigInt, so
 * they are spaced (at most a quarter of the ring, so a producer never waits long for room).
 */
const PUBLISH_BYTES = 64 << 10;

/**
 * One ring buffer's mapped pages and the consumer protocol. Used by {@link RingbufReader};
 * exported for readers that drive rings themselves.
 */
export class Ring {
  /** consumer_pos, on the only writable page. */
  readonly #consumerPos: BigUint64Array;
  /** producer_pos (read-only page). */
  readonly #producerPos: BigUint64Array;
  /** Record headers, read with `Atomics.load` (read-only). */
  readonly #hdr: Int32Array;
  readonly #size: number;
  readonly #mask: number;
  /** The reused record handed to callbacks. */
  readonly record: RingRecord;
  /** The map's name, for error messages. */
  readonly name: string;
  /** Our copy of consumer_pos (we are its only writer). */
  #cons: number;
  #corrupt: RingbufCorruptedError | undefined;
  #stopped = false;

  /**
   * @param consumerPage the consumer page, mapped RW (`PAGE` bytes at offset 0)
   * @param producerArea the producer page and twice the data area, mapped RO
   *   (`PAGE + 2 * size` bytes at offset `PAGE`)
   */
  constructor(consumerPage: ArrayBuffer, producerArea: ArrayBuffer, pageSize: number, size: number, name: string, source: number) {
    this.#consumerPos = new BigUint64Array(consumerPage, 0, 1);
    this.#producerPos = new BigUint64Array(producerArea, 0, 1);
    this.#hdr = new Int32Array(producerArea, pageSize, (2 * size) >>> 2);
    this.#size = size;
    this.#mask = size - 1;
    this.#publishStep = Math.min(PUBLISH_BYTES, size >>> 2);
    this.name = name;
    this.record = new RingRecord(new Uint8Array(producerArea, pageSize, 2 * size));
    this.record.source = source;
    // smp_load_acquire(&rb->consumer_pos): where an earlier consumer (or we) stopped.
    this.#cons = Number(Atomics.load(this.#consumerPos, 0));
    // Every record is 8-byte aligned (the kernel rounds its size up to 8): a position that
    // is not was written by a broken consumer, and would read headers at the wrong words.
    // From here on #cons only moves by whole records.
    if (this.#cons % 8 !== 0) this.#corrupt = new RingbufCorruptedError(name, this.#cons, 'consumer position is not 8-byte aligned');
  }

  /** Bytes of data area (`max_entries`). */
  get size(): number {
    return this.#size;
  }

  /**
   * Ends every pass now and later: the reader calls it on close, so a callback that closes
   * the reader sees no further record (the pass in progress stops after it returns).
   */
  stop(): void {
    this.#stopped = true;
  }

  /** Bytes published by the producer and not consumed yet (0 when empty). */
  pending(): number {
    // smp_load_acquire(&rb->producer_pos)
    return Number(Atomics.load(this.#producerPos, 0)) - this.#cons;
  }

  /**
   * Hands each committed record to `fn`, in order, until the ring is empty, a BUSY record is
   * reached, or `limit` records were handed. Returns the count in `out[0]` and why it
   * stopped as the return value. A throwing `fn` stops the pass; the record it threw on
   * counts as consumed (like libbpf, which advances even when the callback fails).
   *
   * Throws {@link RingbufCorruptedError} (now and on every later call) when a header
   * breaks the protocol; nothing past it is read.
   */
  drain(fn: (rec: RingRecord) => void, limit: number, out: number[]): StopReason {
    out[0] = 0;
    if (this.#stopped) return StopReason.Limit;
    if (this.#corrupt) throw this.#corrupt;
    let n = 0;
    let reason = StopReason.Empty;
    try {
      for (;;) {
        // smp_load_acquire(&rb->producer_pos): when the pass starts and each time it has
        // caught up, never per record.
        const avail = Number(Atomics.load(this.#producerPos, 0)) - this.#cons;
        if (avail <= 0) break;
        // Runs of at most #publishStep bytes, each followed by a publish.
        reason = this.#scan(fn, avail, limit - n);
        n += this.#advance();
        if (this.#cons !== this.#published) this.#publish(this.#cons);
        if (reason === StopReason.Busy) {
          // Published what we consumed (now or by an earlier store, already ordered before
          // the load below), so the kernel's "wake if cons_pos == rec_pos" rule
          // (bpf_ringbuf_commit) wakes us for this record; now look once more, because the
          // commit may have happened between our load and our store (aya's lost-wakeup race;
          // Atomics.store is SeqCst, so this reload is ordered after it).
          if (Atomics.load(this.#hdr, (this.#cons & this.#mask) >>> 2) & BPF_RINGBUF_BUSY_BIT) break;
          reason = StopReason.Empty;
        } else if (reason === StopReason.Limit) {
          break;
        }
      }
    } finally {
      // When fn or the corruption check threw, #scan had counted the records before (and
      // the record fn threw on). The window closes here: publish so the kernel may reuse
      // the bytes.
      n += this.#advance();
      if (this.#cons !== this.#published) this.#publish(this.#cons);
      this.record.at(0, 0);
      out[0] = n;
    }
    return reason;
  }

  /** Moves #cons past what the last #scan consumed; returns how many records it handed. */
  #advance(): number {
    const n = this.#n;
    this.#cons += this.#pos;
    this.#pos = 0;
    this.#n = 0;
    return n;
  }

  /** Bytes consumed (past #cons) and records handed by the running {@link Ring.#scan}. */
  #pos = 0;
  #n = 0;
  /** The consumer_pos last stored. */
  #published = -1;

  /**
   * The hot loop of {@link Ring.drain}: hands the committed records of the next `avail`
   * published bytes (at most #publishStep of them, plus the record that crosses it) to `fn`,
   * at most `limit` records; #pos and #n say how far it got (also when `fn` throws). Returns
   * Empty when it reached the end of its run, Busy at an uncommitted record, Limit when
   * `limit` records were handed or the ring was stopped.
   *
   * Written for V8's optimizer: every variable is an int32 (positions are counted from
   * #cons, which may be past 2^32, so the loop never sees it), the header bits are literals
   * (module constants are not folded into the loop, and 2^31 and 2^30 are past V8's small
   * integers), and no try/finally: drain owns those. A loop with positions as doubles and
   * the publishing inside ran 2-3 times slower.
   */
  #scan(fn: (rec: RingRecord) => void, avail: number, limit: number): StopReason {
    const hdr = this.#hdr;
    const rec = this.record;
    const mask = this.#mask;
    const maxLen = this.#size - BPF_RINGBUF_HDR_SZ;
    const first = this.#cons & mask; // ToInt32 keeps base mod 2^32: exact, the size divides 2^32
    // int32 bounds: a ring holds at most 2^31 bytes, a record at most 2^30 (the kernel's
    // RINGBUF_MAX_RECORD_SZ), so clamping to 2^31 - 8 never cuts a record short.
    const bound = avail < 0x7fff_fff8 ? avail | 0 : 0x7fff_fff8;
    const end = bound < this.#publishStep ? bound : this.#publishStep;
    const max = limit < 0x7fff_ffff ? limit | 0 : 0x7fff_ffff;
    const load = loadHeader;
    let pos = 0;
    let n = 0;
    let reason = StopReason.Empty;
    while (pos < end) {
      if (n >= max) {
        reason = StopReason.Limit;
        break;
      }
      const off = (first + pos) & mask;
      const h = load(hdr, off >>> 2);
      if (h & 0x8000_0000) {
        reason = StopReason.Busy; // BPF_RINGBUF_BUSY_BIT
        break;
      }
      const len = h & 0x3fff_ffff; // ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)
      const total = (len + 15) & ~7; // + BPF_RINGBUF_HDR_SZ, rounded up to 8
      // Validate though the kernel wrote it: the payload must lie inside one copy of the
      // data area (the double mapping makes any such span readable) and before prod.
      if (len > maxLen || total > bound - pos) {
        // Past the int32 window only (a full 2 GiB ring): drain comes back from here.
        if (len <= maxLen && total <= avail - pos) break;
        this.#pos = pos;
        this.#n = n;
        throw this.#corrupted(this.#cons + pos, off, len, avail - pos);
      }
      pos += total;
      if (h & 0x4000_0000) continue; // BPF_RINGBUF_DISCARD_BIT
      n++;
      try {
        fn(rec.at(off + BPF_RINGBUF_HDR_SZ, len));
      } catch (e) {
        // pos and n are already past this record: it counts as consumed. (Saved here, not
        // before every call: a try costs nothing until something throws.)
        this.#pos = pos;
        this.#n = n;
        throw e;
      }
      if (this.#stopped === true) {
        reason = StopReason.Limit;
        break;
      }
    }
    this.#pos = pos;
    this.#n = n;
    return reason;
  }

  /**
   * Two-phase reading (for async iteration): the next committed record, or undefined when
   * the ring is empty or the next record is BUSY. The consumer position does not move past
   * the record until {@link Ring.release}: the record stays valid in between. Discarded
   * records before it are skipped (and released). Throws {@link RingbufCorruptedError} like
   * `drain`.
   */
  peek(): RingRecord | undefined {
    if (this.#stopped) return undefined;
    if (this.#corrupt) throw this.#corrupt;
    if (this.#holding) return this.record;
    for (;;) {
      const cons = this.#cons;
      const avail = Number(Atomics.load(this.#producerPos, 0)) - cons;
      if (avail <= 0) return undefined;
      const off = cons & this.#mask;
      const h = Atomics.load(this.#hdr, off >>> 2) >>> 0;
      if (h & BPF_RINGBUF_BUSY_BIT) return undefined;
      const len = h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const total = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7;
      if (len > this.#size - BPF_RINGBUF_HDR_SZ || total > avail) throw this.#corrupted(cons, off, len, avail);
      if (h & BPF_RINGBUF_DISCARD_BIT) {
        this.#cons = cons + total;
        this.#publish(this.#cons);
        continue;
      }
      this.#holding = total;
      return this.record.at(off + BPF_RINGBUF_HDR_SZ, len);
    }
  }

  /** Publishes the position past the record returned by {@link Ring.peek}. */
  release(): void {
    if (!this.#holding) return;
    this.#cons += this.#holding;
    this.#holding = 0;
    this.#publish(this.#cons);
    this.record.at(0, 0);
  }

  /** Bytes of the record handed out by peek() and not released yet. */
  #holding = 0;
  /** Publish at least every this many bytes in a pass: {@link PUBLISH_BYTES}, at most size/4. */
  readonly #publishStep: number;

  /** Records a protocol violation (every later call throws it too) and returns it. */
  #corrupted(cons: number, off: number, len: number, avail: number): RingbufCorruptedError {
    const where = len > this.#size - BPF_RINGBUF_HDR_SZ ? `the data area (${this.#size} bytes)` : `the ${avail} bytes the producer published`;
    this.#corrupt = new RingbufCorruptedError(this.name, cons, `length ${len} at offset ${off} exceeds ${where}`);
    return this.#corrupt;
  }

  /** smp_store_release(&rb->consumer_pos, cons). */
  #publish(cons: number): void {
    this.#published = cons;
    Atomics.store(this.#consumerPos, 0, BigInt(cons));
  }
}
