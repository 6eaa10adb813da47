/**
 * Kernel symbols in BTF: where a kfunc (`extern ... __ksym` function) or a typed `__ksym`
 * variable is found, in vmlinux BTF or, when vmlinux lacks it, in a loaded module's BTF
 * (libbpf's `find_ksym_btf_id` and `load_module_btfs`).
 *
 * Module BTF objects (Linux 5.11) have no directory: the loader walks every BTF object id
 * (`BPF_BTF_GET_NEXT_ID`), opens each (`BPF_BTF_GET_FD_BY_ID`) and keeps those whose
 * `struct bpf_btf_info` has `kernel_btf` set and a name other than `vmlinux`. A module's BTF
 * is split BTF on vmlinux: its type ids continue vmlinux's, and they are the ids the kernel
 * expects. The list is made once per load, and only when a name is missing from vmlinux.
 *
 * How an instruction names a symbol found in a module:
 * - kfunc call (`BPF_PSEUDO_KFUNC_CALL`): `imm` = the FUNC's id, `off` = the index of the
 *   module's BTF fd in `fd_array` of `BPF_PROG_LOAD`. `off` 0 means vmlinux, so module
 *   indexes start at 1 (kernel `__find_kfunc_desc_btf`). Linux 5.16 (fd_array: 5.14).
 * - typed ksym (`ld_imm64` with `BPF_PSEUDO_BTF_ID`): first `imm` = the VAR's id, second
 *   `imm` = the module's BTF fd itself (kernel `check_pseudo_btf_id`). Linux 5.12.
 * The module BTF fds stay open until the last `BPF_PROG_LOAD` returns; the kernel holds its own
 * reference on each module a loaded program uses, so the load closes them all when it ends.
 * @module
 */
import { parseBtf, type Btf } from '../btf/index.js';
import { NotSupportedError } from '../errors.js';
import { btfObjectInfo } from '../maps/index.js';
import { BpfError, objGetFdById, objGetNextId, type Fd } from '../syscall/index.js';
import { LoadError } from './errors.js';
import { kernelVersionCode, runningKernelVersion } from './kconfig.js';

/** One loaded module's BTF object, open for the length of one load. */
export interface ModuleBtf {
  /** The module's name, `struct bpf_btf_info.name` (`nf_conntrack`). */
  readonly name: string;
  /** The BTF object's id. */
  readonly id: number;
  /** The BTF object's fd, closed when the load ends. */
  readonly fd: Fd;
  /** Its types, split BTF on vmlinux (read from the fd when first searched). */
  btf?: Btf;
  /** Index of `fd` in the programs' `fd_array`, once a kfunc call uses it (0: not yet). */
  fdArrayIndex: number;
}

/** Where a kernel symbol's BTF type is. */
export interface KsymLocation {
  /** The FUNC or VAR type id, in the kernel's numbering. */
  id: number;
  /** The module whose BTF holds it; undefined for vmlinux. */
  module?: ModuleBtf;
}

/** The loaded modules' BTF objects, or why they could not be listed. */
export interface ModuleBtfList {
  /** Every module BTF object, in id order. */
  modules: ModuleBtf[];
  /** Set when the list is incomplete: what refused (`BPF_BTF_GET_NEXT_ID: EPERM`). */
  unavailable?: string;
}

/** Parsed module BTF by BTF object id: a module's BTF does not change while it is loaded. */
const parsedModules = new Map<number, Btf>();
/** Ids of BTF objects that are not module BTF (programs' BTF, vmlinux): not opened again. */
const notModules = new Set<number>();

/**
 * Opens the BTF object of every loaded module (libbpf `load_module_btfs`). The caller owns
 * the fds. A BTF object that disappears while the list is made (its module or program was
 * unloaded) is skipped; any other refusal ends the list and is named in `unavailable`.
 */
export function listModuleBtfs(): ModuleBtfList {
  const modules: ModuleBtf[] = [];
  const seen = new Set<number>();
  let id = 0;
  try {
    for (;;) {
      const next = objGetNextId('btf', id);
      if (next === undefined) break;
      id = next;
      seen.add(id);
      if (notModules.has(id)) continue;
      const fd = objGetFdById('btf', id);
      if (!fd) continue; // unloaded since BPF_BTF_GET_NEXT_ID
      try {
        const { info } = btfObjectInfo(fd.raw);
        if (info.kernelBtf && info.name !== 'vmlinux') {
          modules.push({ name: info.name, id, fd, btf: parsedModules.get(id), fdArrayIndex: 0 });
          continue;
        }
        notModules.add(id);
      } catch (e) {
        fd.close();
        throw e;
      }
      fd.close();
    }
  } catch (e) {
    const why = e instanceof BpfError ? `${e.command}: ${e.errno}` : (e as Error).message;
    return { modules, unavailable: why };
  }
  // Forget the objects that are gone (an unloaded module's id is not reused before the ids wrap).
  for (const k of parsedModules.keys()) if (!seen.has(k)) parsedModules.delete(k);
  for (const k of notModules) if (!seen.has(k)) notModules.delete(k);
  return { modules };
}

/**
 * Looks kernel symbols up in vmlinux BTF, then in the loaded modules' BTF, and keeps the
 * module BTF fds the load needs: one instance per load, closed when the load ends.
 */
export class KernelSymbolBtf {
  readonly #vmlinux: Btf;
  readonly #base: () => Btf;
  readonly #list: () => ModuleBtfList;
  #modules: ModuleBtfList | undefined;
  /** `fd_array` of `BPF_PROG_LOAD`: slot 0 unused (an `off` of 0 means vmlinux). */
  readonly #fdArray: number[] = [0];

  /**
   * @param vmlinux the BTF searched first (the running kernel's, or `LoadOptions.kernelBtf`).
   * @param base the running kernel's vmlinux BTF, which module BTF is split on.
   * @param list lists the module BTF objects (default {@link listModuleBtfs}).
   */
  constructor(vmlinux: Btf, base: () => Btf, list: () => ModuleBtfList = listModuleBtfs) {
    this.#vmlinux = vmlinux;
    this.#base = base;
    this.#list = list;
  }

  /**
   * The lowest id of a `kind` type named `name`: in vmlinux, else in the first module (in BTF
   * id order) that has one, as libbpf's `find_ksym_btf_id`.
   */
  find(name: string, kind: 'FUNC' | 'VAR'): KsymLocation | undefined {
    const id = this.#vmlinux.findByName(name, kind);
    if (id !== undefined) return { id };
    for (const module of this.#listed().modules) {
      const btf = this.#moduleTypes(module);
      // Split BTF: findByName looks in vmlinux (the base) first, which has just missed.
      const found = btf.findByName(name, kind);
      if (found !== undefined) return { id: found, module };
    }
    return undefined;
  }

  /**
   * The index of `module`'s BTF fd in `fd_array`, added on first use: what a kfunc call's
   * `off` holds. The kernel reads `off` as s16, so at most 32767 modules.
   */
  fdArrayIndex(module: ModuleBtf): number {
    if (module.fdArrayIndex === 0) {
      if (this.#fdArray.length > 0x7fff) throw new LoadError(`module '${module.name}': its BTF fd would be fd_array index ${this.#fdArray.length}, more than a kfunc call's off can hold`, { symbol: module.name });
      module.fdArrayIndex = this.#fdArray.length;
      this.#fdArray.push(module.fd.raw);
    }
    return module.fdArrayIndex;
  }

  /** `fd_array` for `BPF_PROG_LOAD`, or undefined while no kfunc call uses a module. */
  get fdArray(): readonly number[] | undefined {
    return this.#fdArray.length > 1 ? this.#fdArray : undefined;
  }

  /** What {@link find} searched, for an error: `vmlinux and 3 module BTFs`. */
  searched(): string {
    return describeSearch(this.#modules);
  }

  /** Closes every module BTF fd (idempotent). */
  close(): void {
    for (const m of this.#modules?.modules ?? []) m.fd.close();
  }

  /** The module list, made on first use. */
  #listed(): ModuleBtfList {
    return (this.#modules ??= this.#list());
  }

  /** A module's types, read from its fd and parsed on vmlinux the first time. */
  #moduleTypes(m: ModuleBtf): Btf {
    if (!m.btf) {
      const { bytes } = btfObjectInfo(m.fd.raw, true);
      m.btf = parseBtf(bytes!, { base: this.#base(), section: `btf id ${m.id} '${m.name}'` });
      parsedModules.set(m.id, m.btf);
    }
    return m.btf;
  }
}

/**
 * What a search covered, for "not found" errors: `vmlinux and 2 module BTFs`, `vmlinux (no
 * module BTF is loaded)`, or why the modules could not be searched; `vmlinux` while no module
 * was searched.
 */
export function describeSearch(list: ModuleBtfList | undefined, kernel = runningKernelVersion()): string {
  if (!list) return 'vmlinux';
  const n = list.modules.length;
  if (list.unavailable) {
    const searched = n ? `vmlinux and ${n} module BTF${n === 1 ? '' : 's'}` : 'vmlinux';
    return `${searched}; the module BTF list is incomplete: ${list.unavailable}`;
  }
  if (n) return `vmlinux and ${n} module BTF${n === 1 ? '' : 's'}`;
  // Module BTF came in 5.11 (CONFIG_DEBUG_INFO_BTF_MODULES).
  const old = kernel !== 0 && kernel < kernelVersionCode(5, 11, 0);
  return `vmlinux; no module BTF is loaded${old ? ' (module BTF requires Linux >= 5.11)' : ''}`;
}

/** A kfunc or typed ksym a program takes from a module's BTF. */
export interface ModuleSymbolUse {
  /** A kfunc call or a typed ksym (`ld_imm64`). */
  kind: 'kfunc' | 'ksym';
  /** The symbol. */
  name: string;
  /** The module whose BTF has it. */
  module: string;
  /** The instruction slot that refers to it. */
  insn: number;
}

/**
 * The error for program `program` refused by a kernel too old for what it takes from module
 * BTF, or undefined when the kernel is new enough (then the refusal has another reason):
 * calls to a module's kfuncs need Linux 5.16 (`fd_array`, 5.14, and `insn->off` as an index
 * into it, `__find_kfunc_desc_btf`); module typed ksyms need 5.12 (a BTF fd in the second half
 * of `ld_imm64`, `check_pseudo_btf_id`).
 */
export function moduleSymbolsUnsupported(
  program: string,
  uses: readonly ModuleSymbolUse[],
  cause: unknown,
  kernel = runningKernelVersion(),
): NotSupportedError | undefined {
  if (kernel === 0) return undefined;
  for (const u of uses) {
    const [major, minor, what] = u.kind === 'kfunc'
      ? [5, 16, `calls to a module's kfuncs (module BTF fd in fd_array, indexed by the call's off)`]
      : [5, 12, `a module's typed ksyms (module BTF fd in ld_imm64)`];
    if (kernel >= kernelVersionCode(major, minor, 0)) continue;
    return new NotSupportedError(`program '${program}': insn #${u.insn}: ${u.kind} '${u.name}' is in module '${u.module}' BTF: ${what}`, `${major}.${minor}`, { cause });
  }
  return undefined;
}
