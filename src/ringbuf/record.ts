/**
 * One record, seen where it lies in the mapped ring.
 *
 * The zero-copy window: a {@link RingRecord} describes bytes inside the kernel's ring. It is
 * valid until the callback returns (or, for `for await`, until the loop asks for the next
 * record); only then does the reader publish the consumer position, which lets the kernel
 * reuse the space. Keep the bytes with {@link RingRecord.copy}. A view kept longer never
 * crashes (the mapping lives as long as any view of it) but may show newer records' bytes.
 *
 * No allocation on the hot path: the reader reuses one `RingRecord` per ring. `buffer`,
 * `data` and `offset` let a hot loop read fields with no allocation at all
 * (`rec.data.getUint32(rec.offset, true)`); `bytes` and `view` create a view when called.
 * @module
 */

/** A record in a ring buffer or perf buffer, valid during its callback. */
export class RingRecord {
  /** A DataView over the whole mapped data area (read-only memory: never write to it). */
  data: DataView;
  /** Byte view of the same area. */
  ring: Uint8Array;
  /** Start of the payload inside {@link RingRecord.data}. */
  offset = 0;
  /** Payload length in bytes (without the 8-byte `BPF_RINGBUF_HDR_SZ` header). */
  length = 0;
  /** Index of the ring in its reader (order of `add`), or the CPU for perf buffers. */
  source = 0;

  constructor(ring: Uint8Array) {
    this.ring = ring;
    this.data = new DataView(ring.buffer, ring.byteOffset, ring.byteLength);
  }

  /** @internal Points this record at a new payload (the reader calls it per record). */
  at(offset: number, length: number): this {
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** @internal Rebinds to another backing area (perf buffers reassemble wrapped records). */
  rebind(ring: Uint8Array, data: DataView): void {
    this.ring = ring;
    this.data = data;
  }

  /**
   * The payload as bytes, aliasing the ring (no copy; a new view object per call, so read it
   * once into a local). Valid during the callback.
   */
  get bytes(): Uint8Array {
    return this.ring.subarray(this.offset, this.offset + this.length);
  }

  /** The payload as a DataView, aliasing the ring (no copy; a new view per call). */
  get view(): DataView {
    return new DataView(this.ring.buffer, this.ring.byteOffset + this.offset, this.length);
  }

  /** A copy of the payload that stays valid forever. */
  copy(): Uint8Array {
    return this.ring.slice(this.offset, this.offset + this.length);
  }
}
