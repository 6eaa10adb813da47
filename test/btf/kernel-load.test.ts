import { expect, it } from 'vitest';
import { ALL_BTF_FEATURES, btfFromElf, sanitizeBtf, type BtfFeatures } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { btfLoadRaw } from '../../src/syscall/index.js';
import { describeKernel } from '../helpers/env.js';
import { readFixture, standaloneFixtures } from '../helpers/fixtures.js';

const noFeatures: BtfFeatures = {
  btfFunc: false,
  btfFuncGlobal: false,
  btfDatasec: false,
  btfQmarkDatasec: false,
  btfFloat: false,
  btfDeclTag: false,
  btfTypeTag: false,
  btfEnum64: false,
};

/** Loads raw BTF into the kernel; returns the kernel's log on refusal, '' on success. */
function load(bytes: Uint8Array): string {
  const r = btfLoadRaw(bytes, { logSize: 1 << 16 });
  r.fd?.close();
  return r.fd ? '' : `errno ${r.errno}: ${r.log.trim().split('\n').slice(-3).join(' | ')}`;
}

describeKernel('sanitized object BTF loads into the kernel (BPF_BTF_LOAD)', () => {
  it('every little-endian fixture, fixed up from its ELF', () => {
    let n = 0;
    for (const f of standaloneFixtures().filter((x) => x.endian === 'bpfel')) {
      const elf = parseElf(readFixture(f.name, f.endian));
      const found = btfFromElf(elf);
      if (!found) continue;
      expect(load(sanitizeBtf(found.btf, ALL_BTF_FEATURES, { elf }).bytes), f.file).toBe('');
      n++;
    }
    expect(n).toBeGreaterThan(5);
  });

  it('the btf_types fixture downgraded to pre-5.0 kinds', () => {
    const elf = parseElf(readFixture('btf_types'));
    const { btf } = btfFromElf(elf)!;
    expect(load(sanitizeBtf(btf, noFeatures, { elf }).bytes)).toBe('');
    // Kernels gained the features in this order; an older kernel lacks every later one.
    const ladder: (keyof BtfFeatures)[] = ['btfFunc', 'btfDatasec', 'btfFuncGlobal', 'btfFloat', 'btfDeclTag', 'btfTypeTag', 'btfEnum64', 'btfQmarkDatasec'];
    for (let k = 0; k <= ladder.length; k++) {
      const features = { ...noFeatures };
      for (const f of ladder.slice(0, k)) features[f] = true;
      expect(load(sanitizeBtf(btf, features, { elf }).bytes), `kernel with ${ladder.slice(0, k).join(', ') || 'no BTF features'}`).toBe('');
    }
  });
});
