/**
 * `Collection`: the live kernel objects of one loaded `ObjectSpec`: its programs and maps,
 * plus the BTF object they were loaded with. It owns every fd; {@link Collection.close}
 * closes them all (programs first, then maps, then BTF), and ownership of one object moves
 * out only through {@link Collection.takeProgram} / {@link Collection.takeMap}.
 * @module
 */
import type { BpfMap, MapView } from '../maps/index.js';
import { attachBySection, attachStructOpsMap, LinkGroup, type Link } from '../link/index.js';
import { findSectionDef, type ObjectSpec } from '../object/index.js';
import { MapFlags } from '../uapi/bpf.js';
import type { Program } from '../programs/index.js';
import type { Fd } from '../syscall/index.js';
import { LoadError } from './errors.js';
import { findVariable, GlobalVariable } from './globals.js';

/** What the loader hands to a new collection. */
export interface CollectionParts {
  /** Loaded programs by name. */
  programs: Map<string, Program>;
  /** Created maps by name. */
  maps: Map<string, BpfMap>;
  /** The object's BTF as loaded (`BPF_BTF_LOAD`), owned by the collection. */
  btf: Fd | undefined;
  /** The spec it was loaded from. */
  spec: ObjectSpec;
  /** struct_ops maps' values in the kernel's layout, program fds filled in, to register on attach. */
  structOps?: Map<string, Uint8Array>;
}

/** A loaded object: programs and maps by name. Close it (or `using`) when done. */
export class Collection {
  /** Programs by ELF function name. */
  readonly programs: Map<string, Program>;
  /** Maps by name (data maps under libbpf's internal names, `obj.rodata`). */
  readonly maps: Map<string, BpfMap>;
  readonly #btf: Fd | undefined;
  readonly #spec: ObjectSpec;
  readonly #views = new Map<string, MapView>();
  readonly #structOps: Map<string, Uint8Array>;
  #closed = false;

  /** @internal built by `loadCollection`. */
  constructor(parts: CollectionParts) {
    this.programs = parts.programs;
    this.maps = parts.maps;
    this.#btf = parts.btf;
    this.#spec = parts.spec;
    this.#structOps = parts.structOps ?? new Map();
  }

  /** The fd of the object's BTF as loaded (`BPF_BTF_LOAD`), or undefined without BTF. */
  get btfFd(): number | undefined {
    return this.#btf && !this.#btf.closed ? this.#btf.raw : undefined;
  }

  /** The program `name`, or undefined. */
  program(name: string): Program | undefined {
    return this.programs.get(name);
  }

  /** The map `name`, or undefined. */
  map(name: string): BpfMap | undefined {
    return this.maps.get(name);
  }

  /** Removes program `name` from the collection; the caller owns it (and must close it). */
  takeProgram(name: string): Program | undefined {
    const p = this.programs.get(name);
    this.programs.delete(name);
    return p;
  }

  /** Removes map `name` from the collection; the caller owns it (and must close it). */
  takeMap(name: string): BpfMap | undefined {
    const m = this.maps.get(name);
    this.#views.get(name)?.close();
    this.#views.delete(name);
    this.maps.delete(name);
    return m;
  }

  /**
   * A global variable by name, backed by the mmapped data map: reads see what programs wrote,
   * writes are seen by programs at once. `.rodata` variables are read-only.
   * @throws {@link LoadError} when no data section of the object has the variable, or its map
   *   was taken out of the collection.
   */
  variable(name: string, section?: string): GlobalVariable {
    if (this.#closed) throw new LoadError(`collection of '${this.#spec.name}' is closed`, { symbol: name });
    const { map, variable } = findVariable(this.#spec, name, section);
    const live = this.maps.get(map.name);
    if (!live) throw new LoadError(`the map of variable '${name}' ('${map.name}') is no longer in the collection`, { symbol: name, map: map.name });
    let view = this.#views.get(map.name);
    if (!view) {
      view = live.mmap();
      this.#views.set(map.name, view);
    }
    const v = view;
    const writable = (map.flags & MapFlags.RDONLY_PROG) === 0 && !map.dataSection!.startsWith('.rodata');
    return new GlobalVariable(name, map.dataSection!, variable.size, () => v.bytes.subarray(variable.offset, variable.offset + variable.size), writable, this.#spec.littleEndian);
  }

  /**
   * Attaches every program whose section name says where, as a libbpf skeleton's `attach()`
   * does: `tracepoint/sched/sched_switch`, `raw_tp/sys_enter`, `tp_btf/...`, `iter/task`,
   * `uprobe//bin/bash:readline`, `usdt/...`. A program whose section names no target (`xdp`,
   * `socket`, a bare `kprobe`) is skipped: attach it with the function for its kind.
   * struct_ops maps (`SEC(".struct_ops")`, `SEC(".struct_ops.link")`) are registered too.
   * @param options.only the programs and struct_ops maps to attach (default: all still owned)
   * @returns the links, owned by the caller, as one `LinkGroup`: closing it detaches them all
   * @throws `AttachError` (or `LockdownError`, `NotSupportedError`) for a target that cannot
   *   be attached; the links made before it are closed first.
   */
  attachAll(options: { only?: readonly string[] } = {}): LinkGroup {
    const links: Link[] = [];
    // USDT programs find their argument specs in this map (libbpf's usdt.bpf.h).
    const usdtMap = this.maps.get('__bpf_usdt_specs');
    const attachOptions = usdtMap
      ? { usdtSpecs: { update: (id: number, spec: Uint8Array) => usdtMap.updateBytes(new Uint8Array(new Uint32Array([id]).buffer), spec) } }
      : {};
    try {
      for (const [name, prog] of this.programs) {
        if (options.only && !options.only.includes(name)) continue;
        const spec = this.#spec.programs.get(name);
        const info = spec && findSectionDef(spec.section);
        if (!info) continue;
        const link = attachBySection(prog, info, attachOptions);
        if (link) links.push(link);
      }
      for (const [name, value] of this.#structOps) {
        const map = this.maps.get(name);
        if (!map || (options.only && !options.only.includes(name))) continue;
        links.push(attachStructOpsMap({ fd: map.fd, name, flags: this.#spec.maps.get(name)!.flags }, value));
      }
    } catch (e) {
      for (const l of links.reverse()) l.close();
      throw e;
    }
    return new LinkGroup('collection', this.#spec.name, links);
  }

  /** Closes every program, map and the BTF object. Harmless when already closed. */
  close(): void {
    this.#closed = true;
    for (const v of this.#views.values()) v.close();
    this.#views.clear();
    for (const p of [...this.programs.values()].reverse()) p.close();
    for (const m of [...this.maps.values()].reverse()) m.close();
    this.#btf?.close();
  }

  /** Same as `close()`, so that `using` releases it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}
