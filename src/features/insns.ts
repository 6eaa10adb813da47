/**
 * The few BPF instructions the feature probes need, encoded by hand (`struct bpf_insn`:
 * `u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm`, host byte order).
 * @module
 */
import { hostLittleEndian } from '../syscall/index.js';

const BPF_ALU64_MOV_K = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const BPF_JMP_CALL = 0x85; // BPF_JMP | BPF_CALL
const BPF_JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = code;
  // The register nibbles swap with the byte order (dst_reg is the low nibble on little-endian).
  b[1] = hostLittleEndian ? (src << 4) | dst : (dst << 4) | src;
  v.setInt16(2, off, hostLittleEndian);
  v.setInt32(4, imm, hostLittleEndian);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `r0 = imm; exit`: the smallest valid program of most types. */
export function returnImm(imm = 0): Uint8Array {
  return concat([insn(BPF_ALU64_MOV_K, 0, 0, 0, imm), insn(BPF_JMP_EXIT, 0, 0, 0, 0)]);
}

const BPF_ALU64_SUB_K = 0x17; // BPF_ALU64 | BPF_SUB | BPF_K
const BPF_JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const BPF_JMP_JLT_K = 0xa5; // BPF_JMP | BPF_JLT | BPF_K (ISA v2)
const BPF_JMP32_JLT_K = 0xa6; // BPF_JMP32 | BPF_JLT | BPF_K (ISA v3)

/** `r0 = 10; loop: r0 -= 1; if r0 != 0 goto loop; exit`: a bounded loop (5.3+). */
export function boundedLoop(): Uint8Array {
  return concat([
    insn(BPF_ALU64_MOV_K, 0, 0, 0, 10),
    insn(BPF_ALU64_SUB_K, 0, 0, 0, 1),
    insn(BPF_JMP_JNE_K, 0, 0, -2, 0),
    insn(BPF_JMP_EXIT, 0, 0, 0, 0),
  ]);
}

/** `r0 = 0; if r0 < 0 goto +1; r0 = 1; exit` with a 64-bit (v2) or 32-bit (v3) jump. */
export function isaProbe(version: 2 | 3): Uint8Array {
  return concat([
    insn(BPF_ALU64_MOV_K, 0, 0, 0, 0),
    insn(version === 2 ? BPF_JMP_JLT_K : BPF_JMP32_JLT_K, 0, 0, 1, 0),
    insn(BPF_ALU64_MOV_K, 0, 0, 0, 1),
    insn(BPF_JMP_EXIT, 0, 0, 0, 0),
  ]);
}

/** `BPF_MAXINSNS` (4096) + 1 instructions: `r0 = 1` repeated, then `exit` (5.2+ allows 1M). */
export function largeProgram(): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 4096; i++) parts.push(insn(BPF_ALU64_MOV_K, 0, 0, 0, 1));
  parts.push(insn(BPF_JMP_EXIT, 0, 0, 0, 0));
  return concat(parts);
}

const BPF_LD_IMM64 = 0x18; // BPF_LD | BPF_DW | BPF_IMM
const BPF_PSEUDO_MAP_FD = 1;

/** Encodes one instruction (for tests and probes that need a few more). */
export function encodeInsn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  return insn(code, dst, src, off, imm);
}

/** `rDst = map` (ld_imm64 with `BPF_PSEUDO_MAP_FD`): two instruction slots. */
export function loadMapFd(dst: number, mapFd: number): Uint8Array {
  return concat([insn(BPF_LD_IMM64, dst, BPF_PSEUDO_MAP_FD, 0, mapFd), insn(0, 0, 0, 0, 0)]);
}

/** `rDst = imm` (64-bit move of a 32-bit immediate). */
export function movImm(dst: number, imm: number): Uint8Array {
  return insn(BPF_ALU64_MOV_K, dst, 0, 0, imm);
}

/** `call helper`. */
export function call(helper: number): Uint8Array {
  return insn(BPF_JMP_CALL, 0, 0, 0, helper);
}

/** `exit`. */
export function exit(): Uint8Array {
  return insn(BPF_JMP_EXIT, 0, 0, 0, 0);
}

/** Joins instruction byte arrays into one program. */
export function program(...insns: Uint8Array[]): Uint8Array {
  return concat(insns);
}

/** `call helper; exit`: probes whether `helper` exists for a program type. */
export function callHelper(helper: number): Uint8Array {
  return concat([insn(BPF_JMP_CALL, 0, 0, 0, helper), insn(BPF_JMP_EXIT, 0, 0, 0, 0)]);
}
