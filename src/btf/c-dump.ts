/**
 * BTF as a C header: the `vmlinux.h` that `bpftool btf dump file X format c` writes.
 *
 * Three steps, as in libbpf's `btf_dump.c` (our own code, same ideas):
 *
 * 1. **Order.** C needs a type defined before it is used *by value* (an embedded struct, an
 *    array element, a typedef's target when the typedef is used by value) but only declared
 *    before it is used *through a pointer*. A depth-first walk from each type gives an order in
 *    which every by-value dependency comes first; a named struct reached through a pointer is
 *    not walked, which is what breaks the cycles of linked data structures:
 *    ```
 *    struct list_head { struct list_head *next, *prev; };   // PTR to itself: no dependency
 *    struct task_struct { struct sched_entity se; ... };     // sched_entity first
 *    ```
 *    A struct that contains itself by value (only possible in corrupt BTF) is an error.
 * 2. **Forward declarations.** Before a type is written, every named struct/union it mentions
 *    through a pointer and that is not yet declared gets `struct name;`. This matters for
 *    function prototypes, where a first mention would declare the tag in prototype scope.
 * 3. **Declarators.** C declarators read inside out: `int (*handlers[4])(void *)` is an array
 *    of 4 pointers to functions. {@link CDumper.declaration} builds them recursively from
 *    the declared name outwards, adding parentheses where a pointer meets an array or function.
 *
 * Anonymous structs, unions and enums are written inline where they are used; anonymous enums
 * that nothing references are written at top level (they define constants). Types whose names
 * collide (two different `struct foo`s survive deduplication) get `___2`, `___3` suffixes, and
 * so do enumerators, as libbpf does. Structs whose natural C layout would not match the BTF
 * offsets get anonymous padding bitfields (`long: 64;`) or `__attribute__((packed))`.
 * @module
 */
import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { describeType } from './btf.js';
import type { BtfComposite, BtfEnum, BtfEnum64, BtfType } from './kinds.js';
import { alignOf, sizeOf as sizeOfType } from './query.js';

/** Options of {@link dumpC}. */
export interface DumpCOptions {
  /** Header guard macro (default `__VMLINUX_H__`). */
  guard?: string;
  /** Wrap the types in the `preserve_access_index` pragma block (default true), as bpftool does. */
  preserveAccessIndex?: boolean;
  /** Chunk size of the generated text (default 64 KiB). */
  chunkSize?: number;
}

const enum Order {
  None = 0,
  Ordering = 1,
  Ordered = 2,
}

const MAX_NESTING = 256;
/** Declarator steps allowed for one top-level type (vmlinux's largest needs a few hundred). */
const MAX_WORK = 200_000;

/**
 * Generates the C header for every type of `btf` (split BTF: its base's too, as bpftool does),
 * in chunks.
 * @throws {@link BtfError} for BTF that has no C form (a struct containing itself by value, a
 *   pointer cycle without a named type, nesting deeper than 256).
 */
export function* dumpC(btf: Btf, options: DumpCOptions = {}): IterableIterator<string> {
  const guard = options.guard ?? '__VMLINUX_H__';
  const pai = options.preserveAccessIndex ?? true;
  const chunkSize = options.chunkSize ?? 1 << 16;
  let head = `#ifndef ${guard}\n#define ${guard}\n\n`;
  if (pai) head += '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n';
  yield head;
  const d = new CDumper(btf);
  let buf = '';
  // Split BTF (a module) is written with its base's types: the header must be complete.
  for (let id = 1; id <= btf.maxId; id++) {
    buf += d.dumpType(id);
    if (buf.length >= chunkSize) {
      yield buf;
      buf = '';
    }
  }
  let tail = buf;
  if (pai) tail += '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n';
  tail += `#endif /* ${guard} */\n`;
  yield tail;
}

/** The whole C header as one string. */
export function dumpCString(btf: Btf, options: DumpCOptions = {}): string {
  let s = '';
  for (const c of dumpC(btf, options)) s += c;
  return s;
}

/** State of one C dump: order marks, emitted set, name maps. */
export class CDumper {
  private readonly order: Uint8Array;
  private readonly emitted: Uint8Array;
  /** Named struct/union has a forward declaration or its definition started. */
  private readonly declared: Uint8Array;
  /** Referenced from another type (anonymous enums that are not are written at top level). */
  private readonly referenced: Uint8Array;
  private readonly names = new Map<number, string>();
  /** Tags (struct/union/enum share one namespace in C) and ordinary identifiers. */
  private readonly tagCounts = new Map<string, number>();
  private readonly identCounts = new Map<string, number>();
  private queue: number[] = [];
  private readonly onPath: Uint8Array;
  private work = 0;

  constructor(private readonly btf: Btf) {
    const n = btf.maxId + 1;
    this.order = new Uint8Array(n);
    this.emitted = new Uint8Array(n);
    this.declared = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.onPath = new Uint8Array(n);
    this.markReferenced();
  }

  private markReferenced(): void {
    const btf = this.btf;
    const mark = (id: number): void => {
      if (id > 0 && id < this.referenced.length) this.referenced[id] = 1;
    };
    for (let id = 1; id <= btf.maxId; id++) {
      const t = btf.type(id);
      switch (t.kind) {
        case 'STRUCT':
        case 'UNION':
          for (const m of t.members) mark(m.type);
          break;
        case 'ARRAY':
          mark(t.type);
          break;
        case 'PTR':
        case 'CONST':
        case 'VOLATILE':
        case 'RESTRICT':
        case 'TYPEDEF':
        case 'TYPE_TAG':
        case 'VAR':
          mark(t.type);
          break;
        case 'FUNC_PROTO':
          mark(t.returnType);
          for (const p of t.params) mark(p.type);
          break;
        case 'DATASEC':
          for (const v of t.vars) mark(v.type);
          break;
      }
    }
  }

  /** The C text for top-level type `id` (and whatever must precede it), possibly empty. */
  dumpType(id: number): string {
    this.queue = [];
    this.work = 0;
    this.orderType(id, false, true, 0);
    this.work = 0;
    let out = '';
    for (const q of this.queue) out += this.emitTopLevel(q);
    return out;
  }

  private fail(id: number, what: string): BtfError {
    return new BtfError(`type ${describeType(this.btf, id)}: ${what}`, { section: this.btf.section, typeId: id });
  }

  // ---------------------------------------------------------------------------------------
  // Step 1: order.

  private orderType(id: number, throughPtr: boolean, topLevel: boolean, depth: number): void {
    if (id === 0) return;
    if (depth > MAX_NESTING) throw this.fail(id, `types nested deeper than ${MAX_NESTING}`);
    if (++this.work > MAX_WORK) throw this.fail(id, `type graph larger than ${MAX_WORK} steps`);
    const btf = this.btf;
    const kind = btf.kindOf(id);
    const named = btf.nameOffOf(id) !== 0;
    switch (kind) {
      case 2: // PTR
        if (this.order[id] === Order.Ordering) return; // PTR cycle: nothing to define
        this.order[id] = Order.Ordering;
        this.orderType(btf.sizeOrTypeOf(id), true, false, depth + 1);
        this.order[id] = Order.Ordered;
        return;
      case 9: // VOLATILE
      case 10: // CONST
      case 11: // RESTRICT
      case 18: // TYPE_TAG
        if (this.order[id] === Order.Ordering) throw this.fail(id, 'reference cycle');
        this.order[id] = Order.Ordering;
        this.orderType(btf.sizeOrTypeOf(id), throughPtr, false, depth + 1);
        this.order[id] = Order.None;
        return;
      case 3: // ARRAY
        this.orderType(btf.dataU32(id, 0), throughPtr, false, depth + 1);
        return;
      case 4: // STRUCT
      case 5: {
        // UNION
        if (this.order[id] === Order.Ordered) return;
        if (throughPtr && named) return; // a forward declaration will do
        if (this.order[id] === Order.Ordering) {
          if (named && throughPtr) return;
          throw this.fail(id, named ? 'contains itself by value' : 'anonymous type in a reference cycle');
        }
        if (!named && topLevel) return; // an unreferenced anonymous struct declares nothing
        this.order[id] = Order.Ordering;
        const t = btf.type(id) as BtfComposite;
        for (const m of t.members) this.orderType(m.type, false, false, depth + 1);
        this.order[id] = Order.Ordered;
        if (named) this.queue.push(id);
        return;
      }
      case 6: // ENUM
      case 19: // ENUM64
        if (this.order[id] === Order.Ordered) return;
        if (named || (topLevel && !this.referenced[id])) {
          this.order[id] = Order.Ordered;
          this.queue.push(id);
        }
        return;
      case 7: // FWD
        if (this.order[id] === Order.Ordered) return;
        this.order[id] = Order.Ordered;
        if (named) this.queue.push(id);
        return;
      case 8: {
        // TYPEDEF
        if (this.order[id] === Order.Ordered) return;
        // Reached again while its target is being ordered: the target is a struct that refers
        // to this typedef through a pointer (`typedef struct s t; struct s { t *next; };`).
        // The typedef is then written just before the struct (see forwardDecls).
        if (this.order[id] === Order.Ordering) {
          if (throughPtr) return;
          throw this.fail(id, 'reference cycle');
        }
        if (btf.nameOf(id) === '__builtin_va_list') {
          this.order[id] = Order.Ordered; // a compiler builtin, never redefined
          this.emitted[id] = 1;
          return;
        }
        this.order[id] = Order.Ordering;
        this.orderType(btf.sizeOrTypeOf(id), throughPtr, false, depth + 1);
        this.order[id] = Order.Ordered;
        this.queue.push(id);
        return;
      }
      case 13: {
        // FUNC_PROTO
        if (this.order[id] === Order.Ordering) return;
        this.order[id] = Order.Ordering;
        const t = btf.type(id);
        if (t.kind === 'FUNC_PROTO') {
          this.orderType(t.returnType, throughPtr, false, depth + 1);
          for (const p of t.params) this.orderType(p.type, throughPtr, false, depth + 1);
        }
        this.order[id] = Order.None;
        return;
      }
      default:
        // INT, FLOAT: built in. FUNC, VAR, DATASEC, DECL_TAG: not part of a header.
        return;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Names.

  private nameFor(id: number): string {
    const cached = this.names.get(id);
    if (cached !== undefined) return cached;
    const btf = this.btf;
    const kind = btf.kindOf(id);
    const raw = btf.nameOf(id);
    let name = raw;
    if (raw !== '' && kind !== 7 /* FWD */) {
      const counts = kind === 8 ? this.identCounts : this.tagCounts;
      const n = (counts.get(raw) ?? 0) + 1;
      counts.set(raw, n);
      if (n > 1) name = `${raw}___${n}`;
    }
    this.names.set(id, name);
    return name;
  }

  private enumeratorName(raw: string): string {
    const n = (this.identCounts.get(raw) ?? 0) + 1;
    this.identCounts.set(raw, n);
    return n > 1 ? `${raw}___${n}` : raw;
  }

  // ---------------------------------------------------------------------------------------
  // Step 2: forward declarations.

  /** `struct x;` for each named struct/union that `id` mentions and that is not declared yet. */
  private forwardDecls(id: number, out: string[], depth: number, seen: Set<number>): void {
    if (id === 0 || depth > MAX_NESTING || seen.has(id)) return;
    seen.add(id);
    const btf = this.btf;
    const t = btf.type(id);
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION':
        if (t.name !== '' && depth > 0) {
          if (!this.declared[id]) {
            this.declared[id] = 1;
            out.push(`${t.kind === 'STRUCT' ? 'struct' : 'union'} ${this.nameFor(id)};\n\n`);
          }
          return;
        }
        for (const m of t.members) this.forwardDecls(m.type, out, depth + 1, seen);
        return;
      case 'FWD':
        if (!this.declared[id]) {
          this.declared[id] = 1;
          out.push(`${t.fwdKind} ${this.nameFor(id)};\n\n`);
        }
        return;
      case 'PTR':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'ARRAY':
        this.forwardDecls(t.type, out, depth + 1, seen);
        return;
      case 'TYPEDEF':
        if (depth === 0) {
          this.forwardDecls(t.type, out, depth + 1, seen);
        } else if (!this.emitted[id]) {
          // Needed (through a pointer) by the type being written but queued after it: the
          // cycle `typedef struct s t; struct s { t *next; };`. Write it now; its target
          // only needs a declaration.
          out.push(this.emitTopLevel(id));
        }
        return;
      case 'FUNC_PROTO':
        this.forwardDecls(t.returnType, out, depth + 1, seen);
        for (const p of t.params) this.forwardDecls(p.type, out, depth + 1, seen);
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Emission.

  private emitTopLevel(id: number): string {
    if (this.emitted[id]) return '';
    this.emitted[id] = 1;
    const btf = this.btf;
    const t = btf.type(id);
    const pre: string[] = [];
    switch (t.kind) {
      case 'FWD':
        if (this.declared[id]) return '';
        this.declared[id] = 1;
        return `${t.fwdKind} ${this.nameFor(id)};\n\n`;
      case 'STRUCT':
      case 'UNION':
        this.forwardDecls(id, pre, 0, new Set());
        this.declared[id] = 1;
        return pre.join('') + this.compositeBody(t, 0) + ';\n\n';
      case 'ENUM':
      case 'ENUM64':
        return this.enumBody(t, 0) + ';\n\n';
      case 'TYPEDEF':
        this.forwardDecls(id, pre, 0, new Set());
        return pre.join('') + `typedef ${this.declaration(t.type, this.nameFor(id), 0, 0)};\n\n`;
      default:
        return '';
    }
  }

  private compositeBody(t: BtfComposite, indent: number): string {
    const kw = t.kind === 'STRUCT' ? 'struct' : 'union';
    const head = t.name === '' ? `${kw} {` : `${kw} ${this.nameFor(t.id)} {`;
    const tabs = '\t'.repeat(indent + 1);
    let packed = false;
    try {
      packed = alignOf(this.btf, t.id) === 1 && t.members.some((m) => !m.bitfieldSize && safeAlign(this.btf, m.type) > 1);
    } catch {
      packed = false;
    }
    let body = '';
    let cur = 0; // bits laid out so far
    for (const m of t.members) {
      if (t.kind === 'STRUCT') {
        const align = packed ? 1 : safeAlign(this.btf, m.type);
        const unit = m.bitfieldSize ? safeSize(this.btf, m.type) * 8 : 0;
        let natural: number;
        if (m.bitfieldSize && unit > 0) {
          // A bitfield goes at `cur` unless it would straddle its type's storage unit.
          natural = Math.floor(cur / unit) === Math.floor((cur + m.bitfieldSize - 1) / unit) || packed ? cur : roundUp(cur, unit);
        } else {
          natural = roundUp(cur, align * 8);
        }
        if (m.bitsOffset > natural) body += padding(cur, m.bitsOffset, tabs);
        const size = m.bitfieldSize || safeSize(this.btf, m.type) * 8;
        cur = m.bitsOffset + size;
      }
      const decl = this.declaration(m.type, m.name, indent + 1, 0);
      body += `${tabs}${decl}${m.bitfieldSize ? `: ${m.bitfieldSize}` : ''};\n`;
    }
    if (t.kind === 'STRUCT') {
      // Tail padding the compiler would not add by itself (an over-aligned or padded packed struct).
      let maxAlign = 1;
      if (!packed) for (const m of t.members) maxAlign = Math.max(maxAlign, safeAlign(this.btf, m.type));
      const natural = roundUp(cur, maxAlign * 8);
      if (t.size * 8 > natural) body += padding(cur, t.size * 8, tabs);
    }
    return `${head}\n${body}${'\t'.repeat(indent)}}${packed ? ' __attribute__((packed))' : ''}`;
  }

  private enumBody(t: BtfEnum | BtfEnum64, indent: number): string {
    const head = t.name === '' ? 'enum {' : `enum ${this.nameFor(t.id)} {`;
    const tabs = '\t'.repeat(indent + 1);
    let body = '';
    for (const v of t.values) {
      body += `${tabs}${this.enumeratorName(v.name)} = ${enumLiteral(t, v.value)},\n`;
    }
    // Keep the BTF size: a 1- or 2-byte enum is a packed one.
    const packed = t.size < 4 && t.values.length > 0;
    return `${head}\n${body}${'\t'.repeat(indent)}}${packed ? ' __attribute__((packed))' : ''}`;
  }

  /**
   * The declaration of `inner` (a name, or a partial declarator such as `*p` or `(*f)(int)`)
   * with type `id`: `int (*inner)[4]`, `const char *inner`, `struct { ... } inner`.
   */
  declaration(id: number, inner: string, indent: number, depth: number): string {
    if (depth > MAX_NESTING) throw this.fail(id, 'declarator nested too deeply (pointer cycle?)');
    // Corrupt BTF can make declarators loop (PTR -> FUNC_PROTO -> PTR ...) or explode (a DAG
    // of function prototypes); valid C never revisits a type on one declarator path.
    if (++this.work > MAX_WORK) throw this.fail(id, `C declaration larger than ${MAX_WORK} steps`);
    if (this.onPath[id]) throw this.fail(id, 'reference cycle in a declarator');
    this.onPath[id] = 1;
    try {
      return this.declarationOf(id, inner, indent, depth);
    } finally {
      this.onPath[id] = 0;
    }
  }

  private declarationOf(id: number, inner: string, indent: number, depth: number): string {
    const sep = (base: string): string => (inner === '' ? base : `${base} ${inner}`);
    if (id === 0) return sep('void');
    const btf = this.btf;
    const t: BtfType = btf.type(id);
    switch (t.kind) {
      case 'INT':
      case 'FLOAT':
        return sep(t.name);
      case 'STRUCT':
      case 'UNION':
        if (t.name === '') return sep(this.compositeBody(t, indent));
        return sep(`${t.kind === 'STRUCT' ? 'struct' : 'union'} ${this.nameFor(id)}`);
      case 'ENUM':
      case 'ENUM64':
        if (t.name === '') return sep(this.enumBody(t, indent));
        return sep(`enum ${this.nameFor(id)}`);
      case 'FWD':
        return sep(`${t.fwdKind} ${this.nameFor(id)}`);
      case 'TYPEDEF':
        return sep(this.nameFor(id));
      case 'PTR': {
        const target = t.type;
        const tk = target === 0 ? 0 : btf.kindOf(target);
        let d = `*${inner}`;
        if (tk === 3 /* ARRAY */ || tk === 13 /* FUNC_PROTO */) d = `(${d})`;
        return this.declaration(target, d, indent, depth + 1);
      }
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT': {
        const q = t.kind === 'CONST' ? 'const' : t.kind === 'VOLATILE' ? 'volatile' : 'restrict';
        const target = t.type;
        const tk = target === 0 ? 0 : btf.kindOf(target);
        if (tk === 2 /* PTR */) return this.declaration(target, inner === '' ? q : `${q} ${inner}`, indent, depth + 1);
        if (tk === 13 /* FUNC_PROTO */ || q === 'restrict') return this.declaration(target, inner, indent, depth + 1);
        // A qualified array qualifies its elements; do not say `const const char a[4]`.
        const rest = this.declaration(target, inner, indent, depth + 1);
        return rest.startsWith(`${q} `) ? rest : `${q} ${rest}`;
      }
      case 'TYPE_TAG': {
        // Kept for the compiler to put back into the program's BTF, as bpftool writes it.
        const attr = `__attribute__((btf_type_tag("${t.name}")))`;
        return this.declaration(t.type, inner === '' ? attr : `${attr} ${inner}`, indent, depth + 1);
      }
      case 'ARRAY':
        return this.declaration(t.type, `${inner}[${t.nelems}]`, indent, depth + 1);
      case 'FUNC_PROTO': {
        let params: string;
        if (t.params.length === 0) params = 'void';
        else {
          const parts: string[] = [];
          t.params.forEach((p, i) => {
            if (i === t.params.length - 1 && p.type === 0 && p.name === '') parts.push('...');
            else parts.push(this.declaration(p.type, p.name, indent, depth + 1));
          });
          params = parts.join(', ');
        }
        return this.declaration(t.returnType, `${inner}(${params})`, indent, depth + 1);
      }
      default:
        // VAR, DATASEC, FUNC, DECL_TAG have no C type form.
        throw this.fail(id, `a ${t.kind} cannot be used as a C type`);
    }
  }
}

function roundUp(n: number, a: number): number {
  return a <= 1 ? n : Math.ceil(n / a) * a;
}

function safeAlign(btf: Btf, id: number): number {
  try {
    return alignOf(btf, id);
  } catch {
    return 1;
  }
}

function safeSize(btf: Btf, id: number): number {
  try {
    return sizeOfType(btf, id);
  } catch {
    return 0;
  }
}

/**
 * Anonymous bitfields filling bits `[from, to)`, none crossing a 64-bit unit (`long: 64;`);
 * a long run of whole units becomes one `char` array so a huge gap stays one line.
 */
function padding(from: number, to: number, tabs: string): string {
  let s = '';
  let cur = from;
  while (cur < to) {
    const room = 64 - (cur % 64);
    if (room === 64 && to - cur >= 64 * 9) {
      const bytes = Math.floor((to - cur) / 64) * 8;
      s += `${tabs}char __pad_${cur / 8}[${bytes}];\n`;
      cur += bytes * 8;
      continue;
    }
    const chunk = Math.min(room, to - cur);
    s += `${tabs}long: ${chunk};\n`;
    cur += chunk;
  }
  return s;
}

function enumLiteral(t: BtfEnum | BtfEnum64, v: number | bigint): string {
  if (t.kind === 'ENUM') return String(v);
  const b = v as bigint;
  if (t.signed) {
    // -2^63 has no literal form: write it as an expression.
    if (b === -(1n << 63n)) return '(-9223372036854775807LL - 1)';
    return `${b}LL`;
  }
  return `${b}ULL`;
}
