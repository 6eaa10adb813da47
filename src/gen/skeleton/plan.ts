/**
 * Planning a skeleton: which programs, maps, data section variables and event sources of an
 * {@link ObjectSpec} the generated module exposes, under which names, and with which BTF
 * types. The result is the {@link SkeletonLayout} the runtime reads, plus the compiled
 * layouts the TypeScript types are written from.
 *
 * The choices, and bpftool's `gen skeleton` where it has one:
 * - programs by function name (`skel->progs.handle_exec`), with their attach kind;
 * - maps by name; data maps by section (`rodata`, `bss`, `data_slots`), as bpftool's
 *   `skel->maps.rodata`;
 * - each data section (`.kconfig` excepted: the loader fills it) with its non-static
 *   variables, as bpftool's `skel->rodata->target_pid` (it skips static ones too);
 * - events: every ring buffer, typed by its `__type(value, struct event)` hint or an
 *   explicit `events` option, and every perf event array with an `events` option. bpftool
 *   has no equivalent: C reads the bytes by casting.
 * @module
 */
import { BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_UNION, type Btf, type ValueLayout } from '../../btf/index.js';
import type { ObjectSpec } from '../../object/index.js';
import { MapType } from '../../uapi/bpf.js';
import { SkeletonError } from './errors.js';
import { typedRef, type SkeletonEventLayout, type SkeletonLayout, type SkeletonMapLayout, type SkeletonTypeRef } from './layout.js';
import { sectionIdent } from './naming.js';

/** Options that choose what a skeleton types. */
export interface PlanOptions {
  /**
   * Record types of event maps by map name, as C type names: `{ events: 'struct event' }`
   * (`struct`/`union`/`enum` prefix optional). Needed for perf event arrays; overrides a
   * ring buffer's `__type(value, ...)` hint.
   */
  events?: Readonly<Record<string, string>>;
}

/** A typed value: its reference for the runtime and its layout for the TS type. */
export interface PlannedType {
  /** The reference written into the layout. */
  ref: SkeletonTypeRef;
  /** The compiled layout, from which the TypeScript type is written. */
  layout: ValueLayout;
}

/** What the generator writes: the runtime layout and the types behind it. */
export interface SkeletonPlan {
  /** The runtime layout the generated module embeds. */
  layout: SkeletonLayout;
  /** Attach kind of each program (`tracepoint`, `uprobe`...; undefined when the section names none). */
  attachKinds: Record<string, string | undefined>;
  /** Key and value types of each map, by skeleton name (absent when untyped). */
  maps: Record<
    string,
    {
      /** The key type. */
      key?: PlannedType;
      /** The value type. */
      value?: PlannedType;
    }
  >;
  /** Variable types of each data section, by skeleton section name then variable name. */
  sections: Record<string, Record<string, PlannedType | undefined>>;
  /** Record type of each event map, by skeleton name. */
  events: Record<string, PlannedType | undefined>;
}

/**
 * Plans the skeleton of `spec`.
 * @throws {@link SkeletonError} when `options.events` names a map that is not a ring buffer
 *   or perf event array, or a type the object's BTF does not have.
 */
export function planSkeleton(spec: ObjectSpec, options: PlanOptions = {}): SkeletonPlan {
  const btf = spec.btf;
  const layout: SkeletonLayout = { object: spec.name, programs: {}, maps: {}, sections: {}, events: {} };
  const plan: SkeletonPlan = { layout, attachKinds: {}, maps: {}, sections: {}, events: {} };
  // As a key of an object literal (the generated layout) `__proto__` sets the prototype.
  const names = [...spec.programs.keys(), ...spec.maps.keys(), ...[...spec.maps.values()].flatMap((m) => (m.variables ?? []).map((v) => v.name))];
  if (names.includes('__proto__')) throw new SkeletonError(`object '${spec.name}' has a program, map or variable named '__proto__', which a skeleton cannot expose`);

  for (const p of spec.programs.values()) {
    layout.programs[p.name] = { section: p.section };
    plan.attachKinds[p.name] = p.autoAttach;
  }

  const mapProps = new Set<string>();
  for (const m of spec.maps.values()) {
    let prop = m.dataSection !== undefined ? sectionIdent(m.dataSection) : m.name;
    for (let i = 2; mapProps.has(prop); i++) prop = `${m.dataSection !== undefined ? sectionIdent(m.dataSection) : m.name}_${i}`;
    mapProps.add(prop);
    const entry: SkeletonMapLayout = { map: m.name };
    const planned: { key?: PlannedType; value?: PlannedType } = {};
    if (m.dataSection === undefined) {
      const key = m.keySize > 0 ? typedRef(btf, m.keyTypeId, m.keySize) : undefined;
      const value = m.valueSize > 0 ? typedRef(btf, m.valueTypeId, m.valueSize) : undefined;
      if (key) (entry.key = key.ref), (planned.key = key);
      if (value) (entry.value = value.ref), (planned.value = value);
    }
    layout.maps[prop] = entry;
    plan.maps[prop] = planned;

    if (m.dataSection !== undefined && m.dataSection !== '.kconfig') {
      const vars = (m.variables ?? []).filter((v) => !v.isStatic);
      if (vars.length === 0) continue;
      const refs: Record<string, SkeletonTypeRef | null> = {};
      const types: Record<string, PlannedType | undefined> = {};
      for (const v of vars) {
        const t = typedRef(btf, v.typeId, v.size);
        refs[v.name] = t ? t.ref : null;
        types[v.name] = t;
      }
      layout.sections[prop] = { section: m.dataSection, variables: refs };
      plan.sections[prop] = types;
    }
  }

  const requested = new Map(Object.entries(options.events ?? {}));
  for (const [name] of requested) {
    const m = spec.maps.get(name);
    if (!m) throw new SkeletonError(`event map '${name}' is not a map of object '${spec.name}'`);
    if (m.type !== MapType.RINGBUF && m.type !== MapType.PERF_EVENT_ARRAY) {
      throw new SkeletonError(`event map '${name}' is not a ring buffer or perf event array`);
    }
  }
  for (const m of spec.maps.values()) {
    if (m.dataSection !== undefined || (m.type !== MapType.RINGBUF && m.type !== MapType.PERF_EVENT_ARRAY)) continue;
    const reader: SkeletonEventLayout['reader'] = m.type === MapType.RINGBUF ? 'ringbuf' : 'perf';
    const cName = requested.get(m.name);
    let t: PlannedType | undefined;
    if (cName !== undefined) {
      const id = findCType(btf, cName);
      if (id === undefined) throw new SkeletonError(`event type '${cName}' of map '${m.name}' is not in the BTF of object '${spec.name}'`);
      t = typedRef(btf, id, undefined);
      if (!t) throw new SkeletonError(`event type '${cName}' of map '${m.name}' has no value layout`);
    } else if (reader === 'ringbuf') {
      // The `__type(value, ...)` of a ring buffer is only a hint (see src/object/maps.ts).
      t = typedRef(btf, m.valueTypeId, undefined);
    }
    layout.events[m.name] = t ? { map: m.name, reader, type: t.ref } : { map: m.name, reader };
    plan.events[m.name] = t;
  }
  return plan;
}

/** The id of C type `cName` (`struct event`, `union u`, `enum e`, or a bare name: struct, union or typedef). */
function findCType(btf: Btf | undefined, cName: string): number | undefined {
  if (!btf) return undefined;
  const m = /^(struct|union|enum)\s+(\S+)$/.exec(cName.trim());
  if (m) {
    if (m[1] === 'enum') return btf.findByName(m[2]!, 'ENUM') ?? btf.findByName(m[2]!, 'ENUM64');
    return btf.findByName(m[2]!, m[1] === 'struct' ? BTF_KIND_STRUCT : BTF_KIND_UNION);
  }
  const name = cName.trim();
  return btf.findByName(name, BTF_KIND_STRUCT) ?? btf.findByName(name, BTF_KIND_UNION) ?? btf.findByName(name, BTF_KIND_TYPEDEF);
}
