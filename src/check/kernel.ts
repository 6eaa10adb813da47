/**
 * What a kernel's BTF says about the kernel itself.
 *
 * A kernel's `vmlinux` BTF is more than the layout of its structs: the UAPI enums are in it
 * too, so the BTF of a kernel tells which BPF features that kernel was built with, without
 * running it. An enumerator is there exactly when the kernel's `include/uapi/linux/bpf.h`
 * has it:
 *
 * | question                      | read from                                          |
 * |-------------------------------|----------------------------------------------------|
 * | helper `bpf_ringbuf_output`?  | `enum bpf_func_id`: `BPF_FUNC_ringbuf_output = 130` |
 * | map type `RINGBUF`?           | `enum bpf_map_type`                                |
 * | program type, attach type?    | `enum bpf_prog_type`, `enum bpf_attach_type`       |
 * | BTF kind `ENUM64`?            | the anonymous enum of `BTF_KIND_*` (`btf.h`)       |
 * | global functions in BTF?      | `enum btf_func_linkage`: `BTF_FUNC_GLOBAL`         |
 *
 * Values are compared, not names: UAPI numbers never change, so a tsbpf constant and the
 * kernel's enumerator agree whenever the kernel has it. A BTF without these enums (a module's,
 * a minimised BTF from `gen min_core_btf`) answers "unknown", never "missing".
 * @module
 */
import type { Btf } from '../btf/btf.js';
import {
  BTF_KIND_DATASEC,
  BTF_KIND_DECL_TAG,
  BTF_KIND_ENUM,
  BTF_KIND_ENUM64,
  BTF_KIND_FLOAT,
  BTF_KIND_FUNC,
  BTF_KIND_FUNC_PROTO,
  BTF_KIND_TYPE_TAG,
  BTF_KIND_VAR,
  type BtfFeatures,
} from '../btf/index.js';
import type { CoreTarget } from '../core/index.js';

/**
 * A kernel to check an object against: its `vmlinux` BTF (a BTFHub file, a `/boot` BTF,
 * `/sys/kernel/btf/vmlinux`) and optionally its modules' split BTF.
 */
export interface CheckKernel extends CoreTarget {
  /** How reports name it: usually the BTF file's path. */
  name: string;
}

/** Enumerators of one enum, by value (`BPF_MAP_TYPE_RINGBUF` -> 27). */
export type EnumValues = ReadonlyMap<number, string>;

/** The BPF features a kernel's BTF reveals; each is undefined when the BTF does not say. */
export interface KernelBtfFacts {
  /** `enum bpf_func_id`. */
  helpers: EnumValues | undefined;
  /** `enum bpf_map_type`. */
  mapTypes: EnumValues | undefined;
  /** `enum bpf_prog_type`. */
  progTypes: EnumValues | undefined;
  /** `enum bpf_attach_type`. */
  attachTypes: EnumValues | undefined;
  /** The `BTF_KIND_*` values the kernel knows. */
  btfKinds: ReadonlySet<number> | undefined;
  /** Whether `BTF_FUNC_GLOBAL` is in `enum btf_func_linkage`. */
  btfFuncGlobal: boolean | undefined;
}

/** Enumerators of the named enum of `btf`, by value; `__MAX_*` sentinels left out. */
export function enumValues(btf: Btf, name: string): Map<number, string> | undefined {
  const id = btf.findByName(name, 'ENUM') ?? btf.findByName(name, 'ENUM64');
  if (id === undefined) return undefined;
  const t = btf.type(id);
  if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') return undefined;
  const out = new Map<number, string>();
  for (const v of t.values) {
    if (v.name.startsWith('__')) continue;
    const n = Number(v.value);
    if (!out.has(n)) out.set(n, v.name);
  }
  return out;
}

/** The anonymous enum holding `BTF_KIND_INT` (kernel `include/uapi/linux/btf.h`). */
function btfKindEnum(btf: Btf): Set<number> | undefined {
  for (let id = 1; id <= btf.maxId; id++) {
    const k = btf.kindOf(id);
    if (k !== BTF_KIND_ENUM && k !== BTF_KIND_ENUM64) continue;
    if (btf.nameOf(id) !== '') continue;
    const t = btf.type(id);
    if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') continue;
    if (!t.values.some((v) => v.name === 'BTF_KIND_INT')) continue;
    const out = new Set<number>();
    for (const v of t.values) if (v.name.startsWith('BTF_KIND_') && v.name !== 'BTF_KIND_MAX') out.add(Number(v.value));
    return out;
  }
  return undefined;
}

const factsCache = new WeakMap<Btf, KernelBtfFacts>();

/** Reads (once per BTF) what `vmlinux` BTF says about the kernel's BPF features. */
export function kernelBtfFacts(vmlinux: Btf): KernelBtfFacts {
  let f = factsCache.get(vmlinux);
  if (f) return f;
  const linkage = enumValues(vmlinux, 'btf_func_linkage');
  f = {
    helpers: enumValues(vmlinux, 'bpf_func_id'),
    mapTypes: enumValues(vmlinux, 'bpf_map_type'),
    progTypes: enumValues(vmlinux, 'bpf_prog_type'),
    attachTypes: enumValues(vmlinux, 'bpf_attach_type'),
    btfKinds: btfKindEnum(vmlinux),
    btfFuncGlobal: linkage ? [...linkage.values()].includes('BTF_FUNC_GLOBAL') : undefined,
  };
  factsCache.set(vmlinux, f);
  return f;
}

/**
 * The kernel's BTF abilities as `sanitizeBtf` takes them, from the kinds its BTF enum lists.
 * Undefined when the BTF has no `BTF_KIND_*` enum. `?` DATASEC names (libbpf
 * `FEAT_BTF_QMARK_DATASEC`, Linux 5.19) leave no trace in BTF; they are assumed with ENUM64
 * (Linux 6.0), so a 5.19 kernel is sanitised needlessly, never wrongly.
 */
export function btfFeaturesOf(facts: KernelBtfFacts): BtfFeatures | undefined {
  const k = facts.btfKinds;
  if (!k) return undefined;
  const has = (kind: number): boolean => k.has(kind);
  return {
    btfFunc: has(BTF_KIND_FUNC) && has(BTF_KIND_FUNC_PROTO),
    // BTF_FUNC_GLOBAL came with Linux 5.6, after VAR/DATASEC (5.2).
    btfFuncGlobal: facts.btfFuncGlobal ?? has(BTF_KIND_VAR),
    btfDatasec: has(BTF_KIND_VAR) && has(BTF_KIND_DATASEC),
    btfQmarkDatasec: has(BTF_KIND_ENUM64),
    btfFloat: has(BTF_KIND_FLOAT),
    btfDeclTag: has(BTF_KIND_DECL_TAG),
    btfTypeTag: has(BTF_KIND_TYPE_TAG),
    btfEnum64: has(BTF_KIND_ENUM64),
  };
}
