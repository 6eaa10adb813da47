/**
 * The fuzzer's mutation engine: a seeded PRNG and "havoc" mutations over bytes (AFL's
 * vocabulary: bit flips, interesting values, arithmetic, block deletion/duplication, splicing)
 * and over lines of text (for verifier logs).
 *
 * Not fast-check: a campaign runs millions of inputs, so mutation must cost far less than a
 * parse, and a saved input must replay without the generator. Mutations are biased towards
 * *hot regions* (headers, section header tables, symbol tables, BTF headers), where one
 * changed byte reaches the most code.
 */

/** xoshiro128** seeded through splitmix32: fast, seedable, good enough to pick mutations. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // splitmix32 expands the seed so that nearby seeds give unrelated streams.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next() | 1;
    this.#b = next();
    this.#c = next();
    this.#d = next();
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** An integer in `[0, n)`; 0 when `n <= 0`. */
  below(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A byte range worth hitting more often than the rest: `[offset, offset + length)`. */
export interface Region {
  offset: number;
  length: number;
}

// Values that break size and offset arithmetic (AFL's interesting values, plus BPF's).
const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 8, 16, 24, 32, 64];
const INTERESTING_32 = [
  0, 1, 2, 4, 7, 8, 12, 16, 24, 32, 40, 64, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff8,
  0xfffffffc, 0xfffffffe, 0xffffffff,
];

/**
 * One to eight stacked mutations of `input` (a new array; `input` is not changed). `regions`
 * of the input attract half of the positioned mutations; `donors` are other inputs of the same
 * kind to splice from.
 */
export function mutateBytes(rng: Rng, input: Uint8Array, regions: readonly Region[], donors: readonly Uint8Array[]): Uint8Array {
  let out: Uint8Array = input.slice();
  const count = 1 << rng.below(4);
  for (let i = 0; i < count; i++) out = mutateOnce(rng, out, regions, donors);
  return out;
}

function position(rng: Rng, size: number, regions: readonly Region[]): number {
  if (size === 0) return 0;
  if (regions.length > 0 && rng.chance(0.5)) {
    const r = rng.pick(regions);
    const at = r.offset + rng.below(Math.max(1, r.length));
    if (at < size) return at;
  }
  return rng.below(size);
}

function mutateOnce(rng: Rng, b: Uint8Array, regions: readonly Region[], donors: readonly Uint8Array[]): Uint8Array {
  const size = b.length;
  const at = position(rng, size, regions);
  switch (rng.below(12)) {
    case 0: // flip one bit
      if (size) b[at] = b[at]! ^ (1 << rng.below(8));
      return b;
    case 1: // random byte
      if (size) b[at] = rng.below(256);
      return b;
    case 2: // interesting byte
      if (size) b[at] = rng.pick(INTERESTING_8);
      return b;
    case 3: // interesting u16, either byte order
      writeUint(b, at & ~1, 2, rng.pick(INTERESTING_32) & 0xffff, rng.chance(0.5));
      return b;
    case 4:
    case 5: // interesting u32 at an aligned offset: sizes, offsets, counts, type ids
      writeUint(b, at & ~3, 4, rng.pick(INTERESTING_32), rng.chance(0.7));
      return b;
    case 6: // small arithmetic on an aligned u32 (an offset or count just past a bound)
      addU32(b, at & ~3, rng.below(71) - 35, rng.chance(0.7));
      return b;
    case 7: // u64 all ones or a random 64-bit value
      for (let i = 0; i < 8 && (at & ~7) + i < size; i++) b[(at & ~7) + i] = rng.chance(0.5) ? 0xff : rng.below(256);
      return b;
    case 8: // truncate
      return b.subarray(0, rng.below(size + 1)).slice();
    case 9: { // delete a block
      const len = 1 + rng.below(Math.min(64, Math.max(1, size - at)));
      const out = new Uint8Array(Math.max(0, size - len));
      out.set(b.subarray(0, at));
      out.set(b.subarray(Math.min(size, at + len)), at);
      return out;
    }
    case 10: { // copy a block of the input over another place
      if (size < 2) return b;
      const len = 1 + rng.below(Math.min(64, size));
      const from = rng.below(size - len + 1);
      const to = rng.below(size - len + 1);
      b.copyWithin(to, from, from + len);
      return b;
    }
    default: { // splice: a block of a donor over this input
      if (donors.length === 0 || size === 0) return b;
      const d = rng.pick(donors);
      if (d.length === 0) return b;
      const len = 1 + rng.below(Math.min(256, d.length, size));
      const from = rng.below(d.length - len + 1);
      const to = Math.min(at, size - len);
      b.set(d.subarray(from, from + len), to);
      return b;
    }
  }
}

function writeUint(b: Uint8Array, at: number, width: number, value: number, little: boolean): void {
  for (let i = 0; i < width; i++) {
    const byte = (value >>> (8 * i)) & 0xff;
    const p = at + (little ? i : width - 1 - i);
    if (p >= 0 && p < b.length) b[p] = byte;
  }
}

function addU32(b: Uint8Array, at: number, delta: number, little: boolean): void {
  if (at + 4 > b.length) return;
  let v = 0;
  for (let i = 0; i < 4; i++) v |= b[at + (little ? i : 3 - i)]! << (8 * i);
  writeUint(b, at, 4, (v + delta) >>> 0, little);
}

const LOG_NUMBERS = ['0', '-1', '1', '4294967295', '18446744073709551615', '-9223372036854775808', '0x7fffffff', '999999999999', '65536'];
const LOG_TOKENS = ['R1', 'R10', 'fp-8', '(', ')', '=', ';', ':', 'scalar(', 'map_value(', 'ptr_', 'smin=', 'umax=', 'var_off=(', 'id=', ' -> ', '\n', '\t', '\0', '...'];

/**
 * Mutates the text of a log: line-level edits (drop, duplicate, swap, splice from another
 * log), token edits (numbers replaced with extreme ones, syntax characters inserted) and,
 * sometimes, raw byte havoc. Works on UTF-8 bytes so a saved input replays exactly.
 */
export function mutateText(rng: Rng, input: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  if (rng.chance(0.25)) return mutateBytes(rng, input, [], donors);
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const lines = text.split('\n');
  const count = 1 + rng.below(4);
  for (let i = 0; i < count; i++) {
    const n = lines.length;
    const li = rng.below(n);
    switch (rng.below(7)) {
      case 0:
        lines.splice(li, 1 + rng.below(Math.min(20, n)));
        break;
      case 1:
        lines.splice(li, 0, ...lines.slice(li, li + 1 + rng.below(8)));
        break;
      case 2: {
        const lj = rng.below(n);
        [lines[li], lines[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
        break;
      }
      case 3: {
        const donor = donors.length ? Buffer.from(rng.pick(donors)).toString('latin1').split('\n') : lines;
        const from = rng.below(donor.length);
        lines.splice(li, 0, ...donor.slice(from, from + 1 + rng.below(10)));
        break;
      }
      case 4: {
        const line = lines[li] ?? '';
        const nums = [...line.matchAll(/-?(0x)?[0-9a-f]+/gi)];
        if (nums.length === 0) break;
        const m = rng.pick(nums);
        lines[li] = line.slice(0, m.index) + rng.pick(LOG_NUMBERS) + line.slice(m.index! + m[0].length);
        break;
      }
      case 5: {
        const line = lines[li] ?? '';
        const p = rng.below(line.length + 1);
        lines[li] = line.slice(0, p) + rng.pick(LOG_TOKENS) + line.slice(p);
        break;
      }
      default: {
        const line = lines[li] ?? '';
        lines[li] = line.slice(0, rng.below(line.length + 1));
        break;
      }
    }
  }
  return new Uint8Array(Buffer.from(lines.join('\n'), 'latin1'));
}
