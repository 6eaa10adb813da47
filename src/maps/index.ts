/**
 * Layer 3 (runtime): BPF maps. `BpfMap` (one class for every map type, its differences in
 * `MapTraits`), `MapSpec` (plain data to create one from), and `MapCodec`, the seam through
 * which keys and values become bytes (raw, integers, LPM keys here; BTF-typed objects from
 * `src/btf` through `btfCodec`/`typedMap`), and BTF objects read back by id (`loadBtfById`).
 *
 * May import: `src/syscall`, `src/features`, `src/btf`, `src/errors.ts`, `src/bytes`.
 * @module
 */
export { BpfMap, MapView, BPFFS_MOUNT_HINT, type MapCodecs } from './map.js';
export type { MapSpec, MapBtf } from './spec.js';
export { MapError, IterationAbortedError, CodecError } from './errors.js';
export {
  bytesCodec,
  u8Codec,
  u16Codec,
  u32Codec,
  i32Codec,
  u64Codec,
  i64Codec,
  lpmKeyCodec,
  type MapCodec,
  type LpmKey,
} from './codec.js';
export { mapTraits, mapTypeOf, type MapTraits } from './types.js';
export { btfCodec, mapBtfCodecs, typedMap, typedMapFromId, typedMapFromPin, type BtfCodecOptions, type MapBtfCodecs } from './btf-codec.js';
export { btfObjectInfo, loadBtfById, type BtfObjectInfo, type LoadBtfByIdOptions } from './kernel-btf.js';
