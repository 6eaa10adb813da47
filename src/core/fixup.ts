/**
 * Compute, then apply.
 *
 * {@link computeFixups} turns every CO-RE relocation of an object into a {@link CoreFixup}: a
 * plain, printable value saying which instruction, what the compiler left there (`local`),
 * what the target kernel needs (`target`) or why the instruction must be poisoned, and which
 * target type was chosen. Nothing is modified; a CLI can print fixups, a test can compare
 * them, a loader can apply them.
 *
 * {@link applyFixup} patches one instruction, after checking that it still holds `local`
 * (libbpf `bpf_core_patch_insn`). What is patched depends on the instruction class:
 *
 * | instruction                     | field patched            | e.g.                        |
 * |---------------------------------|--------------------------|-----------------------------|
 * | `BPF_ALU`/`BPF_ALU64` with `BPF_K` | `imm`                 | `r1 = 16` -> `r1 = 3360`    |
 * | `BPF_LDX`, `BPF_ST`, `BPF_STX`  | `off` (and the size)     | `*(u32 *)(r1 + 4)` -> `+ 8` |
 * | `ld_imm64` (`BPF_LD|BPF_IMM|BPF_DW`) | the 64-bit immediate | enum64 values, type ids     |
 *
 * A poisoned instruction becomes `call 0xbad2310` (both slots of an `ld_imm64`), which the
 * verifier rejects only when it is reachable (`invalid func unknown#195896080`), so a field
 * access guarded by `bpf_core_field_exists()` loads on kernels that lack the field.
 * @module
 */
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_B,
  BPF_CALL,
  BPF_CLASS,
  BPF_DW,
  BPF_H,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LD_IMM64,
  BPF_LDX,
  BPF_MODE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_W,
} from '../asm/opcodes.js';
import type { Instruction } from '../asm/instruction.js';
import type { Btf } from '../btf/btf.js';
import { describeType } from '../btf/btf.js';
import type { BtfExt, BtfExtCoreRelo, BtfExtLineInfo } from '../btf/ext.js';
import type { ProgramInstruction } from '../object/spec.js';
import { CandidateCache, toCoreTarget, type CoreTarget } from './candidates.js';
import { CoreError, formatSourceLine, type CoreSourceLine } from './errors.js';
import { BPF_CORE_POISON_IMM, coreReloKindName } from './kinds.js';
import { calcReloInsn, describeAccess, type CoreRelocation } from './relocate.js';
import { formatSpec } from './spec.js';

/** The target type a relocation resolved to. */
export interface CoreFixupCandidate {
  /** The BTF it is in: its `section` (`/sys/kernel/btf/vmlinux`, a module path, or `.BTF`). */
  btf: string;
  /** Its type id in that BTF. */
  typeId: number;
  /** `[id] KIND 'name'`. */
  type: string;
  /** The target access path (`0:12:3`), anonymous members included. */
  accessStr: string;
  /** libbpf's formatted spec: `<byte_off> [123] STRUCT task_struct.pid (0:12 @ offset 2360)`. */
  spec: string;
}

/**
 * What one CO-RE relocation does to one instruction: plain data, printable with
 * {@link formatFixup}. Values are `bigint` because enum64 values and `ld_imm64` are 64-bit.
 */
export interface CoreFixup {
  /** The program whose instruction this is. */
  program: string;
  /** The instruction's slot in the program's (linked) instructions. */
  insn: number;
  /** libbpf's `relo #N`: the record's index in its `.BTF.ext` core_relo section (-1 when the record is not in `btfExt`). */
  relocation: number;
  /** The ELF section the record belongs to (`.text` for a subprogram's). */
  section: string;
  /** `enum bpf_core_relo_kind`. */
  kind: number;
  /** libbpf's short name of the kind (`byte_off`). */
  kindName: string;
  /** The local root type id (`type_id`) and its description. */
  localTypeId: number;
  /** The local root type in C terms (`struct task_struct`). */
  localType: string;
  /** The access string as compiled (`0:1:2`). */
  accessStr: string;
  /** The access in C terms: `'task_struct.comm'`, `'pid_type::PIDTYPE_MAX'`. */
  access: string;
  /** libbpf's formatted local spec. */
  localSpec: string;
  /** The first matching target candidate; undefined when none matched (or TYPE_ID_LOCAL). */
  candidate: CoreFixupCandidate | undefined;
  /** Candidates found by essential name, and how many of them matched. */
  candidates: number;
  /** How many candidates the access path matched (all must agree, or the relocation is ambiguous). */
  matched: number;
  /** The value the compiler left in the instruction (checked by {@link applyFixup} when `validate`). */
  local: bigint;
  /** The value for the target. Meaningless when `poison` is set. */
  target: bigint;
  /** Whether the instruction must hold `local` (false for bitfield offsets/sizes and type ids). */
  validate: boolean;
  /** For a load/store of a field: its memory size locally and in the target (0 when n/a). */
  localSize: number;
  /** The field's memory size in the target; the load/store is resized to it when it differs. */
  targetSize: number;
  /** Why the instruction is replaced by `call 0xbad2310`, or undefined. */
  poison: string | undefined;
  /** The C source line of the instruction, from line info. */
  line: CoreSourceLine | undefined;
}

/** A program as {@link computeFixups} reads it. */
export interface CoreProgram {
  /** The program's name, for messages and {@link ComputeFixupsOptions.programs}. */
  name: string;
  /** Its instructions; those with a `coreRelo` are relocated. */
  instructions: readonly ProgramInstruction[];
}

/** The parts of an `ObjectSpec` that CO-RE reads. */
export interface CoreObject {
  /** The object's BTF (the local types). */
  btf: Btf | undefined;
  /** Its `.BTF.ext`, for libbpf's relocation numbering and order. */
  btfExt?: BtfExt | undefined;
  /** The object's byte order (bitfield shifts depend on it). */
  littleEndian: boolean;
  /** The programs to relocate. */
  programs: ReadonlyMap<string, CoreProgram> | readonly CoreProgram[];
}

/** Options of {@link computeFixups}. */
export interface ComputeFixupsOptions {
  /** Only these programs (default: all). */
  programs?: readonly string[];
}

function sourceLine(l: BtfExtLineInfo): CoreSourceLine {
  return { file: l.fileName, line: l.line, text: l.lineText };
}

function isMemoryClass(cls: number): boolean {
  return cls === BPF_LDX || cls === BPF_ST || cls === BPF_STX;
}

interface Site {
  program: string;
  insn: number;
  line: CoreSourceLine | undefined;
  instruction: ProgramInstruction;
}

/**
 * Computes the CO-RE fixups of every program of `object` against `target` (the kernel's BTF,
 * or vmlinux plus module BTFs). Relocations are resolved in `.BTF.ext` order with one
 * candidate cache for the whole object, as libbpf's `bpf_object__relocate_core` does, and a
 * subprogram's relocation (once per record) gives one fixup per program that links it.
 *
 * @returns the fixups by program, in instruction order.
 * @throws {@link CoreError} naming program, relocation, instruction and source line: a
 *   malformed record (unknown kind, type id out of range, access string deeper than the
 *   type), ambiguous candidates, an object without BTF. A field or type missing from the
 *   target is not an error: its fixup is poisoned.
 */
export function computeFixups(object: CoreObject, target: Btf | CoreTarget, options: ComputeFixupsOptions = {}): CoreFixup[] {
  const programs = Array.isArray(object.programs) ? (object.programs as readonly CoreProgram[]) : [...(object.programs as ReadonlyMap<string, CoreProgram>).values()];
  const only = options.programs ? new Set(options.programs) : undefined;

  // Where each record is used: (program, insn, source line).
  const sites = new Map<BtfExtCoreRelo, Site[]>();
  const siteOrder: Site[] = [];
  for (const p of programs) {
    if (only && !only.has(p.name)) continue;
    let slot = 0;
    let line: CoreSourceLine | undefined;
    for (const insn of p.instructions) {
      if (insn.line) line = sourceLine(insn.line);
      if (insn.coreRelo) {
        const site = { program: p.name, insn: slot, line, instruction: insn };
        const list = sites.get(insn.coreRelo);
        if (list) list.push(site);
        else sites.set(insn.coreRelo, [site]);
        siteOrder.push(site);
      }
      slot += insn.opcode === BPF_LD_IMM64 ? 2 : 1;
    }
  }
  if (sites.size === 0) return [];
  const local = object.btf;
  if (!local) {
    const s = siteOrder[0]!;
    throw new CoreError('the object has CO-RE relocations but no BTF', { program: s.program, insn: s.insn, line: s.line });
  }

  // libbpf's numbering (index in the record's .BTF.ext section) and order.
  const numbering = new Map<BtfExtCoreRelo, { section: string; index: number }>();
  const order: BtfExtCoreRelo[] = [];
  for (const sec of object.btfExt?.coreRelos ?? []) {
    sec.records.forEach((r, index) => {
      numbering.set(r, { section: sec.section, index });
      if (sites.has(r)) order.push(r);
    });
  }
  for (const r of sites.keys()) if (!numbering.has(r)) order.push(r);

  const cache = new CandidateCache(local, toCoreTarget(target));
  const results = new Map<BtfExtCoreRelo, CoreRelocation>();
  for (const r of order) {
    const first = sites.get(r)![0]!;
    const relocation = numbering.get(r)?.index ?? -1;
    try {
      results.set(r, calcReloInsn(local, r, cache, object.littleEndian));
    } catch (e) {
      if (e instanceof CoreError) throw e.at({ program: first.program, relocation, insn: first.insn, line: first.line });
      throw e;
    }
  }

  const out: CoreFixup[] = [];
  for (const site of siteOrder) {
    const r = site.instruction.coreRelo!;
    const res = results.get(r)!;
    const num = numbering.get(r);
    const cand = res.matched[0];
    let poison = res.poison;
    // libbpf decides this while patching (after checking the offset); the instruction is
    // known here already, so the fixup says it.
    if (!poison && res.failMemszAdjust && isMemoryClass(BPF_CLASS(site.instruction.opcode))) {
      poison =
        `${describeAccess(res.localSpec)}: load/store size would change from ${res.origSize} to ${res.newSize} bytes ` +
        'for a field that is not a pointer or an unsigned integer (access pointers, unsigned integers, or fields of matching type and size)';
    }
    out.push({
      program: site.program,
      insn: site.insn,
      relocation: num?.index ?? -1,
      section: num?.section ?? '',
      kind: r.kind,
      kindName: coreReloKindName(r.kind),
      localTypeId: r.typeId,
      localType: describeType(local, r.typeId),
      accessStr: r.accessStr,
      access: describeAccess(res.localSpec),
      localSpec: formatSpec(res.localSpec),
      candidate:
        cand && res.targetSpec
          ? {
              btf: cand.btf.section,
              typeId: cand.id,
              type: describeType(cand.btf, cand.id),
              accessStr: res.targetSpec.raw.join(':'),
              spec: formatSpec(res.targetSpec),
            }
          : undefined,
      candidates: res.candidates,
      matched: res.matched.length,
      local: res.origVal,
      target: res.newVal,
      validate: res.validate,
      localSize: res.origSize,
      targetSize: res.newSize,
      poison,
      line: site.line,
    });
  }
  return out;
}

/** `call 0xbad2310`: the poisoned instruction (libbpf `bpf_core_poison_insn`). */
export function poisonInstruction(): Instruction {
  return { opcode: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: BPF_CORE_POISON_IMM };
}

function sizeBytes(code: number): number {
  switch (BPF_SIZE(code)) {
    case BPF_DW:
      return 8;
    case BPF_W:
      return 4;
    case BPF_H:
      return 2;
    default:
      return 1;
  }
}

function bpfSize(bytes: number): number | undefined {
  return bytes === 8 ? BPF_DW : bytes === 4 ? BPF_W : bytes === 2 ? BPF_H : bytes === 1 ? BPF_B : undefined;
}

/** What libbpf compares: the instruction's field, sign-extended, as a u64. */
function asU64(v: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

/**
 * Patches `insn` as `fixup` says and returns the instruction(s) that replace it: one, or two
 * `call 0xbad2310` for a poisoned `ld_imm64` (the slot count never changes, so jumps stay
 * right). The input is not modified; other properties (`line`, `func`, `coreRelo`) are kept.
 *
 * @throws {@link CoreError} naming program, relocation and instruction when the instruction
 *   does not hold `fixup.local` (and `fixup.validate` is set), is not of a class CO-RE patches
 *   (ALU/ALU64 with an immediate, LDX/ST/STX, `ld_imm64`), the new offset does not fit in
 *   `off` (16 bits), or its memory size is not the local field size to be adjusted.
 */
export function applyFixup<T extends Instruction>(insn: T, fixup: CoreFixup): T[] {
  const where = { program: fixup.program, relocation: fixup.relocation, insn: fixup.insn, line: fixup.line };
  const fail = (what: string): CoreError => new CoreError(what, where);
  if (fixup.poison !== undefined) {
    const p = { ...insn, ...poisonInstruction() } as T;
    delete p.imm64;
    if (insn.opcode === BPF_LD_IMM64) return [p, poisonInstruction() as T];
    return [p];
  }
  const cls = BPF_CLASS(insn.opcode);
  const exp = `expected ${fixup.local} -> ${fixup.target}`;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      if (BPF_SRC(insn.opcode) !== BPF_K) throw fail(`ALU instruction (code 0x${insn.opcode.toString(16)}) has a register operand, not an immediate to relocate`);
      if (fixup.validate && asU64(insn.imm) !== asU64(fixup.local)) throw fail(`unexpected ALU/ALU64 imm: got ${insn.imm}, ${exp}`);
      return [{ ...insn, imm: Number(BigInt.asIntN(32, fixup.target)) }];
    }
    case BPF_LDX:
    case BPF_ST:
    case BPF_STX: {
      if (fixup.validate && asU64(insn.off) !== asU64(fixup.local)) throw fail(`unexpected LDX/ST/STX off: got ${insn.off}, ${exp}`);
      if (fixup.target > 0x7fffn) throw fail(`LDX/ST/STX offset ${fixup.target} does not fit in 'off' (max 32767)`);
      const out = { ...insn, off: Number(fixup.target) };
      if (fixup.targetSize !== fixup.localSize) {
        const have = sizeBytes(insn.opcode);
        if (have !== fixup.localSize) throw fail(`unexpected LDX/ST/STX memory size: got ${have}, expected ${fixup.localSize}`);
        const size = bpfSize(fixup.targetSize);
        if (size === undefined) throw fail(`invalid new LDX/ST/STX memory size ${fixup.targetSize}`);
        out.opcode = BPF_MODE(insn.opcode) | size | cls;
      }
      return [out];
    }
    case BPF_LD: {
      if (insn.opcode !== BPF_LD_IMM64 || insn.src !== 0 || insn.off !== 0) {
        throw fail(`ld_imm64 has an unexpected form (code 0x${insn.opcode.toString(16)}, src_reg ${insn.src}, off ${insn.off})`);
      }
      const imm = insn.imm64 ?? asU64(insn.imm >>> 0);
      if (fixup.validate && BigInt.asUintN(64, imm) !== asU64(fixup.local)) throw fail(`unexpected ld_imm64 value: got ${imm}, ${exp}`);
      const v = BigInt.asUintN(64, fixup.target);
      return [{ ...insn, imm64: v, imm: Number(BigInt.asIntN(32, v)) }];
    }
    default:
      throw fail(
        `cannot relocate instruction of class 0x${cls.toString(16)} (code 0x${insn.opcode.toString(16)}, dst_reg ${insn.dst}, src_reg ${insn.src}, off ${insn.off}, imm ${insn.imm})`,
      );
  }
}

/**
 * The instructions of `program` with its fixups applied (fixups of other programs are
 * ignored, so the whole result of {@link computeFixups} can be passed). Returns a new array;
 * `insns` is not modified.
 * @throws {@link CoreError} as {@link applyFixup}, or when a fixup names no instruction.
 */
export function applyFixups<T extends Instruction>(insns: readonly T[], fixups: readonly CoreFixup[], program: string): T[] {
  const bySlot = new Map<number, CoreFixup>();
  for (const f of fixups) if (f.program === program) bySlot.set(f.insn, f);
  const out: T[] = [];
  let slot = 0;
  for (const insn of insns) {
    const f = bySlot.get(slot);
    if (f) {
      out.push(...applyFixup(insn, f));
      bySlot.delete(slot);
    } else {
      out.push(insn);
    }
    slot += insn.opcode === BPF_LD_IMM64 ? 2 : 1;
  }
  const left = bySlot.values().next();
  if (!left.done) {
    const f = left.value;
    throw new CoreError(`no instruction starts at slot ${f.insn}`, { program: f.program, relocation: f.relocation, insn: f.insn, line: f.line });
  }
  return out;
}

/**
 * One line per fixup, in the spirit of libbpf's debug log:
 * `program 'p': relocation #0 (insn #2, core.bpf.c:33): <byte_off> 'task_struct.pid': 0 -> 2360 ([131] STRUCT 'task_struct' 0:95)`.
 */
export function formatFixup(f: CoreFixup): string {
  const at = [`insn #${f.insn}`];
  if (f.line) at.push(formatSourceLine(f.line));
  const head = `program '${f.program}': relocation #${f.relocation} (${at.join(', ')}): <${f.kindName}> ${f.access}`;
  if (f.poison !== undefined) return `${head}: poisoned: ${f.poison}`;
  const size = f.localSize !== f.targetSize ? `, size ${f.localSize} -> ${f.targetSize}` : '';
  const cand = f.candidate ? ` (${f.candidate.type}${f.candidate.accessStr ? ` ${f.candidate.accessStr}` : ''})` : '';
  return `${head}: ${f.local} -> ${f.target}${size}${cand}`;
}
