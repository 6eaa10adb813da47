/**
 * Test helper: hand-made counter programs for attach tests. Each program bumps slot 0 of a
 * one-entry array map (optionally only for one tgid) and returns a fixed value.
 */
import { readdirSync } from 'node:fs';
import { insn, encodeInstructions, BPF_ADD, BPF_DW, BPF_JEQ, BPF_JNE, BPF_RSH, BPF_W, BPF_FUNC } from '../../src/asm/index.js';
import { readKernelBtf, type Btf } from '../../src/btf/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { hostLittleEndian, MapType, progLoadRaw, type Fd } from '../../src/syscall/index.js';
import type { AttachableProgram } from '../../src/link/index.js';

/** A loaded program plus the counter it bumps; close() releases both. */
export interface Counter {
  prog: AttachableProgram;
  fd: Fd;
  map: BpfMap;
  count(): bigint;
  close(): void;
}

let kbtf: Btf | undefined;
/** vmlinux BTF (read once). */
export function kernelBtf(): Btf {
  return (kbtf ??= readKernelBtf());
}

export interface CounterOptions {
  type: number;
  name: string;
  expectedAttachType?: number;
  attachBtfId?: number;
  /** Count only when bpf_get_current_pid_tgid() >> 32 is this. */
  tgid?: number;
  ret?: number;
  /** iter programs: bpf_seq_write "x\n" per call. */
  seqWrite?: boolean;
  license?: string;
}

/** Loads a counter program; throws the BpfError (with `.log`) when the kernel refuses. */
export function counter(o: CounterOptions): Counter {
  const map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'cnt' });
  const i = insn;
  const body = [];
  if (o.seqWrite) {
    body.push(
      i.ldx(BPF_DW, 1, 1, 0), // r1 = ctx->meta
      i.ldx(BPF_DW, 1, 1, 0), // r1 = meta->seq
      i.st(BPF_W, 10, -8, hostLittleEndian ? 0x0a78 : 0x780a0000), // "x\n"
      i.mov64Reg(2, 10),
      i.alu64Imm(BPF_ADD, 2, -8),
      i.mov64Imm(3, 2),
      i.callHelper(BPF_FUNC.seq_write),
    );
  }
  const count = [
    i.st(BPF_W, 10, -4, 0),
    i.mov64Reg(2, 10),
    i.alu64Imm(BPF_ADD, 2, -4),
    i.ldMapFd(1, map.fd),
    i.callHelper(BPF_FUNC.map_lookup_elem),
    i.jmpImm(BPF_JEQ, 0, 0, 2),
    i.mov64Imm(1, 1),
    i.atomic(BPF_DW, BPF_ADD, 0, 1, 0),
  ];
  if (o.tgid !== undefined) {
    // 9 slots of counting code follow the jump (ld_imm64 takes two).
    body.push(i.callHelper(BPF_FUNC.get_current_pid_tgid), i.alu64Imm(BPF_RSH, 0, 32), i.jmpImm(BPF_JNE, 0, o.tgid, 9));
  }
  body.push(...count, i.mov64Imm(0, o.ret ?? 0), i.exit());
  const r = progLoadRaw({
    prog_type: o.type,
    insns: encodeInstructions(body, hostLittleEndian),
    license: o.license ?? 'GPL',
    prog_name: o.name,
    log_size: 1 << 16,
    ...(o.expectedAttachType !== undefined ? { expected_attach_type: o.expectedAttachType } : {}),
    ...(o.attachBtfId !== undefined ? { attach_btf_id: o.attachBtfId } : {}),
  });
  if (!r.fd) {
    map.close();
    const e = new Error(`load '${o.name}': errno ${r.errno}\n${r.log}`);
    throw Object.assign(e, { errno: r.errno, log: r.log });
  }
  const fd = r.fd;
  const prog: AttachableProgram = { fd: fd.raw, name: o.name, type: o.type, ...(o.expectedAttachType !== undefined ? { expectedAttachType: o.expectedAttachType } : {}) };
  return {
    prog,
    fd,
    map,
    count: () => new DataView(map.lookupBytes(new Uint8Array(4))!.buffer).getBigUint64(0, hostLittleEndian),
    close: () => {
      fd.close();
      map.close();
    },
  };
}

/** Number of open fds of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
