/**
 * Test producers for ring buffers: hand-written SEC("syscall") programs run with
 * BPF_PROG_TEST_RUN (sleepable, as the kernel requires for syscall programs).
 *
 * `mixedProducer(map, n)`: one run emits `n` records with `bpf_ringbuf_output` from the
 * context, whose layout is
 *
 *     u32 seq      written by the program per record: base + i
 *     u32 size     written by the program: recordSize(i), 8..4096
 *     u32 base     written by the test
 *     u32 pad
 *     u8  pattern[CTX_SIZE - 16]   patternByte(k) at ctx offset k
 *
 * so record i carries its sequence number, its size and a known pattern. Iteration
 * `i % 7 == 3` instead reserves 64 bytes and discards them (a DISCARD record). The program
 * returns how many `bpf_ringbuf_output` calls failed (drops). The loop bound is a constant,
 * so the verifier walks each iteration with `i` known and every branch decided.
 */
import {
  BPF_ADD, BPF_AND, BPF_DW, BPF_JEQ, BPF_JLT, BPF_JNE, BPF_MOD, BPF_MUL, BPF_RSH, BPF_W,
  encodeInstructions, insn, BPF_FUNC, type Instruction,
} from '../../src/asm/index.js';
import { ProgType, progLoadRaw, progTestRun, hostLittleEndian, type Fd } from '../../src/syscall/index.js';
import { ProgFlags } from '../../src/uapi/bpf.js';
import { BpfMap } from '../../src/maps/index.js';

export const CTX_SIZE = 4096;

/** Payload size of record `i` of a run (8..4096, multiple of 8). */
export function recordSize(i: number): number {
  return ((Math.imul(i, 40503) >>> 0) & 0xff8) + 8;
}

/** Whether iteration `i` writes a discarded record instead of a real one. */
export function isDiscard(i: number): boolean {
  return i % 7 === 3;
}

/** Expected byte at payload offset `k` (k >= 16). */
export function patternByte(k: number): number {
  return (k * 31 + 7) & 0xff;
}

type Item = Instruction | { label: string } | { jump: (off: number) => Instruction; to: string };

/** Resolves `{label}` / `{jump, to}` items into instructions (offsets in 8-byte slots). */
function assemble(items: Item[]): Instruction[] {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if ('label' in it) labels.set(it.label, pc);
    else if ('jump' in it) pc += 1;
    else pc += it.opcode === 0x18 ? 2 : 1;
  }
  const out: Instruction[] = [];
  pc = 0;
  for (const it of items) {
    if ('label' in it) continue;
    if ('jump' in it) {
      out.push(it.jump(labels.get(it.to)! - pc - 1));
      pc += 1;
    } else {
      out.push(it);
      pc += it.opcode === 0x18 ? 2 : 1;
    }
  }
  return out;
}

function load(insns: Instruction[] | Uint8Array): Fd {
  // EAGAIN: the verifier stops when a signal is pending (do_check: signal_pending); retry
  // like libbpf does.
  const attr = {
    prog_type: ProgType.SYSCALL,
    insns: insns instanceof Uint8Array ? insns : encodeInstructions(insns, hostLittleEndian),
    license: 'GPL',
    prog_flags: ProgFlags.SLEEPABLE,
    log_level: 1,
    log_size: 1 << 24,
  };
  let r = progLoadRaw(attr);
  for (let tries = 0; !r.fd && r.errno === 11 && tries < 5; tries++) r = progLoadRaw(attr);
  if (!r.fd) throw new Error(`producer load failed: errno ${r.errno}\n${r.log.split('\n').slice(-30).join('\n')}`);
  return r.fd;
}

/**
 * Program emitting `n` mixed records per run into ring buffer `mapFd` (see module doc). The
 * record bytes come from the value of `srcFd`, an array map with one `CTX_SIZE`-byte value
 * filled by {@link mixedSource} (this kernel refuses a ctx pointer in bpf_ringbuf_output);
 * the context holds only `base` at offset 8.
 */
export function mixedProducer(mapFd: number, srcFd: number, n: number): Fd {
  const size = (dst: number): Instruction[] => [
    insn.mov64Reg(dst, 7),
    insn.alu64Imm(BPF_MUL, dst, 40503),
    insn.alu64Imm(BPF_AND, dst, 0xff8),
    insn.alu64Imm(BPF_ADD, dst, 8),
  ];
  return load(
    assemble([
      insn.ldx(BPF_W, 9, 1, 8),
      insn.ldMapValue(6, srcFd, 0),
      insn.mov64Imm(7, 0),
      insn.mov64Imm(8, 0),
      { label: 'loop' },
      insn.mov64Reg(1, 9),
      insn.alu64Reg(BPF_ADD, 1, 7),
      insn.stx(BPF_W, 6, 1, 0),
      ...size(2),
      insn.stx(BPF_W, 6, 2, 4),
      insn.mov64Reg(3, 7),
      insn.alu64Imm(BPF_MOD, 3, 7),
      { jump: (o) => insn.jmpImm(BPF_JNE, 3, 3, o), to: 'output' },
      insn.ldMapFd(1, mapFd),
      insn.mov64Imm(2, 64),
      insn.mov64Imm(3, 0),
      insn.callHelper(BPF_FUNC.ringbuf_reserve),
      { jump: (o) => insn.jmpImm(BPF_JEQ, 0, 0, o), to: 'next' },
      insn.mov64Reg(1, 0),
      insn.mov64Imm(2, 0),
      insn.callHelper(BPF_FUNC.ringbuf_discard),
      { jump: (o) => insn.ja(o), to: 'next' },
      { label: 'output' },
      insn.ldMapFd(1, mapFd),
      insn.mov64Reg(2, 6),
      ...size(3),
      insn.mov64Imm(4, 0),
      insn.callHelper(BPF_FUNC.ringbuf_output),
      // drops += (u64)r0 >> 63: 1 when the helper returned a negative errno; no branch, so
      // the verifier's states stay prunable.
      insn.alu64Imm(BPF_RSH, 0, 63),
      insn.alu64Reg(BPF_ADD, 8, 0),
      { label: 'next' },
      insn.alu64Imm(BPF_ADD, 7, 1),
      { jump: (o) => insn.jmpImm(BPF_JLT, 7, n, o), to: 'loop' },
      insn.mov64Reg(0, 8),
      insn.exit(),
    ]),
  );
}

/** Program that reserves and submits `n` records of `size` bytes (payload u64 = i) per run. */
export function fixedProducer(mapFd: number, n: number, size: number, flags = 0): Fd {
  return load(fixedProducerInsns(mapFd, n, size, flags));
}

/** The encoded instructions of {@link fixedProducer} (for the C peer of bench/ringbuf.ts). */
export function fixedProducerInsns(mapFd: number, n: number, size: number, flags = 0): Uint8Array {
  return encodeInstructions(
    assemble([
      insn.mov64Imm(7, 0),
      insn.mov64Imm(8, 0),
      { label: 'loop' },
      insn.ldMapFd(1, mapFd),
      insn.mov64Imm(2, size),
      insn.mov64Imm(3, 0),
      insn.callHelper(BPF_FUNC.ringbuf_reserve),
      { jump: (o) => insn.jmpImm(BPF_JNE, 0, 0, o), to: 'got' },
      insn.alu64Imm(BPF_ADD, 8, 1),
      { jump: (o) => insn.ja(o), to: 'next' },
      { label: 'got' },
      insn.stx(BPF_DW, 0, 7, 0),
      insn.mov64Reg(1, 0),
      insn.mov64Imm(2, flags),
      insn.callHelper(BPF_FUNC.ringbuf_submit),
      { label: 'next' },
      insn.alu64Imm(BPF_ADD, 7, 1),
      { jump: (o) => insn.jmpImm(BPF_JLT, 7, n, o), to: 'loop' },
      insn.mov64Reg(0, 8),
      insn.exit(),
    ]),
    hostLittleEndian,
  );
}

/** The source array map for {@link mixedProducer}: one value of pattern bytes. */
export function mixedSource(): BpfMap {
  const m = BpfMap.create({ type: 'array', keySize: 4, valueSize: CTX_SIZE, maxEntries: 1 });
  const v = new Uint8Array(CTX_SIZE);
  for (let k = 16; k < CTX_SIZE; k++) v[k] = patternByte(k);
  m.update(new Uint8Array(4), v);
  return m;
}

/** A context for {@link mixedProducer} whose first record has sequence number `base`. */
export function mixedContext(base: number): Uint8Array {
  const ctx = new Uint8Array(16);
  new DataView(ctx.buffer).setUint32(8, base, hostLittleEndian);
  return ctx;
}

/** Runs a producer once; returns its r0 (drops). */
export function run(prog: Fd, ctx?: Uint8Array): number {
  return progTestRun({ prog_fd: prog.raw, ...(ctx ? { ctx_in: ctx } : {}) }).retval;
}
