/**
 * fast-check arbitraries that damage a valid input: byte overwrites, truncation, and
 * 32/64-bit fields set to extreme values (the inputs that broke other loaders).
 */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u64max'; at: number }
  | { kind: 'truncate'; length: number };

function mutation(size: number): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: Math.max(0, size - 1) });
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('byte' as const), at, value: fc.nat({ max: 255 }) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('u32' as const),
        at,
        value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 0xffff, 8, 24, 64), fc.nat()),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('u64max' as const), at }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat({ max: size }) }) },
  );
}

/** Applies mutations to a copy of `base`. */
export function applyMutations(base: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = base.slice();
  for (const m of mutations) {
    switch (m.kind) {
      case 'byte':
        if (m.at < out.length) out[m.at] = m.value;
        break;
      case 'u32':
        for (let i = 0; i < 4 && m.at + i < out.length; i++) out[m.at + i] = (m.value >>> (8 * i)) & 0xff;
        break;
      case 'u64max':
        for (let i = 0; i < 8 && m.at + i < out.length; i++) out[m.at + i] = 0xff;
        break;
      case 'truncate':
        out = out.subarray(0, Math.min(m.length, out.length));
        break;
    }
  }
  return out;
}

/** 1 to 4 mutations of an input of `size` bytes. */
export function mutations(size: number): fc.Arbitrary<Mutation[]> {
  return fc.array(mutation(size), { minLength: 1, maxLength: 4 });
}
