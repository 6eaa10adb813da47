/**
 * Feature probes: agreement with `bpftool feature probe kernel` on every map type and program
 * type line it prints, helper probes, and NotSupportedError naming the feature.
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { NotSupportedError } from '../../src/errors.js';
import {
  kernelHelpers,
  probeHelper,
  probeKernel,
  probeLinkType,
  probeMapType,
  probeProgType,
  requireMapType,
  requireProgType,
} from '../../src/features/index.js';
import { LinkType, MapType, ProgType } from '../../src/syscall/index.js';
import { formatFeatureProbe } from '../../src/cli/feature.js';

describeKernel('feature probes', () => {
  it('core types are available and answers are cached', () => {
    expect(probeMapType(MapType.HASH)).toBe(true);
    expect(probeMapType(MapType.HASH)).toBe(true);
    expect(probeProgType(ProgType.SOCKET_FILTER)).toBe(true);
    expect(probeMapType(4096)).toBe(false);
    expect(probeProgType(4096)).toBe(false);
  });

  it('unsupported features throw NotSupportedError with the name', () => {
    expect(() => requireMapType(4096)).toThrow(NotSupportedError);
    expect(() => requireMapType(4096)).toThrow("map type '4096' not supported by this kernel");
    expect(() => requireProgType(4096)).toThrow("program type '4096' not supported by this kernel");
    expect(() => requireMapType(MapType.ARRAY)).not.toThrow();
  });

  it('helpers: names from kernel BTF, per program type', () => {
    const h = kernelHelpers();
    expect(h.get(1)).toBe('bpf_map_lookup_elem');
    expect(h.get(166)).toBe('bpf_sys_bpf');
    expect(probeHelper(ProgType.SOCKET_FILTER, 1)).toBe(true);
    // bpf_sys_bpf is for BPF_PROG_TYPE_SYSCALL only.
    expect(probeHelper(ProgType.SOCKET_FILTER, 166)).toBe(false);
    expect(probeHelper(ProgType.SYSCALL, 166)).toBe(true);
    // An id past the last helper.
    expect(probeHelper(ProgType.SOCKET_FILTER, 100000)).toBe(false);
    expect(probeHelper(ProgType.TRACING, 1)).toBeUndefined();
  });

  it('link types from the kernel enum', () => {
    expect(probeLinkType(LinkType.RAW_TRACEPOINT)).toBe(true);
    expect(probeLinkType(LinkType.CGROUP)).toBe(true);
    expect(probeLinkType(999)).toBe(false);
  });
});

describeKernel('feature probe vs bpftool (root)', () => {
  describeWithTool('feature probe vs bpftool', ['bpftool'], () => {
    it('agrees with `bpftool feature probe kernel` on every map type and program type line', () => {
      const theirs = execFileSync('bpftool', ['feature', 'probe', 'kernel'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const ours = formatFeatureProbe(probeKernel()).split('\n');
      const lines = theirs.split('\n').filter((l) => /^eBPF (map_type|program_type) \S+ is (NOT )?available$/.test(l));
      expect(lines.length).toBeGreaterThan(40);
      // The miscellaneous section too (large programs, bounded loops, ISA v2/v3).
      const misc = theirs.split('\n').filter((l) => /^(Large program size limit|Bounded loop support|ISA extension v\d) is (NOT )?available$/.test(l));
      expect(misc.length).toBe(4);
      lines.push(...misc);
      const mismatched = lines.filter((l) => !ours.includes(l));
      expect(mismatched).toEqual([]);
    });
  });
});

describeKernel('tsbpf feature probe CLI', () => {
  it('prints bpftool-style text and --json with bpftool key names', async () => {
    const { main } = await import('../../src/cli/main.js');
    let out = '';
    const io = { out: (t: string) => (out += t + '\n'), err: (t: string) => (out += t + '\n') };
    expect(await main(['feature', 'probe', 'kernel', '--json'], io)).toBe(0);
    const j = JSON.parse(out);
    expect(j.map_types.have_hash_map_type).toBe(true);
    expect(j.program_types.have_socket_filter_prog_type).toBe(true);
    expect(j.helpers.socket_filter_available_helpers).toContain('bpf_map_lookup_elem');
    expect(j.helpers.socket_filter_available_helpers).not.toContain('bpf_sys_bpf');
    out = '';
    expect(await main(['feature', 'probe', '--no-helpers'], io)).toBe(0);
    expect(out).toContain('eBPF map_type hash is available\n');
    expect(out).toContain('eBPF link_type raw_tracepoint is available\n');
    expect(out).not.toContain('Scanning eBPF helper functions');
    out = '';
    expect(await main(['feature', 'probe', 'dev', 'eth0'], io)).toBe(2);
  });
});
