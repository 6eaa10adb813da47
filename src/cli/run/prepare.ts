/**
 * Everything `tsbpf run` decides before touching the kernel: the object parsed, parameters
 * encoded, the {@link RunPlan} discovered and the attach plan made. `--help`, `--dry-run`
 * and the run itself all start here, so bad input (not an ELF, an unknown parameter, an
 * event type that does not exist, nothing to attach) fails the same way, before any load.
 * @module
 */
import { parseBtf, type Btf } from '../../btf/index.js';
import { objectNameFromPath, parseObject, type ObjectSpec } from '../../object/index.js';
import { TsbpfError } from '../../errors.js';
import { readInputFile } from '../files.js';
import { planAttach, type PlannedAttach, type TargetOptions } from './attach-plan.js';
import { discover, type RunPlan } from './discover.js';
import { parseEventTypeOptions } from './event-type.js';
import { listParams, resolveParams, type Param } from './params.js';

/** What the command line asks for. */
export interface RunRequest {
  object: string;
  only?: string[];
  eventTypes: string[];
  /** `--set NAME=VALUE` and `--NAME VALUE`, in order. */
  settings: [string, string][];
  targets: TargetOptions;
}

/** The decisions made before load. */
export interface Prepared {
  spec: ObjectSpec;
  params: Param[];
  constants: Record<string, Uint8Array>;
  plan: RunPlan;
  attach: PlannedAttach[];
}

/** Reads the object and the parameters only (for `--help`). */
export function readObject(path: string): { spec: ObjectSpec; params: Param[] } {
  const spec = parseObject(readInputFile(path), { name: objectNameFromPath(path) });
  return { spec, params: listParams(spec) };
}

/** `.rodata` bytes with the parameters applied, for discovery's linear histogram step. */
function dataWith(spec: ObjectSpec, params: readonly Param[], constants: Record<string, Uint8Array>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const m of spec.maps.values()) {
    if (!m.data || !m.variables) continue;
    let d: Uint8Array | undefined;
    for (const v of m.variables) {
      const bytes = constants[v.name];
      if (!bytes || !params.some((p) => p.name === v.name && p.section === m.dataSection)) continue;
      d ??= m.data.slice();
      d.set(bytes, v.offset);
    }
    if (d) out.set(m.name, d);
  }
  return out;
}

/**
 * Parses, checks and plans a run.
 * @throws TsbpfError (a one-line message) for each kind of bad input.
 */
export function prepare(r: RunRequest): Prepared {
  const { spec, params } = readObject(r.object);
  const constants = resolveParams(spec, params, r.settings);
  const { all, byMap } = parseEventTypeOptions(r.eventTypes);
  const plan = discover(spec, { eventTypeAll: all, eventTypeByMap: byMap, data: dataWith(spec, params, constants) });
  if (r.only) for (const n of r.only) if (!spec.programs.has(n)) throw new TsbpfError(`--only: no program '${n}' in object '${spec.name}' (programs: ${[...spec.programs.keys()].join(', ') || 'none'})`);
  const attach = planAttach(spec, r.targets, r.only);
  if (!attach.some((a) => a.step.how !== 'skip')) {
    const why = attach.map((a) => `'${a.program}' ${a.step.how === 'skip' ? a.step.reason : ''}`).join('; ');
    throw new TsbpfError(`no attachable program in object '${spec.name}'${why ? `: ${why}` : ' (it has no programs)'}`);
  }
  return { spec, params, constants, plan, attach };
}

/** `--btf FILE`: raw BTF (a BTFHub `.btf` file) to use for CO-RE instead of the running kernel's. */
export function readTargetBtf(path: string): Btf {
  return parseBtf(readInputFile(path), { section: path });
}
