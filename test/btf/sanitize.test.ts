import { describe, expect, it } from 'vitest';
import { ALL_BTF_FEATURES, btfFromElf, parseBtf, sanitizeBtf, type BtfFeatures, type BtfType } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { readFixture } from '../helpers/fixtures.js';

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
