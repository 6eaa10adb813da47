/**
 * `SkeletonLayout`: what a generated skeleton tells the runtime about its object, as plain
 * data embedded in the generated module. It names each program, map, data section variable
 * and event source, and for each typed value the BTF type it was generated from, so the
 * runtime can check, when the skeleton is opened, that the object it loads is the one the
 * types describe (an object rebuilt since the skeleton was generated is an error, not a
 * silently wrong decode).
 *
 * The rule deciding which maps and variables are typed lives here too ({@link typedRef}),
 * shared by the generator and the runtime.
 * @module
 */
import { compileValueLayout, cTypeName, type Btf, type ValueLayout } from '../../btf/index.js';

/** A BTF type of the object: its id, its C name and its size, checked at open. */
export interface SkeletonTypeRef {
  /** Type id in the object's BTF. */
  id: number;
  /** `cTypeName` of the id: `struct event`, `__u32`, `char[16]`. */
  name: string;
  /** Bytes. */
  size: number;
  /** A digest of the compiled layout (members, offsets, widths): a reordered struct of the same size differs. */
  shape: string;
}

/** A program of the skeleton. */
export interface SkeletonProgramLayout {
  /** ELF section (`tracepoint/syscalls/sys_enter_getpid`). */
  section: string;
}

/** A map of the skeleton; key and value are typed when they have a BTF type of their size. */
export interface SkeletonMapLayout {
  /** The map's name in the object spec (`events`, `obj.rodata`). */
  map: string;
  /** The key type; keys are bytes without one. */
  key?: SkeletonTypeRef;
  /** The value type; values are bytes without one. */
  value?: SkeletonTypeRef;
}

/** A data section (`.rodata`, `.data`, `.bss`, `.data.*`) and its typed variables. */
export interface SkeletonSectionLayout {
  /** The data map's name in the object spec (`obj.rodata`). */
  section: string;
  /** Non-static variables by name; `null` for one without a value type (read and written as bytes). */
  variables: Record<string, SkeletonTypeRef | null>;
}

/** A ring buffer or perf event array read as typed records. */
export interface SkeletonEventLayout {
  /** The map's name in the object spec. */
  map: string;
  /** `RingbufReader` for `BPF_MAP_TYPE_RINGBUF`, `PerfReader` for `BPF_MAP_TYPE_PERF_EVENT_ARRAY`. */
  reader: 'ringbuf' | 'perf';
  /** The record type; records are bytes (`Uint8Array`) without one. */
  type?: SkeletonTypeRef;
}

/** Everything the runtime needs besides the object bytes (JSON-able). */
export interface SkeletonLayout {
  /** The object's name (data maps are `<object>.rodata`...). */
  object: string;
  /** Programs by name. */
  programs: Record<string, SkeletonProgramLayout>;
  /** Maps by skeleton name. */
  maps: Record<string, SkeletonMapLayout>;
  /** Data sections by skeleton name (`rodata`, `bss`, `data_<name>`). */
  sections: Record<string, SkeletonSectionLayout>;
  /** Event maps by skeleton name. */
  events: Record<string, SkeletonEventLayout>;
}

/**
 * The typed reference for type `id` when values of `size` bytes can be typed by it: a BTF
 * type with a value layout (not void, FUNC, FWD...) of exactly that size. Undefined otherwise
 * (the value stays bytes).
 */
export function typedRef(
  btf: Btf | undefined,
  id: number | undefined,
  size: number | undefined,
):
  | {
      /** What the skeleton records and checks at open. */
      ref: SkeletonTypeRef;
      /** The compiled value layout of the type. */
      layout: ValueLayout;
    }
  | undefined {
  if (!btf || !id || !btf.has(id)) return undefined;
  let layout: ValueLayout;
  try {
    layout = compileValueLayout(btf, id);
  } catch {
    return undefined;
  }
  if (size !== undefined && layout.size !== size) return undefined;
  return { ref: { id, name: cTypeName(btf, id), size: layout.size, shape: layoutShape(layout) }, layout };
}

/**
 * Why `ref` does not describe type `ref.id` of `btf`, or undefined when it does: the check a
 * skeleton makes when it opens its object.
 */
export function typeRefMismatch(btf: Btf | undefined, ref: SkeletonTypeRef): string | undefined {
  if (!btf) return `object has no BTF, the skeleton expects ${ref.name}`;
  if (!btf.has(ref.id)) return `BTF has no type [${ref.id}] (${ref.name})`;
  const name = cTypeName(btf, ref.id);
  if (name !== ref.name) return `type [${ref.id}] is ${name}, the skeleton expects ${ref.name}`;
  const t = typedRef(btf, ref.id, undefined);
  if (!t) return `type [${ref.id}] (${ref.name}) has no value layout`;
  if (t.ref.size !== ref.size) return `${ref.name} is ${t.ref.size} bytes, the skeleton expects ${ref.size}`;
  if (t.ref.shape !== ref.shape) return `${ref.name} has other members or offsets than when the skeleton was generated`;
  return undefined;
}

/**
 * An 8-hex-digit FNV-1a digest of `layout`'s canonical text: kinds, sizes, signedness,
 * member names, bit offsets and widths, enumerators.
 */
export function layoutShape(layout: ValueLayout): string {
  let h = 0x811c9dc5;
  const text = canonical(layout);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function canonical(l: ValueLayout): string {
  switch (l.kind) {
    case 'int': {
      const e = l.enumerators ? `{${[...l.enumerators].map(([k, v]) => `${k}=${v}`).join(',')}}` : '';
      return `i${l.size}${l.signed ? 's' : 'u'}${l.bool ? 'b' : ''}${l.bits}@${l.bitOffset}${e}`;
    }
    case 'array':
      return `a${l.length}x${l.elemSize}(${canonical(l.elem)})`;
    case 'struct':
    case 'union':
      return `${l.kind[0]}${l.size}{${l.fields.map((f) => `${f.name}@${f.bitOffset}:${f.bitfieldSize}=${canonical(f.layout)}`).join(';')}}`;
    default:
      return `${l.kind[0]}${l.size}`;
  }
}
