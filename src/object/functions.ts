/**
 * Functions: the instructions of every function in every executable section, with what
 * each relocation and `.BTF.ext` record says about them.
 *
 * An executable section holds one or more functions, each an `STT_FUNC` symbol covering
 * `[st_value, st_value + st_size)`. Functions in `.text` are subprograms (called from
 * programs); a function in any other executable section is a program (libbpf's
 * `bpf_object__add_programs`). Relocations (`SHT_REL`, offsets in bytes) say what an
 * instruction refers to:
 *
 * | instruction | symbol in            | reference                                  |
 * |-------------|----------------------|--------------------------------------------|
 * | `ld_imm64`  | `.maps`, `maps`      | map (`BPF_PSEUDO_MAP_FD`)                  |
 * | `ld_imm64`  | a data section       | data + offset (`BPF_PSEUDO_MAP_VALUE`)     |
 * | `ld_imm64`  | an executable section| function address (`BPF_PSEUDO_FUNC`)       |
 * | `ld_imm64`  | undefined (extern)   | `.kconfig` slot, or kernel symbol (`__ksym`)|
 * | `call`      | an executable section| subprogram (`BPF_PSEUDO_CALL`)             |
 * | `call`      | undefined (extern)   | kernel function (`BPF_PSEUDO_KFUNC_CALL`)  |
 *
 * Where the callee is, worked out as libbpf's `bpf_object__reloc_code` does:
 * - `call` to symbol S: slot `S.st_value / 8 + imm + 1`. For a global function clang writes
 *   `imm = -1`, so this is S's first instruction; against a section symbol (static
 *   function), `imm` carries the distance from the section start.
 * - `call` with no relocation: pc-relative inside the same section, slot `pc + imm + 1`.
 * - `ld_imm64` of a function: slot `S.st_value / 8 + imm / 8` (`imm` is in bytes).
 * - `ld_imm64` of data: byte offset `S.st_value + imm` (section symbol: `st_value` is 0).
 * @module
 */
import {
  BPF_CALL,
  BPF_JMP,
  BPF_PSEUDO_CALL,
  isLdImm64,
  slotCount,
  visitProgram,
} from '../asm/index.js';
import type { BtfExt } from '../btf/index.js';
import { extRecordsFor } from '../btf/index.js';
import {
  SHF_EXECINSTR,
  SHN_UNDEF,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_SECTION,
  type ElfFile,
  type ElfRelocation,
  type ElfSection,
  type ElfSymbol,
} from '../elf/index.js';
import { ObjectError, type ObjectLocation } from './errors.js';
import type { ProgramInstruction, Reference } from './spec.js';

const INSN_SIZE = 8;

/** A function as found in its section, before linking. */
export interface ElfFunction {
  name: string;
  section: ElfSection;
  /** First slot in the section. */
  startSlot: number;
  /** Instructions, copied out of the section; `reference`, `line`, ... filled in. */
  instructions: ProgramInstruction[];
  /** A program (outside `.text`) or a subprogram (in `.text`). */
  isProgram: boolean;
}

/** How a relocation against an undefined symbol is resolved (from the object's BTF). */
export interface ExternLookup {
  /** The extern's kind, by name, from the `.kconfig` and `.ksyms` DATASECs. */
  kindOf(name: string): 'kconfig' | 'ksym' | undefined;
  /** For a `.kconfig` extern, the data reference to its slot in the `.kconfig` map. */
  kconfigRef(name: string): Reference | undefined;
  /** Whether the `__ksym` extern has a BTF type (typed `BPF_PSEUDO_BTF_ID`). */
  ksymTyped(name: string): boolean;
}

/** What the functions need to know about the rest of the object. */
export interface FunctionContext {
  elf: ElfFile;
  btfExt: BtfExt | undefined;
  /** Map name for a symbol in `.maps`/`maps` (by section index and offset). */
  mapAt(sectionIndex: number, offset: number): string | undefined;
  /** Data map name for a data section index. */
  dataMapOf(sectionIndex: number): string | undefined;
  externs: ExternLookup;
}

function isCall(insn: ProgramInstruction): boolean {
  return insn.opcode === (BPF_JMP | BPF_CALL);
}

/**
 * Reads every function of every executable section, keyed by name: the symbol's name, or,
 * for a static function whose name another function already has, `name#2`, `name#3`, ...
 * (two files linked into one object may each have a `static` helper of the same name; the
 * kernel never sees these keys, it names functions from BTF).
 * @throws {@link ObjectError} when two global functions have the same name.
 */
export function readFunctions(ctx: FunctionContext): Map<string, ElfFunction> {
  const { elf } = ctx;
  const keys = functionKeys(elf);
  const functions = new Map<string, ElfFunction>();
  for (const section of elf.sections) {
    if ((section.flags & SHF_EXECINSTR) === 0n || section.size === 0) continue;
    for (const f of readSection(ctx, section, keys)) functions.set(f.name, f);
  }
  return functions;
}

/** The key of every function symbol (see {@link readFunctions}); globals keep their names. */
function functionKeys(elf: ElfFile): Map<ElfSymbol, string> {
  const symbols = elf.symbols.filter((s) => s.type === STT_FUNC && (elf.sections[s.sectionIndex]?.flags ?? 0n) & SHF_EXECINSTR);
  const keys = new Map<ElfSymbol, string>();
  const taken = new Map<string, ElfSymbol>();
  for (const sym of symbols) {
    if (sym.bind === STB_LOCAL) continue;
    const clash = taken.get(sym.name);
    if (clash) {
      const section = elf.sections[sym.sectionIndex]!;
      throw new ObjectError(`function '${sym.name}' is defined twice (sections '${elf.sections[clash.sectionIndex]!.name}' and '${section.name}')`, {
        section: section.name,
        sectionIndex: section.index,
        symbol: sym.name,
      });
    }
    taken.set(sym.name, sym);
    keys.set(sym, sym.name);
  }
  for (const sym of symbols) {
    if (sym.bind !== STB_LOCAL) continue;
    let key = sym.name;
    for (let n = 2; taken.has(key); n++) key = `${sym.name}#${n}`;
    taken.set(key, sym);
    keys.set(sym, key);
  }
  return keys;
}

function readSection(ctx: FunctionContext, section: ElfSection, keys: ReadonlyMap<ElfSymbol, string>): ElfFunction[] {
  const { elf } = ctx;
  const where = { section: section.name, sectionIndex: section.index };
  // The section's instructions, each a spec's own object (programs are edited
  // independently), and where each starts: `slotOf[i]`, and `indexOfSlot[slot]` (-1 for
  // the second half of an ld_imm64).
  const insns: ProgramInstruction[] = [];
  const slotOf: number[] = [];
  const indexOfSlot = new Int32Array(section.size / INSN_SIZE).fill(-1);
  visitProgram(section.data, elf.littleEndian, { section: section.name }, (opcode, dst, src, off, imm, imm64, slot) => {
    indexOfSlot[slot] = insns.length;
    slotOf.push(slot);
    insns.push(newInstruction(opcode, dst, src, off, imm, imm64));
  });

  const symbols = elf.symbolsIn(section.index).filter((s) => s.type === STT_FUNC);
  if (symbols.length === 0) {
    throw new ObjectError('executable section has instructions but no function symbol', where);
  }
  const funcs: { sym: ElfSymbol; start: number; end: number }[] = [];
  for (const sym of symbols) {
    const value = Number(sym.value);
    const size = Number(sym.size);
    if (value % INSN_SIZE !== 0 || size % INSN_SIZE !== 0 || size === 0) {
      throw new ObjectError(`function '${sym.name}' at offset ${value}, size ${size}: not a whole number of instructions`, {
        ...where,
        symbol: sym.name,
      });
    }
    const start = value / INSN_SIZE;
    if (indexOfSlot[start] === -1) {
      throw new ObjectError(`function '${sym.name}' starts inside an instruction (slot ${start})`, { ...where, symbol: sym.name });
    }
    const prev = funcs[funcs.length - 1];
    if (prev && start < prev.end) {
      throw new ObjectError(`functions '${prev.sym.name}' and '${sym.name}' overlap`, { ...where, symbol: sym.name });
    }
    funcs.push({ sym, start, end: start + size / INSN_SIZE });
  }

  attachRelocations(ctx, section, slotOf, insns, indexOfSlot, funcs, keys);
  attachExtInfo(ctx, section, insns, indexOfSlot);

  return funcs.map(({ sym, start, end }) => {
    const first = indexOfSlot[start]!;
    let last = first;
    while (last < insns.length && slotOf[last]! < end) last++;
    const instructions = insns.slice(first, last);
    const name = keys.get(sym) ?? sym.name;
    instructions[0]!.func = name;
    return { name, section, startSlot: start, instructions, isProgram: section.name !== '.text' };
  });
}

/**
 * A spec's instruction. Every field is present (undefined when unused) so that all
 * instructions share one object shape: the loader walks every instruction of every program
 * several times per load, and V8 reads the fields of same-shaped objects much faster than
 * those of objects that grew fields in different orders.
 */
function newInstruction(opcode: number, dst: number, src: number, off: number, imm: number, imm64: bigint | undefined): ProgramInstruction {
  return {
    opcode,
    dst,
    src,
    off,
    imm,
    imm64,
    reference: undefined,
    func: undefined,
    funcTypeId: undefined,
    line: undefined,
    coreRelo: undefined,
  };
}

/** The key (see {@link readFunctions}) of the function starting at `slot`. */
function functionAt(
  funcs: readonly { sym: ElfSymbol; start: number }[],
  slot: number,
  keys: ReadonlyMap<ElfSymbol, string>,
): string | undefined {
  const sym = funcs.find((f) => f.start === slot)?.sym;
  return sym && (keys.get(sym) ?? sym.name);
}

/** Functions of another section, by start slot (for calls across sections). */
function functionsOf(elf: ElfFile, sectionIndex: number): { sym: ElfSymbol; start: number }[] {
  return elf
    .symbolsIn(sectionIndex)
    .filter((s) => s.type === STT_FUNC)
    .map((sym) => ({ sym, start: Number(sym.value) / INSN_SIZE }));
}

/** Where in a section an error is, for its message (built only when one is thrown). */
type Where = (slot: number, symbol?: string) => ObjectLocation;

function attachRelocations(
  ctx: FunctionContext,
  section: ElfSection,
  slotOf: readonly number[],
  insns: ProgramInstruction[],
  indexOfSlot: Int32Array,
  funcs: readonly { sym: ElfSymbol; start: number; end: number }[],
  keys: ReadonlyMap<ElfSymbol, string>,
): void {
  const { elf } = ctx;
  const programOf = (slot: number) => funcs.find((f) => slot >= f.start && slot < f.end)?.sym.name;
  const where: Where = (slot, symbol) => ({ section: section.name, sectionIndex: section.index, insn: slot, program: programOf(slot), symbol });
  const relocated = new Uint8Array(insns.length);
  // Functions of the sections calls go to, looked up once per section (most go to `.text`).
  const functionsIn = new Map<number, { sym: ElfSymbol; start: number }[]>();
  const functionsOfSection = (index: number) => {
    let f = functionsIn.get(index);
    if (!f) functionsIn.set(index, (f = functionsOf(elf, index)));
    return f;
  };

  for (const rel of elf.relocations(section)) {
    const slot = rel.offset / INSN_SIZE;
    if (rel.offset % INSN_SIZE !== 0) {
      throw new ObjectError(`relocation at byte ${rel.offset} is not on an instruction boundary`, where(slot));
    }
    const i = indexOfSlot[slot] ?? -1;
    if (i < 0) throw new ObjectError('relocation points into the middle of an ld_imm64 instruction', where(slot));
    relocated[i] = 1;
    insns[i]!.reference = referenceFor(ctx, rel, insns[i]!, slot, where, functionsOfSection, keys);
  }

  // Calls without a relocation are pc-relative inside this section.
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (relocated[i] || !isCall(insn) || insn.src !== BPF_PSEUDO_CALL) continue;
    const index = slotOf[i]!;
    const target = index + insn.imm + 1;
    const name = functionAt(funcs, target, keys);
    if (!name) {
      throw new ObjectError(`call to slot ${target}, where no function starts`, {
        section: section.name,
        sectionIndex: section.index,
        insn: index,
        program: programOf(index),
      });
    }
    insn.reference = { kind: 'call', func: name };
  }
}

function referenceFor(
  ctx: FunctionContext,
  rel: ElfRelocation,
  insn: ProgramInstruction,
  slot: number,
  where: Where,
  functionsOfSection: (index: number) => { sym: ElfSymbol; start: number }[],
  keys: ReadonlyMap<ElfSymbol, string>,
): Reference {
  const { elf } = ctx;
  const sym = elf.symbols[rel.symbolIndex]!;
  const symName = sym.type === STT_SECTION ? (elf.sections[sym.sectionIndex]?.name ?? '') : sym.name;
  const at = (): ObjectLocation => where(slot, symName);
  const ldImm64 = isLdImm64(insn);
  const call = isCall(insn);
  if (!ldImm64 && !call) {
    throw new ObjectError(`relocation against '${symName}' on an instruction that is neither ld_imm64 nor call (opcode 0x${insn.opcode.toString(16)})`, at());
  }

  // An extern: declared in C, defined by the kernel.
  if (sym.sectionIndex === SHN_UNDEF) {
    if (sym.name === '') throw new ObjectError('relocation against an undefined symbol with no name', at());
    const weak = sym.bind === STB_WEAK;
    if (call) return { kind: 'kfunc', name: sym.name, weak };
    const kind = ctx.externs.kindOf(sym.name);
    if (kind === 'kconfig') return ctx.externs.kconfigRef(sym.name)!;
    if (kind === 'ksym') return { kind: 'ksym', name: sym.name, weak, typed: ctx.externs.ksymTyped(sym.name) };
    throw new ObjectError(`relocation against undefined symbol '${sym.name}' (not a .kconfig or __ksym extern)`, at());
  }

  const target = elf.sections[sym.sectionIndex];
  if (!target) throw new ObjectError(`relocation against '${symName}' in a section that does not exist`, at());
  const symValue = sym.type === STT_SECTION ? 0 : Number(sym.value);

  if ((target.flags & SHF_EXECINSTR) !== 0n) {
    // A subprogram call or a callback address.
    const targetSlot = call ? symValue / INSN_SIZE + insn.imm + 1 : symValue / INSN_SIZE + insn.imm / INSN_SIZE;
    if (call && insn.src !== BPF_PSEUDO_CALL) {
      throw new ObjectError(`call relocation against '${symName}' on a helper call (src_reg ${insn.src})`, at());
    }
    const name = functionAt(functionsOfSection(target.index), targetSlot, keys);
    if (!name) {
      throw new ObjectError(`${call ? 'call' : 'function address'} into '${target.name}' slot ${targetSlot}, where no function starts`, at());
    }
    return call ? { kind: 'call', func: name } : { kind: 'func', func: name };
  }
  if (call) throw new ObjectError(`call relocation against '${symName}', which is not a function`, at());

  const map = ctx.mapAt(target.index, symValue + (sym.type === STT_SECTION ? insn.imm : 0));
  if (map !== undefined) return { kind: 'map', map };
  const data = ctx.dataMapOf(target.index);
  if (data !== undefined) {
    const offset = symValue + insn.imm;
    if (offset < 0 || offset > target.size) {
      throw new ObjectError(`reference to '${symName}' + ${insn.imm} is outside '${target.name}' (${target.size} bytes)`, at());
    }
    return { kind: 'data', map: data, offset };
  }
  if (target.name === '.maps' || target.name === 'maps') {
    throw new ObjectError(`reference to '${symName}' at offset ${symValue + (sym.type === STT_SECTION ? insn.imm : 0)}, where no map is defined`, at());
  }
  throw new ObjectError(`relocation against '${symName}' in section '${target.name}', which is neither a map, data nor code`, at());
}

/** Hangs `.BTF.ext` func_info, line_info and core_relo records on their instructions. */
function attachExtInfo(ctx: FunctionContext, section: ElfSection, insns: ProgramInstruction[], indexOfSlot: Int32Array): void {
  const ext = ctx.btfExt;
  if (!ext) return;
  const insnFor = (insnOff: number, what: string): ProgramInstruction => {
    const slot = insnOff / INSN_SIZE;
    const i = Number.isInteger(slot) ? (indexOfSlot[slot] ?? -1) : -1;
    if (i < 0) {
      throw new ObjectError(`.BTF.ext ${what} record at byte ${insnOff} does not point at an instruction`, {
        section: section.name,
        sectionIndex: section.index,
      });
    }
    return insns[i]!;
  };
  for (const r of extRecordsFor(ext.funcInfo, section.name)) insnFor(r.insnOff, 'func_info').funcTypeId = r.typeId;
  for (const r of extRecordsFor(ext.lineInfo, section.name)) insnFor(r.insnOff, 'line_info').line = r;
  for (const r of extRecordsFor(ext.coreRelos, section.name)) insnFor(r.insnOff, 'core_relo').coreRelo = r;
}

/** Number of 8-byte slots the instructions occupy. */
export function slotsOf(insns: readonly ProgramInstruction[]): number {
  let n = 0;
  for (const insn of insns) n += slotCount(insn);
  return n;
}
