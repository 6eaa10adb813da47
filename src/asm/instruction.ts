/**
 * BPF instructions as plain data, and their byte encoding.
 *
 * `struct bpf_insn` (include/uapi/linux/bpf.h) is 8 bytes:
 *
 * ```
 *   byte 0     byte 1              bytes 2-3   bytes 4-7
 *   code       dst_reg:4 src_reg:4  off (s16)   imm (s32)
 * ```
 *
 * `off` and `imm` are in the object's byte order. The register byte is a C bit-field pair,
 * and bit-fields are laid out in byte order too: on little-endian (`bpfel`) `dst_reg` is the
 * LOW nibble, on big-endian (`bpfeb`) it is the HIGH nibble. So `r2 = r1` is
 * `bf 12 00 00 00 00 00 00` on bpfel and `bf 21 00 00 00 00 00 00` on bpfeb.
 *
 * One instruction is twice as long: `BPF_LD | BPF_IMM | BPF_DW` (`ld_imm64`, opcode 0x18)
 * takes two slots; the second slot has opcode 0 and carries the upper 32 bits of the
 * immediate in its `imm`:
 *
 * ```
 *   18 01 00 00 ef cd ab 89   00 00 00 00 67 45 23 01    r1 = 0x123456789abcdef
 * ```
 *
 * Jump offsets, relocation offsets and `.BTF.ext` records all count in 8-byte *slots*, so a
 * decoded instruction keeps its slot `index`; after an `ld_imm64` the next index skips one.
 *
 * This file is layer 1: it imports only `src/errors.ts` and `src/bytes`.
 * @module
 */
import { AsmError, hex } from '../errors.js';
import { ByteReader } from '../bytes/reader.js';
import { BPF_INSN_SIZE, BPF_LD_IMM64 } from './opcodes.js';
import { instructionProblem } from './validate.js';

/**
 * One BPF instruction, as plain data. For the 16-byte `ld_imm64` it describes both slots:
 * `imm64` is the whole 64-bit immediate and `imm` mirrors its low 32 bits (signed), so code
 * that reads `insn.imm` (the map fd slot of a `BPF_PSEUDO_MAP_FD` load) sees the right value.
 */
export interface Instruction {
  /** `code`: class, operation/mode, source/size (see `opcodes.ts`). 0..255. */
  opcode: number;
  /** `dst_reg`, 0..15 (only 0..10 are registers the verifier accepts). */
  dst: number;
  /** `src_reg`, 0..15; for `ld_imm64` and `call` also the `BPF_PSEUDO_*` kind. */
  src: number;
  /** `off`: signed 16-bit offset (memory offset, jump distance, or an operation selector). */
  off: number;
  /** `imm`: signed 32-bit immediate. Values up to 2^32-1 are accepted by the encoder as u32. */
  imm: number;
  /**
   * For `ld_imm64` only: the full 64-bit immediate, `insn[1].imm << 32 | (u32)insn[0].imm`,
   * as an unsigned bigint (decoding always sets it). Authoritative for encoding: keep `imm`
   * equal to its low half (use {@link setImm64}); the encoder refuses a mismatch rather than
   * guess. When absent, the immediate is `imm` zero-extended.
   */
  imm64?: bigint;
}

/** An instruction read from a program, with its position. */
export interface DecodedInstruction extends Instruction {
  /** Slot index (8-byte units) from the start of the decoded bytes. */
  index: number;
}

/** Where the bytes being decoded come from, for error messages; and how strict to be. */
export interface DecodeOptions {
  /** Section name, e.g. `xdp` or `.text`. */
  section?: string;
  /** Section index in the ELF section header table. */
  sectionIndex?: number;
  /**
   * Reject opcodes the BPF instruction set does not define (an `AsmError` naming the
   * instruction). Off by default: a loader passes unknown instructions on, and the kernel's
   * verifier gives the authoritative answer.
   */
  strict?: boolean;
}

/** Whether `insn` is the 16-byte `BPF_LD | BPF_IMM | BPF_DW`. */
export function isLdImm64(insn: Pick<Instruction, 'opcode'>): boolean {
  return insn.opcode === BPF_LD_IMM64;
}

/** Number of 8-byte slots `insn` occupies: 2 for `ld_imm64`, else 1. */
export function slotCount(insn: Pick<Instruction, 'opcode'>): 1 | 2 {
  return insn.opcode === BPF_LD_IMM64 ? 2 : 1;
}

/** Sets the 64-bit immediate of an `ld_imm64`, keeping `imm` (its low half) in step. */
export function setImm64(insn: Instruction, value: bigint): void {
  const v = BigInt.asUintN(64, value);
  insn.imm64 = v;
  insn.imm = Number(BigInt.asIntN(32, v));
}

/**
 * Called by {@link visitProgram} for each instruction, in order: its fields, `imm64` for an
 * `ld_imm64` (else undefined), and the slot it starts at.
 */
export type InstructionVisitor = (
  opcode: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  imm64: bigint | undefined,
  slot: number,
) => void;

/**
 * Decodes a whole program, handing each instruction's fields to `visit` rather than making an
 * object of them: a loader that keeps instructions in a shape of its own builds that directly
 * (`bytes` is a section's contents, or part of it, in the given byte order: from the ELF
 * header, never the host's).
 * @throws AsmError as {@link decodeProgram} does, before `visit` sees the instruction.
 */
export function visitProgram(bytes: Uint8Array, littleEndian: boolean, options: DecodeOptions, visit: InstructionVisitor): void {
  const r = readerFor(bytes, littleEndian, options);
  const total = bytes.byteLength;
  if (total % BPF_INSN_SIZE !== 0) {
    const last = Math.floor(total / BPF_INSN_SIZE);
    throw r.error(
      `insn #${last}: truncated program: ${total} bytes is not a multiple of ${BPF_INSN_SIZE} ` +
        `(${total % BPF_INSN_SIZE} bytes left over)`,
      last * BPF_INSN_SIZE,
    );
  }
  const f = newFields();
  const strict = options.strict === true;
  for (let offset = 0; offset < total; ) {
    readAt(r, offset, strict, f);
    visit(f.opcode, f.dst, f.src, f.off, f.imm, f.imm64, offset / BPF_INSN_SIZE);
    offset += f.opcode === BPF_LD_IMM64 ? 2 * BPF_INSN_SIZE : BPF_INSN_SIZE;
  }
}

/**
 * Decodes a whole program: `bytes` is a section's contents (or part of it), read in the given
 * byte order (from the ELF header, never the host's).
 *
 * @throws AsmError when the length is not a multiple of 8, an `ld_imm64` has no second slot
 * or its second slot is not the zero-opcode continuation, or (with `strict`) an opcode is
 * not in the instruction set. The message names the instruction (`insn #12`) and the error
 * carries the byte offset.
 */
export function decodeProgram(
  bytes: Uint8Array,
  littleEndian: boolean,
  options: DecodeOptions = {},
): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  visitProgram(bytes, littleEndian, options, (opcode, dst, src, off, imm, imm64, index) => {
    out.push(decoded(opcode, dst, src, off, imm, imm64, index));
  });
  return out;
}

/**
 * Decodes the single instruction at slot `index` of `bytes` (both slots for an `ld_imm64`).
 * @throws AsmError as {@link decodeProgram} does, or when there is no slot `index`.
 */
export function decodeInstruction(
  bytes: Uint8Array,
  index: number,
  littleEndian: boolean,
  options: DecodeOptions = {},
): DecodedInstruction {
  const r = readerFor(bytes, littleEndian, options);
  const start = index * BPF_INSN_SIZE;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(start) || index < 0 || start + BPF_INSN_SIZE > bytes.byteLength) {
    throw r.error(
      `insn #${index}: no such slot (${Math.floor(bytes.byteLength / BPF_INSN_SIZE)} slots)`,
      Number.isSafeInteger(start) && start >= 0 ? start : 0,
    );
  }
  const f = newFields();
  readAt(r, start, options.strict === true, f);
  return decoded(f.opcode, f.dst, f.src, f.off, f.imm, f.imm64, index);
}

function decoded(opcode: number, dst: number, src: number, off: number, imm: number, imm64: bigint | undefined, index: number): DecodedInstruction {
  const insn: DecodedInstruction = { index, opcode, dst, src, off, imm };
  if (imm64 !== undefined) insn.imm64 = imm64;
  return insn;
}

function readerFor(bytes: Uint8Array, littleEndian: boolean, options: DecodeOptions): ByteReader {
  // Guards for callers outside TypeScript: a DataView over a non-buffer would throw TypeError.
  if (!(bytes instanceof Uint8Array)) {
    throw new AsmError(`program bytes must be a Uint8Array (got ${describe(bytes)})`, {
      section: options.section,
      sectionIndex: options.sectionIndex,
    });
  }
  return new ByteReader(
    bytes,
    littleEndian,
    (what, offset) => new AsmError(what, { section: options.section, sectionIndex: options.sectionIndex, offset }),
  );
}

/** The fields of one instruction, read into one reused object (no allocation per instruction). */
interface Fields {
  opcode: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  imm64: bigint | undefined;
}

function newFields(): Fields {
  return { opcode: 0, dst: 0, src: 0, off: 0, imm: 0, imm64: undefined };
}

/** The second slot of an ld_imm64, read by {@link readAt} (reused: decoding is synchronous). */
const second = newFields();

/** Reads the instruction whose first slot starts at byte `offset` (a multiple of 8) into `f`. */
function readAt(r: ByteReader, offset: number, strict: boolean, f: Fields): void {
  const index = offset / BPF_INSN_SIZE;
  readSlot(r, offset, index, f);
  f.imm64 = undefined;
  if (f.opcode === BPF_LD_IMM64) {
    const next = offset + BPF_INSN_SIZE;
    if (next + BPF_INSN_SIZE > r.length) {
      throw r.error(`insn #${index}: ld_imm64 is missing its second half (the program ends after slot ${index})`, offset);
    }
    readSlot(r, next, index + 1, second);
    if (second.opcode !== 0 || second.dst !== 0 || second.src !== 0 || second.off !== 0) {
      throw r.error(
        `insn #${index}: ld_imm64 second half (slot ${index + 1}) is not a continuation ` +
          `(code ${hex(second.opcode)}, dst_reg ${second.dst}, src_reg ${second.src}, off ${second.off}; all must be 0)`,
        next,
      );
    }
    const lo = f.imm >>> 0;
    const hi = second.imm >>> 0;
    // One bigint for the common immediate that fits in 32 bits (no shift and or to allocate).
    f.imm64 = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }
  if (strict) {
    const problem = instructionProblem(f);
    if (problem !== undefined) throw r.error(`insn #${index}: invalid instruction: ${problem}`, offset);
  }
}

function readSlot(r: ByteReader, offset: number, index: number, f: Fields): void {
  // One bounds check per slot (the message is only built on failure), then direct reads.
  if (!r.has(offset, BPF_INSN_SIZE)) r.need(offset, BPF_INSN_SIZE, `insn #${index}`);
  const regs = r.bytes[offset + 1]!;
  f.opcode = r.bytes[offset]!;
  f.off = r.view.getInt16(offset + 2, r.littleEndian);
  f.imm = r.view.getInt32(offset + 4, r.littleEndian);
  // Bit-field order follows byte order: see the file comment.
  f.dst = r.littleEndian ? regs & 0x0f : regs >> 4;
  f.src = r.littleEndian ? regs >> 4 : regs & 0x0f;
}

/**
 * Encodes instructions back to bytes in the given byte order. Decoding and re-encoding a
 * program gives the identical bytes.
 *
 * With `into` (large enough), the bytes are written at its start and the returned array is
 * a view of them in `into`: no new ArrayBuffer, which V8 takes microseconds to allocate (a
 * loader encodes every program on every load). Otherwise a new array is returned.
 *
 * @throws AsmError naming the instruction when a field is out of range (`opcode` not a u8,
 * registers not 0..15, `off` not an s16, `imm` not an s32/u32), or an `ld_imm64` has an
 * `imm64` that is not a 64-bit bigint or an `imm` that disagrees with its low half.
 */
export function encodeInstructions(insns: readonly Instruction[], littleEndian: boolean, into?: Uint8Array): Uint8Array {
  if (!Array.isArray(insns)) throw new AsmError(`instructions must be an array (got ${describe(insns)})`);
  // One walk (plain loops: the loader encodes every program on every load). An `into` that
  // holds 16 bytes per instruction fits any program; a smaller one gets the exact size first.
  let out: Uint8Array;
  if (into && into.length >= insns.length * 2 * BPF_INSN_SIZE) {
    out = into;
  } else {
    const size = countSlots(insns) * BPF_INSN_SIZE;
    out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  }
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = instructionAt(insns, i);
    const at = slot * BPF_INSN_SIZE;
    checkFields(insn, i, slot);
    writeSlot(out, at, insn.opcode, insn.dst, insn.src, insn.off, insn.imm, littleEndian);
    if (insn.opcode === BPF_LD_IMM64) {
      writeSlot(out, at + BPF_INSN_SIZE, 0, 0, 0, 0, ldImm64High(insn, i, slot), littleEndian);
      slot += 2;
    } else {
      slot += 1;
    }
  }
  return out.length === slot * BPF_INSN_SIZE ? out : out.subarray(0, slot * BPF_INSN_SIZE);
}

/** Slots `insns` take. */
function countSlots(insns: readonly Instruction[]): number {
  let slots = 0;
  for (let i = 0; i < insns.length; i++) slots += slotCount(instructionAt(insns, i));
  return slots;
}

/** `insns[i]`, refused unless it is an object (callers outside TypeScript). */
function instructionAt(insns: readonly Instruction[], i: number): Instruction {
  const insn = insns[i];
  if (typeof insn !== 'object' || insn === null) {
    throw new AsmError(`insn #${i}: not an instruction object (got ${describe(insn)})`);
  }
  return insn;
}

// Bounds of an ld_imm64 immediate (bigint constants, made once).
const MIN_I64 = -(1n << 63n);
const LIMIT_U64 = 1n << 64n;
const MAX_U32 = 0xffffffffn;

/**
 * The upper 32 bits of an `ld_imm64`'s immediate, for its second slot, after checking that
 * `imm64` is a 64-bit bigint whose low half is `imm`. Without `imm64` the immediate is `imm`,
 * zero-extended (`{ opcode: 0x18, src: 1, imm: fd }`). Most immediates fit in 32 bits (map
 * references, function offsets): compared without bigint arithmetic, which allocates.
 */
function ldImm64High(insn: Instruction, i: number, slot: number): number {
  const v = insn.imm64;
  if (v === undefined) return 0;
  if (typeof v === 'bigint' && v >= 0n && v <= MAX_U32 && Number(v) === insn.imm >>> 0) return 0;
  if (typeof v !== 'bigint' || v < MIN_I64 || v >= LIMIT_U64) {
    throw new AsmError(`insn #${i} (slot ${slot}): ld_imm64 'imm64' must be a bigint of at most 64 bits`, {
      offset: slot * BPF_INSN_SIZE,
    });
  }
  const u = BigInt.asUintN(64, v);
  if (Number(u & MAX_U32) !== insn.imm >>> 0) {
    throw new AsmError(
      `insn #${i} (slot ${slot}): ld_imm64 'imm' ${insn.imm} disagrees with the low half of 'imm64' ` +
        `${hex(u)} (set both with setImm64)`,
      { offset: slot * BPF_INSN_SIZE },
    );
  }
  return Number(u >> 32n) | 0;
}

/** Encodes one instruction (8 or 16 bytes). @throws AsmError as {@link encodeInstructions}. */
export function encodeInstruction(insn: Instruction, littleEndian: boolean): Uint8Array {
  return encodeInstructions([insn], littleEndian);
}

/** Throws the error naming the first field out of range. */
function checkFields(insn: Instruction, i: number, slot: number): void {
  if (!isIntIn(insn.opcode, 0, 0xff)) outOfRange(i, slot, 'opcode', insn.opcode, '0..255');
  if (!isIntIn(insn.dst, 0, 15)) outOfRange(i, slot, 'dst', insn.dst, '0..15');
  if (!isIntIn(insn.src, 0, 15)) outOfRange(i, slot, 'src', insn.src, '0..15');
  if (!isIntIn(insn.off, -0x8000, 0x7fff)) outOfRange(i, slot, 'off', insn.off, '-32768..32767');
  if (!isIntIn(insn.imm, -0x80000000, 0xffffffff)) outOfRange(i, slot, 'imm', insn.imm, 'a signed or unsigned 32-bit integer');
}

function outOfRange(i: number, slot: number, field: string, value: unknown, range: string): never {
  throw new AsmError(`insn #${i} (slot ${slot}): '${field}' ${String(value)} is out of range (${range})`, {
    offset: slot * BPF_INSN_SIZE,
  });
}

function isIntIn(v: unknown, lo: number, hi: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * Writes one 8-byte slot at byte `at` of `out`. Byte by byte (a typed array stores the low 8
 * bits of each value) rather than through a DataView, which the loader would have to create
 * for every program it encodes.
 */
function writeSlot(
  out: Uint8Array,
  at: number,
  opcode: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  littleEndian: boolean,
): void {
  out[at] = opcode;
  if (littleEndian) {
    out[at + 1] = (src << 4) | dst;
    out[at + 2] = off;
    out[at + 3] = off >> 8;
    out[at + 4] = imm;
    out[at + 5] = imm >> 8;
    out[at + 6] = imm >> 16;
    out[at + 7] = imm >> 24;
  } else {
    out[at + 1] = (dst << 4) | src;
    out[at + 2] = off >> 8;
    out[at + 3] = off;
    out[at + 4] = imm >> 24;
    out[at + 5] = imm >> 16;
    out[at + 6] = imm >> 8;
    out[at + 7] = imm;
  }
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
