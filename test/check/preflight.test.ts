/**
 * Pre-flight against the running kernel: the GPL-only table against what the verifier says,
 * probes replacing what BTF could not tell, kconfig and kallsyms.
 */
import { describe, expect, it } from 'vitest';
import { BPF_FUNC_NAMES } from '../../src/asm/index.js';
import { checkObject, GPL_ONLY_HELPERS } from '../../src/check/index.js';
import { mergePreflight, preflight, probeGplOnly } from '../../src/preflight/index.js';
import { ProgType } from '../../src/uapi/bpf.js';
import { describeKernel } from '../helpers/env.js';
import { kernelBtf, loadSpec } from './helpers.js';

describeKernel('preflight', () => {
  it("GPL_ONLY_HELPERS agrees with the verifier for every helper it can probe", () => {
    const types = [ProgType.KPROBE, ProgType.SCHED_CLS, ProgType.XDP, ProgType.RAW_TRACEPOINT];
    const disagree: string[] = [];
    let probed = 0;
    for (let id = 1; id < BPF_FUNC_NAMES.length; id++) {
      const name = `bpf_${BPF_FUNC_NAMES[id]}`;
      let gplOnly: boolean | undefined;
      for (const t of types) if ((gplOnly = probeGplOnly(t, id, 'MIT')) !== undefined) break;
      if (gplOnly === undefined) continue;
      probed++;
      if (gplOnly !== GPL_ONLY_HELPERS.has(name)) disagree.push(`${name}: kernel says ${gplOnly ? '' : 'not '}GPL-only`);
    }
    expect(disagree).toEqual([]);
    expect(probed).toBeGreaterThan(150);
  });

  it('a GPL-only helper under a non-GPL license is refused by the verifier', () => {
    const spec = loadSpec('core_kernel');
    spec.license = 'Proprietary';
    const items = preflight(spec);
    expect(items.filter((i) => i.area === 'license').map((i) => [i.subject, i.verdict, i.source])).toEqual([
      ['bpf_get_current_task', 'fail', 'probe'],
      ['bpf_probe_read_kernel', 'fail', 'probe'],
    ]);
    // Merged into the BTF report, the verifier's answer replaces the table's (no duplicates).
    const merged = mergePreflight(checkObject(spec, { name: 'vmlinux', vmlinux: kernelBtf() }), items);
    expect(merged.items.filter((i) => i.area === 'license').map((i) => i.source)).toEqual(['probe', 'probe']);
    expect(merged.verdict).toBe('fail');
    expect(items.find((i) => i.area === 'helper')).toMatchObject({ verdict: 'ok', detail: 'available to raw_tracepoint programs' });
  });

  it('settles untyped ksyms from kallsyms and replaces the BTF warning', () => {
    const spec = loadSpec('loader');
    const offline = checkObject(spec, { name: 'vmlinux', vmlinux: kernelBtf() });
    expect(offline.verdict).toBe('warn');
    const merged = mergePreflight(offline, preflight(spec));
    expect(merged.verdict).toBe('ok');
    const ksym = merged.items.filter((i) => i.area === 'ksym');
    expect(ksym).toEqual([expect.objectContaining({ subject: 'bpf_prog_put', verdict: 'ok', source: 'probe' })]);
    expect(ksym[0]!.detail).toMatch(/^in \/proc\/kallsyms at 0x[0-9a-f]+$/);
  });

  it('reads kconfig values from the kernel config', () => {
    const spec = loadSpec('loader');
    // CONFIG_HZ is __weak in the fixture; a non-weak copy must come from the config.
    for (const e of spec.externs) if (e.name === 'CONFIG_HZ') e.weak = false;
    const offline = checkObject(spec, { name: 'vmlinux', vmlinux: kernelBtf() });
    expect(offline.items.find((i) => i.subject === 'CONFIG_HZ')).toMatchObject({ verdict: 'warn' });
    const set = preflight(spec, { kernelConfig: new Map([['CONFIG_HZ', '250']]) });
    expect(set.find((i) => i.subject === 'CONFIG_HZ')).toMatchObject({ verdict: 'ok', detail: 'CONFIG_HZ=250' });
    const unset = preflight(spec, { kernelConfig: new Map() });
    expect(unset.find((i) => i.subject === 'CONFIG_HZ')).toMatchObject({ verdict: 'warn' });
    expect(mergePreflight(offline, set).items.filter((i) => i.subject === 'CONFIG_HZ')).toEqual([expect.objectContaining({ verdict: 'ok', source: 'probe' })]);
  });

  it('probes each map type and program type the object uses', () => {
    const items = preflight(loadSpec('maps'));
    const maps = items.filter((i) => i.area === 'map');
    expect(maps.length).toBe(loadSpec('maps').maps.size + [...loadSpec('maps').maps.values()].filter((m) => m.innerMap).length);
    expect(maps.filter((i) => i.verdict !== 'ok')).toEqual([]);
  });
});
