/**
 * The causal path: how the offending register got the type or the bounds the verifier
 * rejected.
 *
 * The verifier prints, after each instruction, the registers that instruction changed
 * (`; R6=scalar(...)`). Walking the failing path backwards from the failing instruction and
 * following the register through the instructions that write it gives its history:
 *
 * ```
 * 2: (61) r6 = *(u32 *)(r1 +16)   ; R6=scalar(smin=0,smax=umax=0xffffffff,...)   origin: a u32 load
 * 9: (66) if w6 s> 0x44 goto pc+6 ; R6=scalar(...,smax32=68,...)                 check
 * 10: (04) w6 += -8               ; R6=scalar(smin=0,smax=umax=0xffffffff,...)   bounds lost
 * 12: (c7) r6 s>>= 32             ; R6=scalar(smin=0xffffffff80000000,...)       bounds lost
 * 13: (0f) r0 += r6               <- fails: "value -2147483648 makes map_value pointer be out of bounds"
 * ```
 *
 * The failing path: at level 1 the log holds only the failing path (the kernel rewinds the
 * log when a path ends well), so it is the instructions in order. At level 2 a popped branch
 * starts with `from X to Y:`; walking backwards, such a line continues at the last record of
 * instruction X before it. A register copy (`r6 = r0`) switches to the source register.
 * Pure: works on the parsed records only.
 * @module
 */
import type { InsnRecord, ParsedLog } from './parse.js';
import { findReg, type RegState } from './state.js';

/** One instruction in a register's history. */
export interface CausalStep {
  /** Instruction index. */
  insnIdx: number;
  /** Instruction text as the kernel prints it. */
  insn: string;
  /** Line of the instruction's record in the log (0-based). */
  logLine: number;
  /** The register followed at this step (the destination of the instruction). */
  regno: number;
  /** Its state after the instruction, when the log printed it. */
  state?: RegState;
  /**
   * - `origin`: the value was created here (constant, load, call result, program argument)
   * - `copy`: copied from another register (the history continues with that one)
   * - `type`: the instruction changed the register's type
   * - `bounds-lost`: the register's known range got wider
   * - `bounds`: the register's range got narrower (a check or a mask)
   * - `update`: the register was changed, its kind and range did not get worse
   */
  event: 'origin' | 'copy' | 'type' | 'bounds-lost' | 'bounds' | 'update';
  /** Plain words, e.g. `R6 loaded from memory at r1+16 (u32)`. */
  note: string;
}

/** What an instruction does to registers, read from its text (`print_bpf_insn`). */
export interface InsnEffect {
  /** Register the instruction writes (R0 for calls). */
  dst?: number;
  /** For `rX = rY`. */
  copyFrom?: number;
  /** What the instruction does: a constant, a memory load, a call, a register copy, arithmetic, a conditional jump, a store, a map load (`ld_imm64` of a map), or something else. */
  kind: 'const' | 'load' | 'call' | 'copy' | 'alu' | 'cond' | 'store' | 'other' | 'map';
  /** Registers a conditional jump compares. */
  compared?: number[];
  /** What a load reads (`r1+16 (u32)`), a call calls, or a constant's value. */
  detail?: string;
}

/** Decodes the destination and kind of an instruction from its printed text. */
export function insnEffect(text: string, opcode?: number): InsnEffect {
  let m = /^call (.+)$/.exec(text);
  if (m) return { dst: 0, kind: 'call', detail: m[1]! };
  m = /^if ([rw])(\d+) \S+ (?:([rw])(\d+)|\S+) goto/.exec(text);
  if (m) return { kind: 'cond', compared: [Number(m[2]), ...(m[4] !== undefined ? [Number(m[4])] : [])] };
  if (/^(?:goto|gotol|exit|may_goto)/.test(text)) return { kind: 'other' };
  m = /^[rw](\d+) = \*\((\w+) \*\)\((r\d+) ([+-]\d+)\)$/.exec(text);
  if (m) return { dst: Number(m[1]), kind: 'load', detail: `${m[3]}${m[4]} (${m[2]})` };
  m = /^[rw](\d+) = (?:\(\w+\))?[rw](\d+)$/.exec(text);
  if (m) return { dst: Number(m[1]), copyFrom: Number(m[2]), kind: 'copy' };
  m = /^[rw](\d+) = (-?(?:0x[0-9a-f]+|\d+))(?: ll)?$/.exec(text);
  if (m) return { dst: Number(m[1]), kind: opcode === 0x18 && /^0xffff/.test(m[2]!) ? 'map' : 'const', detail: m[2]! };
  m = /^[rw](\d+) (?:\S+)= /.exec(text);
  if (m) return { dst: Number(m[1]), kind: 'alu' };
  m = /^[rw](\d+) = /.exec(text);
  if (m) return { dst: Number(m[1]), kind: 'alu' };
  if (/^\*\(/.test(text) || /^lock /.test(text)) return { kind: 'store' };
  return { kind: 'other' };
}

/**
 * For a path {@link failingPath} returned: the branch instructions the path left through
 * their jump (record index of the instruction -> record index of its `from X to Y:` line).
 * After such an instruction the path's state is the one printed at `from X to Y:`, not the
 * fall-through state printed on the instruction's own line.
 */
const takenBranches = new WeakMap<readonly number[], Map<number, number>>();

/** Record indexes of the instructions on the path that ends at record `end`, newest first. */
export function failingPath(parsed: ParsedLog, end: number): number[] {
  const recs = parsed.records;
  // Record indexes of each instruction, ascending, to find "the last record of insn X before
  // this line" by binary search (level-2 logs of big programs have many branches).
  let byIdx: Map<number, number[]> | undefined;
  const lastBefore = (idx: number, before: number): number => {
    if (!byIdx) {
      byIdx = new Map();
      for (let k = 0; k < recs.length; k++) {
        const r = recs[k]!;
        if (r.kind !== 'insn') continue;
        let list = byIdx.get(r.idx);
        if (!list) byIdx.set(r.idx, (list = []));
        list.push(k);
      }
    }
    const list = byIdx.get(idx);
    if (!list) return -1;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! < before) {
        found = list[mid]!;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  };
  const out: number[] = [];
  const taken = new Map<number, number>();
  takenBranches.set(out, taken);
  let i = Math.min(end, recs.length - 1);
  while (i >= 0) {
    const r = recs[i]!;
    if (r.kind === 'insn') {
      out.push(i);
    } else if (r.kind === 'state' && r.label === 'branch' && r.from !== undefined) {
      // Continue at the branch instruction, as last processed before this line.
      const j = lastBefore(r.from, i);
      if (j < 0) break;
      taken.set(j, i);
      i = j;
      continue;
    }
    i--;
  }
  return out;
}

/**
 * The state of register `regno` printed for the instruction at record `ri`: the state lines
 * printed right after it (`5: R0=...`, at level 2 when precision tracking interrupted the
 * instruction line), else the instruction's own `; R0=...` part or its jump-target state.
 */
export function stateAfterInsn(parsed: ParsedLog, ri: number, regno: number, frame?: number): RegState | undefined {
  const r = parsed.records[ri];
  if (r?.kind !== 'insn') return undefined;
  let found: RegState | undefined;
  for (let j = ri + 1; j < parsed.records.length; j++) {
    const n = parsed.records[j]!;
    if (n.kind === 'state' && n.label === 'insn') {
      found = findReg(n.state, regno, frame) ?? found;
      continue;
    }
    if (n.kind === 'trace' || n.kind === 'blank' || n.kind === 'source') continue;
    break;
  }
  return found ?? findReg(r.after, regno, frame) ?? findReg(r.target?.state, regno, frame);
}

/**
 * The state of register `regno` after the instruction at `path[p]`, on that path: where the
 * path took the instruction's jump, the state printed at `from X to Y:`.
 */
export function stateOnPath(parsed: ParsedLog, path: readonly number[], p: number, regno: number, frame?: number): RegState | undefined {
  const via = takenBranches.get(path)?.get(path[p]!);
  const rec = via !== undefined ? parsed.records[via] : undefined;
  if (rec?.kind === 'state') {
    const found = findReg(rec.state, regno, frame);
    if (found) return found;
  }
  return stateAfterInsn(parsed, path[p]!, regno, frame);
}

/**
 * The latest state of register `regno` printed on `path` (record indexes, newest first),
 * looking from `path[from]` on.
 */
export function regStateAt(
  parsed: ParsedLog,
  path: readonly number[],
  regno: number,
  frame?: number,
  from = 0,
): RegState | undefined {
  for (let p = from; p < path.length; p++) {
    const found = stateOnPath(parsed, path, p, regno, frame);
    if (found) return found;
  }
  return undefined;
}

/** Widths of the known 64-bit and 32-bit ranges of a scalar (the narrower of signed/unsigned). */
function widths(reg: RegState | undefined): { w64: bigint; w32: bigint } | undefined {
  if (!reg || reg.type !== 'scalar') return undefined;
  if (reg.value !== undefined) return { w64: 0n, w32: 0n };
  const b = reg.bounds;
  const s64 = (b.smax ?? (1n << 63n) - 1n) - (b.smin ?? -(1n << 63n));
  const u64 = (b.umax ?? (1n << 64n) - 1n) - (b.umin ?? 0n);
  const s32 = (b.smax32 ?? (1n << 31n) - 1n) - (b.smin32 ?? -(1n << 31n));
  const u32 = (b.umax32 ?? (1n << 32n) - 1n) - (b.umin32 ?? 0n);
  return { w64: s64 < u64 ? s64 : u64, w32: s32 < u32 ? s32 : u32 };
}

/**
 * How two successive states of a register compare. A range that got wider in its 64-bit or
 * its 32-bit view is a loss: the verifier tracks both (`reg_bounds_sync`), and 32-bit
 * arithmetic (`w6 += -8`) often keeps the 64-bit range while dropping the 32-bit one.
 */
function compare(before: RegState | undefined, after: RegState | undefined): 'type' | 'bounds-lost' | 'bounds' | 'update' {
  if (!before || !after) return 'update';
  if (before.type !== after.type) return 'type';
  const wb = widths(before);
  const wa = widths(after);
  if (wb && wa) {
    if (wa.w64 > wb.w64 || wa.w32 > wb.w32) return 'bounds-lost';
    if (wa.w64 < wb.w64 || wa.w32 < wb.w32) return 'bounds';
    // Same widths but a lower bound that went negative is a loss too.
    if ((after.bounds.smin ?? -(1n << 63n)) < (before.bounds.smin ?? -(1n << 63n))) return 'bounds-lost';
  }
  return 'update';
}

/** A bpf-to-bpf call (`call pc+N`), which enters a new frame, as opposed to a helper/kfunc call. */
function isSubprogCall(text: string): boolean {
  return /^call pc[+-]\d+$/.test(text);
}

/**
 * The call frame of each instruction on `path` (newest first, as {@link failingPath} gives it):
 * 0 in the main program, +1 after each `call pc+N`, -1 after an `exit` in a subprogram. A
 * state printed with `frameN:` sets the frame explicitly.
 */
export function pathFrames(parsed: ParsedLog, path: readonly number[]): number[] {
  const frames = new Array<number>(path.length);
  let frame = 0;
  for (let p = path.length - 1; p >= 0; p--) {
    const rec = parsed.records[path[p]!] as InsnRecord;
    // Read the frame from the raw line (`; frame1: R1=...`) so that states stay undecoded.
    const m = /;\s*(?:frame(\d+):\s*)?[Rf]/.exec(rec.raw);
    const f = m ? Number(m[1] ?? 0) : frame;
    frames[p] = f;
    frame = isSubprogCall(rec.text) ? f + 1 : rec.text === 'exit' && f > 0 ? f - 1 : f;
  }
  return frames;
}

/**
 * The history of register `regno` on the failing path, oldest first, ending at the
 * instruction at record `failingRecord` (not included). At most `maxSteps` steps.
 */
export function traceRegister(
  parsed: ParsedLog,
  failingRecord: number,
  regno: number,
  options: { maxSteps?: number; frame?: number } = {},
): CausalStep[] {
  const maxSteps = options.maxSteps ?? 12;
  const path = failingPath(parsed, failingRecord);
  // The failing instruction itself is path[0] when failingRecord is an instruction.
  const start = parsed.records[failingRecord]?.kind === 'insn' ? 1 : 0;
  const steps: CausalStep[] = [];
  const frames = pathFrames(parsed, path);
  // Registers are per frame: follow `reg` in the failing instruction's frame, skip the
  // instructions of subprograms that already returned, and step out to the caller when `reg`
  // is an argument (R1-R5) of the current subprogram.
  let cur = options.frame ?? frames[0] ?? 0;
  let reg = regno;
  // The oldest printed state of `reg` seen so far in the backward walk: the state right
  // after the instruction being looked at, when that instruction printed nothing for `reg`.
  let newer: RegState | undefined;
  for (let p = start; p < path.length && steps.length < maxSteps; p++) {
    const rec = parsed.records[path[p]!] as InsnRecord;
    const f = frames[p]!;
    if (f > cur) continue;
    if (f < cur) {
      // The call that entered the current subprogram.
      if (!isSubprogCall(rec.text) || reg < 1 || reg > 5) break;
      cur = f;
      const state = stateOnPath(parsed, path, p, reg, cur);
      const step: CausalStep = {
        insnIdx: rec.idx,
        insn: rec.text,
        logLine: rec.line,
        regno: reg,
        event: 'copy',
        note: `R${reg} is argument ${reg} of the subprogram, passed by \`${rec.text}\``,
      };
      if (state) step.state = state;
      steps.push(step);
      newer = state;
      continue;
    }
    const eff = insnEffect(rec.text, rec.opcode);
    const writes = eff.dst === reg || (eff.kind === 'call' && reg >= 1 && reg <= 5);
    const checks = eff.kind === 'cond' && eff.compared?.includes(reg);
    const state = stateOnPath(parsed, path, p, reg, cur);
    const name = `R${reg}`;
    if (!writes && !checks) {
      // A call that does not write `reg` can still change it: releasing a reference
      // (bpf_ringbuf_submit, bpf_sk_release...) turns every copy of it into a scalar
      // (release_reference -> mark_reg_invalid in verifier.c). A NULL check after the call
      // also changes the type (or_null -> not null), so only pointer -> scalar counts.
      const before = eff.kind === 'call' && newer?.type === 'scalar' ? regStateAt(parsed, path, reg, cur, p + 1) : undefined;
      if (before?.isPointer && newer) {
        steps.push({
          insnIdx: rec.idx,
          insn: rec.text,
          logLine: rec.line,
          regno: reg,
          state: newer,
          event: 'type',
          note: `${name} was ${before.type} before \`${rec.text}\` and ${newer.type} after it: the call released the reference ${name} held, and every copy of it became invalid`,
        });
      }
      if (state) newer = state;
      continue;
    }
    const before = regStateAt(parsed, path, reg, cur, p + 1);
    const step: CausalStep = { insnIdx: rec.idx, insn: rec.text, logLine: rec.line, regno: reg, event: 'update', note: '' };
    if (state) step.state = state;
    const shown = state ? ` (${name}=${state.raw})` : '';
    if (checks) {
      step.event = compare(before, state) === 'bounds' ? 'bounds' : 'update';
      step.note = `${name} compared: \`${rec.text}\`${shown}`;
      steps.push(step);
      continue;
    }
    if (eff.kind === 'call' && reg !== 0) {
      step.event = 'origin';
      step.note = `${name} clobbered by \`${rec.text}\` (calls leave R1-R5 unreadable)`;
      steps.push(step);
      break;
    }
    switch (eff.kind) {
      case 'call':
        step.event = 'origin';
        step.note = isSubprogCall(rec.text)
          ? `${name} is the return value of the subprogram called by \`${rec.text}\`${shown}`
          : `${name} is the return value of ${eff.detail}${shown}`;
        break;
      case 'load':
        step.event = 'origin';
        step.note = `${name} loaded from memory at ${eff.detail}${shown}`;
        break;
      case 'const':
        step.event = 'origin';
        step.note = `${name} set to the constant ${eff.detail}`;
        break;
      case 'map':
        step.event = 'origin';
        step.note = `${name} set to a map address${shown}`;
        break;
      case 'copy':
        step.event = 'copy';
        step.note = `${name} copied from R${eff.copyFrom}${shown}`;
        break;
      default: {
        const c = compare(before, state);
        step.event = c;
        step.note =
          c === 'bounds-lost'
            ? `${name} lost its bounds at \`${rec.text}\`${shown}`
            : c === 'type'
              ? `${name} changed type to ${state?.type} at \`${rec.text}\``
              : c === 'bounds'
                ? `${name} narrowed by \`${rec.text}\`${shown}`
                : `${name} changed by \`${rec.text}\`${shown}`;
      }
    }
    steps.push(step);
    if (step.event === 'origin') break;
    newer = state;
    if (eff.kind === 'copy' && eff.copyFrom !== undefined) {
      reg = eff.copyFrom;
      newer = stateOnPath(parsed, path, p, reg, cur);
    }
  }
  // Reached the start of the path without an origin: R1 at entry is the program's argument.
  const last = steps[steps.length - 1];
  if ((!last || last.event !== 'origin') && steps.length < maxSteps && cur === 0) {
    const entry = parsed.records.find((r) => r.kind === 'state' && r.label === 'insn' && r.idx === 0);
    const at = entry && entry.kind === 'state' ? findReg(entry.state, reg) : undefined;
    if (at) {
      steps.push({
        insnIdx: 0,
        insn: '(program entry)',
        logLine: entry!.line,
        regno: reg,
        state: at,
        event: 'origin',
        note:
          reg === 1
            ? `R1 is the program's context argument (${at.raw})`
            : reg === 10
              ? 'R10 is the read-only frame pointer (fp0): the value points into the stack'
              : `R${reg} at program entry (${at.raw})`,
      });
    }
  }
  return steps.reverse();
}
