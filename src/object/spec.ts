/**
 * `ObjectSpec`: everything a `.bpf.o` declares, as plain data.
 *
 * A spec holds no file descriptors and is the same on every machine: it can be printed,
 * compared in tests, and edited before loading (rewrite `.rodata` constants, resize maps,
 * drop programs). References between its parts are by name (a program's instruction refers
 * to map `'events'`), so editing one part never leaves a dangling index; the loader turns
 * names into fds. (cilium/ebpf's `CollectionSpec` and aya-obj follow the same split.)
 * @module
 */
import type { Instruction } from '../asm/index.js';
import type { Btf, BtfExt, BtfExtCoreRelo, BtfExtLineInfo } from '../btf/index.js';
import type { ElfFile } from '../elf/index.js';
import type { StructOpsSpec } from './struct-ops.js';

/**
 * What an instruction refers to, to be resolved when the object is loaded. Named after the
 * `src_reg` pseudo values the loader writes (`BPF_PSEUDO_MAP_FD`, ...).
 */
export type Reference =
  /** `ld_imm64` of a map: becomes `BPF_PSEUDO_MAP_FD` with the map's fd. */
  | {
      /** Discriminant: a whole map. */
      kind: 'map';
      /** The map's name in {@link ObjectSpec.maps}. */
      map: string;
    }
  /**
   * `ld_imm64` of an address inside a data map (`.data`, `.rodata`, `.bss`, custom
   * `.data.*`/`.rodata.*`, `.kconfig`): becomes `BPF_PSEUDO_MAP_VALUE`, map fd in `imm`,
   * `offset` in the second half's `imm`.
   */
  | {
      /** Discriminant: an address inside a data map. */
      kind: 'data';
      /** The data map's name in {@link ObjectSpec.maps} (`obj.rodata`). */
      map: string;
      /** Byte offset of the variable in the map's value. */
      offset: number;
    }
  /** `call` of a subprogram (`BPF_PSEUDO_CALL`); resolved when the program is linked. */
  | {
      /** Discriminant: a bpf-to-bpf call. */
      kind: 'call';
      /** The called function's ELF symbol. */
      func: string;
    }
  /** `ld_imm64` of a function's address (`BPF_PSEUDO_FUNC`), a callback; resolved by linking. */
  | {
      /** Discriminant: a function address. */
      kind: 'func';
      /** The function's ELF symbol. */
      func: string;
    }
  /** `call` of a kernel function declared `extern ... __ksym` (`BPF_PSEUDO_KFUNC_CALL`). */
  | {
      /** Discriminant: a kfunc call. */
      kind: 'kfunc';
      /** The kernel function's name, looked up in vmlinux or module BTF. */
      name: string;
      /** Declared `__weak`: when missing, the call is patched out instead of failing the load. */
      weak: boolean;
    }
  /** `ld_imm64` of a kernel variable declared `extern ... __ksym` (`BPF_PSEUDO_BTF_ID`). */
  | {
      /** Discriminant: a kernel variable. */
      kind: 'ksym';
      /** The kernel symbol's name. */
      name: string;
      /** Declared `__weak`: when missing, the address becomes 0 instead of failing the load. */
      weak: boolean;
      /** Declared with a BTF type (resolved to a BTF id, `BPF_PSEUDO_BTF_ID`); untyped ones (`const void`) resolve through kallsyms to an address. */
      typed: boolean;
    };

/** One instruction of a program spec, with what the loader needs to know about it. */
export interface ProgramInstruction extends Instruction {
  /** What this instruction refers to, resolved at load. */
  reference?: Reference;
  /** Set on the first instruction of each function (the program's own, then subprograms). */
  func?: string;
  /** `.BTF.ext` func_info: the BTF `FUNC` type id of the function starting here. */
  funcTypeId?: number;
  /** `.BTF.ext` line_info: the C source line of this instruction. */
  line?: BtfExtLineInfo;
  /** `.BTF.ext` core_relo: a CO-RE relocation on this instruction. */
  coreRelo?: BtfExtCoreRelo;
}

/** A program: one function in a program section, linked with every subprogram it calls. */
export interface ProgramSpec {
  /** The function's name (its ELF symbol). */
  name: string;
  /** The ELF section, e.g. `tracepoint/sched/sched_switch`. */
  section: string;
  /** `prog_type` (`enum bpf_prog_type`). */
  type: number;
  /** `expected_attach_type` (`enum bpf_attach_type`), 0 when none. */
  expectedAttachType: number;
  /**
   * Where the section name says to attach: `sched/sched_switch` for a tracepoint,
   * `do_unlinkat` for fentry, `/bin/bash:readline` for a uprobe. Undefined when the
   * section gives none.
   */
  attachTarget: string | undefined;
  /** `prog_flags`: `BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`. */
  flags: number;
  /** How `attachAll` would attach it (from the section-name table), if it can. */
  autoAttach: string | undefined;
  /** `license`, from the object's `license` section. */
  license: string;
  /** `kern_version`, from the object's `version` section (0 if none). */
  kernelVersion: number;
  /** The instructions: the function itself, then each subprogram it calls (transitively). */
  instructions: ProgramInstruction[];
}

/** `LIBBPF_PIN_*` values of the `pinning` attribute of a BTF map definition. */
export const PinType = {
  /** `LIBBPF_PIN_NONE` */
  NONE: 0,
  /** `LIBBPF_PIN_BY_NAME`: pinned at `<pin root>/<map name>`, reused if present and compatible. */
  BY_NAME: 1,
} as const;

/** A variable in a data section, from the section's BTF `DATASEC`. */
export interface DataVariable {
  /** The C variable's name. */
  name: string;
  /** Byte offset in the section. */
  offset: number;
  /** Size in bytes. */
  size: number;
  /** BTF `VAR`'s type id in the object's BTF, when there is BTF. */
  typeId: number | undefined;
  /** `static` in C (`BTF_VAR_STATIC`): not part of the object's interface. */
  isStatic: boolean;
}

/** An `extern` the loader must resolve: a `.kconfig` value or a `__ksym` kernel symbol. */
export interface ExternSpec {
  /** The C name (`LINUX_KERNEL_VERSION`, `CONFIG_HZ`, `bpf_task_acquire`). */
  name: string;
  /** `kconfig` for `.kconfig` externs (kernel config values), `ksym` for `__ksym` (kernel variables and kfuncs). */
  kind: 'kconfig' | 'ksym';
  /** `__weak`: an unresolved extern becomes 0 instead of an error. */
  weak: boolean;
  /** BTF type id (VAR or FUNC) in the object's BTF. */
  typeId: number | undefined;
  /** For `.kconfig`: offset and size of its slot in the `.kconfig` map. */
  offset?: number;
  /** For `.kconfig`: the slot's size in bytes. */
  size?: number;
}

/** A map the object defines: in `.maps` (BTF), the legacy `maps` section, or a data section. */
export interface ObjectMapSpec {
  /** Name: the C variable for `.maps`, libbpf's internal name for data sections (`globals.rodata`). */
  name: string;
  /** `map_type` (`enum bpf_map_type`). */
  type: number;
  /** `key_size` in bytes (0 for maps without keys: queue, stack, ring buffers). */
  keySize: number;
  /** `value_size` in bytes. */
  valueSize: number;
  /** `max_entries`; for ring buffers the data area's size in bytes (a power of two, a multiple of the page size). */
  maxEntries: number;
  /** `map_flags` */
  flags: number;
  /** `numa_node` */
  numaNode: number;
  /** `map_extra` (bloom filter hash count, arena address). */
  mapExtra: bigint;
  /** `LIBBPF_PIN_*` */
  pinning: number;
  /** BTF type ids of key and value in the object's BTF (0 when not known). */
  keyTypeId: number;
  /** BTF type id of the value (`btf_value_type_id`), 0 when not known. */
  valueTypeId: number;
  /** Map-in-map: the inner map template (`__array(values, struct inner)`). */
  innerMap?: ObjectMapSpec;
  /**
   * Initial contents by index, for prog_array (program names) and map-in-map (map names):
   * `.values = { [1] = &tail_a }`.
   */
  initialValues?: Map<number, string>;
  /** For a data-section map: the ELF section it holds (`.rodata`, `.data.slots`). */
  dataSection?: string;
  /** For a data-section map: the initial bytes (zeroes for `.bss`); editable before load. */
  data?: Uint8Array;
  /** For a data-section map: its variables, from BTF. */
  variables?: DataVariable[];
  /** Where it was defined: the ELF section (`.maps`, `maps`, `.struct_ops(.link)` or the data section). */
  section: string;
  /** For a `BPF_MAP_TYPE_STRUCT_OPS` map: the ops struct and the programs of its members. */
  structOps?: StructOpsSpec;
}

/** Everything in a BPF object file. */
export interface ObjectSpec {
  /** The object's name: the file name up to its first `.` (libbpf's `obj->name`). */
  name: string;
  /** Byte order, from `e_ident[EI_DATA]` (`-target bpfel` or `bpfeb`). */
  littleEndian: boolean;
  /** The `license` section's string (`GPL`); GPL-only helpers need a GPL-compatible one. */
  license: string;
  /** The `version` section's value (`kern_version`, checked only by kernels before 5.0 for kprobes), 0 if none. */
  kernelVersion: number;
  /** Programs by name, in section order. */
  programs: Map<string, ProgramSpec>;
  /** Maps by name: `.maps` and legacy maps first, then data sections. */
  maps: Map<string, ObjectMapSpec>;
  /** `extern` symbols to resolve at load (`.kconfig`, `__ksym`). */
  externs: ExternSpec[];
  /** The object's BTF and `.BTF.ext`, when it has them. */
  btf: Btf | undefined;
  /** The object's `.BTF.ext` (func_info, line_info, CO-RE relocations), when it has one. */
  btfExt: BtfExt | undefined;
  /**
   * The ELF file the spec was read from, when it was: the loader takes DATASEC sizes and
   * variable offsets from it before `BPF_BTF_LOAD` (libbpf's `btf_fixup_datasec`). A spec
   * built by hand has none; its BTF is then loaded as is.
   */
  elf?: ElfFile;
}
