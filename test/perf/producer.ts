/**
 * Test producer for perf buffers: an XDP program run with BPF_PROG_TEST_RUN that calls
 * `bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, value, size)` `n` times per run.
 *
 * The source is the single value of an array map (`perfSource`): `u64 seq` (incremented by
 * the program before each record, so record k carries k), `u64 drops` (failed outputs, added
 * by the program), then pattern bytes. Record i of a run has `recordSize(i)` bytes (8..2048).
 */
import { BPF_ADD, BPF_AND, BPF_DW, BPF_JLT, BPF_MUL, BPF_RSH, encodeInstructions, insn, BPF_FUNC } from '../../src/asm/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { ProgType, hostLittleEndian, progLoadRaw, progTestRun, type Fd } from '../../src/syscall/index.js';

export const SRC_SIZE = 2048;

/** Size of record `i` of a run. */
export function recordSize(i: number): number {
  return ((Math.imul(i, 40503) >>> 0) & 0x7f8) + 8;
}

/** Pattern byte at offset `k >= 16` of every record. */
export function patternByte(k: number): number {
  return (k * 13 + 5) & 0xff;
}

/** The source map: seq 0, drops 0, pattern. */
export function perfSource(): BpfMap {
  const m = BpfMap.create({ type: 'array', keySize: 4, valueSize: SRC_SIZE, maxEntries: 1 });
  const v = new Uint8Array(SRC_SIZE);
  for (let k = 16; k < SRC_SIZE; k++) v[k] = patternByte(k);
  m.update(new Uint8Array(4), v);
  return m;
}

/** The program's failed-output count, from the source map. */
export function perfDrops(src: BpfMap): number {
  const v = src.lookup(new Uint8Array(4))!;
  return Number(new DataView(v.buffer, v.byteOffset).getBigUint64(8, hostLittleEndian));
}

/** Loads the producer for perf event array `mapFd`, source array `srcFd`. */
export function perfProducer(mapFd: number, srcFd: number, n: number, fixedSize?: number): Fd {
  const r = progLoadRaw({ prog_type: ProgType.XDP, insns: perfProducerInsns(mapFd, srcFd, n, fixedSize), license: 'GPL', log_level: 1, log_size: 1 << 24 });
  if (!r.fd) throw new Error(`perf producer load failed: errno ${r.errno}\n${r.log.split('\n').slice(-20).join('\n')}`);
  return r.fd;
}

/**
 * The encoded producer (for the C peer of bench/ringbuf.ts). With `fixedSize`, every record
 * has that many bytes instead of `recordSize(i)`.
 */
export function perfProducerInsns(mapFd: number, srcFd: number, n: number, fixedSize?: number): Uint8Array {
  // Offsets are resolved by hand: the loop body has a fixed length.
  const body = [
    insn.ldMapValue(9, srcFd, 0),
    insn.ldx(BPF_DW, 1, 9, 0),
    insn.alu64Imm(BPF_ADD, 1, 1),
    insn.stx(BPF_DW, 9, 1, 0),
    insn.mov64Reg(1, 6),
    insn.ldMapFd(2, mapFd),
    insn.mov32Imm(3, -1), // BPF_F_CURRENT_CPU (0xffffffff, zero-extended)
    insn.mov64Reg(4, 9),
    ...(fixedSize !== undefined
      ? [insn.mov64Imm(5, fixedSize)]
      : [insn.mov64Reg(5, 7), insn.alu64Imm(BPF_MUL, 5, 40503), insn.alu64Imm(BPF_AND, 5, 0x7f8), insn.alu64Imm(BPF_ADD, 5, 8)]),
    insn.callHelper(BPF_FUNC.perf_event_output),
    insn.alu64Imm(BPF_RSH, 0, 63),
    insn.ldx(BPF_DW, 1, 9, 8),
    insn.alu64Reg(BPF_ADD, 1, 0),
    insn.stx(BPF_DW, 9, 1, 8),
    insn.alu64Imm(BPF_ADD, 7, 1),
  ];
  const slots = body.reduce((s, i) => s + (i.opcode === 0x18 ? 2 : 1), 0);
  const insns = [
    insn.mov64Reg(6, 1),
    insn.mov64Imm(7, 0),
    ...body,
    insn.jmpImm(BPF_JLT, 7, n, -(slots + 1)),
    insn.mov64Imm(0, 2), // XDP_PASS
    insn.exit(),
  ];
  return encodeInstructions(insns, hostLittleEndian);
}

/** Runs the producer once on a 64-byte packet. */
export function runPerf(prog: Fd): void {
  progTestRun({ prog_fd: prog.raw, data_in: new Uint8Array(64) });
}
