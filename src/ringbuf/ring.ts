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
 * Ordering: `Atomics.load`/`Atomics.store` on the koffi views (non-shared ArrayBuffers,
 * allowed by the spec; they are sequentially consistent, at least as strong as the
 * acquire/release pairs the kernel uses).
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


/** Publish the consumer position at least this often (records), so the kernel can reuse space. */
const PUBLISH_EVERY = 64;

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
    this.name = name;
    this.record = new RingRecord(new Uint8Array(producerArea, pageSize, 2 * size));
    this.record.source = source;
    // smp_load_acquire(&rb->consumer_pos): where an earlier consumer (or we) stopped.
    this.#cons = Number(Atomics.load(this.#consumerPos, 0));
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
  drain(fn: (rec: RingRecord) => void, limit: number, out: number[], hold = false): StopReason {
    if (this.#stopped) {
      out[0] = 0;
      return StopReason.Limit;
    }
    if (this.#corrupt) throw this.#corrupt;
    const hdr = this.#hdr;
    const rec = this.record;
    const mask = this.#mask;
    const size = this.#size;
    let cons = this.#cons;
    // smp_load_acquire(&rb->producer_pos), once per pass (cilium: "to avoid TOCTOU").
    let prod = Number(Atomics.load(this.#producerPos, 0));
    let n = 0;
    let unpublished = 0;
    let reason = StopReason.Empty;
    try {
      for (;;) {
        if (cons >= prod) {
          reason = StopReason.Empty;
          break;
        }
        if (n >= limit || this.#stopped) {
          reason = StopReason.Limit;
          break;
        }
        const off = cons & mask;
        // smp_load_acquire(len_ptr): pairs with the xchg in bpf_ringbuf_commit. (A plain read
        // would be an acquire load on x86 and about twice as fast here, but the JS memory
        // model lets a compiler reorder plain loads: only Atomics orders the payload after it.)
        const h = Atomics.load(hdr, off >>> 2) >>> 0;
        if (h & BPF_RINGBUF_BUSY_BIT) {
          // Publish what we consumed, so the kernel's "wake if cons_pos == rec_pos" rule
          // (bpf_ringbuf_commit) wakes us for this record; then look once more, because
          // the commit may have happened between our load and our store (aya's
          // lost-wakeup race; Atomics.store is SeqCst, so the reload is ordered after it).
          if (unpublished) {
            this.#publish(cons);
            unpublished = 0;
          }
          if (Atomics.load(hdr, off >>> 2) & BPF_RINGBUF_BUSY_BIT) {
            reason = StopReason.Busy;
            break;
          }
          continue;
        }
        const len = h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
        const total = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7;
        // Validate though the kernel wrote it: the payload must lie inside one copy of the
        // data area (the double mapping makes any such span readable) and before prod.
        if (len > size - BPF_RINGBUF_HDR_SZ || total > prod - cons) {
          this.#publish(cons);
          this.#corrupt = new RingbufCorruptedError(
            this.name,
            cons,
            `length ${len} at offset ${off} exceeds ${len > size - BPF_RINGBUF_HDR_SZ ? `the data area (${size} bytes)` : `the ${prod - cons} bytes the producer published`}`,
          );
          throw this.#corrupt;
        }
        if (hold && !(h & BPF_RINGBUF_DISCARD_BIT)) {
          // peek(): keep the position at this header; publish what came before it.
          this.#heldAt = cons;
          this.#heldOff = off + BPF_RINGBUF_HDR_SZ;
          this.#heldLen = len;
        }
        cons += total;
        if (!(h & BPF_RINGBUF_DISCARD_BIT)) {
          n++;
          unpublished++;
          // cons is already past this record: if fn throws, it counts as consumed.
          fn(rec.at(off + BPF_RINGBUF_HDR_SZ, len));
        }
        if (unpublished >= PUBLISH_EVERY) {
          this.#publish(cons);
          unpublished = 0;
        }
        if (cons >= prod) prod = Number(Atomics.load(this.#producerPos, 0));
      }
    } finally {
      this.#cons = cons;
      // The record's window closes here: publish so the kernel may reuse its bytes
      // (for peek(), only up to the held record's header).
      this.#publish(hold && n ? this.#heldAt : cons);
      if (!hold) rec.at(0, 0);
      out[0] = n;
    }
    return reason;
  }

  /**
   * Two-phase reading (for async iteration): the next committed record, or undefined when
   * the ring is empty or the next record is BUSY. The consumer position does not move until
   * {@link Ring.release}: the record stays valid in between. Discarded records before it
   * are skipped (and released). Throws {@link RingbufCorruptedError} like `drain`.
   */
  peek(): RingRecord | undefined {
    let got: RingRecord | undefined;
    // Reuse drain's checks with limit 1, then roll our copy of the position back to the
    // record's header so that it is published only by release().
    this.#holding = 0;
    this.drain((r) => {
      got = r;
    }, 1, this.#one, true);
    if (!got) return undefined;
    this.#holding = this.#cons - this.#heldAt;
    this.#cons = this.#heldAt;
    return got.at(this.#heldOff, this.#heldLen);
  }

  /** Publishes the position past the record returned by {@link Ring.peek}. */
  release(): void {
    if (!this.#holding) return;
    this.#cons += this.#holding;
    this.#holding = 0;
    this.#publish(this.#cons);
    this.record.at(0, 0);
  }

  #holding = 0;
  #heldAt = 0;
  #heldOff = 0;
  #heldLen = 0;
  readonly #one = [0];

  /** smp_store_release(&rb->consumer_pos, cons). */
  #publish(cons: number): void {
    Atomics.store(this.#consumerPos, 0, BigInt(cons));
  }
}
