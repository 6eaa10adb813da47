/**
 * One CPU's perf ring buffer: the `perf_event_mmap_page` and the data pages after it.
 *
 * Unlike a BPF ring buffer the data pages are mapped once, so a record may wrap around the
 * end: it is copied, in two parts, into a scratch buffer (the only copy this reader makes).
 * Positions live in the first page (`struct perf_event_mmap_page`): `data_head` (written by
 * the kernel; read with acquire, perf's `ring_buffer_read_head`), `data_tail` (written by us
 * with release, `ring_buffer_write_tail`), `data_offset`/`data_size` (4.1+).
 *
 * Records start with `struct perf_event_header { u32 type; u16 misc; u16 size; }`, 8-byte
 * aligned. This reader handles:
 * - `PERF_RECORD_SAMPLE` with `PERF_SAMPLE_RAW`: `u32 size` then the bytes
 *   `bpf_perf_event_output` wrote (the kernel pads `size` so the record stays aligned);
 * - `PERF_RECORD_LOST`: `u64 id; u64 lost`, records dropped because the ring was full.
 * @module
 */
import { RingRecord } from '../ringbuf/record.js';
import { RingbufCorruptedError } from '../ringbuf/errors.js';
import { hostLittleEndian } from '../syscall/index.js';

/** `PERF_RECORD_LOST`. */
export const PERF_RECORD_LOST = 2;
/** `PERF_RECORD_SAMPLE`. */
export const PERF_RECORD_SAMPLE = 9;

const DATA_HEAD = 1024; // offsetof(struct perf_event_mmap_page, data_head)
const DATA_TAIL = 1032;
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;

/** A per-CPU perf ring, used by {@link PerfReader}. */
export class PerfRing {
  readonly #head: BigUint64Array;
  readonly #tail: BigUint64Array;
  readonly #data: Uint8Array;
  readonly #dv: DataView;
  readonly #size: number;
  readonly #mask: number;
  /** Reassembly area for records that wrap (64 KiB: `perf_event_header.size` is a u16). */
  readonly #scratch = new Uint8Array(1 << 16);
  readonly #scratchView = new DataView(this.#scratch.buffer);
  /** The reused record handed to callbacks (`source` is the CPU). */
  readonly record: RingRecord;
  /** The CPU whose buffer this is. */
  readonly cpu: number;
  #tailPos: number;
  /** Records lost (from PERF_RECORD_LOST) since the last take. */
  lost = 0;
  #held = 0;
  #stopped = false;

  constructor(mapping: ArrayBuffer, pageSize: number, cpu: number) {
    const le = hostLittleEndian;
    const meta = new DataView(mapping, 0, pageSize);
    let off = Number(meta.getBigUint64(DATA_OFFSET, le));
    let size = Number(meta.getBigUint64(DATA_SIZE, le));
    if (size === 0) {
      // Kernels before 4.1 leave these 0: the data starts at the second page.
      off = pageSize;
      size = mapping.byteLength - pageSize;
    }
    this.#head = new BigUint64Array(mapping, DATA_HEAD, 1);
    this.#tail = new BigUint64Array(mapping, DATA_TAIL, 1);
    this.#data = new Uint8Array(mapping, off, size);
    this.#dv = new DataView(mapping, off, size);
    this.#size = size;
    this.#mask = size - 1;
    this.cpu = cpu;
    this.record = new RingRecord(this.#data);
    this.record.source = cpu;
    this.#tailPos = Number(Atomics.load(this.#tail, 0));
  }

  /** Bytes the kernel wrote that we have not consumed. */
  pending(): number {
    return Number(Atomics.load(this.#head, 0)) - this.#tailPos;
  }

  /** Ends every pass now and later (the reader's close; see `Ring.stop` in src/ringbuf). */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Hands raw samples to `fn` (until empty or `limit`), counts lost records into
   * {@link PerfRing.lost}, publishes `data_tail` at the end. Returns the number of samples.
   * With `hold`, stops after one sample without publishing past it (see {@link PerfRing.peek}).
   */
  drain(fn: (rec: RingRecord) => void, limit: number, hold = false): number {
    const le = hostLittleEndian;
    // smp_load_acquire(&pc->data_head)
    const head = Number(Atomics.load(this.#head, 0));
    const data = this.#data;
    const dv = this.#dv;
    const rec = this.record;
    const mask = this.#mask;
    let tail = this.#tailPos;
    let n = 0;
    try {
      while (tail < head && n < limit && !this.#stopped) {
        const off = tail & mask;
        if (head - tail < 8) throw this.#corrupt(tail, `${head - tail} bytes left, less than a perf_event_header`);
        // The 8-byte header never wraps (records are 8-aligned, the area a power of two).
        const type = dv.getUint32(off, le);
        const size = dv.getUint16(off + 6, le);
        if (size < 8 || size > head - tail) throw this.#corrupt(tail, `record size ${size} (${head - tail} bytes published)`);
        let view = dv;
        let base = off;
        if (off + size > this.#size) {
          // Wrapped: copy both parts into the scratch area.
          const first = this.#size - off;
          this.#scratch.set(data.subarray(off), 0);
          this.#scratch.set(data.subarray(0, size - first), first);
          view = this.#scratchView;
          base = 0;
        }
        if (type === PERF_RECORD_SAMPLE) {
          const len = view.getUint32(base + 8, le);
          if (len + 12 > size) throw this.#corrupt(tail, `raw sample of ${len} bytes in a ${size}-byte record`);
          // Rebind only on a change (a wrapped record, or the first after one): the stores
          // are not free (GC write barriers) and this runs per record.
          if (rec.data !== view) rec.rebind(view === dv ? data : this.#scratch, view);
          if (hold) {
            this.#held = size;
            n++;
            fn(rec.at(base + 12, len));
            return n;
          }
          tail += size;
          n++;
          fn(rec.at(base + 12, len));
        } else {
          if (type === PERF_RECORD_LOST && size >= 24) this.lost += Number(view.getBigUint64(base + 16, le));
          tail += size;
        }
      }
    } finally {
      this.#tailPos = tail;
      // smp_store_release(&pc->data_tail, tail): the kernel may now overwrite these bytes.
      Atomics.store(this.#tail, 0, BigInt(tail));
    }
    return n;
  }

  /** The next sample without consuming it (valid until {@link PerfRing.release}). */
  peek(): RingRecord | undefined {
    let got: RingRecord | undefined;
    this.#held = 0;
    this.drain((r) => (got = r), 1, true);
    return got;
  }

  /** Consumes the sample returned by {@link PerfRing.peek}. */
  release(): void {
    if (!this.#held) return;
    this.#tailPos += this.#held;
    this.#held = 0;
    Atomics.store(this.#tail, 0, BigInt(this.#tailPos));
  }

  #corrupt(pos: number, detail: string): RingbufCorruptedError {
    return new RingbufCorruptedError(`perf cpu ${this.cpu}`, pos, detail);
  }
}
