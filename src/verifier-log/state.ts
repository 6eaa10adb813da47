/**
 * Register and stack state as the verifier prints it, decoded.
 *
 * The kernel prints a state (`print_verifier_state` in kernel/bpf/log.c) as space-separated
 * `NAME=VALUE` items, optionally preceded by `frameN:` when the state belongs to a called
 * function:
 *
 * ```
 * R1=ctx() R6=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0 fp-8=mmmm???? refs=2
 * frame1: R1=scalar(id=1,...) R2=fp[0](off=-320,...) R10=fp0
 * ```
 *
 * A register value (`print_reg_state`) is one of
 * - a constant scalar: `0`, `-1`, `0xffffffff`, `P0` (the `P` marks a scalar the verifier has
 *   marked precise),
 * - a stack pointer with a constant offset: `fp-8`, `fp0`, or `fp[1]-8` for another frame,
 * - a type name with attributes: `scalar(smin=...,var_off=(0x0; 0xff))`, `ctx()`,
 *   `map_value(id=1,map=counts,ks=4,vs=8)`, `ptr_or_null_task_struct(id=2,ref_obj_id=2)`,
 *   `pkt(off=12,r=0)`. Several bound names can share one value: `smax=umax=0xffffffff`
 *   means smax and umax are both 0xffffffff (the kernel prints each value once).
 *
 * A stack slot `fp-8` is either 8 characters of slot types (`slot_type_char` in log.c:
 * `?` invalid, `r` spilled register, `m` misc, `0` zero, `d` dynptr, `i` iterator, `f` irq flag)
 * or, when a register was spilled there, that register's value. Older kernels add a liveness
 * suffix to names (`R6_w`, `fp-8_r`); it is recorded, not required.
 *
 * Decoding never throws: anything not understood stays in `raw`/`attrs`.
 * @module
 */

/** Bounds the verifier tracks for a scalar, or for a pointer's variable offset. */
export interface RegBounds {
  /** `smin=`: signed 64-bit minimum. */
  smin?: bigint;
  /** `smax=`: signed 64-bit maximum. */
  smax?: bigint;
  /** `umin=`: unsigned 64-bit minimum. */
  umin?: bigint;
  /** `umax=`: unsigned 64-bit maximum. */
  umax?: bigint;
  /** `smin32=`: signed minimum of the low 32 bits. */
  smin32?: bigint;
  /** `smax32=`: signed maximum of the low 32 bits. */
  smax32?: bigint;
  /** `umin32=`: unsigned minimum of the low 32 bits. */
  umin32?: bigint;
  /** `umax32=`: unsigned maximum of the low 32 bits. */
  umax32?: bigint;
}

/** A tristate number (`struct tnum`): bits in `mask` are unknown, the others equal `value`. */
export interface Tnum {
  /** `var_off` value: the known bits. */
  value: bigint;
  /** `var_off` mask: the unknown bits. */
  mask: bigint;
}

/** One register's state, e.g. `R6=scalar(smin=0,smax=63)`. */
export interface RegState {
  /** Register number, 0..10. */
  regno: number;
  /** Call frame the register belongs to (0 for the main program). */
  frame: number;
  /**
   * Type as printed (`reg_type_str`), without the `P` mark and the attributes:
   * `scalar`, `ctx`, `map_value_or_null`, `ptr_or_null_task_struct`, `fp`, `pkt`...
   */
  type: string;
  /** Type without the `_or_null` part: what the register holds once NULL is ruled out. */
  baseType: string;
  /** The type may still be NULL (`PTR_MAYBE_NULL`): it must be compared with 0 first. */
  maybeNull: boolean;
  /** A pointer of any kind (not a scalar). */
  isPointer: boolean;
  /** Marked precise (`P` before the type). */
  precise: boolean;
  /** Value when the register is a known constant scalar. */
  value?: bigint;
  /** Constant offset of a pointer (`off=` or the number in `fp-8`). */
  off?: number;
  /** `id=`: registers with the same id hold the same value (or the same maybe-NULL pointer). */
  id?: number;
  /** `ref_obj_id=`: the acquired reference this pointer belongs to. */
  refObjId?: number;
  /** For `map_ptr`, `map_value`, `map_key`: the map (`map=NAME,ks=4,vs=8`). */
  map?: {
    /** `map=`: the map's name. */
    name: string;
    /** `ks=`: key size. */
    keySize?: number;
    /** `vs=`: value size. */
    valueSize?: number;
  };
  /** Packet pointers: bytes known to be in bounds (`r=`). */
  range?: number;
  /** Memory size (`sz=`) for `mem`/`ringbuf_mem` pointers. */
  size?: number;
  /** Known bounds. A missing bound is the widest one for its kind. */
  bounds: RegBounds;
  /** `var_off=(value; mask)`. */
  varOff?: Tnum;
  /** Liveness suffix from older kernels (`_w`, `_r`, `_rw`, `_D`). */
  liveness?: string;
  /** Every attribute as printed, e.g. `{ id: '1', map: 'counts' }`. */
  attrs: Record<string, string>;
  /** The value text as printed after `=`. */
  raw: string;
}

/** One stack slot's state, e.g. `fp-8=mmmm????`. */
export interface StackSlotState {
  /** Offset from the frame pointer, negative: `fp-8` is -8. */
  off: number;
  /** Call frame of the slot (0 for the main program). */
  frame: number;
  /** Per-byte slot types (`slot_type_char`), when the slot does not hold a spilled register. */
  slotTypes?: string;
  /** The spilled register's state, when a register was stored here. */
  spilled?: RegState;
  /** Liveness marks printed after the slot (`_r`, `_w`, `_D`), on kernels that print them. */
  liveness?: string;
  /** The item as printed (`fp-8=mmmmmmmm`). */
  raw: string;
}

/** A decoded state line (or the part of an instruction line after `;`). */
export interface StateSnapshot {
  /** Registers the line prints (at level 1 after `;`, only those the instruction changed). */
  regs: RegState[];
  /** Stack slots the line prints. */
  stack: StackSlotState[];
  /** Acquired reference ids still held (`refs=2,3`). */
  refs: number[];
  /** Frame of the first item; `frameN:` switches it. */
  frame: number;
  /** Items that are neither registers, stack slots nor refs (kept as printed). */
  other: string[];
}

/** Splits `a=b c=(d; e) f` at spaces outside parentheses. */
function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === sep && depth === 0) {
      if (i > start) out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Parses a decimal or `0x` number, possibly negative; undefined when it is not one. */
export function parseLogNumber(text: string): bigint | undefined {
  const m = /^(-?)(0x[0-9a-fA-F]+|\d+)$/.exec(text.trim());
  if (!m) return undefined;
  try {
    const v = BigInt(m[2]!);
    return m[1] ? -v : v;
  } catch {
    return undefined;
  }
}

function smallInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = parseLogNumber(text);
  return v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)
    ? undefined
    : Number(v);
}

const BOUND_NAMES = new Set(['smin', 'smax', 'umin', 'umax', 'smin32', 'smax32', 'umin32', 'umax32']);

/** Bound names before 5.19 (`umax_value=255`, `s32_min_value=-1`). */
const OLD_BOUND_NAMES: Record<string, string> = {
  smin_value: 'smin',
  smax_value: 'smax',
  umin_value: 'umin',
  umax_value: 'umax',
  s32_min_value: 'smin32',
  s32_max_value: 'smax32',
  u32_min_value: 'umin32',
  u32_max_value: 'umax32',
};

/** Signed view of 64-bit bounds: the kernel prints `smin=0xffffffff80000000` for s64 values. */
function signed64(v: bigint): bigint {
  return v >= 1n << 63n ? v - (1n << 64n) : v;
}
function signed32(v: bigint): bigint {
  return v >= 1n << 31n && v < 1n << 32n ? v - (1n << 32n) : v;
}

/** Parses `k=v,k2=k3=v2,var_off=(0x0; 0xff)` into a flat record (shared values expanded). */
function parseAttrs(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const part of splitTopLevel(text, ',')) {
    const pieces = part.split('=');
    if (pieces.length === 1) {
      attrs[part] = '';
      continue;
    }
    // `smin=smin32=0`: every name before the last '=' gets the value. var_off's value has no
    // '=' inside, so the last piece is the value.
    const value = pieces[pieces.length - 1]!;
    for (const name of pieces.slice(0, -1)) attrs[name] = value;
  }
  return attrs;
}

/**
 * Decodes one register value as printed after `Rn=`. `regno`/`frame` are stored as given.
 * Never throws.
 */
export function parseRegValue(raw: string, regno: number, frame: number, liveness?: string): RegState {
  const reg: RegState = {
    regno,
    frame,
    type: 'unknown',
    baseType: 'unknown',
    maybeNull: false,
    isPointer: false,
    precise: false,
    bounds: {},
    attrs: {},
    raw,
  };
  if (liveness) reg.liveness = liveness;
  let text = raw;
  // Constant scalar, possibly marked precise: `0`, `-1`, `P0`, `0xffffffff`; before 5.18
  // scalars were called `inv`: `inv0`, `invP-1`.
  const constant = /^(?:inv)?(P?)(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(text);
  if (constant) {
    reg.type = reg.baseType = 'scalar';
    reg.precise = constant[1] === 'P';
    reg.value = parseLogNumber(constant[2]!);
    if (reg.value !== undefined) {
      reg.bounds = { smin: reg.value, smax: reg.value };
      if (reg.value >= 0n) Object.assign(reg.bounds, { umin: reg.value, umax: reg.value });
    }
    return reg;
  }
  // Stack pointer with a constant offset: `fp-8`, `fp0`, `fp[1]-16`.
  const fp = /^fp(?:\[(\d+)\])?(-?\d+)$/.exec(text);
  if (fp) {
    reg.type = reg.baseType = 'fp';
    reg.isPointer = true;
    reg.off = Number(fp[2]);
    if (fp[1] !== undefined) reg.attrs.frameno = fp[1];
    return reg;
  }
  if (text.startsWith('P') && /^P[a-z]/.test(text)) {
    reg.precise = true;
    text = text.slice(1);
  }
  const typed = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?(?:\((.*)\))?$/s.exec(text);
  if (!typed) return reg;
  reg.type = typed[1]!;
  if (reg.type === 'inv' || reg.type === 'invP') {
    // Kernels before 5.18 (`inv`, `invP` when precise).
    if (reg.type === 'invP') reg.precise = true;
    reg.type = 'scalar';
  }
  if (typed[2] !== undefined) reg.attrs.frameno = typed[2];
  if (typed[3] !== undefined) Object.assign(reg.attrs, parseAttrs(typed[3]));
  reg.maybeNull = /_or_null/.test(reg.type);
  // `ptr_or_null_task_struct` -> `ptr_task_struct`; `map_value_or_null` -> `map_value`.
  reg.baseType = reg.type.replace(/_or_null_/, '_').replace(/_or_null$/, '');
  reg.isPointer = reg.type !== 'scalar';
  const a = reg.attrs;
  for (const [name, v] of Object.entries(a)) {
    const k = OLD_BOUND_NAMES[name] ?? name;
    if (!BOUND_NAMES.has(k)) continue;
    const n = parseLogNumber(v);
    if (n === undefined) continue;
    const key = k as keyof RegBounds;
    reg.bounds[key] = k === 'smin' || k === 'smax' ? signed64(n) : k === 'smin32' || k === 'smax32' ? signed32(n) : n;
  }
  if (a.var_off !== undefined) {
    const m = /^\(\s*(\S+);\s*(\S+)\s*\)$/.exec(a.var_off);
    const value = m ? parseLogNumber(m[1]!) : undefined;
    const mask = m ? parseLogNumber(m[2]!) : undefined;
    if (value !== undefined && mask !== undefined) reg.varOff = { value, mask };
  }
  const id = smallInt(a.id?.split('+')[0]);
  if (id !== undefined) reg.id = id;
  const ref = smallInt(a.ref_obj_id);
  if (ref !== undefined) reg.refObjId = ref;
  const off = smallInt(a.off);
  if (off !== undefined) reg.off = off;
  const r = smallInt(a.r);
  if (r !== undefined) reg.range = r;
  const sz = smallInt(a.sz);
  if (sz !== undefined) reg.size = sz;
  if (a.map !== undefined) {
    reg.map = { name: a.map };
    const ks = smallInt(a.ks);
    const vs = smallInt(a.vs);
    if (ks !== undefined) reg.map.keySize = ks;
    if (vs !== undefined) reg.map.valueSize = vs;
  }
  return reg;
}

const SLOT_TYPES = /^[?rm0difI]{8}$/;

/**
 * Decodes a state text (what follows `N:` or `;`, or a `from X to Y:` line). Never throws;
 * unknown items are kept in `other`.
 */
export function parseState(text: string): StateSnapshot {
  const snap: StateSnapshot = { regs: [], stack: [], refs: [], frame: 0, other: [] };
  let frame = 0;
  let first = true;
  for (const item of splitTopLevel(text.trim(), ' ')) {
    const fr = /^frame(\d+):$/.exec(item);
    if (fr) {
      frame = Number(fr[1]);
      if (first) snap.frame = frame;
      first = false;
      continue;
    }
    first = false;
    const reg = /^R(\d+)(?:_([rwD]+))?=(.*)$/s.exec(item);
    if (reg) {
      snap.regs.push(parseRegValue(reg[3]!, Number(reg[1]), frame, reg[2]));
      continue;
    }
    const slot = /^fp(-\d+)(?:_([rwD]+))?=(.*)$/s.exec(item);
    if (slot) {
      const s: StackSlotState = { off: Number(slot[1]), frame, raw: slot[3]! };
      if (slot[2]) s.liveness = slot[2];
      if (SLOT_TYPES.test(slot[3]!)) s.slotTypes = slot[3]!;
      else s.spilled = parseRegValue(slot[3]!, -1, frame);
      snap.stack.push(s);
      continue;
    }
    const refs = /^refs=([\d,]*)$/.exec(item);
    if (refs) {
      snap.refs = refs[1]!.split(',').filter((x) => x !== '').map(Number);
      continue;
    }
    snap.other.push(item);
  }
  return snap;
}

/** True when `text` looks like a state (so `N: text` is a state line, not something else). */
export function looksLikeState(text: string): boolean {
  return /^(?:frame\d+: )?(?:R\d+(?:_[rwD]+)?=|fp-\d+(?:_[rwD]+)?=|refs=)/.test(text.trim());
}

/** `R6=scalar(smin=-2147483648,smax=2147483647)`-style short text of a register, for messages. */
export function describeReg(reg: RegState): string {
  return `R${reg.regno}=${reg.raw}`;
}

/** The register `regno` (in `frame` when given) in a snapshot. */
export function findReg(snap: StateSnapshot | undefined, regno: number, frame?: number): RegState | undefined {
  if (!snap) return undefined;
  for (let i = snap.regs.length - 1; i >= 0; i--) {
    const r = snap.regs[i]!;
    if (r.regno === regno && (frame === undefined || r.frame === frame)) return r;
  }
  return undefined;
}
