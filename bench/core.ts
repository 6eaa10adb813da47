/**
 * CO-RE: relocate the CO-RE fixtures against the running kernel's BTF
 * (`/sys/kernel/btf/vmlinux`), against libbpf 1.1 doing the same with its own functions
 * (bpf_core_add_cands / bpf_core_calc_relo_insn / bpf_core_patch_insn: the CO-RE phase of
 * `bpf_object__load`, see bench/peer/core.c).
 *
 * Two figures per object:
 * - `relocate`: candidate search, matching, values and patching, with a fresh candidate cache
 *   each time (as each load has), the target BTF already parsed. tsbpf's name index on the
 *   target is built once and reused (it belongs to the parsed BTF), where libbpf scans every
 *   target type for each local type;
 * - `parse+relocate`: the same after parsing vmlinux BTF from the file, so tsbpf's lazy
 *   indexes are built inside the measurement.
 * Run: `npx tsx bench/core.ts` (or `npm run bench -- core`). Prints JSON.
 */
import { existsSync } from 'node:fs';
import { readKernelBtf, type Btf } from '../src/btf/index.js';
import { applyFixups, computeFixups } from '../src/core/index.js';
import { parseObject, type ObjectSpec } from '../src/object/index.js';
import { fixturePath, readFixture } from '../test/helpers/fixtures.js';
import { figure, measure, report, runPeer, type Figure, type Stats } from './lib.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

function relocateAll(spec: ObjectSpec, target: Btf): number {
  const fixups = computeFixups(spec, target);
  let n = 0;
  for (const p of spec.programs.values()) n += applyFixups(p.instructions, fixups, p.name).length;
  return n;
}

export function bench(): Figure[] {
  if (!existsSync(VMLINUX)) return [];
  const runs = 7;
  const objects = ['core', 'core_kernel'];
  const paths = objects.map((o) => fixturePath(o));
  const peer = runPeer<Record<string, Stats>>('core', [String(runs), '20', VMLINUX, ...paths], [':libbpf.a', 'elf', 'z']);
  const vmlinux = readKernelBtf();
  const figures: Figure[] = [];
  objects.forEach((name, i) => {
    const spec = parseObject(readFixture(name));
    const relos = spec.btfExt?.coreRelos.reduce((n, s) => n + s.records.length, 0) ?? 0;
    const warm = measure(() => relocateAll(spec, vmlinux), { runs, iterations: 20, unit: 'us' });
    figures.push(figure(`core: relocate ${name}.bpfel.o (${relos} relocations) against vmlinux`, 'us/object', warm, peer[`relocate:${paths[i]}`]));
    const cold = measure(() => relocateAll(spec, readKernelBtf()), { runs, iterations: 1, unit: 'us' });
    figures.push(figure(`core: parse vmlinux BTF + relocate ${name}.bpfel.o`, 'us/object', cold, peer[`parse+relocate:${paths[i]}`]));
  });
  return figures;
}

// Run directly (bench/run.ts bundles this file and runs it): print the figures.
if (import.meta.url === `file://${process.argv[1]}`) report(bench());
