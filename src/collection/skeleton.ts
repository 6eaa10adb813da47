/**
 * The runtime of generated skeletons (`tsbpf gen skeleton`): {@link openSkeleton} turns the
 * object a skeleton embeds (or names) and its {@link SkeletonLayout} into typed objects.
 * Generated modules hold only types and data; everything here is shared.
 *
 * Two stages, as bpftool's C skeleton:
 * 1. **open** ({@link OpenSkeleton}): the object is parsed into an `ObjectSpec` and checked
 *    against the layout (every program, map and variable present, every typed value still
 *    of the BTF type the skeleton was generated from). Data section variables are typed
 *    properties that read and write the spec's bytes: `skel.rodata.target_pid = 42` before
 *    load is how a constant reaches the verifier (dead branches are pruned).
 * 2. **load** ({@link LoadedSkeleton}): `loadCollection`, then typed handles: programs with
 *    their attach kind, maps whose keys and values are BTF-decoded objects (a dup of the
 *    collection's fd with BTF codecs), data sections as live views over the mmapped maps
 *    (`.rodata` read-only), and event readers that decode each ring/perf buffer record.
 *
 * A property of a section view reads or writes one whole variable: `skel.bss.counter` decodes
 * the current bytes each time; a struct variable is changed by assigning all of it
 * (`skel.data.cfg = { ...skel.data.cfg, level: 2 }`), not through a member of the decoded copy.
 * @module
 */
import { readFileSync } from 'node:fs';
import { valueCodec, type BtfValue, type BtfValueCodec } from '../btf/index.js';
import { SkeletonError, typeRefMismatch, type SkeletonLayout, type SkeletonTypeRef } from '../gen/skeleton/index.js';
import type { LinkGroup } from '../link/index.js';
import { BpfMap, btfCodec, type MapCodec } from '../maps/index.js';
import { parseObject, type ObjectSpec } from '../object/index.js';
import { PerfReader, type PerfReaderOptions } from '../perf/index.js';
import type { Program } from '../programs/index.js';
import { RingbufReader, type RingRecord, type RingbufReaderOptions } from '../ringbuf/index.js';
import { Fd, hostLittleEndian } from '../syscall/index.js';
import type { Collection } from './collection.js';
import { LoadError } from './errors.js';
import { loadCollection, type LoadOptions } from './load.js';

/** The type parameters of a skeleton, as a generated `<Name>Types` interface spells them. */
export interface SkeletonTypes {
  /** Programs by name: section and attach kind (`'tracepoint'`, or null when the section names no target kind). */
  programs: Record<
    string,
    {
      /** The ELF section (`tracepoint/sched/sched_process_exec`). */
      section: string;
      /** How `attach()` attaches it (`'tracepoint'`), or null. */
      attachKind: string | null;
    }
  >;
  /** Maps by skeleton name: key and value types (`Uint8Array` when untyped). */
  maps: Record<
    string,
    {
      /** The key's TypeScript type. */
      key: unknown;
      /** The value's TypeScript type. */
      value: unknown;
    }
  >;
  /** Data sections (`rodata`, `data`, `bss`, `data_<name>`...): their variables. */
  sections: Record<string, object>;
  /** Event maps: the record type. */
  events: Record<string, unknown>;
}

/** Where the object of a skeleton comes from. */
export type SkeletonObjectSource =
  | {
      /** The object embedded in the generated file, base64-encoded. */
      base64: string;
    }
  | {
      /** A path (or file URL) to read the object from. */
      path: string | URL;
    }
  | {
      /** The object's bytes. */
      bytes: Uint8Array;
    };

/** Options of {@link openSkeleton} (and a generated `open()`). */
export interface SkeletonOpenOptions {
  /** Object bytes to use instead of the embedded or referenced ones (checked the same way). */
  bytes?: Uint8Array;
}

/** Options of `load()`: those of `loadCollection`, for every program of the skeleton. */
export type SkeletonLoadOptions = Omit<LoadOptions, 'programs'>;

type SectionsOf<T extends SkeletonTypes> = { [K in keyof T['sections']]: T['sections'][K] };
type LiveSectionsOf<T extends SkeletonTypes> = {
  readonly [K in keyof T['sections'] as K extends `rodata${string}` ? K : never]: Readonly<T['sections'][K]>;
} & {
  readonly [K in keyof T['sections'] as K extends `rodata${string}` ? never : K]: T['sections'][K];
};

/** An opened skeleton: the spec, and each data section as a typed object over its bytes. */
export type OpenSkeleton<T extends SkeletonTypes> = OpenSkeletonBase<T> & SectionsOf<T>;

/** A loaded skeleton: typed programs, maps, events and live data sections. */
export type LoadedSkeleton<T extends SkeletonTypes> = LoadedSkeletonBase<T> & LiveSectionsOf<T>;

/**
 * Opens a skeleton: reads and parses its object, checks it against `layout`, and returns
 * the open stage. Called by generated code; `T` is the generated `<Name>Types`.
 * @throws {@link SkeletonError} when the object lacks a program, map or variable of the
 *   layout, or a typed value's BTF type changed (the skeleton must be regenerated);
 *   `TsbpfError`/`ParseError` for an unreadable object.
 */
export function openSkeleton<T extends SkeletonTypes>(source: SkeletonObjectSource, layout: SkeletonLayout, options: SkeletonOpenOptions = {}): OpenSkeleton<T> {
  const bytes = options.bytes ?? objectBytes(source);
  const spec = parseObject(bytes, { name: layout.object });
  checkLayout(spec, layout);
  return new OpenSkeletonBase<T>(spec, layout) as OpenSkeleton<T>;
}

function objectBytes(source: SkeletonObjectSource): Uint8Array {
  if ('bytes' in source) return source.bytes;
  if ('base64' in source) {
    const b = Buffer.from(source.base64, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  try {
    const b = readFileSync(source.path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new SkeletonError(`cannot read the skeleton's object '${String(source.path)}': ${(e as Error).message}`, { cause: e });
  }
}

/** Everything the layout names is in the spec, with the BTF types it was generated from. */
function checkLayout(spec: ObjectSpec, layout: SkeletonLayout): void {
  const problems: string[] = [];
  const ref = (what: string, r: SkeletonTypeRef | null | undefined) => {
    const why = r ? typeRefMismatch(spec.btf, r) : undefined;
    if (why) problems.push(`${what}: ${why}`);
  };
  for (const [name, p] of Object.entries(layout.programs)) {
    const s = spec.programs.get(name);
    if (!s) problems.push(`no program '${name}'`);
    else if (s.section !== p.section) problems.push(`program '${name}' is in section '${s.section}', not '${p.section}'`);
  }
  for (const [prop, m] of Object.entries(layout.maps)) {
    if (!spec.maps.has(m.map)) problems.push(`no map '${m.map}'`);
    ref(`map '${prop}' key`, m.key);
    ref(`map '${prop}' value`, m.value);
  }
  for (const s of Object.values(layout.sections)) {
    const map = [...spec.maps.values()].find((m) => m.dataSection === s.section);
    if (!map) {
      problems.push(`no section '${s.section}'`);
      continue;
    }
    for (const [v, r] of Object.entries(s.variables)) {
      const found = map.variables?.find((x) => x.name === v);
      if (!found) problems.push(`no variable '${v}' in '${s.section}'`);
      else ref(`variable '${v}'`, r);
    }
  }
  for (const [name, e] of Object.entries(layout.events)) {
    if (!spec.maps.has(e.map)) problems.push(`no event map '${e.map}'`);
    ref(`events '${name}'`, e.type);
  }
  if (problems.length) {
    throw new SkeletonError(`object '${spec.name}' does not match its skeleton (regenerate it with tsbpf gen skeleton): ${problems.join('; ')}`);
  }
}

/** A codec for `ref` (or raw bytes), in the object's byte order. */
function codecFor(spec: ObjectSpec, ref: SkeletonTypeRef | null | undefined): BtfValueCodec | undefined {
  return ref && spec.btf ? valueCodec(spec.btf, ref.id, { littleEndian: spec.littleEndian }) : undefined;
}

/** Defines `name` on `target` as a variable property over `get`/`set` bytes. */
function defineVariable(target: object, name: string, codec: BtfValueCodec | undefined, get: () => Uint8Array, set: ((b: Uint8Array) => void) | undefined, path: string): void {
  Object.defineProperty(target, name, {
    enumerable: true,
    get: () => (codec ? codec.decode(get(), 0, path) : get()),
    set: (v: unknown) => {
      if (!set) throw new LoadError(`variable '${name}' is read-only after load`, { symbol: name });
      if (codec) set(codec.encode(v as BtfValue, path));
      else if (v instanceof Uint8Array) set(v);
      else throw new LoadError(`variable '${name}' has no BTF value type: assign a Uint8Array`, { symbol: name });
    },
  });
}

/** The open stage of a skeleton (see {@link OpenSkeleton}). */
export class OpenSkeletonBase<T extends SkeletonTypes> {
  /** The parsed object: editable before load (map sizes, pin settings). */
  readonly spec: ObjectSpec;
  /** The layout the skeleton was generated with. */
  readonly layout: SkeletonLayout;
  #loaded = false;

  /** @internal built by {@link openSkeleton}. */
  constructor(spec: ObjectSpec, layout: SkeletonLayout) {
    this.spec = spec;
    this.layout = layout;
    for (const [prop, s] of Object.entries(layout.sections)) {
      const map = [...spec.maps.values()].find((m) => m.dataSection === s.section)!;
      const view = {};
      for (const [name, r] of Object.entries(s.variables)) {
        const v = map.variables!.find((x) => x.name === name)!;
        const bytes = () => {
          if (!map.data || v.offset + v.size > map.data.length) {
            throw new LoadError(`variable '${name}' [${v.offset}, +${v.size}) is outside the data of '${map.name}'`, { symbol: name, map: map.name });
          }
          return map.data.subarray(v.offset, v.offset + v.size);
        };
        defineVariable(view, name, codecFor(spec, r), () => bytes().slice(), (b) => {
          if (this.#loaded) throw new LoadError(`skeleton '${spec.name}' is loaded: set '${name}' before load(), or through the loaded skeleton`, { symbol: name });
          if (b.length !== v.size) throw new LoadError(`variable '${name}' is ${v.size} bytes, the value is ${b.length}`, { symbol: name });
          bytes().set(b);
        }, name);
      }
      Object.defineProperty(this, prop, { enumerable: true, value: Object.seal(view) });
    }
  }

  /**
   * Loads the object (bpftool's `__load`): maps created and filled with the data sections'
   * current values, `.rodata` frozen, programs verified. Once only.
   * @returns the loaded skeleton, owned by the caller (close it, or `using`)
   * @throws whatever `loadCollection` throws (`VerifierError`, `LoadError`, `BpfError`...)
   */
  load(options: SkeletonLoadOptions = {}): LoadedSkeleton<T> {
    if (this.#loaded) throw new LoadError(`skeleton '${this.spec.name}' is already loaded`);
    const coll = loadCollection(this.spec, options);
    this.#loaded = true;
    try {
      return new LoadedSkeletonBase<T>(coll, this.spec, this.layout) as LoadedSkeleton<T>;
    } catch (e) {
      coll.close();
      throw e;
    }
  }
}

/** A program of a loaded skeleton, with what its section says about attaching it. */
export class SkeletonProgram<Kind extends string | null = string | null> {
  /** The function name. */
  readonly name: string;
  /** Its ELF section. */
  readonly section: string;
  /** How the section attaches it (`tracepoint`, `uprobe`, `trace`...), null when it does not say. */
  readonly attachKind: Kind;
  readonly #coll: Collection;

  /** @internal built by the loaded skeleton. */
  constructor(name: string, section: string, attachKind: Kind, coll: Collection) {
    this.name = name;
    this.section = section;
    this.attachKind = attachKind;
    this.#coll = coll;
  }

  /** The loaded program (owned by the skeleton). */
  get program(): Program {
    const p = this.#coll.programs.get(this.name);
    if (!p) throw new LoadError('program is no longer in the skeleton', { program: this.name });
    return p;
  }

  /**
   * Attaches the program where its section says (`collection.attachAll` for this one).
   * @returns the link, owned by the caller
   * @throws {@link LoadError} when the section names no target (attach it with the function
   *   for its kind); `AttachError` and others from the attach itself.
   */
  attach(): LinkGroup {
    const g = this.#coll.attachAll({ only: [this.name] });
    if (g.links.length === 0) throw new LoadError(`section '${this.section}' names no attach target: attach it with the function for its kind`, { program: this.name });
    return g;
  }
}

/**
 * Typed records of a ring buffer or perf event array. The reader underneath opens on first
 * use and is owned by the skeleton. Each record is decoded into a new JS value, which stays
 * valid after the loop moves on (unlike the zero-copy `RingRecord`). Records shorter than the
 * type are an error naming both sizes.
 */
export class EventReader<E> implements AsyncIterable<E> {
  /** The map's name. */
  readonly map: string;
  readonly #open: () => RingbufReader | PerfReader;
  readonly #decode: (r: RingRecord) => E;
  #reader: RingbufReader | PerfReader | undefined;
  #closed = false;

  /** @internal built by the loaded skeleton. */
  constructor(map: string, open: () => RingbufReader | PerfReader, decode: (r: RingRecord) => E) {
    this.map = map;
    this.#open = open;
    this.#decode = decode;
  }

  /** The underlying reader (opened now if it was not). */
  get reader(): RingbufReader | PerfReader {
    if (this.#closed) throw new LoadError(`event reader of '${this.map}' is closed`, { map: this.map });
    this.#reader ??= this.#open();
    return this.#reader;
  }

  /** Decodes a record as this reader does. */
  decode(record: RingRecord): E {
    return this.#decode(record);
  }

  /** Records one at a time, decoded; the loop ends when the skeleton (or reader) is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<E, void, undefined> {
    for await (const r of this.reader) yield this.#decode(r);
  }

  /** Every record available now, without waiting; returns how many. */
  consume(fn: (e: E) => void, limit = Infinity): number {
    return this.reader.consume((r) => fn(this.#decode(r)), limit);
  }

  /** Waits up to `timeoutMs` for records, then consumes them; resolves with how many. */
  poll(timeoutMs: number, fn: (e: E) => void): Promise<number> {
    return this.reader.poll(timeoutMs, (r) => fn(this.#decode(r)));
  }

  /** Calls `fn` for every record from now on (see `RingbufReader.on`). */
  on(fn: (e: E) => void, onError?: (e: unknown) => void): this {
    this.reader.on((r) => fn(this.#decode(r)), onError);
    return this;
  }

  /** Stops the `on` callback. */
  off(): this {
    this.#reader?.off();
    return this;
  }

  /** Closes the reader (its fds and mappings). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#reader?.close();
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options for the event readers of a loaded skeleton. */
export interface SkeletonEventOptions {
  /** Options of the `RingbufReader` opened for ring buffer event maps. */
  ringbuf?: RingbufReaderOptions;
  /** Options of the `PerfReader` opened for perf event array event maps. */
  perf?: PerfReaderOptions;
}

/** The load stage of a skeleton (see {@link LoadedSkeleton}). */
export class LoadedSkeletonBase<T extends SkeletonTypes> {
  /** The collection underneath: every program and map, owned by the skeleton. */
  readonly collection: Collection;
  /** Programs by name, with their attach kind. */
  readonly progs: { readonly [K in keyof T['programs']]: SkeletonProgram<T['programs'][K]['attachKind']> };
  /** Maps by name, keys and values typed by BTF (owned by the skeleton). */
  readonly maps: { readonly [K in keyof T['maps']]: BpfMap<T['maps'][K]['key'], T['maps'][K]['value']> };
  /** Typed event readers of the ring buffers and perf event arrays, opened on first use. */
  readonly events: { readonly [K in keyof T['events']]: EventReader<T['events'][K]> };
  /** Reader options, read when an event reader opens (set before first use). */
  eventOptions: SkeletonEventOptions = {};
  #links: LinkGroup | undefined;
  readonly #owned: { close(): void }[] = [];
  #closed = false;

  /** @internal built by `OpenSkeleton.load`. */
  constructor(coll: Collection, spec: ObjectSpec, layout: SkeletonLayout) {
    this.collection = coll;
    try {
      const progs: Record<string, SkeletonProgram> = {};
      for (const [name, p] of Object.entries(layout.programs)) {
        progs[name] = new SkeletonProgram(name, p.section, spec.programs.get(name)?.autoAttach ?? null, coll);
      }
      this.progs = Object.freeze(progs) as typeof this.progs;

      const maps: Record<string, BpfMap<unknown, unknown>> = {};
      for (const [prop, m] of Object.entries(layout.maps)) {
        const live = coll.maps.get(m.map);
        if (!live) throw new LoadError('map is not in the loaded collection', { map: m.map });
        if (!m.key && !m.value) {
          maps[prop] = live as BpfMap<unknown, unknown>;
          continue;
        }
        const codecs = {
          key: m.key ? btfCodec<unknown>(spec.btf!, m.key.id, { littleEndian: hostLittleEndian, what: 'key' }) : undefined,
          value: m.value ? btfCodec<unknown>(spec.btf!, m.value.id, { littleEndian: hostLittleEndian, what: 'value' }) : undefined,
        };
        const typed = BpfMap.fromFd<unknown, unknown>(dupRaw(live.fd), {
          ...(codecs.key ? { key: codecs.key } : {}),
          ...(codecs.value ? { value: codecs.value } : {}),
        } as { key?: MapCodec<unknown>; value?: MapCodec<unknown> });
        this.#owned.push(typed);
        maps[prop] = typed;
      }
      this.maps = Object.freeze(maps) as unknown as typeof this.maps;

      const events: Record<string, EventReader<unknown>> = {};
      for (const [name, e] of Object.entries(layout.events)) {
        const codec = e.type ? valueCodec(spec.btf!, e.type.id, { littleEndian: hostLittleEndian }) : undefined;
        const decode = codec ? (r: RingRecord) => codec.decode(r.bytes, 0, name) : (r: RingRecord) => r.copy();
        const open = () => {
          if (this.#closed) throw new LoadError('skeleton is closed', { map: e.map });
          const map = coll.maps.get(e.map);
          if (!map) throw new LoadError('map is no longer in the skeleton', { map: e.map });
          return e.reader === 'ringbuf' ? RingbufReader.open(map, this.eventOptions.ringbuf) : PerfReader.open(map, this.eventOptions.perf);
        };
        const reader = new EventReader<unknown>(e.map, open, decode);
        this.#owned.push(reader);
        events[name] = reader;
      }
      this.events = Object.freeze(events) as typeof this.events;

      for (const [prop, s] of Object.entries(layout.sections)) {
        const view = {};
        for (const [name, r] of Object.entries(s.variables)) {
          const v = coll.variable(name, s.section);
          const writable = !s.section.startsWith('.rodata');
          defineVariable(view, name, codecFor(spec, r), () => v.get(), writable ? (b) => v.set(b) : undefined, name);
        }
        Object.defineProperty(this, prop, { enumerable: true, value: Object.seal(view) });
      }
    } catch (e) {
      for (const o of this.#owned.reverse()) o.close();
      throw e;
    }
  }

  /** The links of {@link LoadedSkeletonBase.attach}, closed with the skeleton. */
  get links(): LinkGroup | undefined {
    return this.#links;
  }

  /**
   * Attaches every program whose section names a target (bpftool's `__attach`); the links
   * belong to the skeleton ({@link LoadedSkeletonBase.detach} or close ends them).
   * @throws `AttachError` and others from the attach; links made before the failure are closed.
   */
  attach(options: { only?: readonly (keyof T['programs'] & string)[] } = {}): LinkGroup {
    if (this.#closed) throw new LoadError('skeleton is closed');
    if (this.#links) throw new LoadError('skeleton is already attached: detach() first');
    this.#links = this.collection.attachAll(options.only ? { only: options.only } : {});
    return this.#links;
  }

  /** Closes the links of {@link LoadedSkeletonBase.attach}. Harmless when not attached. */
  detach(): void {
    this.#links?.close();
    this.#links = undefined;
  }

  /** Detaches, closes the event readers and typed maps, then the collection (bpftool's `__destroy`). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.detach();
    for (const o of this.#owned.reverse()) o.close();
    this.#owned.length = 0;
    this.collection.close();
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A new owned `Fd` for the object behind `raw`, which stays owned by its current owner. */
function dupRaw(raw: number): Fd {
  const borrowed = new Fd(raw);
  try {
    return borrowed.dup();
  } finally {
    borrowed.disown();
  }
}
