import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarizeObject } from '../../src/cli/object.js';
import { ElfError, ParseError } from '../../src/errors.js';
import { parseElf, SIZEOF_EHDR, SIZEOF_SHDR } from '../../src/elf/index.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';

/** A little-endian fixture with a DataView to damage fields in place. */
function damaged(name = 'maps'): { bytes: Uint8Array; view: DataView; shoff: number; section(i: number): number } {
  const bytes = readFixture(name).slice();
  const view = new DataView(bytes.buffer);
  const shoff = Number(view.getBigUint64(40, true));
  return { bytes, view, shoff, section: (i) => shoff + i * SIZEOF_SHDR };
}

function expectElfError(bytes: Uint8Array, message?: RegExp): ElfError {
  let caught: unknown;
  try {
    parseElf(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ElfError);
  if (message) expect((caught as Error).message).toMatch(message);
  return caught as ElfError;
}

describe('parseElf on bad input', () => {
  it('refuses every fixture truncated at every header boundary', () => {
    for (const f of allFixtures()) {
      const bytes = readFixture(f.name, f.endian);
      const elf = parseElf(bytes);
      const cuts = new Set<number>([0, 1, 4, 15, 16, SIZEOF_EHDR - 1]);
      for (let i = 0; i < elf.sections.length; i++) cuts.add(elf.header.shoff + i * SIZEOF_SHDR + 1);
      cuts.add(bytes.length - 1);
      for (const cut of cuts) expectElfError(bytes.subarray(0, cut));
    }
  });

  it('refuses a file truncated at each section boundary', () => {
    const bytes = readFixture('subprogs');
    const elf = parseElf(bytes);
    // A copy of the file cut at the end of each section's data, with the section table
    // moved so that it is still present: the cut section's contents run past the end.
    for (const s of elf.sections) {
      if (s.index === 0 || s.size === 0 || s.type === 8) continue;
      const e = expectElfError(bytes.subarray(0, s.offset + s.size - 1));
      expect(e.offset).toBeDefined();
    }
  });

  it('refuses bad magic, class, byte order and machine', () => {
    const d = () => damaged('minimal');
    let x = d();
    x.bytes[0] = 0x7e;
    expectElfError(x.bytes, /bad magic/);
    x = d();
    x.bytes[4] = 1;
    expectElfError(x.bytes, /ELFCLASS32/);
    x = d();
    x.bytes[4] = 7;
    expectElfError(x.bytes, /EI_CLASS/);
    x = d();
    x.bytes[5] = 3;
    expectElfError(x.bytes, /byte order/);
    x = d();
    x.view.setUint16(18, 62, true);
    const e = expectElfError(x.bytes, /e_machine is 62, expected 247 \(EM_BPF\)/);
    expect(e.offset).toBe(18);
    // ...which a uprobe resolver can still read on purpose.
    expect(parseElf(x.bytes, { machine: 'any' }).header.machine).toBe(62);
  });

  it('refuses a section whose data lies past the end of the file', () => {
    const x = damaged();
    x.view.setBigUint64(x.section(3) + 24, BigInt(x.bytes.length - 4), true); // sh_offset
    const e = expectElfError(x.bytes, /run past the end of the file/);
    expect(e.sectionIndex).toBe(3);
  });

  it('refuses a huge sh_size without allocating for it', () => {
    const x = damaged();
    x.view.setBigUint64(x.section(3) + 32, 0xffffffffffffff00n, true);
    expectElfError(x.bytes, /too large/);
  });

  it('refuses a section name offset out of range', () => {
    const x = damaged();
    x.view.setUint32(x.section(3), 0x7fffffff, true); // sh_name
    const e = expectElfError(x.bytes, /sh_name 2147483647 is past the end/);
    expect(e.sectionIndex).toBe(3);
  });

  it('refuses a string table that is not NUL-terminated', () => {
    const x = damaged('minimal');
    const elf = parseElf(readFixture('minimal'));
    const strtab = elf.sections[elf.header.shstrndx]!;
    x.bytes.fill(0x41, strtab.offset, strtab.offset + strtab.size);
    expectElfError(x.bytes, /string table does not end with a NUL byte/);
  });

  it('refuses e_shstrndx out of range and a non-STRTAB name table', () => {
    let x = damaged();
    x.view.setUint16(62, 500, true);
    expectElfError(x.bytes, /e_shstrndx 500 is out of range/);
    x = damaged();
    x.view.setUint16(62, 3, true);
    expectElfError(x.bytes, /not SHT_STRTAB/);
  });

  it('refuses 65535 sections with no data for them', () => {
    const x = damaged('minimal');
    x.view.setUint16(60, 65535, true);
    expectElfError(x.bytes, /section header table \(65535 entries/);
  });

  it('reads e_shnum == 0 from section 0 (and refuses a lie there)', () => {
    const x = damaged('minimal');
    const count = x.view.getUint16(60, true);
    x.view.setUint16(60, 0, true);
    x.view.setBigUint64(x.section(0) + 32, BigInt(count), true);
    expect(parseElf(x.bytes).sections.length).toBe(count);
    x.view.setBigUint64(x.section(0) + 32, 1n << 40n, true);
    expectElfError(x.bytes, /section header table/);
  });

  it('refuses a symbol table with a zero or short sh_entsize', () => {
    const elf = parseElf(readFixture('maps'));
    const symtab = elf.section('.symtab')!;
    for (const entsize of [0n, 16n]) {
      const x = damaged();
      x.view.setBigUint64(x.section(symtab.index) + 56, entsize, true);
      expectElfError(x.bytes, /sh_entsize \d+ is smaller than Elf64_Sym/);
    }
  });

  it('refuses a symbol that runs past its section, including a u64 wrap', () => {
    const elf = parseElf(readFixture('maps'));
    const symtab = elf.section('.symtab')!;
    const func = elf.symbols.find((s) => s.name === 'use_maps')!;
    for (const [value, size] of [
      [func.value, 1n << 20n],
      [0xffffffffffffffb8n, 0x50n],
    ] as const) {
      const x = damaged();
      const at = symtab.offset + func.index * 24;
      x.view.setBigUint64(at + 8, value, true);
      x.view.setBigUint64(at + 16, size, true);
      expectElfError(x.bytes, /symbol #\d+ 'use_maps': .* runs past the end of section 'socket'/);
    }
  });

  it('refuses a symbol in a section that does not exist', () => {
    const elf = parseElf(readFixture('maps'));
    const symtab = elf.section('.symtab')!;
    const func = elf.symbols.find((s) => s.name === 'use_maps')!;
    const x = damaged();
    x.view.setUint16(symtab.offset + func.index * 24 + 6, 0x1234, true);
    expectElfError(x.bytes, /st_shndx 4660 is out of range/);
  });

  it('refuses relocations with a symbol index or offset out of range', () => {
    const elf = parseElf(readFixture('maps'));
    const rel = elf.section('.relsocket')!;
    let x = damaged();
    x.view.setUint32(rel.offset + 12, 100_000, true); // ELF64_R_SYM of entry 0 (high half of r_info)
    expectElfError(x.bytes, /relocation #0: symbol index 100000 is out of range/);
    x = damaged();
    x.view.setBigUint64(rel.offset, BigInt(elf.section('socket')!.size), true); // r_offset
    expectElfError(x.bytes, /relocation #0: r_offset 0x1f0 is outside 'socket'/);
    x = damaged();
    x.view.setUint32(x.section(rel.index) + 44, 4000, true); // sh_info
    expectElfError(x.bytes, /sh_info 4000 does not name a section/);
  });

  it('names the section and offset in its message', () => {
    const elf = parseElf(readFixture('maps'));
    const rel = elf.section('.relsocket')!;
    const x = damaged();
    x.view.setUint32(rel.offset + 12, 100_000, true);
    const e = expectElfError(x.bytes);
    expect(e.section).toBe('.relsocket');
    expect(e.message).toMatch(/^section '.relsocket' \(#\d+\), offset 0x0: /);
  });
});

describe('parseElf under random damage (fast-check)', () => {
  it('raises only typed errors and never hangs: 10,000 mutated fixtures', () => {
    const bases = allFixtures().map((f) => readFixture(f.name, f.endian));
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }).chain((i) => fc.tuple(fc.constant(i), mutations(bases[i]!.length))),
        ([i, muts]) => {
          const input = applyMutations(bases[i]!, muts);
          try {
            const elf = parseElf(input);
            summarizeObject(elf, 'fuzz');
            parsed++;
          } catch (e) {
            if (!(e instanceof ParseError)) throw e;
            refused++;
          }
        },
      ),
      { numRuns: 10_000 },
    );
    // Both outcomes must occur, or the mutations are not exercising anything.
    expect(parsed).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});
