/**
 * Bad CO-RE input: malformed core_relo records give a typed {@link CoreError} that names the
 * program, the relocation and the instruction; a field missing from the target poisons the
 * instruction; nothing crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreError, computeFixups } from '../../src/core/index.js';
import type { ObjectSpec } from '../../src/object/index.js';
import { loadSpec, targetBtf } from './helpers.js';

const targetA = targetBtf('core_target_a');

/** core_relos with relocation #`index` of section `socket` edited. */
function withRecord(index: number, edit: { accessStr?: string; typeId?: number; kind?: number }): ObjectSpec {
  const spec = loadSpec('core_relos');
  const record = spec.btfExt!.coreRelos.find((s) => s.section === 'socket')!.records[index]!;
  // Instructions share the record object with .BTF.ext, so the edit reaches both.
  Object.assign(record, edit);
  return spec;
}

function coreError(fn: () => unknown): CoreError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a CoreError').toBeInstanceOf(CoreError);
  return caught as CoreError;
}

describe('malformed core_relo records', () => {
  // Relocation #0 of core_relos is `bpf_core_field_offset(pt->z)`: [core_point] 0:2, byte_off.
  const cases: [string, { accessStr?: string; typeId?: number; kind?: number }, RegExp][] = [
    ['an access string deeper than the type', { accessStr: '0:2:1' }, /access string '0:2:1' is deeper than the type: index #2 \(1\) applies to \[\d+\] INT 'long'/],
    ['a member index past the struct', { accessStr: '0:99' }, /names member #99 of \[\d+\] STRUCT 'core_point', which has 15/],
    ['an array index past the array', { accessStr: '0:5:4' }, /indexes element 4 of \[\d+\] ARRAY, which has 4/],
    ['an empty access string', { accessStr: '' }, /access string '' is malformed/],
    ['a leading colon', { accessStr: ':0' }, /access string ':0' is malformed/],
    ['an empty index', { accessStr: '0::1' }, /access string '0::1' is malformed/],
    ['a negative index', { accessStr: '0:-1' }, /access string '0:-1' is malformed/],
    ['letters', { accessStr: '0:x' }, /access string '0:x' is malformed/],
    ['too many accessors', { accessStr: Array(65).fill('0').join(':') }, /longer than 64 accessors/],
    ['a type id out of range', { typeId: 99999 }, /<byte_off>: type id 99999 out of range \(1\.\.\d+\)/],
    ['type id 0', { typeId: 0 }, /type id 0 out of range/],
    ['an unknown kind', { kind: 13 }, /unknown CO-RE relocation kind 13/],
    ['a huge kind', { kind: 0xffffffff }, /unknown CO-RE relocation kind 4294967295/],
    ['a type-based kind with a field access', { kind: 8 }, /access string '0:2' is invalid \(type-based relocations use '0'\)/],
    ['an enumerator kind on a struct', { kind: 10, accessStr: '0' }, /is for an enumerator but \[\d+\] STRUCT 'core_point' is not an enum/],
  ];
  for (const [what, edit, pattern] of cases) {
    it(what, () => {
      const e = coreError(() => computeFixups(withRecord(0, edit), targetA));
      expect(e.message).toMatch(pattern);
      expect(e).toMatchObject({ program: 'core_fields', relocation: 0, insn: 0 });
      expect(e.message).toMatch(/^program 'core_fields': relocation #0 \(insn #0, core_relos\.bpf\.c:\d+\): /);
    });
  }

  it('an enumerator index past the enum', () => {
    // Relocation #44 is bpf_core_enum_value_exists(enum core_color, CORE_BLUE): access '2'.
    const e = coreError(() => computeFixups(withRecord(44, { accessStr: '7' }), targetA));
    expect(e.detail).toMatch(/names enumerator #7 but the enum has 3/);
    expect(e.program).toBe('core_enums');
  });

  it('an enumerator access with two indices', () => {
    const e = coreError(() => computeFixups(withRecord(44, { accessStr: '0:1' }), targetA));
    expect(e.detail).toMatch(/is deeper than the enum/);
  });

  it('a relocation against an anonymous type', () => {
    const spec = loadSpec('core_relos');
    const anon = spec.btf!.findAllByName('core_point')[0]!;
    // The anonymous union inside core_point.
    const point = spec.btf!.type(anon);
    const unionId = point.kind === 'STRUCT' ? point.members.find((m) => m.name === '')!.type : 0;
    const record = spec.btfExt!.coreRelos[0]!.records[0]!;
    Object.assign(record, { typeId: unionId, accessStr: '0:0' });
    const e = coreError(() => computeFixups(spec, targetA));
    expect(e.detail).toMatch(/relocations against anonymous types are not supported/);
  });

  it('an object with relocations but no BTF', () => {
    const spec = loadSpec('core_relos');
    const e = coreError(() => computeFixups({ ...spec, btf: undefined }, targetA));
    expect(e.message).toMatch(/^program 'core_fields': insn #0, core_relos\.bpf\.c:\d+: the object has CO-RE relocations but no BTF$/);
  });
});

describe('missing fields and types', () => {
  it('poisons a field the target lacks, and only that instruction', () => {
    const spec = loadSpec('core_relos');
    const fixups = computeFixups(spec, targetBtf('core_target_c'), { programs: ['core_missing'] });
    expect(fixups).toHaveLength(1);
    expect(fixups[0]!.poison).toMatch(/'core_point\.missing_in_b': not found in 2 candidates/);
  });

  it('poisons every field access when the target has no such type (an empty BTF)', () => {
    const spec = loadSpec('core_relos');
    const fixups = computeFixups(spec, targetBtf('minimal'), { programs: ['core_direct', 'core_fields'] });
    for (const f of fixups) {
      if (f.kindName === 'field_exists') expect(f.target).toBe(0n);
      else if (f.kindName === 'local_type_id') expect(f.poison).toBeUndefined();
      else expect(f.poison).toMatch(/no type named 'core_point' of a compatible kind in the target/);
    }
  });
});

describe('never crashes on arbitrary records', () => {
  it('gives fixups or a CoreError', () => {
    const spec = loadSpec('core_relos');
    const record = spec.btfExt!.coreRelos.find((s) => s.section === 'socket')!.records[0]!;
    const original = { ...record };
    const maxId = spec.btf!.maxId;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: maxId + 3 }),
        fc.integer({ min: 0, max: 14 }),
        fc.oneof(
          fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 6 }).map((a) => a.join(':')),
          fc.string({ maxLength: 8 }),
        ),
        (typeId, kind, accessStr) => {
          Object.assign(record, { typeId, kind, accessStr });
          try {
            const fixups = computeFixups(spec, targetA, { programs: ['core_fields'] });
            expect(fixups.length).toBeGreaterThan(0);
          } catch (e) {
            if (!(e instanceof CoreError)) throw e;
          }
        },
      ),
      { numRuns: 400 },
    );
    Object.assign(record, original);
  });
});
