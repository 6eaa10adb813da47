/**
 * RLIMIT_MEMLOCK: on this kernel (memcg accounting, 5.11+) tsbpf leaves it alone; on a kernel
 * without it (simulated by the probe's answer) it raises it, once, as libbpf does: to infinity
 * with CAP_SYS_RESOURCE, else the soft limit to the hard one.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { bumpMemlockRlimit, getRlimit, resetMemlockState, RLIM_INFINITY, RLIMIT_MEMLOCK, setRlimit } from '../../src/syscall/index.js';
import { ensureMemlock, probeMemcgAccounting } from '../../src/features/index.js';

const limitsLine = (): string => readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max locked memory'))!;
const CAP_SYS_RESOURCE = 24n;
const hasSysResource = (): boolean => {
  const eff = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)/m)![1]!;
  return ((BigInt(`0x${eff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
};

describeKernel('RLIMIT_MEMLOCK', () => {
  const before = getRlimit(RLIMIT_MEMLOCK);
  afterEach(() => {
    // Lowering is always allowed; raising back the hard limit needs CAP_SYS_RESOURCE.
    try {
      setRlimit(RLIMIT_MEMLOCK, before);
    } catch {
      setRlimit(RLIMIT_MEMLOCK, { cur: getRlimit(RLIMIT_MEMLOCK).max, max: getRlimit(RLIMIT_MEMLOCK).max });
    }
    resetMemlockState();
  });

  it('getRlimit agrees with /proc/self/limits', () => {
    setRlimit(RLIMIT_MEMLOCK, { cur: 65536n, max: before.max });
    expect(getRlimit(RLIMIT_MEMLOCK)).toEqual({ cur: 65536n, max: before.max });
    const max = before.max === RLIM_INFINITY ? 'unlimited' : String(before.max);
    expect(limitsLine()).toMatch(new RegExp(`^Max locked memory\\s+65536\\s+${max}\\s+bytes`));
  });

  it('this kernel accounts BPF memory to the memory cgroup: the limit stays as it is', () => {
    setRlimit(RLIMIT_MEMLOCK, { cur: 65536n, max: before.max });
    resetMemlockState();
    expect(probeMemcgAccounting()).toBe(true);
    expect(ensureMemlock()).toBe('memcg');
    expect(getRlimit(RLIMIT_MEMLOCK)).toEqual({ cur: 65536n, max: before.max });
  });

  it('without memcg accounting the limit is raised, once', () => {
    setRlimit(RLIMIT_MEMLOCK, { cur: 65536n, max: before.max });
    resetMemlockState();
    let probes = 0;
    const noMemcg = () => (probes++, false);
    const state = bumpMemlockRlimit(noMemcg);
    if (hasSysResource()) {
      expect(state).toBe('unlimited');
      expect(getRlimit(RLIMIT_MEMLOCK)).toEqual({ cur: RLIM_INFINITY, max: RLIM_INFINITY });
      expect(limitsLine()).toMatch(/^Max locked memory\s+unlimited\s+unlimited/);
    } else {
      // This machine's sandbox lacks CAP_SYS_RESOURCE: the soft limit goes up to the hard one.
      expect(state).toBe('hard-limit');
      expect(getRlimit(RLIMIT_MEMLOCK)).toEqual({ cur: before.max, max: before.max });
    }
    expect(bumpMemlockRlimit(noMemcg)).toBe(state);
    expect(probes).toBe(1);
  });
});
