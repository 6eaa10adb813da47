/**
 * `probeKernel()`: everything `tsbpf feature probe` prints, as data.
 * @module
 */
import { readFileSync } from 'node:fs';
import { LinkType, linkTypeName, MapType, mapTypeName, ProgType, progTypeName } from '../syscall/index.js';
import { kernelHelpers, probeHelper, probeLinkType, probeMapType, probeMisc, probeProgType, type MiscFeature } from './probe.js';

/** One probed feature. */
export interface FeatureLine {
  /** bpftool's name: `hash`, `socket_filter`. */
  name: string;
  /** The UAPI number. */
  id: number;
  /** Whether the running kernel accepted the probe. */
  available: boolean;
}

/** The result of probing the running kernel. */
export interface KernelFeatures {
  /** `uname -r` of the probed kernel. */
  kernelRelease: string;
  /** `kernel.unprivileged_bpf_disabled`, or undefined if unreadable. */
  unprivilegedBpfDisabled: number | undefined;
  /** Every `enum bpf_prog_type` tsbpf knows, with whether a minimal program of it loads. */
  programTypes: FeatureLine[];
  /** Every `enum bpf_map_type` tsbpf knows, with whether a small map of it can be created. */
  mapTypes: FeatureLine[];
  /** Every `enum bpf_link_type` tsbpf knows, with whether the kernel has it. */
  linkTypes: FeatureLine[];
  /** Verifier and instruction-set features (bpftool's "miscellaneous" section). */
  misc: Record<MiscFeature, boolean>;
  /** Helpers per program type name; undefined when it cannot be told for that type. */
  helpers?: Record<
    string,
    | {
        /** Whether the program type itself loads (false: `names` is empty). */
        available: boolean;
        /** The helpers (`bpf_map_lookup_elem`...) a program of this type may call. */
        names: string[];
      }
    | undefined
  >;
}

function readNum(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Probes every program, map and link type tsbpf knows (and, with `helpers`, every helper per
 * program type: thousands of loads, about a second). Results are cached per process.
 */
export function probeKernel(opts: { helpers?: boolean } = {}): KernelFeatures {
  const ids = (o: Record<string, number>) => Object.values(o).filter((v) => v !== 0);
  const programTypes = ids(ProgType).map((id) => ({ name: progTypeName[id]!, id, available: probeProgType(id) }));
  const mapTypes = ids(MapType).map((id) => ({ name: mapTypeName[id]!, id, available: probeMapType(id) }));
  const linkTypes = ids(LinkType).map((id) => ({ name: linkTypeName[id]!, id, available: probeLinkType(id) }));
  const out: KernelFeatures = {
    kernelRelease: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    unprivilegedBpfDisabled: readNum('/proc/sys/kernel/unprivileged_bpf_disabled'),
    programTypes,
    mapTypes,
    linkTypes,
    misc: {
      large_insn_limit: probeMisc('large_insn_limit'),
      bounded_loops: probeMisc('bounded_loops'),
      isa_v2_ext: probeMisc('isa_v2_ext'),
      isa_v3_ext: probeMisc('isa_v3_ext'),
    },
  };
  if (opts.helpers) {
    const helpers = kernelHelpers();
    out.helpers = {};
    for (const p of programTypes) {
      if (!p.available) {
        out.helpers[p.name] = { available: false, names: [] };
        continue;
      }
      const names: string[] = [];
      let known = true;
      for (const [id, name] of [...helpers].sort((a, b) => a[0] - b[0])) {
        const r = probeHelper(p.id, id);
        if (r === undefined) {
          known = false;
          break;
        }
        if (r) names.push(name);
      }
      out.helpers[p.name] = known ? { available: true, names } : undefined;
    }
  }
  return out;
}
