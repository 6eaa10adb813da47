/**
 * Codecs turn map keys and values into bytes and back.
 *
 * The seam for typed values: `src/btf` will provide a `MapCodec` built from a map's BTF key
 * and value types (plain JS objects marshalled by the BTF layout). Until then, and for maps
 * without BTF, the codecs here cover raw bytes and fixed-width integers. Integers are encoded
 * in host byte order, as the kernel stores them.
 * @module
 */
import { hostLittleEndian } from '../syscall/index.js';
import { CodecError } from './errors.js';

/** Converts one key or value type to and from the bytes the kernel stores. */
export interface MapCodec<T> {
  /** The encoded size in bytes, when fixed; the map checks it against its key/value size. */
  readonly size?: number;
  /** `value` as the bytes the kernel stores; throws `CodecError` when it cannot be encoded. */
  encode(value: T): Uint8Array;
  /** Bytes from the kernel (`key_size` or `value_size` of them) as a value. */
  decode(bytes: Uint8Array): T;
}

/** Raw bytes, unchanged (decode returns a copy the caller owns). */
export const bytesCodec: MapCodec<Uint8Array> = {
  encode: (v) => v,
  decode: (b) => b,
};

function intCodec(size: 1 | 2 | 4 | 8, signed: boolean): MapCodec<number> {
  return {
    size,
    encode(v: number): Uint8Array {
      const b = new Uint8Array(size);
      const dv = new DataView(b.buffer);
      if (!Number.isInteger(v)) throw new CodecError(`${v} is not an integer`);
      switch (size) {
        case 1:
          if (signed) dv.setInt8(0, v);
          else dv.setUint8(0, v);
          break;
        case 2:
          if (signed) dv.setInt16(0, v, hostLittleEndian);
          else dv.setUint16(0, v, hostLittleEndian);
          break;
        case 4:
          if (signed) dv.setInt32(0, v, hostLittleEndian);
          else dv.setUint32(0, v, hostLittleEndian);
          break;
        case 8:
          if (signed) dv.setBigInt64(0, BigInt(v), hostLittleEndian);
          else dv.setBigUint64(0, BigInt(v), hostLittleEndian);
          break;
      }
      return b;
    },
    decode(b: Uint8Array): number {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      switch (size) {
        case 1:
          return signed ? dv.getInt8(0) : dv.getUint8(0);
        case 2:
          return signed ? dv.getInt16(0, hostLittleEndian) : dv.getUint16(0, hostLittleEndian);
        case 4:
          return signed ? dv.getInt32(0, hostLittleEndian) : dv.getUint32(0, hostLittleEndian);
        case 8:
          return Number(signed ? dv.getBigInt64(0, hostLittleEndian) : dv.getBigUint64(0, hostLittleEndian));
      }
    },
  };
}

/** `__u8`. */
export const u8Codec = intCodec(1, false);
/** `__u16`. */
export const u16Codec = intCodec(2, false);
/** `__u32`. */
export const u32Codec = intCodec(4, false);
/** `__s32`. */
export const i32Codec = intCodec(4, true);

function bigCodec(signed: boolean): MapCodec<bigint> {
  return {
    size: 8,
    encode(v: bigint): Uint8Array {
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      if (signed) dv.setBigInt64(0, v, hostLittleEndian);
      else dv.setBigUint64(0, v, hostLittleEndian);
      return b;
    },
    decode(b: Uint8Array): bigint {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return signed ? dv.getBigInt64(0, hostLittleEndian) : dv.getBigUint64(0, hostLittleEndian);
    },
  };
}

/** `__u64` as bigint. */
export const u64Codec = bigCodec(false);
/** `__s64` as bigint. */
export const i64Codec = bigCodec(true);

/** Key of an LPM trie: `struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; }`. */
export interface LpmKey {
  /** Number of leading bits of `data` that matter. */
  prefixlen: number;
  /** The address bytes, network order (e.g. 4 bytes for IPv4). */
  data: Uint8Array;
}

/** Codec for LPM trie keys whose data part is `dataSize` bytes (key size `4 + dataSize`). */
export function lpmKeyCodec(dataSize: number): MapCodec<LpmKey> {
  return {
    size: 4 + dataSize,
    encode(k: LpmKey): Uint8Array {
      if (k.data.length !== dataSize) throw new CodecError(`lpm key data is ${k.data.length} bytes, expected ${dataSize}`);
      if (!Number.isInteger(k.prefixlen) || k.prefixlen < 0 || k.prefixlen > dataSize * 8) {
        throw new CodecError(`lpm prefixlen ${k.prefixlen} out of range 0..${dataSize * 8}`);
      }
      const b = new Uint8Array(4 + dataSize);
      new DataView(b.buffer).setUint32(0, k.prefixlen, hostLittleEndian);
      b.set(k.data, 4);
      return b;
    },
    decode(b: Uint8Array): LpmKey {
      return { prefixlen: new DataView(b.buffer, b.byteOffset, 4).getUint32(0, hostLittleEndian), data: b.slice(4) };
    },
  };
}
