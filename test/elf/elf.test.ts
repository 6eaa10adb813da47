import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  EM_BPF,
  ET_REL,
  parseElf,
  R_BPF_64_32,
  R_BPF_64_64,
  SHT_NOBITS,
  SHT_REL,
  SHT_SYMTAB,
  STT_FUNC,
  bpfRelocationNames,
} from '../../src/elf/index.js';
import { allFixtures, readFixture } from '../helpers/fixtures.js';
import { describeWithTool } from '../helpers/env.js';

describe('parseElf on the fixtures', () => {
  it('reads every fixture, in both byte orders', () => {
    const fixtures = allFixtures();
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
    expect(fixtures.some((f) => f.endian === 'bpfeb')).toBe(true);
    for (const f of fixtures) {
      const elf = parseElf(readFixture(f.name, f.endian));
      expect(elf.header.machine).toBe(EM_BPF);
      expect(elf.header.type).toBe(ET_REL);
      expect(elf.littleEndian).toBe(f.endian === 'bpfel');
      expect(elf.section('.symtab')?.type).toBe(SHT_SYMTAB);
      // Every fixture with code declares a license; CO-RE target fixtures hold only BTF.
      if (elf.sections.some((s) => s.name !== '.text' && (s.flags & 0x4n) !== 0n)) {
        expect(elf.section('license')?.data.length, f.file).toBeGreaterThan(0);
      }
    }
  });

  it('gives the same structure for bpfel and bpfeb builds of one source', () => {
    const el = parseElf(readFixture('maps', 'bpfel'));
    const eb = parseElf(readFixture('maps', 'bpfeb'));
    const shape = (f: typeof el) => f.sections.filter((s) => !s.name.startsWith('.debug')).map((s) => [s.name, s.type, s.size]);
    expect(shape(eb)).toEqual(shape(el));
    const funcs = (f: typeof el) => f.symbols.filter((s) => s.type === STT_FUNC).map((s) => [s.name, s.value, s.size]);
    expect(funcs(eb)).toEqual(funcs(el));
    expect(eb.relocations(eb.section('socket')!).map((r) => [r.offset, r.type])).toEqual(
      el.relocations(el.section('socket')!).map((r) => [r.offset, r.type]),
    );
  });

  it('finds programs, subprograms and their relocations', () => {
    const elf = parseElf(readFixture('subprogs'));
    const xdp = elf.section('xdp')!;
    const names = elf.symbolsIn(xdp.index).filter((s) => s.type === STT_FUNC).map((s) => s.name);
    expect(names).toEqual(['first', 'second']);
    const relos = elf.relocations(xdp);
    expect(relos.map((r) => r.type)).toEqual([R_BPF_64_64, R_BPF_64_32, R_BPF_64_32, R_BPF_64_32]);
    expect(elf.symbols[relos[3]!.symbolIndex]!.name).toBe('global_mul');
    // Section data is a view into the input, not a copy.
    expect(xdp.data.buffer).toBe(elf.bytes.buffer);
  });

  it('keeps NOBITS sections without data', () => {
    const elf = parseElf(readFixture('globals'));
    const bss = elf.section('.bss')!;
    expect(bss.type).toBe(SHT_NOBITS);
    expect(bss.size).toBeGreaterThan(0);
    expect(bss.data.length).toBe(0);
  });

  it('honours a Uint8Array that does not start at byte 0 of its buffer', () => {
    const bytes = readFixture('minimal');
    const padded = new Uint8Array(bytes.length + 13);
    padded.set(bytes, 13);
    const elf = parseElf(padded.subarray(13));
    expect(elf.section('socket')!.data).toEqual(parseElf(bytes).section('socket')!.data);
  });
});

/** Cross-checks against llvm-readelf, field by field. */
describeWithTool('parseElf agrees with llvm-readelf-19', ['llvm-readelf-19'], () => {
  const readelf = (args: string[], path: string) => execFileSync('llvm-readelf-19', [...args, path], { encoding: 'utf8' });

  for (const f of allFixtures()) {
    it(`${f.file}: sections, symbols and relocations`, () => {
      const elf = parseElf(readFixture(f.name, f.endian));

      const sections = [...readelf(['-S', '--wide'], f.path).matchAll(/^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+[0-9a-f]{16}\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)];
      expect(sections.length).toBe(elf.sections.length);
      for (const m of sections) {
        const s = elf.sections[Number(m[1])]!;
        if (s.index !== 0) expect(s.name).toBe(m[2]);
        expect(s.offset).toBe(parseInt(m[4]!, 16));
        expect(s.size).toBe(parseInt(m[5]!, 16));
        expect(s.entsize).toBe(parseInt(m[6]!, 16));
      }

      const symbols = [...readelf(['-s', '--wide'], f.path).matchAll(/^\s*(\d+):\s+([0-9a-f]{16})\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+)\s*(\S*)$/gm)];
      expect(symbols.length).toBe(elf.symbols.length);
      for (const m of symbols) {
        const s = elf.symbols[Number(m[1])]!;
        expect(s.value).toBe(BigInt('0x' + m[2]));
        expect(s.size).toBe(BigInt(m[3]!));
        // readelf names section symbols by their section; tsbpf keeps st_name (empty).
        if (m[4] !== 'UND' && m[4] !== 'ABS') expect(s.sectionIndex).toBe(Number(m[4]));
        if (s.name !== '') expect(s.name).toBe(m[5]);
      }

      const relocs = readelf(['-r', '--wide'], f.path);
      const tables = [...relocs.matchAll(/Relocation section '([^']+)' at offset 0x[0-9a-f]+ contains (\d+) entries/g)];
      expect(tables.length).toBe(elf.relocationTables.length);
      for (const [i, t] of elf.relocationTables.entries()) {
        expect(t.section.name).toBe(tables[i]![1]);
        expect(t.entries.length).toBe(Number(tables[i]![2]));
      }
      const entries = [...relocs.matchAll(/^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(R_BPF_\S+)/gm)];
      const ours = elf.relocationTables.flatMap((t) => t.entries);
      expect(entries.length).toBe(ours.length);
      entries.forEach((m, i) => {
        expect(ours[i]!.offset).toBe(parseInt(m[1]!, 16));
        expect(ours[i]!.symbolIndex).toBe(Number(BigInt('0x' + m[2]) >> 32n));
        expect(bpfRelocationNames[ours[i]!.type]).toBe(m[3]);
      });
      expect(elf.sections.filter((s) => s.type === SHT_REL).length).toBe(elf.relocationTables.length);
    });
  }
});
