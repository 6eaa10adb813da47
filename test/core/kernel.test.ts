/**
 * CO-RE against the running kernel's BTF, compared with libbpf on the same kernel:
 *
 * 1. for each CO-RE fixture, libbpf's own relocation decisions, read from its debug log
 *    (`bpftool -d prog load`: `relo #N: patched insn #M (ALU/ALU64) imm A -> B`,
 *    `substituting insn #M w/ invalid insn`, and the formatted local and matching candidate
 *    specs), must equal tsbpf's fixups relocation by relocation. The log is written before the program is loaded, so this also covers
 *    objects the verifier then rejects (core.bpf.c reads a struct the kernel does not have);
 * 2. core_kernel.bpf.c, which loads, is dumped from the kernel (`bpftool prog dump xlated`)
 *    and every CO-RE-patched instruction compared with tsbpf's, slot by slot.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { BPF_LD_IMM64, slotCount, type Instruction } from '../../src/asm/index.js';
import { KERNEL_BTF_DIR, readKernelBtf, readModuleBtf } from '../../src/btf/index.js';
import { applyFixups, computeFixups, type CoreFixup, type CoreTarget } from '../../src/core/index.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import type { ObjectSpec } from '../../src/object/index.js';
import { fixturePath } from '../helpers/fixtures.js';
import { loadSpec } from './helpers.js';

const BPFFS = '/sys/fs/bpf';

function kernelTarget(): CoreTarget {
  const vmlinux = readKernelBtf();
  const modules = readdirSync(KERNEL_BTF_DIR)
    .filter((m) => m !== 'vmlinux')
    .sort()
    .map((m) => readModuleBtf(m, vmlinux));
  return { vmlinux, modules };
}

function ensureBpffs(): void {
  const type = execFileSync('stat', ['-f', '-c', '%T', BPFFS], { encoding: 'utf8' }).trim();
  if (type !== 'bpf_fs') execFileSync('mount', ['-t', 'bpf', 'bpf', BPFFS]);
}

/** Runs `bpftool -d prog load OBJ PIN`; returns libbpf's log and whether the load succeeded. */
function bpftoolLoad(object: string, pin: string): { log: string; loaded: boolean } {
  const r = spawnSync('bpftool', ['-d', 'prog', 'load', object, pin], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { log: `${r.stdout ?? ''}${r.stderr ?? ''}`, loaded: r.status === 0 };
}

interface LibbpfRelo {
  program: string;
  relocation: number;
  insn: number;
  poison: boolean;
  value?: bigint;
  memSize?: [number, number];
  /** `bpf_core_format_spec` of the local spec and of the first matching candidate. */
  localSpec?: string;
  candidateSpec?: string;
}

/** libbpf's CO-RE decisions from its debug log (`bpf_core_patch_insn` messages). */
function parseLibbpfLog(log: string): LibbpfRelo[] {
  const out = new Map<string, LibbpfRelo>();
  const key = (p: string, r: string) => `${p}#${r}`;
  const specs = new Map<string, { localSpec?: string; candidateSpec?: string }>();
  for (const line of log.split('\n')) {
    let m = /^libbpf: prog '([^']+)': relo #(\d+): (<.*)$/.exec(line);
    if (m) {
      specs.set(key(m[1]!, m[2]!), { localSpec: m[3]! });
      continue;
    }
    m = /^libbpf: prog '([^']+)': relo #(\d+): matching candidate #\d+ (<.*)$/.exec(line);
    if (m) {
      const s = specs.get(key(m[1]!, m[2]!))!;
      s.candidateSpec ??= m[3]!;
      continue;
    }
    m = /^libbpf: prog '([^']+)': relo #(\d+): patched insn #(\d+) \((?:ALU\/ALU64|LDX\/ST\/STX|LDIMM64)\) (imm|off|imm64) (\d+) -> (\d+)$/.exec(line);
    if (m) {
      out.set(key(m[1]!, m[2]!), { program: m[1]!, relocation: Number(m[2]), insn: Number(m[3]), poison: false, value: BigInt(m[6]!) });
      continue;
    }
    m = /^libbpf: prog '([^']+)': relo #(\d+): patched insn #(\d+) \(LDX\/ST\/STX\) mem_sz (\d+) -> (\d+)$/.exec(line);
    if (m) {
      out.get(key(m[1]!, m[2]!))!.memSize = [Number(m[4]), Number(m[5])];
      continue;
    }
    m = /^libbpf: prog '([^']+)': relo #(\d+): substituting insn #(\d+) w\/ invalid insn$/.exec(line);
    if (m) {
      // A poisoned ld_imm64 logs both of its slots: keep the first.
      const prev = out.get(key(m[1]!, m[2]!));
      const insn = prev ? Math.min(prev.insn, Number(m[3])) : Number(m[3]);
      out.set(key(m[1]!, m[2]!), { program: m[1]!, relocation: Number(m[2]), insn, poison: true });
    }
  }
  for (const [k, r] of out) Object.assign(r, specs.get(k));
  return [...out.values()];
}

/**
 * A fixup as libbpf logs it: libbpf relocates each function (program or subprogram) in its
 * own frame, before linking, so the program is the function holding the instruction and the
 * instruction counts from that function's start.
 */
function ours(spec: ObjectSpec, fixups: CoreFixup[]): LibbpfRelo[] {
  const out = new Map<string, LibbpfRelo>();
  for (const f of fixups) {
    let func = f.program;
    let start = 0;
    let slot = 0;
    for (const insn of spec.programs.get(f.program)!.instructions) {
      if (slot > f.insn) break;
      if (insn.func !== undefined) {
        func = insn.func;
        start = slot;
      }
      slot += slotCount(insn);
    }
    const r: LibbpfRelo = { program: func, relocation: f.relocation, insn: f.insn - start, poison: f.poison !== undefined };
    if (!r.poison) r.value = BigInt.asUintN(64, f.target);
    if (!r.poison && f.localSize !== f.targetSize) r.memSize = [f.localSize, f.targetSize];
    r.localSpec = f.localSpec;
    if (f.candidate) r.candidateSpec = f.candidate.spec;
    out.set(`${func}#${f.relocation}`, r);
  }
  return [...out.values()];
}

describeKernel('CO-RE against the running kernel', () => {
  describeWithTool('compared with libbpf (bpftool)', ['bpftool'], () => {
    const target = kernelTarget();
    const pins: string[] = [];
    afterAll(() => {
      for (const p of pins) rmSync(p, { force: true });
    });

    for (const name of ['core', 'core_kernel', 'core_relos']) {
      it(`${name}.bpfel.o: every relocation as libbpf decides it`, () => {
        ensureBpffs();
        const pin = `${BPFFS}/tsbpf_core_${process.pid}_${name}`;
        pins.push(pin);
        const { log } = bpftoolLoad(fixturePath(name), pin);
        rmSync(pin, { force: true });
        const libbpf = parseLibbpfLog(log);
        const spec = loadSpec(name);
        const fixups = computeFixups(spec, target);
        const relocs = spec.btfExt!.coreRelos.reduce((n, s) => n + s.records.length, 0);
        expect(libbpf.length, `libbpf logged ${libbpf.length} CO-RE decisions:\n${log.slice(-2000)}`).toBe(relocs);
        expect(libbpf.every((r) => r.localSpec !== undefined)).toBe(true);
        // core_relos's types do not exist in the kernel: nothing matches there.
        expect(libbpf.some((r) => r.candidateSpec !== undefined)).toBe(name !== 'core_relos');
        const sort = (a: LibbpfRelo[]) => [...a].sort((x, y) => x.program.localeCompare(y.program) || x.relocation - y.relocation);
        expect(sort(ours(spec, fixups))).toEqual(sort(libbpf));
      });
    }

    it('core_kernel.bpfel.o: the kernel holds the instructions tsbpf patched', () => {
      ensureBpffs();
      const pin = `${BPFFS}/tsbpf_core_${process.pid}_xlated`;
      pins.push(pin);
      const { log, loaded } = bpftoolLoad(fixturePath('core_kernel'), pin);
      expect(loaded, log.slice(-3000)).toBe(true);
      let dump: { disasm: string; opcodes: { code: string; src_reg: string; dst_reg: string; off: string[]; imm: string[] } }[];
      try {
        dump = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'dump', 'xlated', 'pinned', pin, 'opcodes'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
      } finally {
        rmSync(pin, { force: true });
      }
      const spec = loadSpec('core_kernel');
      const program = spec.programs.get('core_kernel')!;
      const fixups = computeFixups(spec, target);
      const patched = applyFixups(program.instructions, fixups, 'core_kernel');

      // The program has no branch the verifier could prune, so slots line up one to one.
      const bySlot = new Map<number, Instruction>();
      let slots = 0;
      for (const insn of patched) {
        bySlot.set(slots, insn);
        slots += slotCount(insn);
      }
      const kernel = new Map<number, (typeof dump)[number]>();
      let k = 0;
      for (const d of dump) {
        kernel.set(k, d);
        k += Number(d.opcodes.code) === BPF_LD_IMM64 ? 2 : 1;
      }
      expect(k).toBe(slots);

      const byte = (s: string) => Number(s);
      expect(fixups.length).toBe(spec.btfExt!.coreRelos[0]!.records.length);
      for (const f of fixups) {
        const mine = bySlot.get(f.insn)!;
        const theirs = kernel.get(f.insn);
        expect(theirs, `insn #${f.insn}`).toBeDefined();
        const o = theirs!.opcodes;
        const what = `insn #${f.insn} (${f.kindName} ${f.access}): kernel has '${theirs!.disasm}'`;
        expect(byte(o.code), what).toBe(mine.opcode);
        expect(byte(o.dst_reg), what).toBe(mine.dst);
        expect(byte(o.src_reg), what).toBe(mine.src);
        const off = new DataView(new Uint8Array(o.off.map(byte)).buffer).getInt16(0, true);
        expect(off, what).toBe(mine.off);
        const imm = new Uint8Array(o.imm.map(byte));
        const view = new DataView(imm.buffer);
        if (mine.opcode === BPF_LD_IMM64) {
          const v = (BigInt(view.getUint32(8, true)) << 32n) | BigInt(view.getUint32(0, true));
          expect(v, what).toBe(mine.imm64);
        } else {
          expect(view.getInt32(0, true), what).toBe(mine.imm);
        }
      }
    });
  });
});

// Keep the pin folder clean even if a test threw before its own cleanup.
afterAll(() => {
  if (!existsSync(BPFFS)) return;
  for (const f of readdirSync(BPFFS)) if (f.startsWith(`tsbpf_core_${process.pid}_`)) rmSync(`${BPFFS}/${f}`, { force: true });
});
