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
  /** Host-order views of the data area, for the record headers. */
  readonly #i32: Int32Array;
  readonly #u16: Uint16Array;
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
  /** Bytes of the sample handed out by peek() (and the lost records before it). */
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
    this.#i32 = new Int32Array(mapping, off, size >>> 2);
    this.#u16 = new Uint16Array(mapping, off, size >>> 1);
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
   * A throwing `fn` stops the pass; its sample counts as consumed.
   */
  drain(fn: (rec: RingRecord) => void, limit: number): number {
    if (this.#stopped) return 0;
    let n = 0;
    try {
      for (;;) {
        // smp_load_acquire(&pc->data_head): every record before it is complete.
        const avail = Number(Atomics.load(this.#head, 0)) - this.#tailPos;
        if (avail <= 0 || n >= limit || this.#stopped) break;
        this.#scan(fn, avail, limit - n);
        n += this.#advance();
      }
    } finally {
      n += this.#advance();
      // smp_store_release(&pc->data_tail, tail): the kernel may now overwrite these bytes.
      if (this.#tailPos !== this.#published) this.#publish();
    }
    return n;
  }

  /** The next sample without consuming it (valid until {@link PerfRing.release}). */
  peek(): RingRecord | undefined {
    if (this.#held) return this.record;
    if (this.#stopped) return undefined;
    const avail = Number(Atomics.load(this.#head, 0)) - this.#tailPos;
    if (avail <= 0) return undefined;
    try {
      this.#scan(PerfRing.#hold, avail, 1);
    } catch (e) {
      // A corrupt record: nothing is consumed (the next drain meets it again).
      this.#pos = 0;
      this.#n = 0;
      throw e;
    }
    if (this.#n === 0) {
      // Only PERF_RECORD_LOST records: consumed.
      this.#advance();
      this.#publish();
      return undefined;
    }
    // Keep the tail before the sample until release().
    this.#held = this.#pos;
    this.#pos = 0;
    this.#n = 0;
    return this.record;
  }

  /** Consumes the sample returned by {@link PerfRing.peek}. */
  release(): void {
    if (!this.#held) return;
    this.#tailPos += this.#held;
    this.#held = 0;
    this.#publish();
  }

  static readonly #hold = (): void => {};

  /** Bytes consumed (past the tail) and samples handed by the running {@link PerfRing.#scan}. */
  #pos = 0;
  #n = 0;
  /** The data_tail last stored. */
  #published = -1;

  /** Moves the tail past what the last #scan consumed; returns how many samples it handed. */
  #advance(): number {
    const n = this.#n;
    this.#tailPos += this.#pos;
    this.#pos = 0;
    this.#n = 0;
    return n;
  }

  #publish(): void {
    this.#published = this.#tailPos;
    Atomics.store(this.#tail, 0, BigInt(this.#tailPos));
  }

  /**
   * The hot loop of {@link PerfRing.drain}: hands the samples in the next `avail` bytes to
   * `fn` (at most `limit`); #pos and #n say how far it got, also when `fn` throws. Written
   * like the BPF ring buffer's (`Ring.#scan` in src/ringbuf/ring.ts): int32 positions counted
   * from the tail, literals for the record types, no try/finally.
   */
  #scan(fn: (rec: RingRecord) => void, avail: number, limit: number): void {
    // perf_event_header { u32 type; u16 misc; u16 size } and the raw sample's u32 size are
    // in the kernel's byte order, the host's: read through host-order typed arrays, which
    // V8 compiles to single loads (a DataView with a run-time byte order costs a branch).
    const i32 = this.#i32;
    const u16 = this.#u16;
    const rec = this.record;
    const mask = this.#mask;
    const size = this.#size;
    const first = this.#tailPos & mask; // exact: the size is a power of two dividing 2^32
    // int32 bounds; a record is at most 64 KiB (perf_event_header.size is a u16), so a run
    // cut at 2^31 - 8 bytes only ends early, and drain comes back for the rest.
    const bound = avail < 0x7fff_fff8 ? avail | 0 : 0x7fff_fff8;
    const max = limit < 0x7fff_ffff ? limit | 0 : 0x7fff_ffff;
    let pos = 0;
    let n = 0;
    if ((first & 7) !== 0) {
      this.#stopAt(0, 0);
      throw this.#corrupt(this.#tailPos, 'data_tail is not 8-byte aligned');
    }
    while (pos < bound && n < max) {
      const off = (first + pos) & mask;
      const left = bound - pos;
      // The 8-byte header lies inside the views and never wraps: every record starts 8-byte
      // aligned (the kernel rounds each record's size up to a u64; checked below) and the
      // area is a power of two. So it is read before we know that 8 bytes were published.
      const type = i32[off >>> 2]!;
      const recSize = u16[(off + 6) >>> 1]!;
      if (recSize < 8 || (recSize & 7) !== 0 || recSize > left) {
        // Past the int32 window only: drain comes back from here.
        if (recSize >= 8 && (recSize & 7) === 0 && bound < avail) break;
        this.#stopAt(pos, n);
        throw this.#corrupt(this.#tailPos + pos, `record size ${recSize} (${(recSize & 7) !== 0 ? 'not a multiple of 8' : `${left} bytes published`})`);
      }
      if (off + recSize > size) {
        // Wrapped (rare): reassembled apart, so that this loop stays small.
        this.#stopAt(pos, n);
        n += this.#wrapped(fn, off, type, recSize);
        pos += recSize;
        this.#stopAt(pos, n);
        if (this.#stopped === true) break;
        continue;
      }
      pos += recSize;
      if (type === 9) {
        // PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: u32 size, then the bytes.
        const len = recSize >= 12 ? i32[(off + 8) >>> 2]! : -1;
        if (len < 0 || len + 12 > recSize) {
          this.#stopAt(pos - recSize, n);
          throw this.#corrupt(this.#tailPos + pos - recSize, `raw sample of ${len < 0 ? 'no' : len} bytes in a ${recSize}-byte record`);
        }
        n++;
        try {
          fn(rec.at(off + 12, len));
        } catch (e) {
          // pos and n are already past this sample: it counts as consumed.
          this.#stopAt(pos, n);
          throw e;
        }
        if (this.#stopped === true) break;
      } else if (type === 2 && recSize >= 24) {
        // PERF_RECORD_LOST: u64 id, u64 lost.
        this.lost += Number(this.#dv.getBigUint64(off + 16, hostLittleEndian));
      }
    }
    this.#stopAt(pos, n);
  }

  /**
   * A record that runs past the end of the data area: copied, in its two parts, into the
   * scratch area (the only copy this reader makes) and handed from there. Returns the number
   * of samples handed (0 or 1).
   */
  #wrapped(fn: (rec: RingRecord) => void, off: number, type: number, recSize: number): number {
    const part = this.#size - off;
    this.#scratch.set(this.#data.subarray(off), 0);
    this.#scratch.set(this.#data.subarray(0, recSize - part), part);
    const view = this.#scratchView;
    const le = hostLittleEndian;
    if (type === PERF_RECORD_LOST && recSize >= 24) this.lost += Number(view.getBigUint64(16, le));
    if (type !== PERF_RECORD_SAMPLE) return 0;
    const len = recSize >= 12 ? view.getUint32(8, le) : -1;
    if (len < 0 || len + 12 > recSize) throw this.#corrupt(this.#tailPos + this.#pos, `raw sample of ${len < 0 ? 'no' : len} bytes in a ${recSize}-byte record`);
    const rec = this.record;
    rec.rebind(this.#scratch, view);
    // Counted before fn runs: if fn throws, the sample counts as consumed.
    this.#stopAt(this.#pos + recSize, this.#n + 1);
    try {
      fn(rec.at(12, len));
    } finally {
      rec.rebind(this.#data, this.#dv);
    }
    return 1;
  }

  #stopAt(pos: number, n: number): void {
    this.#pos = pos;
    this.#n = n;
  }

  #corrupt(pos: number, detail: string): RingbufCorruptedError {
    return new RingbufCorruptedError(`perf cpu ${this.cpu}`, pos, detail);
  }
}
