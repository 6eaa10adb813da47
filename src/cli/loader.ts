/**
 * `tsbpf prog loadall OBJ PINDIR [pinmaps MAPDIR]`: load every program of an object and pin
 * each at `PINDIR/<function name>` (bpftool's names: libbpf's `bpf_object__pin_programs`
 * uses `prog->name`), and with `pinmaps` every map at `MAPDIR/<map name>`.
 *
 * `tsbpf prog dump xlated id N|pinned PATH`: the instructions the kernel holds after
 * verification, in bpftool's layout (`   5: (85) call bpf_map_lookup_elem#1`).
 * @module
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BPF_PSEUDO_CALL, disassemble, type Instruction } from '../asm/index.js';
import { loadCollection, pinName } from '../collection/index.js';
import { objectNameFromPath, parseObject } from '../object/index.js';
import { Program } from '../programs/index.js';
import { loadBtfById } from '../maps/index.js';
import type { Btf } from '../btf/index.js';
import { readInputFile } from './files.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';

function loadall(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'pin-root': { type: 'string' } } });
  const [obj, pindir, kw, mapdir, ...rest] = positionals;
  if (!obj || !pindir) throw new UsageError('expected OBJ PINDIR');
  if (kw !== undefined && (kw !== 'pinmaps' || !mapdir)) throw new UsageError(`expected 'pinmaps MAPDIR' after PINDIR, got '${kw}'`);
  if (rest.length) throw new UsageError(`unexpected '${rest[0]}'`);
  const spec = parseObject(readInputFile(obj), { name: objectNameFromPath(obj) });
  using coll = loadCollection(spec, { pinRoot: values['pin-root'] });
  mkdirSync(pindir, { recursive: true });
  const pinnedProgs: string[] = [];
  for (const [name, p] of coll.programs) {
    const path = join(pindir, name);
    p.pin(path);
    pinnedProgs.push(path);
  }
  const pinnedMaps: string[] = [];
  if (mapdir) {
    mkdirSync(mapdir, { recursive: true });
    for (const [name, m] of coll.maps) {
      const path = join(mapdir, pinName(name));
      m.pin(path);
      pinnedMaps.push(path);
    }
  }
  if (values.json) io.out(JSON.stringify({ programs: pinnedProgs, maps: pinnedMaps }));
  return 0;
}

function dumpXlated(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [kind, ...sel] = positionals;
  if (kind !== 'xlated') throw new UsageError(`only 'xlated' is supported, got '${kind ?? ''}'`);
  if (sel.length !== 2) throw new UsageError('expected id ID | pinned PATH');
  let prog: Program;
  if (sel[0] === 'id') {
    const id = Number(sel[1]);
    if (!Number.isInteger(id) || id <= 0) throw new UsageError(`bad id '${sel[1]}'`);
    prog = Program.fromId(id);
  } else if (sel[0] === 'pinned') {
    prog = Program.fromPin(sel[1]!);
  } else {
    throw new UsageError(`expected 'id' or 'pinned', got '${sel[0]}'`);
  }
  using p = prog;
  const info = p.info();
  const insns = p.xlated();
  if (values.json) {
    io.out(JSON.stringify(insns.map((i) => ({ index: i.index, code: i.opcode, dst: i.dst, src: i.src, off: i.off, imm: i.imm, ...(i.imm64 !== undefined ? { imm64: i.imm64.toString() } : {}) }))));
    return 0;
  }
  const lines = disassemble(insns, { jited: info.jitedProgLen > 0, callName: callNamer(p) });
  io.out(annotate(p, insns.map((i) => i.index), lines).join('\n'));
  return 0;
}

/**
 * A type as bpftool's `__btf_dumper_type_only` writes it in a function signature: each
 * part followed by a space, so a pointer reads `struct xdp_md * ctx`.
 */
function typeOnly(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void ';
  if (depth > 32 || !btf.has(id)) return '';
  const t = btf.type(id);
  switch (t.kind) {
    case 'INT':
    case 'TYPEDEF':
    case 'FLOAT':
      return `${t.name} `;
    case 'STRUCT':
      return `struct ${t.name} `;
    case 'UNION':
      return `union ${t.name} `;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${t.name} `;
    case 'ARRAY':
      return `${typeOnly(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'PTR':
      return `${typeOnly(btf, t.type, depth + 1)}* `;
    case 'FWD':
      return `${t.fwdKind} ${t.name} `;
    case 'VOLATILE':
      return `volatile ${typeOnly(btf, t.type, depth + 1)}`;
    case 'CONST':
      return `const ${typeOnly(btf, t.type, depth + 1)}`;
    case 'RESTRICT':
      return `restrict ${typeOnly(btf, t.type, depth + 1)}`;
    case 'FUNC_PROTO':
      return funcSignature(btf, t.returnType, '', t.params, depth);
    case 'FUNC': {
      const proto = btf.type(t.type);
      return proto.kind === 'FUNC_PROTO' ? funcSignature(btf, proto.returnType, t.name, proto.params, depth) : '';
    }
    default:
      return '';
  }
}

/** bpftool's `btf_dump_func`: `ret name(type arg, type arg)`. */
function funcSignature(btf: Btf, ret: number, name: string, params: readonly { name: string; type: number }[], depth: number): string {
  let s = `${typeOnly(btf, ret, depth + 1)}${name}(`;
  params.forEach((p, i) => {
    if (i) s += ', ';
    if (!p.type) {
      s += '...';
      return;
    }
    s += typeOnly(btf, p.type, depth + 1);
    if (p.name) s += p.name;
    else if (s.endsWith(' ')) s = s.slice(0, -1);
  });
  return s + ')';
}

/**
 * bpftool's layout around the instructions: `int first(struct xdp_md * ctx):` where a
 * function starts (func_info) and `; <C source line>` before the instruction a line_info
 * record names (bpftool `dump_xlated_plain`, `btf_dump_linfo_plain`). Programs loaded
 * without BTF get the bare instructions.
 */
function annotate(p: Program, slots: readonly number[], lines: readonly string[]): string[] {
  // A program loaded without BTF has no source lines to show: print the bare dump, as
  // bpftool does. Any other failure (reading the BTF by id) is an error, not hidden.
  const info = p.btfInfo();
  if (!info.btfId) return [...lines];
  const btf: Btf = loadBtfById(info.btfId).btf;
  const out: string[] = [];
  let f = 0;
  let skip = 0;
  const linfo = info.lineInfo;
  slots.forEach((slot, i) => {
    const func = info.funcInfo[f];
    if (func && func.insnOff === slot) {
      const sig = typeOnly(btf, func.typeId);
      if (sig) out.push(`${sig}:`);
      f++;
    }
    // bpf_prog_linfo__lfind(slot, nr_skip): the last record at or before this slot, searching
    // from the nr_skip-th; each printed line advances nr_skip by one.
    if (skip < linfo.length && linfo[skip]!.insnOff <= slot) {
      let j = skip;
      while (j + 1 < linfo.length && linfo[j + 1]!.insnOff <= slot) j++;
      const text = btf.strOrUndefined(linfo[j]!.lineOff);
      if (text !== undefined) out.push(`; ${text.trimStart()}`);
      skip++;
    }
    out.push(lines[i]!);
  });
  return out;
}

/**
 * Names of call targets the way bpftool's `print_call` finds them: after verification a
 * helper or kfunc call's `imm` is the distance from `__bpf_call_base` to the function, and a
 * BPF-to-BPF call of a JIT-compiled program has the subprogram's index in `imm`, whose
 * address is in `jited_ksyms`; the address is then looked up in `/proc/kallsyms`.
 */
function callNamer(p: Program): (insn: Instruction) => string | undefined {
  let byAddr: Map<bigint, string> | undefined;
  const kallsyms = (): Map<bigint, string> => {
    if (byAddr) return byAddr;
    byAddr = new Map();
    try {
      for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
        const [addr, , name] = line.split(/[ \t]/);
        if (!addr || !name) continue;
        const a = BigInt('0x' + addr);
        if (a !== 0n && !byAddr.has(a)) byAddr.set(a, name);
      }
    } catch {
      // No kallsyms: numbers only.
    }
    return byAddr;
  };
  let base: bigint | undefined;
  const callBase = (): bigint => {
    if (base === undefined) {
      base = 0n;
      for (const [a, n] of kallsyms()) if (n === '__bpf_call_base') base = a;
    }
    return base;
  };
  let ksyms: bigint[] | undefined;
  return (insn) => {
    let address: bigint;
    if (insn.src === BPF_PSEUDO_CALL) {
      ksyms ??= p.jitedKsyms();
      if (!ksyms.length) return undefined;
      address = (insn.imm >>> 0) < ksyms.length ? ksyms[insn.imm >>> 0]! : callBase() + BigInt(insn.imm | 0);
    } else {
      if (callBase() === 0n) return undefined;
      address = callBase() + BigInt(insn.imm | 0);
    }
    const name = kallsyms().get(address);
    if (name !== undefined) return name;
    return address ? `0x${address.toString(16)}` : undefined;
  };
}

export const loaderCommands: CliCommand[] = [
  {
    path: ['prog', 'loadall'],
    summary: 'Load every program of an object and pin them (and its maps)',
    usage: 'OBJ PINDIR [pinmaps MAPDIR] [--pin-root DIR] [--json]',
    run: loadall,
  },
  {
    path: ['prog', 'dump'],
    summary: 'Dump the instructions the kernel holds for a program',
    usage: 'xlated id ID | xlated pinned PATH [--json]',
    run: dumpXlated,
  },
];
