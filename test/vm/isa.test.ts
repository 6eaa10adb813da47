/**
 * cpu v4 instructions on kernels before 6.6: the error names the feature and the version
 * (src/collection/isa.ts). Pure: the kernel version is an argument. The matrix's 6.1 VM
 * checks the same against a real kernel (test/vm/load-table.test.ts, fixture insns_v4).
 */
import { describe, expect, it } from 'vitest';
import { readFixture } from '../helpers/fixtures.js';
import { NotSupportedError } from '../../src/errors.js';
import { parseObject } from '../../src/object/index.js';
import { kernelVersionCode } from '../../src/collection/kconfig.js';
import { cpuV4Kind, cpuV4Unsupported } from '../../src/collection/isa.js';

const program = (fixture: string, name: string) => parseObject(readFixture(fixture)).programs.get(name)!.instructions;

describe('cpu v4 instructions', () => {
  it('a v4 program on 6.1 fails with "requires Linux >= 6.6" naming the first v4 instruction', () => {
    const insns = program('insns_v4', 'insns');
    const cause = new Error('verifier');
    const e = cpuV4Unsupported('insns', insns, cause, kernelVersionCode(6, 1, 0));
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e!.message).toMatch(/^program 'insns': cpu v4 instructions \(insn #\d+: [a-z -]+.*; compile with -mcpu=v3\) not supported by this kernel \(requires Linux >= 6\.6\)$/);
    expect(e!.cause).toBe(cause);
    expect(insns.map(cpuV4Kind).filter(Boolean)).toEqual(expect.arrayContaining(['sign-extending load', 'signed division']));
  });

  it('says nothing on 6.6 and later, or for programs without v4 instructions', () => {
    expect(cpuV4Unsupported('insns', program('insns_v4', 'insns'), undefined, kernelVersionCode(6, 6, 0))).toBeUndefined();
    const minimal = parseObject(readFixture('minimal'));
    for (const p of minimal.programs.values()) expect(cpuV4Unsupported(p.name, p.instructions, undefined, kernelVersionCode(5, 10, 0))).toBeUndefined();
  });
});
