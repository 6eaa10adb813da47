/**
 * After static linking, several static variables can share a name (linker_a and linker_c both
 * have them). Sanitizing must keep each static's own DATASEC offset (libbpf's
 * btf_fixup_datasec skips statics) or the kernel refuses the BTF for overlapping variables.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { describeKernel } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { linkObjects } from '../../src/linker/index.js';
import { parseElf } from '../../src/elf/index.js';
import { ALL_BTF_FEATURES, btfFromElf, sanitizeBtf } from '../../src/btf/index.js';
import { btfLoadRaw } from '../../src/syscall/index.js';

const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(fixturePath(name))) });

describeKernel('sanitized BTF of a linked object with same-named statics', () => {
  it('keeps each static at its own offset, and the kernel accepts it', () => {
    const elf = parseElf(linkObjects([input('linker_a'), input('linker_c')]));
    const btf = btfFromElf(elf)!.btf;
    const { bytes } = sanitizeBtf(btf, ALL_BTF_FEATURES, { elf });
    const r = btfLoadRaw(bytes, { logSize: 1 << 16 });
    r.fd?.close();
    expect(r.log.trim().split('\n').pop() ?? '', 'kernel log').not.toMatch(/overlap|Invalid offset/i);
    expect(r.errno).toBe(0);
  });
});
