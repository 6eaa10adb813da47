/**
 * `loadCollection`: from an `ObjectSpec` (plain data) to live kernel objects.
 *
 * The steps, in libbpf's order (`bpf_object__load`):
 * 1. **kernel BTF**, only when something needs it: CO-RE relocations, `__ksym` externs and
 *    kfunc calls, BTF attach targets (`tp_btf/`, `fentry/`, `lsm/`, `iter/`...). The
 *    `kernelBtf` option replaces the running kernel's (a BTFHub file). A kfunc or typed ksym
 *    missing from it is looked up in the loaded modules' BTF (`module-btf.ts`).
 * 2. **object BTF**: data sections fixed up and kinds the kernel lacks replaced
 *    (`sanitizeBtf`), then `BPF_BTF_LOAD`. If the kernel refuses it the object loads without
 *    BTF (no func/line info, maps without BTF types), as libbpf does.
 * 3. **maps**: every map created; data maps written, `.rodata` and `.kconfig` frozen;
 *    `LIBBPF_PIN_BY_NAME` maps reused from `<pinRoot>/<name>` when compatible, else pinned.
 * 4. **programs**, in two passes as libbpf's: (a) every program's instructions copied, CO-RE
 *    fixups applied, calls resolved, references turned into fds and BTF ids, encoded with
 *    their func_info/line_info; (b) then each through `BPF_PROG_LOAD`: first without a log;
 *    on failure again with a log (grown on ENOSPC to `log_true_size`, level 2 when the
 *    explanation asks for it), and a `VerifierError`.
 * 5. prog_array and map-in-map initial values, once the programs exist.
 * It is transactional: on any failure everything created so far is closed in reverse order
 * (and pins made by this load removed), so a failed load leaks no fd.
 * @module
 */
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  BPF_LD_IMM64,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  encodeInstructions,
  patchImm,
  patchImm64,
  patchOff,
  patchSrc,
  slotCount,
} from '../asm/index.js';
import { ALL_BTF_FEATURES, readKernelBtf, sanitizeBtf, type Btf, type BtfFeatures } from '../btf/index.js';
import { applyFixups, computeFixups, formatFixup, type CoreFixup } from '../core/index.js';
import { BpfMap, loadBtfById, type MapSpec } from '../maps/index.js';
import { findSectionDef, forEachCall, SecFlags, type ObjectMapSpec, type ObjectSpec, type ProgramInstruction, type ProgramSpec } from '../object/index.js';
import { ensureMemlock, probeBtfFeatures } from '../features/index.js';
import { explainLockdown, LockdownError } from '../link/index.js';
import { Program } from '../programs/index.js';
import {
  bpfError,
  btfLoadRaw,
  Errno,
  errnoName,
  hostLittleEndian,
  mapInfo,
  objGet,
  possibleCpus,
  progBindMap,
  progInfo,
  progLoadRaw,
  type Fd,
  type ProgLoadAttr,
  type ProgLoadResult,
} from '../syscall/index.js';
import { AttachType, MapType, ProgType } from '../uapi/bpf.js';
import { POISON_CALL_KFUNC_BASE, VerifierError, type InsnLineInfo } from '../verifier-log/index.js';
import { externIndexes, loaderSymbols } from './debug-info.js';
import { Collection } from './collection.js';
import { LoadError } from './errors.js';
import { cpuV4Unsupported } from './isa.js';
import { encodeVariable, findVariable, type VariableValue } from './globals.js';
import { readKallsyms } from './kallsyms.js';
import { createStructOpsMap, planStructOps, structOpsValue, type StructOpsTarget } from './struct-ops.js';
import { fillKconfig } from './kconfig.js';
import { KernelSymbolBtf, moduleSymbolsUnsupported, type ModuleSymbolUse } from './module-btf.js';

/** Options of {@link loadCollection}. */
export interface LoadOptions {
  /**
   * Target BTF for CO-RE, ksyms, kfuncs and attach targets instead of
   * `/sys/kernel/btf/vmlinux` (a BTFHub file for a kernel without BTF). A kfunc or typed
   * ksym it lacks is still looked up in the loaded modules' BTF.
   */
  kernelBtf?: Btf;
  /** Directory of `LIBBPF_PIN_BY_NAME` maps (libbpf's `pin_root_path`). Default `/sys/fs/bpf`. */
  pinRoot?: string;
  /**
   * `.rodata` (and other data section) values to set before load, by variable name; each is
   * checked against the variable's size (cilium/ebpf's `RewriteConstants`).
   */
  constants?: Record<string, VariableValue>;
  /** Load every program with this verifier log level (1, 2, 4 = stats) even on success. */
  logLevel?: number;
  /** Initial log buffer size in bytes when a log is asked for (default 64 KiB, at least 128); grown on ENOSPC. */
  logSize?: number;
  /** The kernel configuration for `.kconfig` externs (default: `/proc/config.gz`, `/boot/config-*`). */
  kernelConfig?: Map<string, string>;
  /** The BTF features of the kernel (default: probed once per process, as libbpf's `FEAT_BTF_*`). */
  btfFeatures?: BtfFeatures;
  /** Load only these programs (default: all). */
  programs?: readonly string[];
  /**
   * Where programs that attach to another BPF program attach, by program name: for `freplace`
   * (`BPF_PROG_TYPE_EXT`), the loaded program one of whose global functions it replaces; for
   * `fentry`/`fexit` on a BPF program, the program it traces. `function` defaults to the name in
   * the section (`freplace/<function>`). libbpf's `bpf_program__set_attach_target`.
   */
  attachTargets?: Record<
    string,
    {
      /** The loaded program to attach to (its fd becomes `attach_prog_fd`). */
      program: {
        /** The program's fd. */
        readonly fd: number;
      };
      /** The target function in it (its BTF FUNC gives `attach_btf_id`). */
      function?: string;
    }
  >;
}

/** `BPF_F_RDONLY_PROG` data maps libbpf freezes after writing them. */
function frozenAfterWrite(m: ObjectMapSpec): boolean {
  return m.dataSection !== undefined && (m.dataSection === '.kconfig' || m.dataSection.startsWith('.rodata'));
}

/**
 * The file name a map is pinned under: its name with `.` replaced by `_`, since bpffs
 * refuses dots in names (libbpf's `sanitize_pin_path`): `globals.rodata` -> `globals_rodata`.
 */
export function pinName(name: string): string {
  return name.replace(/\./g, '_');
}

/** Kernel map names: 15 bytes of `[A-Za-z0-9_.]` (libbpf drops the rest too). */
function kernelObjName(name: string): string {
  // Most names need no change: check first, which allocates nothing (a loop: a regex test
  // costs more than the rest of preparing the program's attributes).
  if (name.length <= 15) {
    let ok = true;
    for (let i = 0; i < name.length && ok; i++) ok = isObjNameChar(name.charCodeAt(i));
    if (ok) return name;
  }
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/** `[A-Za-z0-9_.]`: what the kernel accepts in an object name (`bpf_obj_name_cpy`). */
function isObjNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e;
}

const DEFAULT_LOG_SIZE = 64 * 1024;
const MIN_LOG_SIZE = 128;
const MAX_LOG_SIZE = 0xffff_ffff >>> 2;
const PROG_LOAD_ATTEMPTS = 5;

/** Closables created so far; closed in reverse order on failure. */
class Undo {
  readonly #steps: (() => void)[] = [];
  push(step: () => void): void {
    this.#steps.push(step);
  }
  run(): void {
    for (const s of this.#steps.reverse()) {
      try {
        s();
      } catch {
        // Keep undoing: one failed close must not leak the rest.
      }
    }
    this.#steps.length = 0;
  }
}

function needsAttachBtf(p: ProgramSpec): boolean {
  if (p.type === ProgType.STRUCT_OPS) return true;
  const def = findSectionDef(p.section);
  return def !== undefined && (def.def.flags & SecFlags.ATTACH_BTF) !== 0;
}

/**
 * The BTF id of a program's attach target (`attach_btf_id`), looked up the way libbpf's
 * `find_attach_btf_id` does: a `TYPEDEF btf_trace_<tp>` for `tp_btf/`, a
 * `FUNC bpf_iter_<name>` for `iter/`, a `FUNC bpf_lsm_<hook>` for `lsm/`, else the kernel
 * `FUNC` itself (`fentry/`, `fexit/`, `fmod_ret/`).
 */
function attachBtfId(p: ProgramSpec, kernel: Btf, options: LoadOptions): number {
  const onProgram = options.attachTargets?.[p.name];
  if (onProgram) return programFuncBtfId(p, onProgram.program.fd, onProgram.function ?? p.attachTarget);
  const target = p.attachTarget;
  if (!target) throw new LoadError(`section '${p.section}' names no attach target (expected '${p.section}/<name>')`, { program: p.name });
  if (p.type === ProgType.STRUCT_OPS) {
    // The kernel's ops struct (set from the struct_ops map that points at the program).
    const id = kernel.findByName(target, 'STRUCT');
    if (id === undefined) throw new LoadError(`struct_ops type '${target}' not found in kernel BTF`, { program: p.name, symbol: target });
    return id;
  }
  if (p.type === ProgType.EXT) {
    throw new LoadError(`freplace program needs the program it replaces a function of: give it in options.attachTargets`, { program: p.name, symbol: target });
  }
  let name = target;
  let kind: 'FUNC' | 'TYPEDEF' = 'FUNC';
  if (p.expectedAttachType === AttachType.TRACE_RAW_TP) {
    name = `btf_trace_${target}`;
    kind = 'TYPEDEF';
  } else if (p.expectedAttachType === AttachType.TRACE_ITER) {
    name = `bpf_iter_${target}`;
  } else if (p.expectedAttachType === AttachType.LSM_MAC || p.expectedAttachType === AttachType.LSM_CGROUP) {
    name = `bpf_lsm_${target}`;
  }
  const id = kernel.findByName(name, kind);
  if (id === undefined) throw new LoadError(`attach target '${target}' not found in kernel BTF (no ${kind} '${name}')`, { program: p.name, symbol: name });
  return id;
}

/** The BTF id of FUNC `func` in the BTF a loaded program was loaded with (its `btf_id`). */
function programFuncBtfId(p: ProgramSpec, progFd: number, func: string | undefined): number {
  if (!func) throw new LoadError(`no target function: name it in the section ('${p.section}/<function>') or in attachTargets`, { program: p.name });
  const { btfId } = progInfo(progFd);
  if (!btfId) throw new LoadError(`the target program has no BTF, so function '${func}' cannot be found in it`, { program: p.name, symbol: func });
  const { btf } = loadBtfById(btfId);
  const id = btf.findByName(func, 'FUNC');
  if (id === undefined) throw new LoadError(`the target program has no function '${func}' (not in its BTF)`, { program: p.name, symbol: func });
  return id;
}

let kernelBtfCache: Btf | undefined;

/**
 * The running kernel's BTF, parsed once per process (its lazy name indexes then serve every
 * later load): vmlinux BTF does not change while the kernel runs. cilium/ebpf caches it too.
 */
function runningKernelBtf(): Btf {
  return (kernelBtfCache ??= readKernelBtf());
}

/** What the programs to load need, found by {@link scanPrograms}. */
interface ProgramNeeds {
  /**
   * Kernel BTF: for CO-RE relocations, kfunc calls and typed ksyms, BTF attach targets
   * (`tp_btf/`, `fentry/`, `lsm/`, `iter/`...), struct_ops maps.
   */
  kernelBtf: boolean;
  /** Some instruction has a CO-RE relocation. */
  core: boolean;
  /** The untyped `__ksym` externs referenced (resolved through kallsyms). */
  kallsyms: Set<string>;
}

/**
 * Checks everything that can be checked before any fd exists, and notes what the load will
 * need, in one walk over the instructions.
 */
function scanPrograms(spec: ObjectSpec, programs: readonly ProgramSpec[]): ProgramNeeds {
  if (spec.littleEndian !== hostLittleEndian) {
    throw new LoadError(`object '${spec.name}' is ${spec.littleEndian ? 'little' : 'big'}-endian, this host is not`);
  }
  const needs: ProgramNeeds = { kernelBtf: false, core: false, kallsyms: new Set() };
  for (const p of programs) {
    if (p.type === ProgType.UNSPEC) {
      throw new LoadError(`unknown section '${p.section}': cannot tell the program type (set 'type' on the spec, or use a libbpf section name)`, {
        program: p.name,
        symbol: p.section,
      });
    }
    if (needsAttachBtf(p)) needs.kernelBtf = true;
    let slot = 0;
    for (const insn of p.instructions) {
      const at = slot;
      slot += slotCount(insn);
      if (insn.coreRelo) needs.kernelBtf = needs.core = true;
      const r = insn.reference;
      if (!r) continue;
      if (r.kind === 'map' || r.kind === 'data') {
        const m = spec.maps.get(r.map);
        if (!m) throw new LoadError(`references map '${r.map}', which the object does not define`, { program: p.name, insn: at, symbol: r.map });
        if (r.kind === 'data' && (!m.data || r.offset < 0 || r.offset >= Math.max(m.valueSize, 1))) {
          throw new LoadError(`offset ${r.offset} is outside data map '${r.map}' (${m.valueSize} bytes)`, { program: p.name, insn: at, symbol: r.map });
        }
      } else if (r.kind === 'kfunc' || (r.kind === 'ksym' && r.typed)) {
        needs.kernelBtf = true;
      } else if (r.kind === 'ksym') {
        needs.kallsyms.add(r.name);
      }
    }
  }
  if (!needs.kernelBtf) {
    for (const m of spec.maps.values()) if (m.structOps) needs.kernelBtf = true;
    for (const e of spec.externs) {
      if (e.kind === 'ksym' && e.typeId !== undefined && spec.btf?.type(e.typeId).kind === 'FUNC') needs.kernelBtf = true;
    }
  }
  return needs;
}

/**
 * Memory for the encoded programs of one load, reused by the next: every program's
 * instructions go one after the other into `insnArena`, its func_info and line_info into
 * `funcArena` and `lineArena`, so that preparing twenty programs costs no new ArrayBuffer
 * (V8 takes microseconds to allocate one). {@link loadCollection} starts each load at offset
 * 0; the views stay valid until then, and `progLoadRaw` copies them into native memory for
 * the call. An arena too small is replaced by a larger one: the views already made keep the
 * old one.
 */
let insnArena: Uint8Array = new Uint8Array(64 * 1024);
let insnUsed = 0;
let funcArena: Uint32Array = new Uint32Array(2 * 1024);
let funcUsed = 0;
let lineArena: Uint32Array = new Uint32Array(8 * 1024);
let lineUsed = 0;

/** The program's `struct bpf_insn` array (host byte order), in `insnArena`. */
function encodeProgram(insns: readonly ProgramInstruction[]): Uint8Array {
  const bytes = encodeInstructions(insns, hostLittleEndian, insnArena.subarray(insnUsed));
  if (bytes.buffer === insnArena.buffer) {
    insnUsed += bytes.length;
  } else {
    // It did not fit and got an array of its own: a larger arena for the next programs.
    insnArena = new Uint8Array(2 * insnArena.length + bytes.length);
    insnUsed = 0;
  }
  return bytes;
}

/**
 * `struct bpf_func_info` and `struct bpf_line_info` arrays (host byte order) of one program,
 * in `funcArena` and `lineArena`. Every field of both records is a u32 in host byte order,
 * which is what a Uint32Array writes: func_info is { insn_off, type_id }, line_info
 * { insn_off, file_name_off, line_off, line_col }.
 */
function funcAndLineInfo(insns: readonly ProgramInstruction[]): { funcInfo?: Uint8Array; lineInfo?: Uint8Array } {
  // At most one record of each per instruction: room for that, then one walk.
  if (funcArena.length - funcUsed < 2 * insns.length) {
    funcArena = new Uint32Array(2 * funcArena.length + 2 * insns.length);
    funcUsed = 0;
  }
  if (lineArena.length - lineUsed < 4 * insns.length) {
    lineArena = new Uint32Array(2 * lineArena.length + 4 * insns.length);
    lineUsed = 0;
  }
  const fw = funcArena;
  const lw = lineArena;
  let f = funcUsed;
  let l = lineUsed;
  let slot = 0;
  for (const insn of insns) {
    if (insn.funcTypeId !== undefined) {
      fw[f++] = slot;
      fw[f++] = insn.funcTypeId;
    } else if (insn.func !== undefined) {
      // The kernel wants func_info for every function or none (`check_btf_func`).
      return {};
    }
    const line = insn.line;
    if (line) {
      lw[l++] = slot;
      lw[l++] = line.fileNameOff;
      lw[l++] = line.lineOff;
      lw[l++] = line.lineCol;
    }
    slot += slotCount(insn);
  }
  if (f === funcUsed) return {};
  const funcInfo = new Uint8Array(fw.buffer, funcUsed * 4, (f - funcUsed) * 4);
  const lineInfo = l > lineUsed ? new Uint8Array(lw.buffer, lineUsed * 4, (l - lineUsed) * 4) : undefined;
  funcUsed = f;
  lineUsed = l;
  return { funcInfo, lineInfo };
}

/** The line_info of one program as the verifier log numbers instructions, for its errors. */
function decodedLineInfo(insns: readonly ProgramInstruction[]): InsnLineInfo[] {
  const decoded: InsnLineInfo[] = [];
  let slot = 0;
  for (const insn of insns) {
    const l = insn.line;
    if (l) decoded.push({ insnOff: slot, fileName: l.fileName, line: l.line, column: l.lineCol & 0x3ff, lineText: l.lineText });
    slot += slotCount(insn);
  }
  return decoded;
}

interface Resolved {
  maps: Map<string, BpfMap>;
  /** kfuncs and typed ksyms: vmlinux, then module BTF; undefined without kernel BTF. */
  ksyms: KernelSymbolBtf | undefined;
  kallsyms: Map<string, bigint>;
  /** Extern index in libbpf's order, for poisoned kfunc calls. */
  externs: Map<string, number>;
}

/**
 * Writes the kernel's view of every reference into `bytes`, the program as encoded from
 * `insns` (which stay as the spec has them), as libbpf patches its copy of the instructions:
 * - map and data loads: `src_reg` `BPF_PSEUDO_MAP_FD`/`BPF_PSEUDO_MAP_VALUE`, the map's fd in
 *   the first half's `imm`, the value offset in the second's;
 * - calls and callback addresses: `BPF_PSEUDO_CALL`/`BPF_PSEUDO_FUNC`, `imm` the distance
 *   `target_slot - (slot + 1)` to the function's first slot in this program ({@link forEachCall});
 * - kfunc calls and ksyms: their BTF ids (or kallsyms address), `off` the BTF's `fd_array` index.
 * Returns the kfuncs and typed ksyms found in module BTF (the program then needs `fd_array`).
 */
function writeReferences(p: ProgramSpec, insns: readonly ProgramInstruction[], bytes: Uint8Array, r: Resolved): ModuleSymbolUse[] {
  const le = hostLittleEndian;
  const fromModules: ModuleSymbolUse[] = [];
  let slot = 0;
  for (const insn of insns) {
    const ref = insn.reference;
    const at = slot;
    slot += slotCount(insn);
    if (!ref) continue;
    switch (ref.kind) {
      case 'map':
      case 'data': {
        const m = r.maps.get(ref.map);
        if (!m) throw new LoadError(`references map '${ref.map}', which was not created`, { program: p.name, insn: at, symbol: ref.map });
        requireLdImm64(insn, 'map reference', ref.map, p, at);
        patchSrc(bytes, at, ref.kind === 'map' ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE, le);
        patchImm64(bytes, at, m.fd, ref.kind === 'data' ? ref.offset : 0, le);
        break;
      }
      case 'call':
        break; // below
      case 'func':
        requireLdImm64(insn, 'function address', ref.func, p, at);
        break;
      case 'kfunc': {
        const found = r.ksyms?.find(ref.name, 'FUNC');
        if (found === undefined) {
          if (!ref.weak) throw new LoadError(`kfunc '${ref.name}' not found in kernel BTF (searched ${searched(r)})`, { program: p.name, insn: at, symbol: ref.name });
          // An unresolved weak kfunc call becomes a helper call to 2002000000 + the extern's
          // index (libbpf's poison_kfunc_call): dead code is removed before helper calls are
          // fixed up, and a reachable one fails with `invalid func unknown#2002000000`, which
          // VerifierError turns back into the kfunc's name. (A kfunc call with imm 0, as libbpf
          // 1.1 leaves it, passes and fails later with a misleading `R0 !read_ok`.)
          patchSrc(bytes, at, 0, le);
          patchImm(bytes, at, POISON_CALL_KFUNC_BASE + (r.externs.get(ref.name) ?? 0), le);
          patchOff(bytes, at, 0, le);
          break;
        }
        patchSrc(bytes, at, BPF_PSEUDO_KFUNC_CALL, le);
        patchImm(bytes, at, found.id, le);
        // off: the index of the BTF's fd in fd_array; 0 is vmlinux.
        patchOff(bytes, at, found.module ? r.ksyms!.fdArrayIndex(found.module) : 0, le);
        if (found.module) fromModules.push({ kind: 'kfunc', name: ref.name, module: found.module.name, insn: at });
        break;
      }
      case 'ksym': {
        requireLdImm64(insn, 'ksym', ref.name, p, at);
        if (ref.typed) {
          const found = r.ksyms?.find(ref.name, 'VAR');
          if (found === undefined) {
            if (!ref.weak) throw new LoadError(`ksym '${ref.name}' not found in kernel BTF (no VAR of that name; searched ${searched(r)})`, { program: p.name, insn: at, symbol: ref.name });
            patchSrc(bytes, at, 0, le);
            patchImm64(bytes, at, 0, 0, le);
            break;
          }
          patchSrc(bytes, at, BPF_PSEUDO_BTF_ID, le);
          // First half's imm: the VAR's id; second half's: the BTF's fd itself, 0 for vmlinux.
          patchImm64(bytes, at, found.id, found.module?.fd.raw ?? 0, le);
          if (found.module) fromModules.push({ kind: 'ksym', name: ref.name, module: found.module.name, insn: at });
        } else {
          const addr = r.kallsyms.get(ref.name);
          if (addr === undefined && !ref.weak) throw new LoadError(`ksym '${ref.name}' not found in /proc/kallsyms`, { program: p.name, insn: at, symbol: ref.name });
          patchSrc(bytes, at, 0, le);
          patchImm64(bytes, at, Number((addr ?? 0n) & 0xffffffffn), Number((addr ?? 0n) >> 32n), le);
        }
        break;
      }
    }
  }
  forEachCall(insns, p.name, (insn, at, distance) => {
    if (insn.reference!.kind === 'call') {
      patchSrc(bytes, at, BPF_PSEUDO_CALL, le);
      patchImm(bytes, at, distance, le);
    } else {
      patchSrc(bytes, at, BPF_PSEUDO_FUNC, le);
      patchImm64(bytes, at, distance, 0, le);
    }
  });
  return fromModules;
}

/** The second half of an ld_imm64 is written too: only on an ld_imm64 is there one. */
function requireLdImm64(insn: ProgramInstruction, what: string, symbol: string, p: ProgramSpec, at: number): void {
  if (insn.opcode !== BPF_LD_IMM64) throw new LoadError(`${what} '${symbol}' on an instruction that is not ld_imm64`, { program: p.name, insn: at, symbol });
}

/** What a failed kernel symbol lookup searched: `vmlinux and 2 module BTFs`. */
function searched(r: Resolved): string {
  return r.ksyms ? r.ksyms.searched() : 'none: no kernel BTF';
}

/** An `ObjectMapSpec` as `BpfMap.create` takes it. */
function toMapSpec(m: ObjectMapSpec, btf: Fd | undefined): MapSpec {
  const s: MapSpec = {
    name: kernelObjName(m.name),
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    // libbpf's map_set_def_max_entries: a perf event array without max_entries gets one
    // slot per possible CPU (what bpf_perf_event_output(BPF_F_CURRENT_CPU) indexes).
    maxEntries: m.type === MapType.PERF_EVENT_ARRAY && m.maxEntries === 0 ? possibleCpus() : m.maxEntries,
    flags: m.flags,
    numaNode: m.numaNode,
    mapExtra: m.mapExtra,
  };
  if (m.innerMap) s.innerMap = toMapSpec(m.innerMap, undefined);
  if (btf && (m.keyTypeId || m.valueTypeId) && m.type !== MapType.PROG_ARRAY && !m.innerMap) {
    s.btf = { fd: btf.raw, keyTypeId: m.keyTypeId, valueTypeId: m.valueTypeId };
  }
  return s;
}

/**
 * Whether the pinned map `pinned` can stand for `m` (libbpf `map_is_reuse_compat`): same
 * type, key and value size, max_entries and flags.
 */
function pinCompatible(m: ObjectMapSpec, pinned: BpfMap): string | undefined {
  const i = mapInfo(pinned.fd);
  const diffs: string[] = [];
  if (i.type !== m.type) diffs.push(`type ${i.type} != ${m.type}`);
  if (i.keySize !== m.keySize) diffs.push(`key_size ${i.keySize} != ${m.keySize}`);
  if (i.valueSize !== m.valueSize) diffs.push(`value_size ${i.valueSize} != ${m.valueSize}`);
  if (i.maxEntries !== m.maxEntries) diffs.push(`max_entries ${i.maxEntries} != ${m.maxEntries}`);
  if (i.flags !== m.flags) diffs.push(`map_flags 0x${i.flags.toString(16)} != 0x${m.flags.toString(16)}`);
  return diffs.length ? diffs.join(', ') : undefined;
}

/** Creates one map (with a retry without BTF, as libbpf does), or reuses its pin. */
function createMap(m: ObjectMapSpec, btf: Fd | undefined, options: LoadOptions, undo: Undo): { map: BpfMap; reused: boolean } {
  if (m.pinning === 1) {
    const path = join(options.pinRoot ?? '/sys/fs/bpf', pinName(m.name));
    if (existsSync(path)) {
      const pinned = BpfMap.fromFd(objGet(path));
      undo.push(() => pinned.close());
      const diff = pinCompatible(m, pinned);
      if (diff) throw new LoadError(`pinned map at '${path}' does not match the definition: ${diff}`, { map: m.name, symbol: m.name });
      return { map: pinned, reused: true };
    }
  }
  let map: BpfMap;
  try {
    map = BpfMap.create(toMapSpec(m, btf));
  } catch (e) {
    if (!btf) throw new LoadError(`cannot create map: ${(e as Error).message}`, { map: m.name, symbol: m.name }, { cause: e });
    try {
      map = BpfMap.create(toMapSpec(m, undefined));
    } catch {
      throw new LoadError(`cannot create map: ${(e as Error).message}`, { map: m.name, symbol: m.name }, { cause: e });
    }
  }
  undo.push(() => map.close());
  if (m.data && m.data.length) {
    const data = m.data.length === m.valueSize ? m.data : (() => {
      const d = new Uint8Array(m.valueSize);
      d.set(m.data!.subarray(0, m.valueSize));
      return d;
    })();
    const key = new Uint8Array(4);
    map.updateBytes(key, data);
  }
  if (frozenAfterWrite(m)) map.freeze();
  return { map, reused: false };
}

/** `BPF_PROG_LOAD`, again while the kernel answers EAGAIN (a signal arrived while it verified). */
function progLoadRetrying(attrs: ProgLoadAttr, logLevel: number, logSize: number): ProgLoadResult {
  for (let i = 0; ; i++) {
    attrs.log_level = logLevel;
    attrs.log_size = logSize;
    const r = progLoadRaw(attrs);
    if (r.errno !== Errno.EAGAIN || i + 1 >= PROG_LOAD_ATTEMPTS) return r;
  }
}

/** A program made ready for `BPF_PROG_LOAD` (step 4a of {@link loadCollection}). */
interface PreparedProgram {
  /** The spec as loaded (a struct_ops program's with its target filled in). */
  spec: ProgramSpec;
  /** The instructions loaded (before references were written): for error messages. */
  insns: readonly ProgramInstruction[];
  attrs: ProgLoadAttr;
  /** kfuncs and typed ksyms found in module BTF. */
  fromModules: ModuleSymbolUse[];
}

/**
 * Everything done to a program before the kernel sees it: its instructions copied, CO-RE
 * fixups applied, calls and references resolved, then encoded with their func_info and
 * line_info (into the arenas), and the `BPF_PROG_LOAD` attributes filled in.
 */
function prepareProgram(
  p: ProgramSpec,
  resolved: Resolved,
  fixups: readonly CoreFixup[],
  structOps: { targets: Map<string, StructOpsTarget> } | undefined,
  btf: Fd | undefined,
  kernel: Btf | undefined,
  options: LoadOptions,
): PreparedProgram {
  // The instructions are encoded as the spec has them (with CO-RE fixups applied to a copy),
  // then the kernel's numbers are written into the encoded bytes: the spec is not modified.
  const insns = fixups.length ? applyFixups(p.instructions, fixups, p.name) : p.instructions;
  if (p.type === ProgType.STRUCT_OPS) p = structOpsProgram(p, structOps?.targets.get(p.name));
  const bytes = encodeProgram(insns);
  const fromModules = writeReferences(p, insns, bytes, resolved);
  const info = btf ? funcAndLineInfo(insns) : {};
  const attrs: ProgLoadAttr = {
    prog_type: p.type,
    insns: bytes,
    license: p.license,
    kern_version: p.kernelVersion,
    prog_flags: p.flags,
    prog_name: kernelObjName(p.name),
    expected_attach_type: p.expectedAttachType,
    prog_btf_fd: btf && info.funcInfo ? btf.raw : 0,
    func_info_rec_size: 8,
    func_info: btf ? info.funcInfo : undefined,
    line_info_rec_size: 16,
    line_info: btf && info.funcInfo ? info.lineInfo : undefined,
    attach_btf_id: needsAttachBtf(p) && kernel ? attachBtfId(p, kernel, options) : 0,
    attach_prog_fd: options.attachTargets?.[p.name]?.program.fd ?? 0,
    // Only for calls to module kfuncs: a kernel before 5.14 refuses the field (E2BIG). A
    // copy: programs prepared later may add modules (at higher indexes).
    fd_array: fromModules.some((u) => u.kind === 'kfunc') ? resolved.ksyms?.fdArray?.slice() : undefined,
  };
  return { spec: p, insns, attrs, fromModules };
}

/** `BPF_PROG_LOAD` of a prepared program with libbpf's log policy. Returns the fd or throws. */
function loadProgram(r: PreparedProgram, btf: Fd | undefined, options: LoadOptions, fixups: readonly CoreFixup[], spec: ObjectSpec): Fd {
  try {
    // The common case first, with nothing allocated for the others: no log asked for, loaded.
    const first = options.logLevel ? undefined : progLoadRetrying(r.attrs, 0, 0);
    if (first?.fd) return first.fd;
    return loadProgramWithLog(r.spec, r.insns, r.attrs, btf, options, fixups, spec, first?.errno ?? 0);
  } catch (e) {
    // A kernel too old for module kfuncs or ksyms refuses with E2BIG or a bare verifier line.
    throw moduleSymbolsUnsupported(r.spec.name, r.fromModules, e) ?? e;
  }
}

/**
 * The rest of {@link loadProgram}'s policy: load with the log level asked for, or after a
 * failure without a log, again with a log (grown on ENOSPC); turn the log into the error.
 */
function loadProgramWithLog(
  p: ProgramSpec,
  insns: readonly ProgramInstruction[],
  attrs: ProgLoadAttr,
  btf: Fd | undefined,
  options: LoadOptions,
  fixups: readonly CoreFixup[],
  spec: ObjectSpec,
  firstErrno: number,
): Fd {
  const withLog = (level: number): ProgLoadResult => {
    // Kernels before 6.4 refuse a log buffer under 128 bytes with EINVAL (`bpf_verifier_log_attr_valid`).
    let size = Math.max(MIN_LOG_SIZE, options.logSize ?? DEFAULT_LOG_SIZE);
    for (;;) {
      const r = progLoadRetrying(attrs, level, size);
      // ENOSPC: the log did not fit (even a valid program fails then); grow and retry.
      if (r.errno !== Errno.ENOSPC || size >= MAX_LOG_SIZE) return r;
      size = Math.min(MAX_LOG_SIZE, Math.max(r.logTrueSize + 1, size * 4));
    }
  };
  const r = withLog(options.logLevel || 1);
  if (r.fd) return r.fd; // loaded with the log asked for, or on the retry (a transient failure)
  if (!r.log.trim()) {
    // No log: the kernel refused before verifying (EPERM from capabilities or lockdown, EINVAL
    // for attributes), so the errno and its hint are the whole story.
    const cause = bpfError('BPF_PROG_LOAD', r.errno || firstErrno);
    // EPERM as root for a trampoline or LSM program: say it is lockdown, not permissions.
    const locked = explainLockdown(cause, p);
    if (locked instanceof LockdownError) throw locked;
    throw new LoadError(`cannot load: ${cause.message}`, { program: p.name }, { cause });
  }
  const build = (res: ProgLoadResult): VerifierError =>
    new VerifierError(res.log, {
      program: p.name,
      errno: errnoName(res.errno),
      lineInfo: btf ? decodedLineInfo(insns) : [],
      symbols: loaderSymbols(spec, insns),
      logTrueSize: res.logTrueSize || undefined,
    });
  let err = build(r);
  if (err.explanation.wantsLevel2 && (options.logLevel ?? 1) === 1) {
    const r2 = withLog(2);
    if (r2.fd) return r2.fd;
    if (r2.log.trim()) err = build(r2);
  }
  // The verifier reached a poisoned CO-RE instruction: say which relocation it was and why
  // it was poisoned, since the log only shows `call unknown#195896080`.
  const at = err.explanation.insnIdx;
  const poisoned = fixups.find((f) => f.program === p.name && f.insn === at && f.poison !== undefined);
  if (poisoned) err.message = `${formatFixup(poisoned)}\n${err.message}`;
  // A kernel before 6.6 rejects cpu v4 instructions with a bare "reserved fields" line.
  throw cpuV4Unsupported(p.name, insns, err) ?? err;
}

/** A struct_ops program as it is loaded: its target is the ops struct and member that point at it. */
function structOpsProgram(p: ProgramSpec, target: StructOpsTarget | undefined): ProgramSpec {
  if (!target) throw new LoadError(`struct_ops program is not used by any struct_ops map of the object`, { program: p.name });
  return { ...p, attachTarget: target.what.split('.')[0]!, expectedAttachType: target.memberIndex };
}

/**
 * The last object BTF sanitized, for its feature set: a spec loaded again and again is
 * sanitized once. One entry, held strongly (until the next load of another spec), rather
 * than a WeakMap keyed by the BTF: V8's scavenger keeps a WeakMap's values alive until the
 * next full GC even when the key has died, so every load's sanitized copy would be promoted
 * to the old generation.
 */
let lastSanitized: { btf: Btf; features: BtfFeatures; key: string; out: Uint8Array | Error } | undefined;

function sanitizedBtf(spec: ObjectSpec, features: BtfFeatures): Uint8Array | Error {
  const btf = spec.btf!;
  const last = lastSanitized;
  // The probed feature set is one frozen object for the process: compared by identity first.
  const key = last?.features === features && Object.isFrozen(features) ? last.key : featureKey(features);
  if (last?.btf === btf && last.key === key) return last.out;
  let out: Uint8Array | Error;
  try {
    out = sanitizeBtf(btf, features, { elf: spec.elf }).bytes;
  } catch (e) {
    out = e instanceof Error ? e : new Error(String(e));
  }
  lastSanitized = { btf, features, key, out };
  return out;
}

/** A feature set as a string (the features that are on, in a fixed order). */
function featureKey(features: BtfFeatures): string {
  let key = '';
  for (const name of Object.keys(ALL_BTF_FEATURES) as (keyof BtfFeatures)[]) if (features[name]) key += `${name},`;
  return key;
}

/**
 * Loads `spec` into the kernel: creates its maps, loads its programs, and returns the
 * {@link Collection} that owns them all. The spec is not modified (its `.rodata` values are
 * set with `options.constants` or `setVariable` beforehand).
 *
 * Needs CAP_BPF (plus CAP_PERFMON for tracing programs, CAP_NET_ADMIN for networking ones),
 * or root.
 * @throws {@link LoadError} for an object tsbpf can tell is wrong (unknown section, missing
 *   map, extern without value, incompatible pinned map, wrong-size constant);
 *   `VerifierError` when the verifier rejects a program; `CoreError` for a CO-RE relocation
 *   that cannot be applied; `BpfError`/`MapError` for other kernel refusals. Nothing stays
 *   open after a throw.
 */
export function loadCollection(spec: ObjectSpec, options: LoadOptions = {}): Collection {
  const only = options.programs ? new Set(options.programs) : undefined;
  if (only) for (const n of only) if (!spec.programs.has(n)) throw new LoadError(`no program '${n}' in object '${spec.name}'`, { symbol: n });
  const programs = only ? [...spec.programs.values()].filter((p) => only.has(p.name)) : [...spec.programs.values()];
  const needs = scanPrograms(spec, programs);

  // Constants are applied to a copy of each data map's bytes: the spec stays as it was.
  const dataOverride = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(options.constants ?? {})) {
    const { map, variable } = findVariable(spec, name);
    const bytes = encodeVariable(name, variable.size, value, spec.littleEndian);
    let d = dataOverride.get(map.name);
    if (!d) dataOverride.set(map.name, (d = map.data!.slice()));
    d.set(bytes, variable.offset);
  }

  // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK: raise it first, as libbpf does.
  ensureMemlock();

  // 1. Kernel BTF.
  const kernel = needs.kernelBtf ? (options.kernelBtf ?? runningKernelBtf()) : options.kernelBtf;

  const structOps = kernel && [...spec.maps.values()].some((m) => m.structOps) ? planStructOps(spec, kernel) : undefined;

  // kfuncs and typed ksyms: vmlinux first, then the modules' BTF, listed on the first miss.
  // The module BTF fds stay open until every program is loaded, and are closed in any case.
  const ksyms = kernel ? new KernelSymbolBtf(kernel, runningKernelBtf) : undefined;
  const undo = new Undo();
  const pinned: string[] = [];
  try {
    // 2. Object BTF.
    let btf: Fd | undefined;
    if (spec.btf) {
      const sanitized = sanitizedBtf(spec, options.btfFeatures ?? probeBtfFeatures());
      const r = sanitized instanceof Uint8Array ? btfLoadRaw(sanitized) : undefined;
      if (r?.fd) {
        btf = r.fd;
        undo.push(() => btf!.close());
      } else {
        // As libbpf ("BTF is optional, ignoring"): load without BTF, but say so, since
        // func/line info (and so C lines in verifier errors) and BTF-typed maps are lost.
        const why = r ? `the kernel refused it (${errnoName(r.errno)})` : `it cannot be sanitized: ${(sanitized as Error).message}`;
        process.emitWarning(`tsbpf: object '${spec.name}' loads without its BTF: ${why}`, 'TsbpfBtfDropped');
      }
    }

    // 3. Maps.
    const maps = new Map<string, BpfMap>();
    const reused = new Set<string>();
    for (const m of spec.maps.values()) {
      let def = m;
      const override = dataOverride.get(m.name);
      if (override) def = { ...m, data: override };
      if (m.dataSection === '.kconfig' && m.data) {
        const data = m.data.slice();
        if (spec.btf) fillKconfig(data, spec.externs, spec.btf, spec.littleEndian, options.kernelConfig ? () => options.kernelConfig : undefined);
        def = { ...m, data };
      }
      const plan = structOps?.plans.find((x) => x.map === m);
      if (plan) {
        const map = createStructOpsMap(plan, btf, kernelObjName(m.name));
        undo.push(() => map.close());
        maps.set(m.name, map);
        continue;
      }
      const { map, reused: r } = createMap(def, btf, options, undo);
      maps.set(m.name, map);
      if (r) reused.add(m.name);
    }
    for (const m of spec.maps.values()) {
      if (m.pinning !== 1 || reused.has(m.name)) continue;
      const root = options.pinRoot ?? '/sys/fs/bpf';
      // libbpf's bpf_map__pin creates the parent directory (make_parent_dir).
      mkdirSync(root, { recursive: true });
      const path = join(root, pinName(m.name));
      maps.get(m.name)!.pin(path);
      pinned.push(path);
    }

    // 4. Programs.
    const resolved: Resolved = { maps, ksyms, kallsyms: readKallsyms(needs.kallsyms), externs: externIndexes(spec) };
    const fixups: CoreFixup[] = needs.core && kernel ? computeFixups({ ...spec, programs }, kernel) : [];
    const rodata = [...spec.maps.values()].filter((m) => m.dataSection?.startsWith('.rodata')).map((m) => maps.get(m.name)!);
    // 4a. Every program made ready first, 4b. then each handed to the verifier, as libbpf
    // relocates all programs (bpf_object__relocate) before it loads any
    // (bpf_object__load_progs). The loader's own work then runs in one stretch rather than
    // between verifier runs, whose memory traffic evicts its caches (a few % per load).
    insnUsed = 0;
    funcUsed = 0;
    lineUsed = 0;
    const prepared = programs.map((p) => prepareProgram(p, resolved, fixups, structOps, btf, kernel, options));
    const loaded = new Map<string, Program>();
    for (const r of prepared) {
      const p = r.spec;
      const fd = loadProgram(r, btf, options, fixups, spec);
      const prog = new Program(fd, p.name, p.type, p.expectedAttachType);
      undo.push(() => prog.close());
      loaded.set(p.name, prog);
      // libbpf binds .rodata to every program so its metadata outlives unreferenced reads.
      for (const m of rodata) {
        try {
          progBindMap(prog.fd, m.fd);
        } catch {
          // As libbpf: not fatal (kernels before 5.10 lack PROG_BIND_MAP).
        }
      }
    }

    // 5. prog_array and map-in-map initial values.
    for (const m of spec.maps.values()) {
      if (!m.initialValues || reused.has(m.name)) continue;
      const map = maps.get(m.name)!;
      for (const [index, target] of m.initialValues) {
        const fd = m.type === MapType.PROG_ARRAY ? loaded.get(target)?.fd : maps.get(target)?.fd;
        if (fd === undefined) {
          if (m.type === MapType.PROG_ARRAY && only) continue; // the program was not asked for
          throw new LoadError(`initial value #${index} names '${target}', which was not loaded`, { map: m.name, symbol: target });
        }
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, index, hostLittleEndian);
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, fd, hostLittleEndian);
        map.updateBytes(key, value);
      }
    }
    const structOpsValues = new Map((structOps?.plans ?? []).map((plan) => [plan.map.name, structOpsValue(plan, (n) => loaded.get(n)?.fd)]));
    return new Collection({ programs: loaded, maps, btf, spec, structOps: structOpsValues });
  } catch (e) {
    undo.run();
    for (const path of pinned.reverse()) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
    throw e;
  } finally {
    ksyms?.close();
  }
}
