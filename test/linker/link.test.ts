/**
 * The static linker (src/linker), without the kernel: what the output of linking the
 * linker_* fixtures holds, the errors for objects that cannot be linked, and two properties
 * over every fixture: linking one object gives an equivalent object, and linking is idempotent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { btfFromElf, decodeAll } from '../../src/btf/index.js';
import { parseElf, SHN_UNDEF, STB_GLOBAL, STB_LOCAL } from '../../src/elf/index.js';
import { TsbpfError } from '../../src/errors.js';
import { LinkError, linkObjects } from '../../src/linker/index.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { applyMutations, mutations } from '../helpers/mutate.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';

const input = (name: string, endian: 'bpfel' | 'bpfeb' = 'bpfel') => ({ name: `${name}.${endian}.o`, bytes: readFixture(name, endian) });
const link = (...names: string[]) => linkObjects(names.map((n) => input(n)));

function linkError(f: () => unknown): LinkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LinkError);
    return e as LinkError;
  }
  throw new Error('expected a LinkError');
}

describe('linking linker_a and linker_b (a shared header, calls both ways, an extern map and variable)', () => {
  const bytes = link('linker_a', 'linker_b');
  const elf = parseElf(bytes);
  const { btf, ext } = btfFromElf(elf)!;
  const types = decodeAll(btf);

  it('gives an object the object model reads: both programs, one map, the data sections', () => {
    const spec = parseObject(bytes, { fileName: 'ab.o' });
    expect([...spec.programs.keys()]).toEqual(['linker_prog_a', 'linker_prog_b']);
    expect([...spec.maps.keys()]).toEqual(['linker_events', 'ab.rodata', 'ab.data', 'ab.bss']);
    expect(spec.license).toBe('GPL');
    // linker_prog_a calls linker_scale (linker_b's) and linker_prog_b calls linker_add (linker_a's).
    const calls = (p: string) => spec.programs.get(p)!.instructions.flatMap((i) => (i.reference?.kind === 'call' ? [i.reference.func] : []));
    expect(calls('linker_prog_a')).toEqual(expect.arrayContaining(['linker_scale', 'linker_add', 'linker_pick']));
    expect(calls('linker_prog_b')).toEqual(expect.arrayContaining(['linker_scale', 'linker_add', 'linker_pick']));
    // The extern variable is the definition's: linker_b's reads go to .data, where linker_a put it.
    const data = spec.maps.get('ab.data')!;
    expect(data.variables!.map((v) => v.name)).toEqual(['linker_total']);
    expect(spec.programs.get('linker_prog_b')!.instructions.some((i) => i.reference?.kind === 'data' && i.reference.map === 'ab.data')).toBe(true);
    // The static variables of both objects, side by side in .bss.
    expect(spec.maps.get('ab.bss')!.variables!.map((v) => [v.name, v.offset])).toEqual([
      ['linker_calls', 0],
      ['linker_calls_b', 4],
    ]);
  });

  it('merges sections by name, each piece aligned, and keeps license once', () => {
    const a = parseElf(readFixture('linker_a'));
    const b = parseElf(readFixture('linker_b'));
    const size = (e: typeof a, n: string) => e.section(n)?.size ?? 0;
    expect(elf.section('socket')!.size).toBe(size(a, 'socket') + size(b, 'socket'));
    expect(elf.section('.text')!.size).toBe(size(a, '.text') + size(b, '.text'));
    expect(elf.section('.rodata')!.size).toBe(8);
    expect(elf.section('license')!.size).toBe(4);
    expect(elf.sections.filter((s) => s.name === 'license')).toHaveLength(1);
  });

  it('resolves globals: no extern is left, the strong linker_pick wins over the weak one', () => {
    const globals = elf.symbols.filter((s) => s.bind !== STB_LOCAL);
    expect(globals.filter((s) => s.sectionIndex === SHN_UNDEF)).toEqual([]);
    const names = globals.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const pick = globals.find((s) => s.name === 'linker_pick')!;
    expect(pick.bind).toBe(STB_GLOBAL);
    // linker_b's .text comes after linker_a's.
    expect(Number(pick.value)).toBeGreaterThanOrEqual(parseElf(readFixture('linker_a')).section('.text')!.size);
  });

  it("deduplicates BTF: the shared header's types appear once, and fewer types than the inputs hold", () => {
    const count = (kind: string, name: string) => types.filter((t) => t.kind === kind && t.name === name).length;
    for (const s of ['linker_event', 'linker_point', 'linker_map_def', '__sk_buff']) expect(count('STRUCT', s), s).toBe(1);
    for (const f of ['linker_add', 'linker_scale', 'linker_pick']) expect(count('FUNC', f), f).toBe(1);
    expect(types.find((t) => t.kind === 'FUNC' && t.name === 'linker_scale')).toMatchObject({ linkage: 1 });
    expect(count('VAR', 'linker_events')).toBe(1);
    const inputs = ['linker_a', 'linker_b'].map((n) => btfFromElf(parseElf(readFixture(n)))!.btf.typeCount);
    expect(types.length).toBeLessThan(inputs[0]! + inputs[1]!);
    // DATASECs are rebuilt with the output's sizes and offsets.
    const maps = types.find((t) => t.kind === 'DATASEC' && t.name === '.maps');
    expect(maps).toMatchObject({ size: 32, vars: [{ offset: 0, size: 32 }] });
  });

  it('moves .BTF.ext records with their instructions', () => {
    const aSocket = parseElf(readFixture('linker_a')).section('socket')!.size;
    const funcs = ext!.funcInfo.find((s) => s.section === 'socket')!.records;
    expect(funcs.map((r) => [btf.type(r.typeId).name, r.insnOff])).toEqual([
      ['linker_prog_a', 0],
      ['linker_prog_b', aSocket],
    ]);
    const files = new Set(ext!.lineInfo.flatMap((s) => s.records.map((r) => r.fileName)));
    expect([...files].sort()).toEqual(['./linker_a.bpf.c', './linker_b.bpf.c']);
    const lines = ext!.lineInfo.find((s) => s.section === 'socket')!.records;
    expect(lines.find((r) => r.insnOff === aSocket)!.lineText).toContain('linker_prog_b');
    // linker_b's CO-RE record, moved past linker_a's code, its type the deduplicated struct.
    const bRelos = btfFromElf(parseElf(readFixture('linker_b')))!.ext!.coreRelos.find((s) => s.section === 'socket')!.records;
    const relos = ext!.coreRelos.find((s) => s.section === 'socket')!.records;
    expect(relos.map((r) => [r.insnOff, r.kind, r.accessStr, btf.type(r.typeId).name])).toEqual(
      bRelos.map((r) => [r.insnOff + aSocket, r.kind, r.accessStr, 'linker_point']),
    );
  });

  it('keeps local symbols of the same name apart (linker_c reuses linker_a\'s static names)', () => {
    const ac = parseElf(link('linker_a', 'linker_c'));
    const helpers = ac.symbols.filter((s) => s.name === 'helper_a');
    expect(helpers.map((s) => s.bind)).toEqual([STB_LOCAL, STB_LOCAL]);
    expect(helpers[0]!.value).not.toBe(helpers[1]!.value);
    const calls = ac.symbols.filter((s) => s.name === 'linker_calls');
    expect(calls.map((s) => Number(s.value))).toEqual([0, 4]);
  });
});

describe('objects that cannot be linked', () => {
  it('two strong definitions of one symbol', () => {
    const e = linkError(() => link('linker_b', 'linker_c'));
    expect(e.symbol).toBe('linker_scale');
    expect(e.object).toBe('linker_c.bpfel.o');
    expect(e.message).toMatch(/conflicting non-weak definitions .*first in 'linker_b\.bpfel\.o'/);
  });

  it('an extern nobody defines (unless allowUnresolved)', () => {
    const e = linkError(() => link('linker_a'));
    expect(e.symbol).toBe('linker_scale');
    expect(e.object).toBe('linker_a.bpfel.o');
    expect(e.message).toMatch(/unresolved extern/);
    expect(['linker_events', 'linker_total', 'linker_add']).toContain(linkError(() => link('linker_b')).symbol);
    expect(() => linkObjects([input('linker_b')], { allowUnresolved: true })).not.toThrow();
  });

  it('an extern whose type differs from the definition', () => {
    const e = linkError(() => link('linker_a', 'linker_d'));
    expect(e.symbol).toBe('linker_scale');
    expect(e.object).toBe('linker_d.bpfel.o');
    expect(e.message).toMatch(/type does not match its declaration in 'linker_a\.bpfel\.o': incompatible number of FUNC_PROTO params 1 and 2/);
  });

  it('objects of different byte orders, non-BPF input, no input', () => {
    expect(linkError(() => linkObjects([input('minimal'), input('minimal', 'bpfeb')])).message).toMatch(/byte order/);
    const bad = linkError(() => linkObjects([{ name: 'x.o', bytes: new TextEncoder().encode('not an elf file at all, clearly') }]));
    expect(bad.object).toBe('x.o');
    expect(bad.cause).toBeInstanceOf(TsbpfError);
    expect(() => linkObjects([])).toThrow(LinkError);
  });
});

/** What a loader sees of an object: programs (instructions and what they refer to) and maps. */
function essence(spec: ObjectSpec) {
  return {
    programs: [...spec.programs.values()].map((p) => ({
      name: p.name,
      section: p.section,
      type: p.type,
      license: p.license,
      insns: p.instructions.map((i) => [i.opcode, i.dst, i.src, i.off, i.imm, i.imm64, i.reference, i.func, i.line?.lineText, i.coreRelo?.accessStr]),
    })),
    maps: [...spec.maps.values()].map((m) => ({
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      data: m.data ? [...m.data] : undefined,
      variables: m.variables?.map((v) => [v.name, v.offset, v.size, v.isStatic]),
    })),
    externs: spec.externs.map((e) => [e.name, e.kind, e.weak]),
  };
}

/** The types of an object's BTF, without string offsets. */
function btfTypes(bytes: Uint8Array): unknown {
  const btf = btfFromElf(parseElf(bytes));
  return btf ? JSON.parse(JSON.stringify(decodeAll(btf.btf), (k, v) => (k === 'nameOff' ? undefined : typeof v === 'bigint' ? v.toString() : v))) : undefined;
}

describe('properties', () => {
  const fixtures = allFixtures();
  const parses = (bytes: Uint8Array) => {
    try {
      return parseObject(bytes, { fileName: 'x.o' });
    } catch {
      return undefined;
    }
  };

  it('linking one object gives an equivalent object, and linking that again changes nothing', () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), (f) => {
        const once = linkObjects([{ name: f.file, bytes: readFixture(f.name, f.endian) }], { allowUnresolved: true });
        const twice = linkObjects([{ name: 'once.o', bytes: once }], { allowUnresolved: true });
        // The same sections and types; only the order of BTF strings may change (libbpf's too).
        const sections = (b: Uint8Array) => parseElf(b).sections.filter((s) => !s.name.startsWith('.BTF')).map((s) => [s.name, s.type, s.size, [...s.data]]);
        expect(sections(twice), f.file).toEqual(sections(once));
        expect(btfTypes(twice), f.file).toEqual(btfTypes(once));
        const original = parses(readFixture(f.name, f.endian));
        if (!original) return; // unlinked halves (linker_b): nothing to compare with
        compared++;
        expect(essence(parseObject(once, { fileName: 'x.o' })), f.file).toEqual(essence(original));
      }),
      { numRuns: fixtures.length * 2 },
    );
    expect(compared).toBeGreaterThan(20);
  });

  it('raises only typed errors on 500 mutated objects', () => {
    const bases = fixtures.filter((f) => !f.name.startsWith('verifier_')).map((f) => readFixture(f.name, f.endian));
    let linked = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }).chain((i) => fc.tuple(fc.constant(i), mutations(bases[i]!.length))),
        ([i, muts]) => {
          try {
            linkObjects([{ name: 'm.o', bytes: applyMutations(bases[i]!, muts) }], { allowUnresolved: true });
            linked++;
          } catch (e) {
            if (!(e instanceof TsbpfError)) throw e;
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(linked).toBeGreaterThan(10);
  });
});
