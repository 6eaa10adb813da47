/**
 * struct_ops maps declared in an object (test/fixtures/src/struct_ops.bpf.c): the loader builds
 * the kernel's value from the object's own struct layout, loads each member's program against
 * the kernel's `tcp_congestion_ops`, and attachAll registers both maps: through a link for
 * `.struct_ops.link`, by the map update for `.struct_ops`. A TCP socket can pick either
 * congestion control by name while it is registered, not after.
 */
import { expect, it, describe } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { parseObject } from '../../src/object/index.js';
import { loadCollection, LoadError } from '../../src/collection/index.js';
import { LinkType, MapFlags, MapType, ProgType, setsockopt, socket } from '../../src/syscall/index.js';
import { readKernelBtf, type Btf } from '../../src/btf/index.js';
import { planStructOps } from '../../src/collection/struct-ops.js';

const spec = () => parseObject(readFixture('struct_ops'), { fileName: fixturePath('struct_ops') });
const IPPROTO_TCP = 6;
const TCP_CONGESTION = 13;

function selectCc(name: string): void {
  using s = socket(2 /* AF_INET */, 1 /* SOCK_STREAM */);
  setsockopt(s.raw, IPPROTO_TCP, TCP_CONGESTION, new TextEncoder().encode(name));
}

describe('struct_ops maps in the object model', () => {
  it('one map per variable, with its programs by member and BPF_F_LINK for .struct_ops.link', () => {
    const s = spec();
    const link = s.maps.get('tsbpf_link_cc')!;
    const legacy = s.maps.get('tsbpf_legacy_cc')!;
    expect(link).toMatchObject({ type: MapType.STRUCT_OPS, keySize: 4, maxEntries: 1, flags: MapFlags.LINK, section: '.struct_ops.link' });
    expect(legacy).toMatchObject({ type: MapType.STRUCT_OPS, flags: 0, section: '.struct_ops' });
    expect(link.structOps!.typeName).toBe('tcp_congestion_ops');
    expect(Object.fromEntries(link.structOps!.programs)).toEqual({ ssthresh: 'link_ssthresh', cong_avoid: 'link_cong_avoid', undo_cwnd: 'link_undo_cwnd' });
    expect(Object.fromEntries(legacy.structOps!.programs)).toEqual({ ssthresh: 'legacy_ssthresh', cong_avoid: 'legacy_cong_avoid', undo_cwnd: 'legacy_undo_cwnd' });
    expect(new TextDecoder().decode(link.data!.subarray(0, 13))).toBe('tsbpf_link_cc');
    for (const p of ['link_ssthresh', 'legacy_undo_cwnd']) expect(s.programs.get(p)!.type).toBe(ProgType.STRUCT_OPS);
  });
});

describeKernel('struct_ops maps against the kernel', () => {
  let kernel: Btf;
  const btf = () => (kernel ??= readKernelBtf());

  it('plans the kernel layout: name copied by name, programs at their kernel member indexes', () => {
    const { plans, targets } = planStructOps(spec(), btf());
    const ops = btf().type(btf().findByName('tcp_congestion_ops', 'STRUCT')!);
    if (ops.kind !== 'STRUCT') throw new Error('tcp_congestion_ops');
    const indexOf = (n: string) => ops.members.findIndex((m) => m.name === n);
    expect(targets.get('link_ssthresh')).toMatchObject({ memberIndex: indexOf('ssthresh'), what: 'tcp_congestion_ops.ssthresh' });
    expect(targets.get('legacy_cong_avoid')).toMatchObject({ memberIndex: indexOf('cong_avoid') });
    expect(plans.map((p) => p.slots.length)).toEqual([3, 3]);
  });

  it('registers both congestion controls on attach, and unregisters them on close', () => {
    expect(() => selectCc('tsbpf_link_cc')).toThrow(/ENOENT/);
    expect(() => selectCc('tsbpf_legacy_cc')).toThrow(/ENOENT/);
    using c = loadCollection(spec());
    // Loaded but not attached: not registered yet.
    expect(() => selectCc('tsbpf_link_cc')).toThrow(/ENOENT/);
    const links = c.attachAll();
    try {
      selectCc('tsbpf_link_cc');
      selectCc('tsbpf_legacy_cc');
      const kinds = links.links.map((l) => l.info());
      expect(kinds.some((i) => 'type' in i && i.type === LinkType.STRUCT_OPS)).toBe(true);
      expect(kinds.some((i) => 'kind' in i && i.kind === 'struct_ops' && i.id === undefined)).toBe(true);
    } finally {
      links.close();
    }
    expect(() => selectCc('tsbpf_link_cc')).toThrow(/ENOENT/);
    expect(() => selectCc('tsbpf_legacy_cc')).toThrow(/ENOENT/);
  });

  it('bad objects: a member the kernel lacks, a type that is not struct_ops, an unused program', () => {
    const bad = parseObject(readFixture('struct_ops_bad'), { fileName: fixturePath('struct_ops_bad') });
    expect(() => loadCollection(bad)).toThrow(LoadError);
    expect(() => loadCollection(bad)).toThrow(/member 'tsbpf_extra' is set, but this kernel's 'tcp_congestion_ops' has no such member/);

    const wrongType = spec();
    wrongType.maps.get('tsbpf_link_cc')!.structOps!.typeName = 'task_struct';
    expect(() => loadCollection(wrongType)).toThrow(/'task_struct' is not a struct_ops type of this kernel/);

    const unused = spec();
    unused.maps.get('tsbpf_legacy_cc')!.structOps!.programs.delete('ssthresh');
    expect(() => loadCollection(unused)).toThrow(/program 'legacy_ssthresh'.*not used by any struct_ops map|struct_ops program is not used by any struct_ops map/);
  });
});
