import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BtfError,
  checkChains,
  dumpCString,
  encodeBtf,
  parseBtf,
  parseBtfExt,
  rawDump,
  resolveType,
  sizeOf,
  alignOf,
  StringTable,
  type Btf,
  type BtfType,
} from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { readFixture } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';

const elf = parseElf(readFixture('btf_types'));
const btfBytes = elf.section('.BTF')!.data.slice();
const extBytes = elf.section('.BTF.ext')!.data.slice();

function expectBtfError(fn: () => unknown, pattern: RegExp, typeId?: number): BtfError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a BtfError').toBeInstanceOf(BtfError);
  const err = caught as BtfError;
  expect(err.message).toMatch(pattern);
  if (typeId !== undefined) {
    expect(err.typeId).toBe(typeId);
    expect(err.message).toContain(`[${typeId}]`);
  }
  return err;
}

/** Builds BTF from a list of types given without ids/name offsets. */
function build(types: Array<Record<string, unknown> & { kind: BtfType['kind'] }>): Uint8Array {
  const strings = new StringTable();
  const full = types.map((t, i) => ({ id: i + 1, nameOff: strings.add((t.name as string) ?? ''), name: '', ...t }) as unknown as BtfType);
  return encodeBtf(full, strings.bytes());
}

const int = { kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 } as const;

/** Little-endian u32 write into a copy. */
function patchU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value, true);
  return out;
}

describe('bad BTF gives a typed BtfError naming the type', () => {
  it('string offset past the end', () => {
    const good = build([int, { kind: 'PTR', type: 1, kindFlag: false }]);
    // Type [2] starts after the header (24) and type [1] (16 bytes): name_off is its first word.
    const bad = patchU32(good, 24 + 16, 0x10000);
    expectBtfError(() => parseBtf(bad), /name offset 65536 is past the end of the string section/, 2);
  });

  it('type id out of range', () => {
    const bad = build([int, { kind: 'PTR', type: 99, kindFlag: false }]);
    expectBtfError(() => parseBtf(bad), /type id 99 out of range \(max 2\)/, 2);
    const member = build([
      int,
      { kind: 'STRUCT', name: 's', size: 4, kindFlag: false, members: [{ name: 'x', nameOff: 0, type: 7, bitsOffset: 0, bitfieldSize: 0 }] },
    ]);
    expectBtfError(() => parseBtf(member), /member #0: type id 7 out of range/, 2);
  });

  it('a type count or vlen that would overflow the section', () => {
    const good = build([int, { kind: 'STRUCT', name: 's', size: 4, kindFlag: false, members: [{ name: 'x', nameOff: 0, type: 1, bitsOffset: 0, bitfieldSize: 0 }] }]);
    // vlen of [2] set to 0xffff: 786 kB of members claimed in a 50-byte section.
    const info = new DataView(good.buffer).getUint32(24 + 16 + 4, true);
    const bad = patchU32(good, 24 + 16 + 4, (info & ~0xffff) | 0xffff);
    expectBtfError(() => parseBtf(bad), /vlen 65535\) runs past the end of the type section/, 2);
    // type_len far past the end of the blob.
    expectBtfError(() => parseBtf(patchU32(good, 12, 0xfffffff0)), /type section .* runs past the end/);
    // str_off + str_len wrapping a u32 is just "past the end" with number arithmetic.
    expectBtfError(() => parseBtf(patchU32(good, 20, 0xffffffff)), /string section .* runs past the end/);
  });

  it('more types than BTF_MAX_TYPE', () => {
    // 0x100000 PTR-to-void records: one more than the largest id the kernel allows.
    const n = 0x100000;
    const out = new Uint8Array(24 + n * 12 + 1);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(12, n * 12, true);
    v.setUint32(16, n * 12, true);
    v.setUint32(20, 1, true);
    for (let i = 0; i < n; i++) v.setUint32(24 + i * 12 + 4, 2 << 24, true);
    expectBtfError(() => parseBtf(out), /more types than BTF allows/, 0x100000);
  });

  it('reference cycles: TYPEDEF to itself is refused, PTR to itself is legal, longer loops end', () => {
    expectBtfError(() => parseBtf(build([{ kind: 'TYPEDEF', name: 't', type: 1, kindFlag: false }])), /typedef refers to itself/, 1);
    const ptrSelf = parseBtf(build([{ kind: 'PTR', type: 1, kindFlag: false }]));
    expect(resolveType(ptrSelf, 1)).toBe(1);
    expect(sizeOf(ptrSelf, 1)).toBe(8);
    checkChains(ptrSelf);
    // TYPEDEF a -> CONST -> TYPEDEF b -> a: parses (each link is in range) but never resolves.
    const loop = parseBtf(
      build([
        { kind: 'TYPEDEF', name: 'a', type: 2, kindFlag: false },
        { kind: 'CONST', type: 3, kindFlag: false },
        { kind: 'TYPEDEF', name: 'b', type: 1, kindFlag: false },
      ]),
    );
    expectBtfError(() => resolveType(loop, 1), /reference cycle/, 1);
    expectBtfError(() => sizeOf(loop, 1), /reference (cycle|chain longer than 32)/, 1);
    expectBtfError(() => alignOf(loop, 3), /reference (cycle|chain longer than 32)/, 3);
    expectBtfError(() => checkChains(loop), /reference cycle/, 1);
    expectBtfError(() => dumpCString(loop), /reference cycle|nested/);
  });

  it('member offset beyond the struct size', () => {
    const bad = build([
      int,
      { kind: 'STRUCT', name: 'small', size: 4, kindFlag: false, members: [{ name: 'x', nameOff: 0, type: 1, bitsOffset: 64, bitfieldSize: 0 }] },
    ]);
    expectBtfError(() => parseBtf(bad), /member #0: bit offset 64 is beyond the struct size \(4 bytes\)/, 2);
    const bitfield = build([
      int,
      { kind: 'STRUCT', name: 'bf', size: 4, kindFlag: true, members: [{ name: 'y', nameOff: 0, type: 1, bitsOffset: 30, bitfieldSize: 5 }] },
    ]);
    expectBtfError(() => parseBtf(bitfield), /bit offset 30 \+ bitfield size 5 is beyond the struct size/, 2);
  });

  it('bad headers', () => {
    expectBtfError(() => parseBtf(new Uint8Array([1, 2, 3])), /too short/);
    expectBtfError(() => parseBtf(patchU32(btfBytes, 0, 0x12345678)), /bad magic/);
    expectBtfError(() => parseBtf(patchU32(btfBytes, 4, 8)), /hdr_len 8 is shorter/);
    expectBtfError(() => parseBtf(btfBytes.subarray(0, 100)), /runs past the end/);
    const unknownKind = patchU32(btfBytes, 24 + 4, 31 << 24);
    expectBtfError(() => parseBtf(unknownKind), /unknown kind 31/, 1);
  });

  it('a truncated .BTF.ext record', () => {
    const btf = parseBtf(btfBytes);
    const ext = parseBtfExt(extBytes, btf);
    expect(ext.lineInfo.length).toBeGreaterThan(0);
    // Shorten line_info_len by 4: the last section's records now run past the part.
    const lineLen = new DataView(extBytes.buffer, extBytes.byteOffset).getUint32(20, true);
    const bad = patchU32(extBytes, 20, lineLen - 4);
    const err = expectBtfError(() => parseBtfExt(bad, btf), /line_info: section '.*': \d+ records of 16 bytes run past the end/);
    expect(err.section).toBe('.BTF.ext');
    // A record size below the struct, and a cut buffer.
    const recAt = 32 + new DataView(extBytes.buffer, extBytes.byteOffset).getUint32(16, true);
    expectBtfError(() => parseBtfExt(patchU32(extBytes, recAt, 12), btf), /line_info: rec_size 12 is invalid/);
    expectBtfError(() => parseBtfExt(extBytes.subarray(0, extBytes.length - 10), btf), /run(s)? past the end/);
  });

  it('.BTF.ext records larger than today\'s struct are read by their rec_size', () => {
    const btf = parseBtf(btfBytes);
    const ext = parseBtfExt(extBytes, btf);
    // Rebuild the func_info part with 12-byte records (an extra trailing u32 per record).
    const v = new DataView(extBytes.buffer, extBytes.byteOffset, extBytes.byteLength);
    const hdrLen = v.getUint32(4, true);
    const fiOff = hdrLen + v.getUint32(8, true);
    const fiLen = v.getUint32(12, true);
    const parts: number[] = [12];
    let p = fiOff + 4;
    while (p < fiOff + fiLen) {
      const nameOff = v.getUint32(p, true);
      const n = v.getUint32(p + 4, true);
      parts.push(nameOff, n);
      for (let i = 0; i < n; i++) parts.push(v.getUint32(p + 8 + i * 8, true), v.getUint32(p + 12 + i * 8, true), 0xdeadbeef);
      p += 8 + n * 8;
    }
    const fi = new Uint8Array(new Uint32Array(parts).buffer);
    const out = new Uint8Array(32 + fi.length);
    const ov = new DataView(out.buffer);
    out.set(extBytes.subarray(0, 8));
    ov.setUint32(4, 32, true);
    ov.setUint32(8, 0, true);
    ov.setUint32(12, fi.length, true);
    out.set(fi, 32);
    const wide = parseBtfExt(out, btf);
    expect(wide.recordSizes.funcInfo).toBe(12);
    expect(wide.funcInfo).toEqual(ext.funcInfo);
    expect(wide.lineInfo).toEqual([]);
  });
});

/** Everything a consumer might do with parsed BTF; must only ever throw BtfError. */
function exercise(btf: Btf, withC: boolean): void {
  rawDump(btf);
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    try {
      sizeOf(btf, id);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
    try {
      alignOf(btf, id);
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
    }
  }
  checkChains(btf);
  if (withC) dumpCString(btf);
}

function onlyBtfErrors(fn: () => void): boolean {
  try {
    fn();
  } catch (e) {
    if (e instanceof BtfError) return true;
    throw e;
  }
  return true;
}

describe('mutated fixture BTF: only BtfError, never a crash or a hang', () => {
  it('.BTF: parse, raw dump, layout queries (4000 cases)', () => {
    fc.assert(
      fc.property(mutations(btfBytes.length), (m) => onlyBtfErrors(() => exercise(parseBtf(applyMutations(btfBytes, m)), false))),
      { numRuns: 4000, seed: 0x5eed },
    );
  });

  it('.BTF: C header dump (3000 cases)', () => {
    fc.assert(
      fc.property(mutations(btfBytes.length), (m) => onlyBtfErrors(() => exercise(parseBtf(applyMutations(btfBytes, m)), true))),
      { numRuns: 3000, seed: 0xc0de },
    );
  });

  it('.BTF.ext (3000 cases)', () => {
    const btf = parseBtf(btfBytes);
    fc.assert(
      fc.property(mutations(extBytes.length), (m) => onlyBtfErrors(() => parseBtfExt(applyMutations(extBytes, m), btf))),
      { numRuns: 3000, seed: 0xe47 },
    );
  });
});
