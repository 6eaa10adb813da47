/**
 * tsbpf's decoder and disassembler against llvm-objdump-19, on every fixture and example object.
 *
 * For each executable section, llvm-objdump's listing gives per instruction its slot index,
 * raw bytes and text. tsbpf must find the same instructions at the same slots, re-encode each
 * to llvm's raw bytes, and print text that means the same (see objdump-normalise.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProgram, disassemble, encodeInstruction, formatInstruction, isLdImm64 } from '../../src/asm/index.js';
import { parseElf, SHF_EXECINSTR } from '../../src/elf/index.js';
import { describeWithTool } from '../helpers/env.js';
import { allFixtures, fixturesDir } from '../helpers/fixtures.js';
import { canonical } from './objdump-normalise.js';

interface LlvmInsn {
  index: number;
  bytes: number[];
  text: string;
}

/** `llvm-objdump-19 -d` of one file (one file per run: given several, llvm-objdump 19 decodes
 * bpfeb objects after a bpfel one with the wrong byte order). */
function llvmListing(path: string): Map<string, LlvmInsn[]> {
  const out = execFileSync('llvm-objdump-19', ['-d', '--mcpu=v4', path], { encoding: 'utf8' });
  const sections = new Map<string, LlvmInsn[]>();
  let current: LlvmInsn[] | undefined;
  for (const line of out.split('\n')) {
    const header = /^Disassembly of section (.*):$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1]!, current);
      continue;
    }
    const m = /^\s*(\d+):\t((?:[0-9a-f]{2} ?)+)\t(.*)$/.exec(line);
    if (m && current) {
      current.push({ index: Number(m[1]), bytes: m[2]!.trim().split(' ').map((b) => parseInt(b, 16)), text: m[3]! });
    }
  }
  return sections;
}

/** Every committed object: the test fixtures and the bundled examples. */
const examplesDir = join(fixturesDir, '..', '..', '..', 'examples', 'bpf');
const objects = [
  ...allFixtures(),
  ...(existsSync(examplesDir) ? readdirSync(examplesDir) : [])
    .filter((f) => /\.bpfe[lb]\.o$/.test(f))
    .map((file) => ({ file, path: join(examplesDir, file), endian: file.includes('.bpfeb.') ? 'bpfeb' : 'bpfel' })),
];
const fixtures = allFixtures();
/** CO-RE target fixtures carry only BTF: no code to disassemble. */
const hasCode = (path: string) =>
  parseElf(new Uint8Array(readFileSync(path))).sections.some((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0);

describeWithTool('disassembly agrees with llvm-objdump-19', ['llvm-objdump-19'], () => {
  it('has at least 5 fixtures, little- and big-endian', () => {
    expect(fixtures.filter((f) => f.endian === 'bpfel').length).toBeGreaterThanOrEqual(5);
    expect(fixtures.some((f) => f.endian === 'bpfeb')).toBe(true);
  });

  for (const fx of objects.filter((o) => hasCode(o.path))) {
    it(fx.file, () => {
      const elf = parseElf(new Uint8Array(readFileSync(fx.path)));
      expect(elf.littleEndian).toBe(fx.endian === 'bpfel');
      const listing = llvmListing(fx.path);
      const exec = elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0);
      expect(exec.length).toBeGreaterThan(0);
      expect([...listing.keys()].sort()).toEqual(exec.map((s) => s.name).sort());

      let compared = 0;
      for (const section of exec) {
        const insns = decodeProgram(section.data, elf.littleEndian, {
          section: section.name,
          sectionIndex: section.index,
          strict: true,
        });
        const llvm = listing.get(section.name)!;
        expect(insns.map((i) => i.index), `slots of '${section.name}'`).toEqual(llvm.map((l) => l.index));
        insns.forEach((insn, k) => {
          const ref = llvm[k]!;
          const where = `${fx.file} '${section.name}' insn #${insn.index}: llvm '${ref.text}'`;
          expect(ref.text, where).not.toBe('<unknown>');
          expect([...encodeInstruction(insn, elf.littleEndian)], where).toEqual(ref.bytes);
          const ours = formatInstruction(insn);
          const width = isLdImm64(insn) ? 'ldimm64' : 's32';
          expect(canonical(ours, width), `${where}, tsbpf '${ours}'`).toBe(canonical(ref.text, width));
          compared++;
        });
        // The listing form numbers lines by slot, like llvm's.
        expect(disassemble(insns).map((l) => Number(l.split(':')[0]))).toEqual(llvm.map((l) => l.index));
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});

describe('objdump normaliser', () => {
  // A normaliser that maps everything to the same string would make the comparison above
  // pass vacuously: check that it keeps the fields that matter apart.
  const same = (a: string, b: string, w: 'ldimm64' | 's32' = 's32') => expect(canonical(a, w)).toBe(canonical(b, w));
  const differ = (a: string, b: string, w: 'ldimm64' | 's32' = 's32') =>
    expect(canonical(a, w)).not.toBe(canonical(b, w));

  it('maps equivalent spellings together', () => {
    same('r1 = *(u32 *)(r1 + 0x4)', 'r1 = *(u32 *)(r1 +4)');
    same('*(u64 *)(r10 - 0x8) = r1', '*(u64 *)(r10 -8) = r1');
    same('if r1 > 0x5 goto +0x3 <prog+0x40>', 'if r1 > 0x5 goto pc+3');
    same('if w1 < -0x1 goto +0x1 <f+0x8>', 'if w1 < 0xffffffff goto pc+1');
    same('call 0x1', 'call bpf_map_lookup_elem#1');
    same('call -0x1', 'call pc-1');
    same('r1 = -0x1 ll', 'r1 = 0xffffffffffffffff', 'ldimm64');
    same('lock *(u32 *)(r1 + 0x0) += w2', 'lock *(u32 *)(r1 +0) += r2');
    same('r2 = atomic_fetch_add((u64 *)(r1 + 0x8), r2)', 'r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)');
    same('r2 = xchg_64(r1 + 0x8, r2)', 'r2 = atomic64_xchg((u64 *)(r1 +8), r2)');
    same('w0 = cmpxchg32_32(r1 + 0x8, w0, w2)', 'r0 = atomic_cmpxchg((u32 *)(r1 +8), r0, r2)');
    same('r1 += -0x4', 'r1 += -4');
    same('w2 = *(u32 *)(r1 + 0x4)', 'r2 = *(u32 *)(r1 +4)');
    same('*(u32 *)(r10 - 0x4) = w1', '*(u32 *)(r10 -4) = r1');
  });

  it('keeps different instructions apart', () => {
    differ('r1 += 0x5', 'r1 += 6');
    differ('r1 += 0x5', 'w1 += 5');
    differ('if r1 > 0x5 goto +0x3', 'if r1 >= 0x5 goto pc+3');
    differ('if r1 > 0x5 goto +0x3', 'if r1 > 0x5 goto pc+4');
    differ('r1 = *(u32 *)(r1 + 0x4)', 'r1 = *(u32 *)(r1 -4)');
    differ('r1 = *(u32 *)(r1 + 0x4)', 'r1 = *(s32 *)(r1 +4)');
    differ('r1 = *(u32 *)(r1 + 0x4)', 'r2 = *(u32 *)(r1 +4)');
    differ('call 0x1', 'call bpf_map_update_elem#2');
    differ('r1 = 0x1 ll', 'r1 = 0x100000001', 'ldimm64');
    differ('r2 = xchg_64(r1 + 0x8, r2)', 'r2 = atomic_xchg((u32 *)(r1 +8), r2)');
    differ('r1 = be16 r1', 'r1 = le16 r1');
    differ('r1 /= r2', 'r1 s/= r2');
    differ('r1 = (s8)r2', 'r1 = (s16)r2');
  });
});
