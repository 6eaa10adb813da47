import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_BTF_FEATURES,
  BtfError,
  btfFromElf,
  encodeBtf,
  parseBtf,
  sanitizeBtf,
  StringTable,
  type Btf,
  type BtfFeatures,
  type BtfType,
} from '../../src/btf/index.js';
import { parseElf, type ElfFile } from '../../src/elf/index.js';
import { linkObjects } from '../../src/linker/index.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';
import { referenceSanitizeBtf } from './sanitize-reference.js';

const elf = parseElf(readFixture('btf_types'));
const { btf } = btfFromElf(elf)!;

function datasec(types: BtfType[], name: string): Extract<BtfType, { kind: 'DATASEC' }> {
  const t = types.find((x) => x.kind === 'DATASEC' && x.name === name);
  if (!t || t.kind !== 'DATASEC') throw new Error(`no DATASEC ${name}`);
  return t;
}

describe('sanitizeBtf: DATASEC fix-up from the ELF object', () => {
  const out = sanitizeBtf(btf, ALL_BTF_FEATURES, { elf });
  const again = parseBtf(out.bytes);

  it('takes section sizes from the ELF sections and offsets from the symbols', () => {
    for (const name of ['.data', '.bss', '.rodata', '.maps', 'license']) {
      const t = datasec(out.types, name);
      expect(t.size, name).toBe(elf.section(name)!.size);
      for (const v of t.vars) {
        const vt = out.types[v.type - 1]!;
        const sym = elf.symbols.find((s) => s.name === vt.name && s.sectionIndex === elf.section(name)!.index)!;
        expect(v.offset, vt.name).toBe(Number(sym.value));
      }
      // Sorted by offset.
      expect(t.vars.map((v) => v.offset)).toEqual([...t.vars.map((v) => v.offset)].sort((a, b) => a - b));
    }
    expect(out.datasecSizes.get('.data')).toBe(elf.section('.data')!.size);
  });

  it('lays out .kconfig externs and makes them allocated globals', () => {
    const k = datasec(out.types, '.kconfig');
    expect(k.size).toBe(8);
    expect(out.externs.map((e) => [e.name, e.offset, e.size])).toEqual([
      ['CONFIG_HZ', 0, 4],
      ['LINUX_KERNEL_VERSION', 4, 4],
    ]);
    for (const v of k.vars) expect(out.types[v.type - 1]).toMatchObject({ kind: 'VAR', linkage: 1 });
  });

  it('produces BTF that parses again with the same type count', () => {
    expect(again.maxId).toBe(btf.maxId);
    expect(again.type(datasec(out.types, '.bss').id)).toMatchObject({ size: elf.section('.bss')!.size });
  });

  it('leaves the input untouched', () => {
    expect(btf.type(datasec(out.types, '.data').id)).toMatchObject({ size: 0 });
  });
});

describe('sanitizeBtf: downgrade for kernels without new kinds', () => {
  const none: BtfFeatures = {
    btfFunc: false,
    btfFuncGlobal: false,
    btfDatasec: false,
    btfQmarkDatasec: false,
    btfFloat: false,
    btfDeclTag: false,
    btfTypeTag: false,
    btfEnum64: false,
  };

  it('with no features, only pre-5.0 kinds remain and ids do not move', () => {
    const out = sanitizeBtf(btf, none, { elf });
    const again = parseBtf(out.bytes);
    const kinds = new Set(out.types.map((t) => t.kind));
    for (const k of ['FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64']) expect(kinds.has(k as BtfType['kind']), k).toBe(false);
    // Every original id keeps its place; placeholders are appended after the last one.
    for (let id = 1; id <= btf.maxId; id++) expect(out.types[id - 1]!.id).toBe(id);
    expect(again.maxId).toBeGreaterThan(btf.maxId);
    const placeholder = again.findByName('enum64_placeholder', 'INT');
    expect(placeholder).toBeGreaterThan(btf.maxId);
    const big = again.type(btf.findByName('big_enum')!);
    expect(big).toMatchObject({ kind: 'UNION', size: 8 });
    expect(again.type(btf.findByName('small_enum')!)).toMatchObject({ kind: 'ENUM', signed: false });
    expect(again.type(btf.findByName('_data', 'STRUCT') ?? again.findByName('_data', 'STRUCT')!)).toMatchObject({ kind: 'STRUCT' });
    expect(again.type(btf.findByName('helper')!)).toMatchObject({ kind: 'TYPEDEF' });
    const float = out.types.find((t) => t.id === btf.findByName('float'));
    expect(float).toMatchObject({ kind: 'STRUCT', name: '', size: 4, members: [] });
  });

  it('a kernel with FUNC but no global FUNC gets static linkage', () => {
    const out = sanitizeBtf(btf, { ...ALL_BTF_FEATURES, btfFuncGlobal: false });
    const prog = out.types.find((t) => t.name === 'btf_prog_a')!;
    expect(prog).toMatchObject({ kind: 'FUNC', linkage: 0 });
  });

  it('with every feature and no ELF, the BTF is unchanged', () => {
    const out = sanitizeBtf(btf, ALL_BTF_FEATURES);
    expect(Buffer.from(out.bytes).equals(Buffer.from(elf.section('.BTF')!.data))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// The in-place implementation against the old decode/encode one (test/btf/sanitize-reference.ts,
// a frozen copy): same bytes, externs, DATASEC sizes, and the same errors.

const FEATURE_KEYS = ['btfFunc', 'btfFuncGlobal', 'btfDatasec', 'btfQmarkDatasec', 'btfFloat', 'btfDeclTag', 'btfTypeTag', 'btfEnum64'] as const;

const NO_FEATURES: BtfFeatures = Object.fromEntries(FEATURE_KEYS.map((k) => [k, false])) as unknown as BtfFeatures;

/** Feature set number `mask` of the 256: bit i is FEATURE_KEYS[i]. */
function featureSet(mask: number): BtfFeatures {
  return Object.fromEntries(FEATURE_KEYS.map((k, i) => [k, ((mask >> i) & 1) === 1])) as unknown as BtfFeatures;
}

/** Every feature, none, each one missing, each one alone. */
const FEATURE_MIXES: BtfFeatures[] = [
  ALL_BTF_FEATURES,
  NO_FEATURES,
  ...FEATURE_KEYS.map((k) => ({ ...ALL_BTF_FEATURES, [k]: false })),
  ...FEATURE_KEYS.map((k) => ({ ...NO_FEATURES, [k]: true })),
];

/** What one implementation gave (bytes in hex: deep equality on a Buffer is slow). */
type Outcome = { error: string } | { bytes: string; externs: unknown; datasecSizes: unknown };

function outcome(run: () => { bytes: Uint8Array; externs: unknown; datasecSizes: Map<string, number> }): Outcome {
  try {
    const r = run();
    return { bytes: Buffer.from(r.bytes).toString('hex'), externs: r.externs, datasecSizes: [...r.datasecSizes] };
  } catch (e) {
    expect(e, 'only BtfError may escape').toBeInstanceOf(BtfError);
    return { error: (e as Error).message };
  }
}

/** Compares both implementations on one input; returns what they gave. */
function expectSameAsReference(b: Btf, features: BtfFeatures, options: { elf?: ElfFile }, label: string): Outcome {
  const ours = outcome(() => sanitizeBtf(b, features, options));
  const reference = outcome(() => referenceSanitizeBtf(b, features, options));
  expect(ours, `${label} ${JSON.stringify(features)}`).toEqual(reference);
  return ours;
}

const linkInput = (name: string) => ({ name, bytes: readFixture(name) });

/** Every fixture object (both byte orders), and two statically linked ones. */
const objects: { label: string; elf: ElfFile; btf: Btf }[] = [
  ...allFixtures().map((f) => ({ label: f.file, bytes: readFixture(f.name, f.endian) })),
  { label: 'linker_a+linker_c', bytes: linkObjects([linkInput('linker_a'), linkInput('linker_c')]) },
  { label: 'linker_a+linker_b', bytes: linkObjects([linkInput('linker_a'), linkInput('linker_b')]) },
].flatMap(({ label, bytes }) => {
  const e = parseElf(bytes);
  const found = btfFromElf(e);
  return found ? [{ label, elf: e, btf: found.btf }] : [];
});

describe('sanitizeBtf patches in place what the decode/encode reference rewrote', () => {
  it('covers big-endian objects and objects with externs, kfuncs and ENUM64', () => {
    expect(objects.filter((o) => !o.btf.littleEndian).length).toBeGreaterThan(3);
    const kinds = (o: (typeof objects)[number]) => new Set([...o.btf.types()].map((t) => `${t.kind} ${t.kind === 'DATASEC' ? t.name : ''}`));
    const all = new Set(objects.flatMap((o) => [...kinds(o)]));
    for (const k of ['DATASEC .ksyms', 'DATASEC .kconfig', 'ENUM64 ', 'FLOAT ', 'DECL_TAG ', 'TYPE_TAG ']) expect(all.has(k), k).toBe(true);
  });

  it('gives the same bytes for every fixture under every feature mix, with and without the ELF object', () => {
    let compared = 0;
    for (const o of objects) {
      for (const features of FEATURE_MIXES) {
        expectSameAsReference(o.btf, features, { elf: o.elf }, `${o.label} with ELF`);
        expectSameAsReference(o.btf, features, {}, `${o.label} without ELF`);
        compared += 2;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('gives the same bytes under all 256 feature sets for the objects with the most kinds', () => {
    for (const o of objects.filter((x) => /^(btf_types|loader|globals|matrix_module_kfunc)\./.test(x.label) || x.label.startsWith('linker_a+'))) {
      for (let mask = 0; mask < 256; mask++) expectSameAsReference(o.btf, featureSet(mask), { elf: o.elf }, o.label);
    }
  });

  it('writes the output in the BTF byte order, whatever the host', () => {
    for (const o of objects) {
      // Without the ELF object a DATASEC keeps size 0: as a STRUCT it would not parse again.
      const out = sanitizeBtf(o.btf, { ...NO_FEATURES, btfDatasec: true });
      expect([...out.bytes.subarray(0, 2)], o.label).toEqual(o.btf.littleEndian ? [0x9f, 0xeb] : [0xeb, 0x9f]);
      expect(parseBtf(out.bytes).littleEndian).toBe(o.btf.littleEndian);
    }
  });

  it('on a modern kernel, the output is the input laid out again: same type and string section lengths', () => {
    const o = objects.find((x) => x.label === 'collection_many.bpfel.o')!;
    const out = sanitizeBtf(o.btf, ALL_BTF_FEATURES, { elf: o.elf });
    const h = parseBtf(out.bytes).header;
    expect([h.hdrLen, h.typeOff, h.typeLen, h.strOff, h.strLen]).toEqual([24, 0, o.btf.header.typeLen, o.btf.header.typeLen, o.btf.header.strLen]);
    expect(out.bytes.length).toBe(24 + o.btf.header.typeLen + o.btf.header.strLen);
  });

  it('decodes `types` from the output bytes, once', () => {
    const out = sanitizeBtf(btf, NO_FEATURES, { elf });
    expect(out.types).toBe(out.types);
    expect(out.types).toEqual([...parseBtf(out.bytes).types()]);
    expect(out.types.length).toBe(parseBtf(out.bytes).maxId);
  });
});

/** A BTF with every kind a rule touches, built by hand (no ELF object: no fix-ups). */
function handMadeBtf(littleEndian: boolean): Btf {
  const strings = new StringTable();
  const n = (s: string) => strings.add(s);
  // Offset of an empty string that is not offset 0: the NUL appended after the last name.
  const names = {
    int: n('int'), float: n('float'), user: n('user'), tag: n('tag'), sgn: n('sgn'), A: n('A'), B: n('B'), big: n('big'), X: n('X'), Y: n('Y'),
    a: n('a'), f: n('f'), g: n('g'), v: n('v'), w: n('w'), z: n('z'), opt: n('?.data.opt'), ro: n('.rodata.x'), arg0: n('arg0'),
  };
  const stringBytes = new Uint8Array([...strings.bytes(), 0]);
  const emptyAt = stringBytes.length - 1;
  const t = (x: Record<string, unknown>) => ({ name: '', ...x }) as unknown as BtfType;
  const types: BtfType[] = [
    t({ id: 1, kind: 'INT', nameOff: names.int, size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 }),
    t({ id: 2, kind: 'FLOAT', nameOff: names.float, size: 4 }),
    t({ id: 3, kind: 'TYPE_TAG', nameOff: names.user, type: 1, kindFlag: false }),
    t({ id: 4, kind: 'PTR', nameOff: 0, type: 3, kindFlag: false }),
    t({ id: 5, kind: 'DECL_TAG', nameOff: names.tag, type: 9, componentIdx: 0, kindFlag: false }),
    t({ id: 6, kind: 'ENUM', nameOff: names.sgn, size: 4, signed: true, values: [{ nameOff: names.A, value: -1 }, { nameOff: names.B, value: 2 }] }),
    t({ id: 7, kind: 'ENUM64', nameOff: names.big, size: 8, signed: true, values: [{ nameOff: names.X, value: 1n << 40n }, { nameOff: names.Y, value: -1n }] }),
    // Params: unnamed, named by an empty string at a non-zero offset, named, and `...` (type 0).
    t({ id: 8, kind: 'FUNC_PROTO', nameOff: 0, returnType: 1, params: [{ nameOff: 0, type: 1 }, { nameOff: emptyAt, type: 4 }, { nameOff: names.a, type: 1 }, { nameOff: 0, type: 0 }] }),
    t({ id: 9, kind: 'FUNC', nameOff: names.f, type: 8, linkage: 1 }),
    t({ id: 10, kind: 'FUNC', nameOff: names.g, type: 8, linkage: 0 }),
    // A prototype no FUNC uses: its unnamed parameter is named only when it becomes an ENUM.
    t({ id: 11, kind: 'FUNC_PROTO', nameOff: 0, returnType: 0, params: [{ nameOff: 0, type: 1 }, { nameOff: names.arg0, type: 1 }] }),
    t({ id: 12, kind: 'VAR', nameOff: names.v, type: 1, linkage: 0 }),
    t({ id: 13, kind: 'VAR', nameOff: names.w, type: 2, linkage: 1 }),
    t({ id: 14, kind: 'VAR', nameOff: names.z, type: 1, linkage: 1 }),
    t({ id: 15, kind: 'DATASEC', nameOff: names.opt, size: 8, vars: [{ type: 13, offset: 4, size: 4 }, { type: 12, offset: 0, size: 4 }] }),
    t({ id: 16, kind: 'DATASEC', nameOff: names.ro, size: 4, vars: [{ type: 14, offset: 0, size: 4 }] }),
  ];
  return parseBtf(encodeBtf(types, stringBytes, { littleEndian }));
}

describe('sanitizeBtf on hand-made BTF with every rewritten kind', () => {
  for (const littleEndian of [true, false]) {
    it(`matches the reference under all 256 feature sets (${littleEndian ? 'little' : 'big'}-endian)`, () => {
      const b = handMadeBtf(littleEndian);
      for (let mask = 0; mask < 256; mask++) expectSameAsReference(b, featureSet(mask), {}, `hand-made mask ${mask}`);
    });
  }

  it('renames `?` DATASECs, names parameters, and appends the ENUM64 placeholder after the last type', () => {
    const b = handMadeBtf(true);
    const out = parseBtf(sanitizeBtf(b, { ...ALL_BTF_FEATURES, btfQmarkDatasec: false, btfEnum64: false, btfFunc: false }).bytes);
    expect(out.type(15)).toMatchObject({ kind: 'DATASEC', name: '_.data.opt' });
    expect(out.type(8)).toMatchObject({ kind: 'ENUM', size: 4, values: [{ name: 'arg0', value: 1 }, { name: 'arg1', value: 4 }, { name: 'a' }, { name: 'arg3', value: 0 }] });
    expect(out.type(11)).toMatchObject({ kind: 'ENUM', values: [{ name: 'arg0' }, { name: 'arg0' }] });
    expect(out.type(17)).toMatchObject({ kind: 'INT', name: 'enum64_placeholder', size: 1, nrBits: 8 });
    expect(out.type(7)).toMatchObject({ kind: 'UNION', name: 'big', size: 8, members: [{ name: 'X', type: 17, bitsOffset: 0 }, { name: 'Y', type: 17 }] });
    expect(out.type(6)).toMatchObject({ kind: 'ENUM', signed: false, values: [{ value: 0xffffffff }, { value: 2 }] });
    // 'arg0' was already a string: it is reused, not appended again.
    const strings = new TextDecoder().decode(out.stringBytes).split('\0');
    expect(strings.filter((s) => s === 'arg0')).toHaveLength(1);
  });

  it('names the arguments of FUNCs on a modern kernel, except `...`', () => {
    const out = parseBtf(sanitizeBtf(handMadeBtf(false), ALL_BTF_FEATURES).bytes);
    expect(out.type(8)).toMatchObject({ kind: 'FUNC_PROTO', params: [{ name: 'arg0' }, { name: 'arg1' }, { name: 'a' }, { name: '', type: 0 }] });
    expect(out.type(11)).toMatchObject({ kind: 'FUNC_PROTO', params: [{ name: '' }, { name: 'arg0' }] });
  });
});

describe('sanitizeBtf on split BTF', () => {
  it('gives new names offsets after the base strings', () => {
    const baseStrings = new StringTable();
    const base = parseBtf(encodeBtf([{ id: 1, kind: 'INT', name: 'int', nameOff: baseStrings.add('int'), size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 }], baseStrings.bytes()));
    // Own strings of split BTF continue the base's: offset base.stringsLength + local.
    const own = new TextEncoder().encode('kfunc\0');
    const split = parseBtf(
      encodeBtf(
        [
          { id: 2, kind: 'FUNC_PROTO', name: '', nameOff: 0, returnType: 1, params: [{ name: '', nameOff: 0, type: 1 }] },
          { id: 3, kind: 'FUNC', name: 'kfunc', nameOff: base.stringsLength, type: 2, linkage: 1 },
        ],
        own,
      ),
      { base },
    );
    const out = sanitizeBtf(split, ALL_BTF_FEATURES);
    expect(out.types).toMatchObject([{ kind: 'FUNC_PROTO', params: [{ name: 'arg0' }] }, { kind: 'FUNC', name: 'kfunc' }]);
    expect((out.types[0] as Extract<BtfType, { kind: 'FUNC_PROTO' }>).params[0]!.nameOff).toBeGreaterThanOrEqual(base.stringsLength);
  });
});

describe('sanitizeBtf with damaged input matches the reference', () => {
  const SYM_SIZE = 24; // Elf64_Sym: st_name, st_info, st_other, st_shndx, st_value, st_size

  /** An Elf64_Sym/Elf64_Shdr field written in the file's byte order. */
  function patch(bytes: Uint8Array, le: boolean, at: number, width: 1 | 8, value: bigint): Uint8Array {
    const out = bytes.slice();
    const v = new DataView(out.buffer);
    if (width === 1) v.setUint8(at, Number(value));
    else v.setBigUint64(at, value, le);
    return out;
  }

  it('a hidden global becomes static, as in the reference', () => {
    const bytes = readFixture('globals');
    const e = parseElf(bytes);
    const b = btfFromElf(e)!.btf;
    const data = e.section('.data')!;
    const global = e.symbols.find((s) => s.sectionIndex === data.index && s.bind === 1 && s.name !== '')!;
    const varId = b.findByName(global.name, 'VAR')!;
    expect(b.type(varId)).toMatchObject({ linkage: 1 });
    const hidden = patch(bytes, true, e.section('.symtab')!.offset + global.index * SYM_SIZE + 5, 1, 2n); // st_other = STV_HIDDEN
    const he = parseElf(hidden);
    const out = sanitizeBtf(b, ALL_BTF_FEATURES, { elf: he });
    expect(parseBtf(out.bytes).type(varId)).toMatchObject({ kind: 'VAR', name: global.name, linkage: 0 });
    expectSameAsReference(b, ALL_BTF_FEATURES, { elf: he }, 'hidden global');
  });

  it('symbol values, visibilities and section sizes changed at random', () => {
    const inputs = (['btf_types', 'globals', 'loader', 'gen_skeleton'] as const).map((name) => {
      const bytes = readFixture(name);
      const e = parseElf(bytes);
      const b = btfFromElf(e)!.btf;
      const sections = [...b.types()].flatMap((t) => (t.kind === 'DATASEC' && e.section(t.name) ? [e.section(t.name)!] : []));
      const symbols = e.symbols.filter((sym) => sections.some((sec) => sec.index === sym.sectionIndex));
      return { name, bytes, e, btf: b, sections, symbols };
    });
    // Values below 2^32: larger ones fail in both, but at different moments (see the test below).
    const change = fc.oneof(
      fc.record({ field: fc.constant('st_value' as const), pick: fc.nat(), value: fc.oneof(fc.constantFrom(0n, 4n, 8n, 0xffffffffn), fc.bigInt(0n, 0x1000n)) }),
      fc.record({ field: fc.constant('st_other' as const), pick: fc.nat(), value: fc.bigInt(0n, 3n) }),
      fc.record({ field: fc.constant('sh_size' as const), pick: fc.nat(), value: fc.oneof(fc.constantFrom(0n, 1n, 0xffffffffn), fc.bigInt(0n, 0x1000n)) }),
    );
    let checked = 0;
    fc.assert(
      fc.property(fc.nat({ max: inputs.length - 1 }), fc.array(change, { minLength: 1, maxLength: 3 }), fc.nat({ max: 255 }), (which, changes, mask) => {
        const { name, bytes: original, e, btf: b, sections, symbols } = inputs[which]!;
        let bytes = original;
        for (const c of changes) {
          if (c.field === 'sh_size') {
            const sec = sections[c.pick % sections.length]!;
            bytes = patch(bytes, true, e.header.shoff + sec.index * e.header.shentsize + 32, 8, c.value);
          } else {
            const sym = symbols[c.pick % symbols.length]!;
            const at = e.section('.symtab')!.offset + sym.index * SYM_SIZE;
            bytes = c.field === 'st_value' ? patch(bytes, true, at + 8, 8, c.value) : patch(bytes, true, at + 5, 1, c.value);
          }
        }
        let damaged: ElfFile;
        try {
          damaged = parseElf(bytes);
        } catch {
          return; // the ELF parser refused it: nothing for sanitizeBtf
        }
        expectSameAsReference(b, featureSet(mask), { elf: damaged }, `${name} ${JSON.stringify(changes, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
        checked++;
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('a section size past 2^32 is a BtfError, as in the reference', () => {
    const bytes = readFixture('globals');
    const e = parseElf(bytes);
    const b = btfFromElf(e)!.btf;
    const bss = e.section('.bss')!; // SHT_NOBITS: any size parses
    const damaged = parseElf(patch(bytes, true, e.header.shoff + bss.index * e.header.shentsize + 32, 8, 1n << 32n));
    const got = expectSameAsReference(b, ALL_BTF_FEATURES, { elf: damaged }, 'huge .bss');
    expect(got).toEqual({ error: expect.stringMatching(/DATASEC: size 4294967296 does not fit in a u32$/) });
  });

  it('mutated BTF: the same errors, or the same types', () => {
    const e = parseElf(readFixture('btf_types'));
    const raw = e.section('.BTF')!.data.slice();
    const decoded = (hex: string) => {
      try {
        // A signed ENUM made unsigned: the reference's objects kept the signed values.
        return [...parseBtf(Buffer.from(hex, 'hex')).types()].map((t) => (t.kind === 'ENUM' ? { ...t, values: t.values.map((v) => ({ ...v, value: v.value >>> 0 })) } : t));
      } catch (err) {
        return (err as Error).message;
      }
    };
    let checked = 0;
    fc.assert(
      fc.property(mutations(raw.length), fc.nat({ max: 255 }), fc.boolean(), (m, mask, withElf) => {
        let b: Btf;
        try {
          b = parseBtf(applyMutations(raw, m));
        } catch {
          return;
        }
        const features = featureSet(mask);
        const options = withElf ? { elf: e } : {};
        const ours = outcome(() => sanitizeBtf(b, features, options));
        const reference = outcome(() => referenceSanitizeBtf(b, features, options));
        if ('error' in reference || 'error' in ours) {
          expect(ours).toEqual(reference);
        } else {
          // The reference also rewrote fields its decoder does not read (an ARRAY's or FWD's
          // size word, an INT's top encoding bits): compare what the kernel would decode.
          expect(decoded(ours.bytes)).toEqual(decoded(reference.bytes));
          expect([ours.externs, ours.datasecSizes]).toEqual([reference.externs, reference.datasecSizes]);
        }
        checked++;
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});
