/**
 * freplace: a BPF_PROG_TYPE_EXT program replaces a global function of a loaded program
 * (loadCollection's attachTargets, libbpf's bpf_program__set_attach_target). Where the kernel
 * allows it, the target's BPF_PROG_TEST_RUN result changes while the link lives; this host's
 * lockdown refuses trampoline programs, and the error must say so.
 */
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { parseObject } from '../../src/object/index.js';
import { loadCollection, LoadError } from '../../src/collection/index.js';
import { lockdownMode } from '../../src/link/index.js';

const load = (name: string) => parseObject(readFixture(name), { fileName: fixturePath(name) });
const packet = new Uint8Array(64);

describeKernel('freplace', () => {
  it('replaces the target function while the link lives (or names lockdown where it refuses)', () => {
    using target = loadCollection(load('freplace_target'));
    const entry = target.program('entry')!;
    expect(entry.testRun({ data: packet }).retval).toBe(1);
    const spec = load('freplace');
    const locked = lockdownMode() !== undefined && lockdownMode() !== 'none';
    if (locked) {
      expect(() => loadCollection(spec, { attachTargets: { new_decide: { program: entry } } })).toThrow(/refused by kernel lockdown \(mode '/);
      return;
    }
    using ext = loadCollection(spec, { attachTargets: { new_decide: { program: entry } } });
    const links = ext.attachAll();
    try {
      expect(entry.testRun({ data: packet }).retval).toBe(42);
    } finally {
      links.close();
    }
    expect(entry.testRun({ data: packet }).retval).toBe(1);
  });

  it('names what is missing: no target, a function the target does not have', () => {
    using target = loadCollection(load('freplace_target'));
    const entry = target.program('entry')!;
    expect(() => loadCollection(load('freplace'))).toThrow(/freplace program needs the program it replaces a function of: give it in options.attachTargets/);
    expect(() => loadCollection(load('freplace'), { attachTargets: { new_decide: { program: entry, function: 'no_such_fn' } } })).toThrow(LoadError);
    expect(() => loadCollection(load('freplace'), { attachTargets: { new_decide: { program: entry, function: 'no_such_fn' } } })).toThrow(
      /the target program has no function 'no_such_fn'/,
    );
  });
});
