/**
 * One load-attach-read-close cycle of a fixture collection, and the plan of which fixtures run
 * how: shared by hygiene.test.ts and anyone who wants to repeat it by hand.
 *
 * A plan is found by loading once: programs the kernel refuses here (an `err_*` program, an
 * fentry under lockdown, a CO-RE relocation against a fixture-only type) are dropped and the
 * load retried; a fixture none of whose programs load is cycled as a *failing* load, which
 * must leak nothing either (the loader's error path, fd rule 5 of load-errors-and-fds.md).
 */
import { readFileSync } from 'node:fs';
import { loadCollection, LoadError, type Collection } from '../../src/collection/index.js';
import { TsbpfError } from '../../src/errors.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { PerfReader } from '../../src/perf/index.js';
import { RingbufReader } from '../../src/ringbuf/index.js';
import { MapType } from '../../src/uapi/bpf.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import type { Fixture } from '../helpers/fixtures.js';

export interface Plan {
  fixture: Fixture;
  /** Where `LIBBPF_PIN_BY_NAME` maps are pinned (a directory of the test's own in bpffs). */
  pinRoot: string;
  /** Programs to load (all that load here); undefined: the whole object. */
  programs: string[] | undefined;
  /** No program loads here: the cycle is a load that must fail with a TsbpfError. */
  failing: boolean;
  /** Why the object cannot be cycled at all (not a standalone object), or undefined. */
  unusable?: string;
  /** Programs dropped, with the reason (first line of the error). */
  dropped: string[];
  /** Programs `attachAll` attaches here (a kprobe on a kernel without kprobes is left out). */
  attach: string[];
  /** Links attachAll made in the probe load. */
  links: number;
  /** Duration of one steady-state cycle in the probe (ms). */
  cycleMs: number;
}

export function specOf(f: Fixture): ObjectSpec {
  return parseObject(new Uint8Array(readFileSync(f.path)), { fileName: f.file });
}

/** Reads what a user would read from every map: entries, ring buffer records, global variables. */
export function readAll(c: Collection): number {
  let n = 0;
  for (const m of c.maps.values()) {
    if (m.type === MapType.RINGBUF) {
      using r = RingbufReader.open(m);
      n += r.consume(() => {});
      continue;
    }
    if (m.type === MapType.PERF_EVENT_ARRAY) {
      // One perf event and ring per CPU, each mmapped: the most fds and mappings per map.
      using r = PerfReader.open(m);
      n += r.consume(() => {});
      continue;
    }
    if (m.traits.noElemOps || m.traits.fdKey) continue;
    if (m.traits.iterable) {
      let k = 0;
      for (const key of m.keys()) {
        m.lookupBytes(key);
        if (++k >= 64) break;
      }
      n += k;
    } else if (m.type === MapType.QUEUE || m.type === MapType.STACK) {
      m.peek();
      n++;
    }
  }
  return n;
}

/** Reads the collection's global variables through their mmapped data maps. */
export function readVariables(c: Collection, spec: ObjectSpec): number {
  let n = 0;
  for (const m of spec.maps.values()) {
    if (!m.dataSection || m.dataSection === '.kconfig' || !m.variables) continue;
    for (const v of m.variables.slice(0, 4)) {
      try {
        c.variable(v.name, m.dataSection).get();
        n++;
      } catch (e) {
        // A data map the loader did not mmap (no BPF_F_MMAPABLE on this kernel) is not ours to test.
        if (!(e instanceof TsbpfError)) throw e;
      }
    }
  }
  return n;
}

/** One cycle: parse, load, attach, read, close (everything by `using`, as users write it). */
export function cycle(plan: Plan): void {
  const spec = specOf(plan.fixture);
  if (plan.failing) {
    let caught: unknown;
    try {
      loadCollection(spec, { programs: plan.programs, pinRoot: plan.pinRoot }).close();
    } catch (e) {
      caught = e;
    }
    if (!(caught instanceof TsbpfError)) throw new Error(`${plan.fixture.file}: expected the load to fail with a TsbpfError, got ${String(caught)}`);
    return;
  }
  using c = loadCollection(spec, { programs: plan.programs, pinRoot: plan.pinRoot });
  using links = plan.links > 0 ? c.attachAll({ only: plan.attach }) : undefined;
  void links;
  readAll(c);
  readVariables(c, spec);
}

/** The program a load error names, if any. */
function failingProgram(e: unknown): string | undefined {
  if (e instanceof VerifierError || e instanceof LoadError) return e.program ?? undefined;
  const m = e instanceof TsbpfError ? /program '([^']+)'/.exec(e.message) : null;
  return m?.[1];
}

/** Finds how `f` can be cycled here (see the module comment). */
export function planFor(f: Fixture, pinRoot: string): Plan {
  const plan: Plan = { fixture: f, pinRoot, programs: undefined, failing: false, dropped: [], attach: [], links: 0, cycleMs: 0 };
  let spec: ObjectSpec;
  try {
    spec = specOf(f);
  } catch (e) {
    if (!(e instanceof TsbpfError)) throw e;
    // linker_b refers to a map defined in linker_a: an input of the static linker only.
    return { ...plan, unusable: `not a standalone object: ${e.message.split('\n')[0]}` };
  }
  let programs = [...spec.programs.keys()];
  for (;;) {
    try {
      const c = loadCollection(specOf(f), { programs, pinRoot });
      try {
        // One program at a time: which ones attachAll can attach on this kernel.
        for (const name of c.programs.keys()) {
          try {
            const links = c.attachAll({ only: [name] });
            if (links.links.length > 0) plan.attach.push(name);
            plan.links += links.links.length;
            links.close();
          } catch (e) {
            if (!(e instanceof TsbpfError)) throw e;
            plan.dropped.push(`${name} (not attached): ${e.message.split('\n')[0]}`);
          }
        }
      } finally {
        c.close();
      }
      plan.programs = programs.length === spec.programs.size ? undefined : programs;
    } catch (e) {
      if (!(e instanceof TsbpfError)) throw e;
      const bad = failingProgram(e);
      if (bad !== undefined && programs.includes(bad)) {
        plan.dropped.push(`${bad}: ${e.message.split('\n')[0]}`);
        programs = programs.filter((p) => p !== bad);
      }
      // An error no program is to blame for (a map, struct_ops), or no program left.
      if (bad === undefined || !programs.length || !spec.programs.has(bad)) {
        // Nothing loads: cycle the load of the whole object, which fails.
        const failing: Plan = { ...plan, programs: undefined, failing: true };
        const t1 = performance.now();
        cycle(failing);
        failing.cycleMs = performance.now() - t1;
        return failing;
      }
      continue;
    }
    // A full cycle for the steady-state time (the first load read kernel BTF, probed
    // features); outside the try: a failure here is a failure, not a program to drop.
    const t1 = performance.now();
    cycle(plan);
    plan.cycleMs = performance.now() - t1;
    return plan;
  }
}
