/**
 * BTF deduplication (src/btf/dedup.ts), on small hand-written type graphs: each phase of
 * libbpf's btf__dedup in turn, then on real objects (a shared header's types once).
 */
import { describe, expect, it } from 'vitest';
import { dedupBtfTypes } from '../../src/btf/dedup.js';
import { BtfError, decodeAll, parseBtf, type BtfType } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { readFixture } from '../helpers/fixtures.js';

const common = { id: 0, nameOff: 0 };
const int = (name = 'int', size = 4): BtfType => ({ ...common, kind: 'INT', name, size, encoding: 1, bitsOffset: 0, nrBits: size * 8 });
const ptr = (type: number): BtfType => ({ ...common, kind: 'PTR', name: '', type, kindFlag: false });
const typedef = (name: string, type: number): BtfType => ({ ...common, kind: 'TYPEDEF', name, type, kindFlag: false });
const struct = (name: string, size: number, members: [string, number, number][]): BtfType => ({
  ...common,
  kind: 'STRUCT',
  name,
  size,
  kindFlag: false,
  members: members.map(([n, type, bitsOffset]) => ({ name: n, nameOff: 0, type, bitsOffset, bitfieldSize: 0 })),
});
const fwd = (name: string): BtfType => ({ ...common, kind: 'FWD', name, fwdKind: 'struct' });
const variable = (name: string, type: number): BtfType => ({ ...common, kind: 'VAR', name, type, linkage: 1 });

describe('dedupBtfTypes', () => {
  it('merges the worked example of the module comment: two copies of struct point and its pointer', () => {
    const { types, idMap } = dedupBtfTypes([int(), struct('point', 4, [['x', 1, 0]]), ptr(2), int(), struct('point', 4, [['x', 4, 0]]), ptr(5)]);
    expect(types.map((t) => t.kind)).toEqual(['INT', 'STRUCT', 'PTR']);
    expect([...idMap]).toEqual([0, 1, 2, 3, 1, 2, 3]);
    expect(types[2]).toMatchObject({ kind: 'PTR', type: 2 });
  });

  it('keeps structs of one name apart when their members differ', () => {
    const { types } = dedupBtfTypes([int(), struct('s', 4, [['a', 1, 0]]), struct('s', 4, [['b', 1, 0]]), int('long', 8), struct('s', 4, [['a', 4, 0]])]);
    expect(types.filter((t) => t.kind === 'STRUCT')).toHaveLength(3);
  });

  it('terminates on cyclic types and merges equal cycles (struct list { struct list *next; })', () => {
    // [1] STRUCT list {next: 2}  [2] PTR -> 1  and a second copy [3] [4].
    const { types, idMap } = dedupBtfTypes([struct('list', 8, [['next', 2, 0]]), ptr(1), struct('list', 8, [['next', 4, 0]]), ptr(3)]);
    expect(types).toHaveLength(2);
    expect([...idMap]).toEqual([0, 1, 2, 1, 2]);
  });

  it('resolves a forward declaration met inside an equivalent graph, and an unambiguous one outside', () => {
    // Unit 1: struct a { struct b *p; } with b only declared; unit 2 has b in full.
    const unit1 = [int(), fwd('b'), ptr(2), struct('a', 8, [['p', 3, 0]])];
    const unit2 = [int(), struct('b', 4, [['v', 5, 0]]), ptr(6), struct('a', 8, [['p', 7, 0]])];
    const { types, idMap } = dedupBtfTypes([...unit1, ...unit2]);
    expect(types.map((t) => `${t.kind} ${t.name}`)).toEqual(['INT int', 'PTR ', 'STRUCT a', 'STRUCT b']);
    expect(idMap[2]).toBe(idMap[6]); // FWD b -> STRUCT b
    // A FWD with no struct of the same name stays.
    expect(dedupBtfTypes([fwd('lonely'), ptr(1)]).types).toHaveLength(2);
  });

  it('merges typedef and reference chains after their targets, and never merges VARs', () => {
    const { types } = dedupBtfTypes([int(), typedef('u32', 1), variable('x', 2), int(), typedef('u32', 4), variable('x', 5)]);
    expect(types.map((t) => t.kind)).toEqual(['INT', 'TYPEDEF', 'VAR', 'VAR']);
    expect(types[3]).toMatchObject({ kind: 'VAR', type: 2 });
  });

  it('refuses a reference to a type that does not exist, and a cycle of reference types', () => {
    expect(() => dedupBtfTypes([ptr(7)])).toThrow(BtfError);
    expect(() => dedupBtfTypes([typedef('a', 2), typedef('b', 1)])).toThrow(/reference cycle/);
  });

  it('is idempotent on the BTF of real objects', () => {
    for (const name of ['maps', 'globals', 'core_relos', 'btf_types']) {
      const elf = parseElf(readFixture(name));
      const before = decodeAll(parseBtf(elf.section('.BTF')!.data));
      const once = dedupBtfTypes(structuredClone(before)).types;
      expect(once.length, name).toBeLessThanOrEqual(before.length);
      const twice = dedupBtfTypes(structuredClone(once));
      expect(twice.types, name).toEqual(once);
      expect([...twice.idMap].slice(1), name).toEqual(once.map((_, i) => i + 1));
    }
  });
});
