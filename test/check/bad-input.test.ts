/**
 * Damaged kernel BTF and objects: `checkObject` and `minCoreBtf` answer with a report or a
 * typed error (a `TsbpfError` naming what is wrong), never a crash or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marshalBtf, parseBtf } from '../../src/btf/index.js';
import { checkObject, minCoreBtf } from '../../src/check/index.js';
import { TsbpfError } from '../../src/errors.js';
import { applyMutations, mutations } from '../helpers/mutate.js';
import { loadSpec } from './helpers.js';

/** Runs `fn`; a TsbpfError is an acceptable answer, anything else thrown is a bug. */
function typedOrValue(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TsbpfError)) throw e;
  }
}

describe('damaged input', () => {
  const spec = loadSpec('core_relos');
  const target = marshalBtf(loadSpec('core_target_a').btf!);

  it('a damaged kernel BTF gives a report or a typed error', () => {
    fc.assert(
      fc.property(mutations(target.length), (m) => {
        typedOrValue(() => {
          const btf = parseBtf(applyMutations(target, m), { section: 'damaged' });
          const r = checkObject(spec, { name: 'damaged', vmlinux: btf });
          expect(['ok', 'warn', 'fail']).toContain(r.verdict);
        });
        typedOrValue(() => minCoreBtf(parseBtf(applyMutations(target, m), { section: 'damaged' }), [{ ...spec, name: 'core_relos' }]));
      }),
      { numRuns: 100 },
    );
  });

  it('a damaged object BTF gives a report or a typed error', () => {
    const own = marshalBtf(spec.btf!);
    const kernel = parseBtf(target, { section: 'core_target_a' });
    fc.assert(
      fc.property(mutations(own.length), (m) => {
        typedOrValue(() => {
          const btf = parseBtf(applyMutations(own, m));
          checkObject({ ...spec, btf }, { name: 'core_target_a', vmlinux: kernel });
          minCoreBtf(kernel, [{ ...spec, name: 'core_relos', btf }]);
        });
      }),
      { numRuns: 100 },
    );
  });
});
