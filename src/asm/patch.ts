/**
 * Writing one field of an instruction that is already encoded.
 *
 * A loader encodes a program's instructions as the object file gave them, then writes the
 * numbers only the kernel knows into the bytes: a map's fd in the `imm` of an `ld_imm64`
 * (`src_reg` `BPF_PSEUDO_MAP_FD`), a value offset in its second half, a call's distance, a
 * kfunc's BTF id. libbpf does the same on its copy of the instructions
 * (`insn[0].imm = map_fd`, `insn[1].imm = off` in `bpf_object__relocate_data`).
 *
 * Fields are at the offsets of `struct bpf_insn` (see `instruction.ts`): `src_reg` is a
 * nibble of byte 1 (the high one on little-endian), `off` bytes 2-3, `imm` bytes 4-7, in
 * the byte order the bytes were encoded in.
 *
 * This file is layer 1: it imports only `src/errors.ts`.
 * @module
 */
import { AsmError } from '../errors.js';
import { BPF_INSN_SIZE } from './opcodes.js';

function checkSlot(bytes: Uint8Array, slot: number, slots: number): number {
  const at = slot * BPF_INSN_SIZE;
  if (!Number.isSafeInteger(slot) || slot < 0 || at + slots * BPF_INSN_SIZE > bytes.length) {
    throw new AsmError(`insn #${slot}: no such slot to patch (${Math.floor(bytes.length / BPF_INSN_SIZE)} slots)`);
  }
  return at;
}

function writeS32(bytes: Uint8Array, at: number, v: number, littleEndian: boolean): void {
  // A typed array stores the low 8 bits of each value: no DataView needed.
  if (littleEndian) {
    bytes[at] = v;
    bytes[at + 1] = v >> 8;
    bytes[at + 2] = v >> 16;
    bytes[at + 3] = v >> 24;
  } else {
    bytes[at] = v >> 24;
    bytes[at + 1] = v >> 16;
    bytes[at + 2] = v >> 8;
    bytes[at + 3] = v;
  }
}

/** Sets `src_reg` of the instruction at `slot`. */
export function patchSrc(bytes: Uint8Array, slot: number, src: number, littleEndian: boolean): void {
  const at = checkSlot(bytes, slot, 1) + 1;
  bytes[at] = littleEndian ? (bytes[at]! & 0x0f) | ((src & 0xf) << 4) : (bytes[at]! & 0xf0) | (src & 0xf);
}

/** Sets `off` (s16) of the instruction at `slot`. */
export function patchOff(bytes: Uint8Array, slot: number, off: number, littleEndian: boolean): void {
  const at = checkSlot(bytes, slot, 1) + 2;
  bytes[at] = littleEndian ? off : off >> 8;
  bytes[at + 1] = littleEndian ? off >> 8 : off;
}

/** Sets `imm` (s32, or a u32 up to 2^32-1) of the instruction at `slot`. */
export function patchImm(bytes: Uint8Array, slot: number, imm: number, littleEndian: boolean): void {
  writeS32(bytes, checkSlot(bytes, slot, 1) + 4, imm, littleEndian);
}

/**
 * Sets both halves of the `ld_imm64` at `slot`: `lo` in its `imm`, `hi` in the `imm` of the
 * second slot (each a 32-bit value).
 */
export function patchImm64(bytes: Uint8Array, slot: number, lo: number, hi: number, littleEndian: boolean): void {
  const at = checkSlot(bytes, slot, 2);
  writeS32(bytes, at + 4, lo, littleEndian);
  writeS32(bytes, at + BPF_INSN_SIZE + 4, hi, littleEndian);
}
