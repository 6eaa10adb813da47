import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runWithKernelBtf } from '../helpers/env.js';
import {
  alignOf,
  BTF_INT_SIGNED,
  btfFromElf,
  checkChains,
  decodeAll,
  encodeBtf,
  enumValue,
  findMember,
  marshalBtf,
  parseBtf,
  resolveType,
  sizeOf,
  skipModifiers,
  StringTable,
  type Btf,
  type BtfType,
} from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';

function fixtureBtf(endian: 'bpfel' | 'bpfeb' = 'bpfel'): Btf {
  return btfFromElf(parseElf(readFixture('btf_types', endian)))!.btf;
}

function id(btf: Btf, name: string, kind?: Parameters<Btf['findByName']>[1]): number {
  const found = btf.findByName(name, kind);
  if (found === undefined) throw new Error(`no type '${name}'`);
  return found;
}

describe('parseBtf on the btf_types fixture', () => {
  const btf = fixtureBtf();

  it('decodes every kind clang emits', () => {
    const kinds = new Set(decodeAll(btf).map((t) => t.kind));
    for (const k of ['INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG']) {
      expect(kinds.has(k as BtfType['kind']), k).toBe(true);
    }
  });

  it('reads bitfield members (kind_flag)', () => {
    const bits = btf.type(id(btf, 'bits', 'STRUCT'));
    expect(bits.kind).toBe('STRUCT');
    if (bits.kind !== 'STRUCT') return;
    expect(bits.kindFlag).toBe(true);
    expect(bits.members.map((m) => [m.name, m.bitsOffset, m.bitfieldSize])).toEqual([
      ['a', 0, 3],
      ['b', 3, 5],
      ['c', 8, 7],
      ['d', 15, 40],
      ['e', 56, 0],
      ['f', 64, 1],
    ]);
    expect(sizeOf(btf, bits.id)).toBe(16);
    expect(alignOf(btf, bits.id)).toBe(8);
  });

  it('reads signed, unsigned and 64-bit enums', () => {
    const small = btf.type(id(btf, 'small_enum', 'ENUM'));
    expect(small.kind === 'ENUM' && small.signed).toBe(true);
    expect(enumValue(btf, small.id, 'SMALL_NEG')).toBe(-3);
    const big = id(btf, 'big_enum', 'ENUM64');
    expect(enumValue(btf, big, 'BIG_C')).toBe(0x8000000000000000n);
    expect(enumValue(btf, big, 'BIG_B')).toBe(0xffffffffffn);
    expect(enumValue(btf, id(btf, 'signed_big', 'ENUM64'), 'SBIG_NEG')).toBe(-0x100000000n);
    expect(enumValue(btf, big, 'nope')).toBeUndefined();
  });

  it('reads linkage, decl tags and type tags', () => {
    const helper = btf.type(id(btf, 'helper', 'FUNC'));
    expect(helper.kind === 'FUNC' && helper.linkage).toBe(0);
    const progA = btf.type(id(btf, 'btf_prog_a', 'FUNC'));
    expect(progA.kind === 'FUNC' && progA.linkage).toBe(1);
    const tags = decodeAll(btf).filter((t) => t.kind === 'DECL_TAG');
    expect(tags.map((t) => (t.kind === 'DECL_TAG' ? [t.name, btf.nameOf(t.type), t.componentIdx] : []))).toEqual(
      expect.arrayContaining([
        ['param_tag', 'helper', 0],
        ['func_tag', 'helper', -1],
        ['struct_tag', 'tagged', -1],
        ['field_tag', 'tagged', 0],
      ]),
    );
    const tt = decodeAll(btf).find((t) => t.kind === 'TYPE_TAG');
    expect(tt?.name).toBe('user');
    const kconfig = btf.type(id(btf, 'LINUX_KERNEL_VERSION', 'VAR'));
    expect(kconfig.kind === 'VAR' && kconfig.linkage).toBe(2);
    const stat = btf.type(id(btf, 'static_counter', 'VAR'));
    expect(stat.kind === 'VAR' && stat.linkage).toBe(0);
  });

  it('finds members through anonymous structs and unions', () => {
    const w = id(btf, 'with_anon', 'STRUCT');
    expect(findMember(btf, w, 'hi')).toMatchObject({ bitsOffset: 96, path: [1, 0, 1] });
    expect(findMember(btf, w, 'both')).toMatchObject({ bitsOffset: 64, path: [1, 1] });
    expect(findMember(btf, w, 'flex')?.bitsOffset).toBe(1024);
    expect(findMember(btf, w, 'missing')).toBeUndefined();
    expect(sizeOf(btf, w)).toBe(128);
  });

  it('resolves typedef and qualifier chains', () => {
    const vc = id(btf, 'vc_u64', 'TYPEDEF');
    const resolved = resolveType(btf, vc);
    expect(btf.type(resolved)).toMatchObject({ kind: 'INT', name: 'unsigned long long', size: 8 });
    expect(btf.kindOf(skipModifiers(btf, vc, true))).toBe(8); // the typedef itself
    expect(sizeOf(btf, vc)).toBe(8);
    const handlers = findMember(btf, id(btf, 'with_anon'), 'handlers')!;
    expect(sizeOf(btf, handlers.member.type)).toBe(32);
    checkChains(btf);
  });

  it('finds by name and kind, lowest id first', () => {
    expect(btf.findByName('int', 'INT')).toBe(btf.findAllByName('int')[0]);
    expect(btf.findByName('bits', 'UNION')).toBeUndefined();
    expect(btf.findByName('no_such_type')).toBeUndefined();
    expect(btf.findByName('')).toBeUndefined();
    expect(btf.nameOf(id(btf, 'bits'))).toBe('bits');
  });

  it('decodes big-endian BTF to the same types', () => {
    const be = fixtureBtf('bpfeb');
    expect(be.littleEndian).toBe(false);
    expect(decodeAll(be)).toEqual(decodeAll(btf));
  });

});

describe('findByName', () => {
  it('finds a DATASEC (from the DATASEC list, before any name index exists) as the name index does', () => {
    let n = 0;
    for (const f of allFixtures()) {
      const s = parseElf(readFixture(f.name, f.endian)).section('.BTF');
      if (!s) continue;
      const fresh = parseBtf(s.data);
      const indexed = parseBtf(s.data);
      const datasecs = decodeAll(indexed).filter((t) => t.kind === 'DATASEC');
      for (const name of [...datasecs.map((t) => t.name), '.no_such_section', '']) {
        const expected = indexed.findAllByName(name, 'DATASEC')[0];
        expect(fresh.findByName(name, 'DATASEC'), `${f.file} ${name}`).toBe(expected);
        if (expected !== undefined) n++;
      }
      // A name that is a DATASEC's and another kind's: the kind decides.
      for (const t of datasecs) expect(fresh.findByName(t.name, 'VAR')).toBe(indexed.findAllByName(t.name, 'VAR')[0]);
    }
    expect(n).toBeGreaterThan(10);
  });
});

describe('marshalBtf', () => {
  it('round-trips every fixture byte for byte', () => {
    let n = 0;
    for (const f of allFixtures()) {
      const elf = parseElf(readFixture(f.name, f.endian));
      const s = elf.section('.BTF');
      if (!s) continue;
      const btf = parseBtf(s.data);
      expect(Buffer.from(marshalBtf(btf)).equals(Buffer.from(s.data)), f.file).toBe(true);
      n++;
    }
    expect(n).toBeGreaterThan(5);
  });

  it.runIf(runWithKernelBtf)('round-trips vmlinux byte for byte', () => {
    const bytes = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
    expect(Buffer.from(marshalBtf(parseBtf(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('writes the other byte order on request', () => {
    const el = fixtureBtf('bpfel');
    const asBe = marshalBtf(el, { littleEndian: false });
    const s = parseElf(readFixture('btf_types', 'bpfeb')).section('.BTF')!;
    expect(Buffer.from(asBe).equals(Buffer.from(s.data))).toBe(true);
  });
});

/** A tiny BTF built from scratch: `int`, `struct pair { int a; int b; }`, `typedef pair pair_t`. */
function tinyBase(): { bytes: Uint8Array; strings: StringTable } {
  const strings = new StringTable();
  const types: BtfType[] = [
    { id: 1, kind: 'INT', name: 'int', nameOff: strings.add('int'), size: 4, encoding: BTF_INT_SIGNED, bitsOffset: 0, nrBits: 32 },
    {
      id: 2,
      kind: 'STRUCT',
      name: 'pair',
      nameOff: strings.add('pair'),
      size: 8,
      kindFlag: false,
      members: [
        { name: 'a', nameOff: strings.add('a'), type: 1, bitsOffset: 0, bitfieldSize: 0 },
        { name: 'b', nameOff: strings.add('b'), type: 1, bitsOffset: 32, bitfieldSize: 0 },
      ],
    },
    { id: 3, kind: 'TYPEDEF', name: 'pair_t', nameOff: strings.add('pair_t'), type: 2, kindFlag: false },
  ];
  return { bytes: encodeBtf(types, strings.bytes()), strings };
}

describe('split BTF', () => {
  it('continues ids and string offsets after the base', () => {
    const tiny = tinyBase();
    const base = parseBtf(tiny.bytes);
    expect(base.maxId).toBe(3);
    // Split strings start at the base's string length; offset 0 of the split section is
    // base.stringsLength.
    const off = base.stringsLength;
    const split = new StringTable(new Uint8Array([0x70, 0x70, 0, 0x6d, 0x6f, 0x64, 0])); // "pp\0mod\0"
    const types: BtfType[] = [
      { id: 4, kind: 'PTR', name: '', nameOff: 0, type: 3, kindFlag: false },
      {
        id: 5,
        kind: 'STRUCT',
        name: 'mod',
        nameOff: off + 3,
        size: 16,
        kindFlag: false,
        members: [
          { name: 'pp', nameOff: off, type: 4, bitsOffset: 0, bitfieldSize: 0 },
          { name: 'a', nameOff: tiny.strings.add('a'), type: 2, bitsOffset: 64, bitfieldSize: 0 },
        ],
      },
    ];
    const bytes = encodeBtf(types, split.bytes());
    const btf = parseBtf(bytes, { base });
    expect(btf.firstId).toBe(4);
    expect(btf.maxId).toBe(5);
    expect(btf.type(5)).toMatchObject({ name: 'mod', members: [{ name: 'pp', type: 4 }, { name: 'a' }] });
    expect(btf.type(2).name).toBe('pair'); // a base type, through the split BTF
    expect(btf.findByName('pair_t')).toBe(3);
    expect(btf.findByName('mod', 'STRUCT')).toBe(5);
    expect(sizeOf(btf, 5)).toBe(16);
    expect(resolveType(btf, btf.sizeOrTypeOf(4))).toBe(2);
    expect(Buffer.from(marshalBtf(btf)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe.runIf(runWithKernelBtf)('vmlinux', () => {
  const bytes = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
  const btf = parseBtf(bytes);

  it('finds well-known types and lays them out', () => {
    const task = id(btf, 'task_struct', 'STRUCT');
    expect(btf.findByName('task_struct')).toBe(task);
    const pid = findMember(btf, task, 'pid')!;
    expect(btf.nameOf(resolveType(btf, pid.member.type))).toBe('int');
    expect(sizeOf(btf, task)).toBe(btf.sizeOrTypeOf(task));
    expect(alignOf(btf, id(btf, 'sk_buff', 'STRUCT'))).toBeGreaterThanOrEqual(8);
    expect(btf.findByName('do_sys_openat2', 'FUNC')).toBeDefined();
    checkChains(btf);
  });

  it('finds every named type by name as the first of its name and kind', () => {
    // Compare the index with a linear scan over all types.
    const first = new Map<string, number>();
    for (let i = 1; i <= btf.maxId; i++) {
      const key = `${btf.kindOf(i)}:${btf.nameOf(i)}`;
      if (btf.nameOffOf(i) !== 0 && !first.has(key)) first.set(key, i);
    }
    // Every 4th name: the full set takes seconds through the test transpiler.
    let i = 0;
    for (const [key, want] of first) {
      if (i++ % 4 !== 0) continue;
      const colon = key.indexOf(':');
      expect(btf.findByName(key.slice(colon + 1), Number(key.slice(0, colon)))).toBe(want);
    }
  });
});
