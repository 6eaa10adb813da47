import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { btfFromElf, extRecordsFor, type BtfExtLineInfo } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { describeWithTool } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

const bytes = readFixture('btf_types');
const { btf, ext } = btfFromElf(parseElf(bytes))!;

describe('.BTF.ext of the btf_types fixture', () => {
  it('has func_info, line_info and core_relo grouped by program section', () => {
    expect(ext).toBeDefined();
    if (!ext) return;
    expect(ext.recordSizes).toEqual({ funcInfo: 8, lineInfo: 16, coreRelo: 16 });
    expect(ext.funcInfo.map((s) => s.section).sort()).toEqual(['.text', 'socket', 'tracepoint/syscalls/sys_enter_getpid']);
    const funcs = ext.funcInfo.flatMap((s) => s.records.map((r) => `${s.section}:${r.insnOff}:${btf.nameOf(r.typeId)}`));
    expect(funcs).toEqual(expect.arrayContaining(['.text:0:helper', 'socket:0:btf_prog_a', 'tracepoint/syscalls/sys_enter_getpid:0:btf_prog_b']));
    const relos = extRecordsFor(ext.coreRelos, 'tracepoint/syscalls/sys_enter_getpid');
    expect(relos.length).toBeGreaterThanOrEqual(2);
    for (const r of relos) expect(btf.nameOf(r.typeId)).toBe('task_struct___local');
    // BPF_CORE_READ(t, pid) is a byte-offset relocation (kind 0) on access string 0:0;
    // bpf_core_field_exists(t->tgid) is FIELD_EXISTS (kind 2) on 0:1.
    expect(relos.map((r) => `${r.kind}@${r.accessStr}`)).toEqual(expect.arrayContaining(['0@0:0', '2@0:1']));
    for (const s of ext.lineInfo) for (const r of s.records) expect(r.fileName).toMatch(/btf_types\.bpf\.c$/);
  });
});

/**
 * llvm-objdump prints `; file:line` and `; source text` before an instruction from .BTF.ext
 * line info when the object has no DWARF. Parse those annotations per section.
 */
function objdumpLines(objPath: string): Map<string, Map<number, { file: string; line: number; text: string }>> {
  const out = execFileSync('llvm-objdump-19', ['-d', '-l', '-S', '--no-show-raw-insn', objPath], { encoding: 'utf8' });
  const result = new Map<string, Map<number, { file: string; line: number; text: string }>>();
  let section = '';
  let pending: { file: string; line: number; text: string } | undefined;
  let lastWasLoc = false;
  for (const raw of out.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(raw);
    if (sec) {
      section = sec[1]!;
      result.set(section, new Map());
      continue;
    }
    const loc = /^; (.*):(\d+)$/.exec(raw);
    if (loc) {
      pending = { file: loc[1]!, line: Number(loc[2]), text: '' };
      lastWasLoc = true;
      continue;
    }
    if (raw.startsWith('; ') && lastWasLoc && pending) {
      pending.text = raw.slice(2);
      lastWasLoc = false;
      continue;
    }
    lastWasLoc = false;
    const insn = /^\s+(\d+):\t/.exec(raw);
    if (insn && pending) {
      result.get(section)!.set(Number(insn[1]), pending);
      pending = undefined;
    }
  }
  return result;
}

describeWithTool('.BTF.ext line info matches llvm-objdump', ['llvm-objdump-19', 'llvm-objcopy-19'], () => {
  it('same instructions, files, line numbers and source text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-btfext-'));
    try {
      const obj = join(dir, 'btf_types.o');
      const stripped = join(dir, 'stripped.o');
      writeFileSync(obj, bytes);
      // Without DWARF, llvm-objdump takes line info from .BTF.ext.
      execFileSync('llvm-objcopy-19', ['--strip-debug', obj, stripped]);
      const theirs = objdumpLines(stripped);
      let compared = 0;
      for (const s of ext!.lineInfo) {
        const annotations = theirs.get(s.section);
        expect(annotations, s.section).toBeDefined();
        // Every llvm-objdump annotation sits on one of our records and says the same; every
        // record that changes the line is annotated (llvm-objdump skips some same-line ones).
        const ours = new Map<number, BtfExtLineInfo>(s.records.map((r) => [r.insnOff / 8, r]));
        for (const [insn, a] of annotations!) {
          const r = ours.get(insn);
          expect(r, `${s.section} insn ${insn}`).toBeDefined();
          expect([r!.fileName, r!.line, r!.lineText]).toEqual([a.file, a.line, a.text]);
          compared++;
        }
        let prev: BtfExtLineInfo | undefined;
        for (const r of s.records) {
          if (!prev || prev.line !== r.line || prev.fileName !== r.fileName) {
            expect(annotations!.has(r.insnOff / 8), `${s.section} insn ${r.insnOff / 8}`).toBe(true);
          }
          prev = r;
        }
      }
      expect(compared).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
