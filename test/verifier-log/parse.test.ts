/** The log parser and the state decoder, on real logs captured on 6.18 and on cut ones. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  explain,
  formatExplanation,
  extractVerifierLogs,
  parseRegValue,
  parseState,
  parseVerifierLog,
  splitLogLines,
  type InsnRecord,
  type LogRecord,
} from '../../src/verifier-log/index.js';
import { logsDir, readLog } from './helpers.js';

const allLogs = readdirSync(logsDir).filter((f) => f.endsWith('.log')).sort();

function kinds(records: LogRecord[]): string[] {
  return records.map((r) => (r.kind === 'state' ? `state:${r.label}` : r.kind));
}

describe('register and stack state', () => {
  it('decodes a scalar with shared bounds and var_off', () => {
    const r = parseRegValue('scalar(smin=smin32=0,smax=umax=smax32=umax32=56,var_off=(0x0; 0x38))', 6, 0);
    expect(r).toMatchObject({ regno: 6, type: 'scalar', isPointer: false, maybeNull: false, precise: false });
    expect(r.bounds).toEqual({ smin: 0n, smin32: 0n, smax: 56n, umax: 56n, smax32: 56n, umax32: 56n });
    expect(r.varOff).toEqual({ value: 0n, mask: 0x38n });
  });

  it('reads 64-bit signed bounds printed in hex as negative', () => {
    const r = parseRegValue('scalar(smin=0xffffffff80000000,smax=0x7fffffff)', 6, 0);
    expect(r.bounds.smin).toBe(-2147483648n);
    expect(r.bounds.smax).toBe(0x7fffffffn);
    expect(parseRegValue('scalar(smin32=-128,smax32=127)', 1, 0).bounds).toEqual({ smin32: -128n, smax32: 127n });
  });

  it('decodes constants, precise marks and stack pointers', () => {
    expect(parseRegValue('0', 2, 0)).toMatchObject({ type: 'scalar', value: 0n, precise: false });
    expect(parseRegValue('P-1', 2, 0)).toMatchObject({ type: 'scalar', value: -1n, precise: true });
    expect(parseRegValue('Pscalar()', 6, 0)).toMatchObject({ type: 'scalar', precise: true });
    expect(parseRegValue('fp-8', 2, 0)).toMatchObject({ type: 'fp', off: -8, isPointer: true });
    expect(parseRegValue('fp[0](off=-320,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))', 2, 1)).toMatchObject({
      type: 'fp',
      frame: 1,
      off: -320,
      attrs: { frameno: '0' },
    });
  });

  it('decodes map, nullable, packet and referenced pointers', () => {
    expect(parseRegValue('map_value_or_null(id=1,map=counts,ks=4,vs=8)', 0, 0)).toMatchObject({
      type: 'map_value_or_null',
      baseType: 'map_value',
      maybeNull: true,
      isPointer: true,
      id: 1,
      map: { name: 'counts', keySize: 4, valueSize: 8 },
    });
    expect(parseRegValue('ptr_or_null_task_struct(id=2,ref_obj_id=2)', 0, 0)).toMatchObject({
      baseType: 'ptr_task_struct',
      maybeNull: true,
      refObjId: 2,
    });
    expect(parseRegValue('pkt(off=12,r=0)', 1, 0)).toMatchObject({ type: 'pkt', off: 12, range: 0 });
    expect(parseRegValue('ringbuf_mem(ref_obj_id=2,sz=8)', 6, 0)).toMatchObject({ refObjId: 2, size: 8, maybeNull: false });
  });

  it('decodes a whole state line: registers, stack slots, spilled registers, refs, frames', () => {
    const s = parseState('R1=ctx() R6_w=scalar(id=3) R10=fp0 fp-8=mmmm???? fp-16=map_value(map=m,ks=4,vs=8) refs=2,3');
    expect(s.regs.map((r) => r.regno)).toEqual([1, 6, 10]);
    expect(s.regs[1]!.liveness).toBe('w');
    expect(s.stack[0]).toMatchObject({ off: -8, slotTypes: 'mmmm????' });
    expect(s.stack[1]!.spilled).toMatchObject({ type: 'map_value', map: { name: 'm' } });
    expect(s.refs).toEqual([2, 3]);
    const f = parseState(' frame1: R1=scalar() R10=fp0');
    expect(f.frame).toBe(1);
    expect(f.regs.every((r) => r.frame === 1)).toBe(true);
    expect(parseState('R1=ctx() something-else').other).toEqual(['something-else']);
  });
});

describe('parseVerifierLog on real logs', () => {
  it('level 1: verifier_null_deref line by line', () => {
    const p = parseVerifierLog(readLog('verifier_null_deref', 1));
    expect(kinds(p.records)).toEqual([
      'state:insn',
      'source',
      'insn',
      'insn',
      'insn',
      'insn',
      'source',
      'insn',
      'insn',
      'source',
      'insn',
      'message',
      'summary',
    ]);
    const insn = p.records[2] as InsnRecord;
    expect(insn).toMatchObject({ idx: 0, opcode: 0x61, text: 'r1 = *(u32 *)(r1 +12)' });
    expect(insn.after?.regs[0]).toMatchObject({ regno: 1, type: 'scalar', bounds: { umax: 0xffffffffn } });
    expect(p.records[1]).toMatchObject({
      kind: 'source',
      text: '__u32 key = ctx->ingress_ifindex;',
      file: 'verifier_null_deref.bpf.c',
      lineNo: 14,
    });
    expect(p.insns.map((r) => r.idx)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(p.error.map((r) => r.text)).toEqual(["R0 invalid mem access 'map_value_or_null'"]);
    expect(p.summary).toMatchObject({ processedInsns: 7, insnLimit: 1000000, totalStates: 0, peakStates: 0, markRead: 0 });
    expect(p.level).toBe(1);
    expect(p.truncated).toBe(false);
  });

  it('level 2 with stats: live registers, precision tracking, verification time, stack depth', () => {
    const p = parseVerifierLog(readLog('verifier_unbounded_index', 2));
    expect(p.level).toBe(2);
    expect(p.subprogs).toEqual([{ func: 0, start: 0 }]);
    const live = p.records.filter((r) => r.kind === 'live-regs');
    expect(live.length).toBe(17);
    expect(live[0]).toMatchObject({ idx: 0, live: [1], text: 'w2 = 0' });
    expect(p.records.some((r) => r.kind === 'trace' && r.what === 'precision' && r.idx === 12)).toBe(true);
    expect(p.records.some((r) => r.kind === 'state' && r.label === 'precision')).toBe(true);
    expect(p.stats.verificationTimeUsec).toBeGreaterThan(0);
    expect(p.stats.stackDepth).toEqual([8]);
    expect(p.error.map((r) => r.text)).toEqual(['value -2147483648 makes map_value pointer be out of bounds']);
  });

  it('level 2: subprograms, caller/callee states, branches popped from the stack', () => {
    const p = parseVerifierLog(readLog('verifier_stack_too_deep', 2));
    expect(p.subprogs).toEqual([
      { func: 0, start: 0 },
      { func: 1, start: 13 },
    ]);
    const markers = p.records.filter((r) => r.kind === 'marker').map((r) => (r.kind === 'marker' ? r.marker : ''));
    expect(markers).toEqual(['live-regs', 'caller', 'callee', 'return', 'to-caller']);
    expect(p.records.some((r) => r.kind === 'state' && r.label === 'callee' && r.state.frame === 1)).toBe(true);
    const branch = p.records.find((r) => r.kind === 'state' && r.label === 'branch');
    expect(branch).toMatchObject({ from: 26, idx: 11 });
    expect(p.stats.stackDepth).toEqual([320, 320]);
    expect(p.records.some((r) => r.kind === 'trace' && r.what === 'liveness')).toBe(true);
  });

  it('a jump with its target state on the same line (level 1)', () => {
    const p = parseVerifierLog(readLog('verifier_infinite_loop', 1));
    const jump = p.insns.find((r) => r.idx === 3)!;
    expect(jump.text).toBe('if w1 != 0x0 goto pc-2');
    expect(jump.target?.idx).toBe(2);
    expect(jump.target?.state.regs[0]).toMatchObject({ regno: 1, bounds: { umin: 1n } });
    expect(p.records.filter((r) => r.kind === 'state' && (r.label === 'cur' || r.label === 'old')).length).toBe(2);
    expect(p.error.map((r) => r.text)).toEqual(['infinite loop detected at insn 3']);
  });

  it('a failure outside the instruction walk (stack depth) at level 1', () => {
    const p = parseVerifierLog(readLog('verifier_stack_too_deep', 1));
    expect(p.insns).toEqual([]);
    expect(p.error.map((r) => r.text)).toEqual(['combined stack size of 2 calls is 640. Too large']);
  });

  it.each(allLogs)('%s: one record per line, none dropped', (file) => {
    const text = readFileSync(join(logsDir, file), 'utf8');
    // *.enospc.log: the tail the kernel kept of a log that did not fit (starts mid-line).
    const cut = file.endsWith('.enospc.log');
    const p = parseVerifierLog(text, cut ? { truncated: true, startsMidLine: true } : {});
    expect(p.records.length).toBe(splitLogLines(text).length);
    expect(p.records.map((r) => r.raw).join('\n') + '\n').toBe(text);
    expect(p.records.every((r, i) => r.line === i)).toBe(true);
    expect(p.summary).toBeDefined();
    // Nothing in these logs is left unclassified except the error and the kernel's
    // informational `arg#0 reference type` note.
    const messages = p.records.filter((r) => r.kind === 'message').map((r) => (r.kind === 'message' ? r.text : ''));
    for (const [i, m] of messages.entries()) {
      if (p.error.some((e) => e.text === m)) continue;
      if (cut && i === 0 && p.firstLinePartial) continue;
      expect(m).toMatch(/^arg#\d+ reference type/);
    }
  });
});

describe('truncated logs', () => {
  const full = readLog('verifier_unbounded_index', 2);

  it('the tail of a log cut mid-line (rotating log, ENOSPC)', () => {
    // The kernel keeps the end of an overflowing log (6.4+): cut at an arbitrary byte.
    const tail = full.slice(Math.floor(full.length * 0.6) + 7);
    const p = parseVerifierLog(tail, { truncated: true, startsMidLine: true, logTrueSize: full.length + 1 });
    expect(p.truncated).toBe(true);
    expect(p.firstLinePartial).toBe(true);
    expect(p.logTrueSize).toBe(full.length + 1);
    expect(p.records.length).toBe(splitLogLines(tail).length);
    expect(p.summary?.processedInsns).toBe(13);
    const e = explain(p);
    expect(e.id).toBe('value-makes-ptr-oob');
    expect(e.register).toBe('R6');
    expect(e.truncated).toBe(true);
  });

  it('a real ENOSPC log (the kernel kept the last 255 bytes) and its full version', () => {
    const meta = JSON.parse(readFileSync(join(logsDir, 'raw_r0_unset.json'), 'utf8'));
    const tail = readFileSync(join(logsDir, 'raw_r0_unset.enospc.log'), 'utf8');
    const whole = readFileSync(join(logsDir, 'raw_r0_unset.full.log'), 'utf8');
    expect(whole.endsWith(tail)).toBe(true);
    const cut = parseVerifierLog(tail, { truncated: true, startsMidLine: true, logTrueSize: meta.enospc.logTrueSize });
    expect(cut).toMatchObject({ truncated: true, firstLinePartial: true });
    expect(cut.records[0]!.kind).toBe('message');
    expect(cut.error.map((r) => r.text)).toEqual(['R0 !read_ok']);
    const e = explain(cut);
    expect(e).toMatchObject({ id: 'reg-not-init', register: 'R0', insnIdx: 20, truncated: true });
    // Without being told, a log whose true size exceeds it is still recognised as cut.
    expect(parseVerifierLog(tail, { logTrueSize: meta.enospc.logTrueSize }).truncated).toBe(true);
    const full = parseVerifierLog(whole, { logTrueSize: meta.full.logTrueSize });
    expect(full.truncated).toBe(false);
    expect(explain(full)).toMatchObject({ id: 'reg-not-init', register: 'R0', insnIdx: 20, truncated: false });
  });

  it('logTrueSize larger than the text marks the log truncated', () => {
    const head = full.slice(0, 900);
    const p = parseVerifierLog(head, { logTrueSize: full.length + 1 });
    expect(p.truncated).toBe(true);
    expect(p.summary).toBeUndefined();
    expect(parseVerifierLog(full, { logTrueSize: full.length + 1 }).truncated).toBe(false);
  });

  it('the head of a log (fixed-size log): no error, explained as cut', () => {
    const head = full.slice(0, 1200);
    const e = explain(head, { truncated: true });
    expect(e.truncated).toBe(true);
    expect(e.id).toBeUndefined();
  });

  it('a truncated level-1 log still names the C line', () => {
    const l1 = readLog('verifier_null_deref', 1);
    const e = explain(l1.slice(l1.indexOf('R10=fp0 fp-8') + 3), { truncated: true, startsMidLine: true });
    expect(e.id).toBe('null-deref');
    expect(e.location?.line).toBe(17);
  });
});

describe('extractVerifierLogs', () => {
  it('takes the log out of bpftool/libbpf output', () => {
    const out = readFileSync(join(logsDir, 'verifier_null_deref.bpftool.txt'), 'utf8');
    const logs = extractVerifierLogs(out);
    expect(logs.length).toBe(1);
    expect(logs[0]!.program).toBe('err_null_deref');
    expect(logs[0]!.log).toBe(readLog('verifier_null_deref', 1));
  });

  it('returns text without markers whole', () => {
    expect(extractVerifierLogs('R0 !read_ok\n')).toEqual([{ log: 'R0 !read_ok\n' }]);
  });

  it('keeps a log whose END marker is glued to its last line, and a log without END', () => {
    const logs = extractVerifierLogs(
      "libbpf: prog 'a': -- BEGIN PROG LOAD LOG --\nR0 !read_ok\nprocessed 2 insns-- END PROG LOAD LOG --\nlibbpf: prog 'b': -- BEGIN PROG LOAD LOG --\nR1 !read_ok",
    );
    expect(logs).toEqual([
      { program: 'a', log: 'R0 !read_ok\nprocessed 2 insns\n' },
      { program: 'b', log: 'R1 !read_ok' },
    ]);
  });
});

describe('properties', () => {
  const fragments = [
    '0: R1=ctx() R10=fp0',
    '; int x = 1; @ a.c:3',
    '7: (79) r1 = *(u64 *)(r0 +0)',
    "R0 invalid mem access 'map_value_or_null'",
    'from 3 to 5: R1=scalar(smin=0,var_off=(0x0; 0xff))',
    '3: (56) if w1 != 0x0 goto pc-2 2: R1=scalar(',
    'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    'func#1 @7',
    'caller:',
    ' frame1: R1=',
    'mark_precise: frame0: regs=r6 stack= before 12: (c7) r6 s>>= 32',
    '      0: .1........ (61) r1 = *(u32 *)(r1 +12)',
    'R6=scalar(smin=smin32=',
    'fp-8=mmmm???? refs=1,2',
    'Unreleased reference id=2 alloc_insn=99',
  ];
  const logText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.string({ unit: fc.constantFrom('\n', '\0', '\r', ' ', ';', '(', ')', '=', 'R', '1', ':', 'x'), maxLength: 200 }),
    fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 40 })), { maxLength: 30 }).map((a) => a.join('\n')),
    fc.tuple(fc.constantFrom(...allLogs), fc.nat(), fc.nat()).map(([f, a, b]) => {
      const t = readFileSync(join(logsDir, f), 'utf8');
      return t.slice(Math.min(a, b) % (t.length + 1), Math.max(a, b) % (t.length + 1));
    }),
  );

  it('the parser never throws and keeps every line', () => {
    fc.assert(
      fc.property(logText, fc.boolean(), (text, cut) => {
        const p = parseVerifierLog(text, cut ? { truncated: true, startsMidLine: true } : {});
        // Independent of splitLogLines: every '\n'-separated piece, a final newline aside.
        const lines = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
        expect(p.lines).toEqual(lines);
        expect(p.records.length).toBe(lines.length);
        for (let i = 0; i < lines.length; i++) expect(p.records[i]!.raw).toBe(lines[i]);
      }),
      { numRuns: 400 },
    );
  });

  it('explain never throws', () => {
    fc.assert(
      fc.property(logText, (text) => {
        const e = explain(text);
        expect(typeof e.text).toBe('string');
        expect(typeof e.title).toBe('string');
      }),
      { numRuns: 400 },
    );
  });
});

describe("the kernel's own report (Linux 7.3+)", () => {
  // The example output of kernel commit ce7c9f6c599b as quoted in cilium/ebpf PR #2111; the
  // 6.18 kernel here does not print these blocks, so this is the only sample.
  const log = [
    '0: R1=ctx() R10=fp0',
    '0: (95) exit',
    'R0 !read_ok',
    '',
    'Verification failed: Register Type Safety: Unreadable register',
    '',
    'Reason:',
    '  R0 has never been initialized on this path, so the verifier cannot use it as an input.',
    '',
    'At:',
    '  insn 0',
    '        | ^-- error: R0 is not readable',
    '  Instruction context:',
    '  >>> 0 | (95) exit',
    '',
    'Causal path:',
    '  no retained diagnostic events on this path',
    '',
    'Suggestion:',
    '  Initialize R0 on every path before this instruction.',
    '',
    'processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    '',
  ].join('\n');

  it('is parsed into sections, and the error stays the kernel message', () => {
    const p = parseVerifierLog(log);
    expect(p.records.length).toBe(splitLogLines(log).length);
    expect(p.error.map((r) => r.text)).toEqual(['R0 !read_ok']);
    expect(p.report).toEqual({
      headline: 'Register Type Safety: Unreadable register',
      sections: {
        Reason: ['R0 has never been initialized on this path, so the verifier cannot use it as an input.'],
        At: ['insn 0', '      | ^-- error: R0 is not readable', 'Instruction context:', '>>> 0 | (95) exit'],
        'Causal path': ['no retained diagnostic events on this path'],
        Suggestion: ['Initialize R0 on every path before this instruction.'],
      },
    });
    expect(p.summary?.processedInsns).toBe(1);
  });

  it('is kept on the explanation and shown next to ours', () => {
    const e = explain(log);
    expect(e.id).toBe('reg-not-init');
    expect(e.kernelReport?.headline).toBe('Register Type Safety: Unreadable register');
    const text = formatExplanation(e);
    expect(text).toContain('kernel: Register Type Safety: Unreadable register: R0 has never been initialized');
    expect(text).toContain('kernel suggests: Initialize R0 on every path before this instruction.');
  });

  it('explains a message the catalogue does not know', () => {
    const e = explain(log.replace('R0 !read_ok', 'R0 something new'));
    expect(e.id).toBeUndefined();
    expect(e.title).toBe('Register Type Safety: Unreadable register');
    expect(e.text).toMatch(/^R0 has never been initialized/);
    expect(e.fix).toBe('Initialize R0 on every path before this instruction.');
  });
});

describe('older kernels', () => {
  // Before 5.18 scalars printed as `inv`, bounds as `umax_value=`, and liveness as `_w`.
  it('decodes inv scalars and old bound names', () => {
    expect(parseRegValue('inv0', 1, 0)).toMatchObject({ type: 'scalar', value: 0n });
    expect(parseRegValue('invP-1', 1, 0)).toMatchObject({ type: 'scalar', value: -1n, precise: true });
    const r = parseRegValue('inv(id=0,umax_value=255,var_off=(0x0; 0xff))', 6, 0);
    expect(r).toMatchObject({ type: 'scalar', baseType: 'scalar', id: 0 });
    expect(r.bounds).toEqual({ umax: 255n });
    const s = parseState('R1=ctx(id=0,off=0,imm=0) R6_w=inv(id=0,smin_value=-8,smax_value=60) R10=fp0');
    expect(s.regs[1]).toMatchObject({ regno: 6, liveness: 'w', type: 'scalar', bounds: { smin: -8n, smax: 60n } });
  });

  it('explains a log without ` @ file:line` source suffixes', () => {
    const log = [
      '0: R1=ctx(id=0,off=0,imm=0) R10=fp0',
      '; int x = *(int *)ctx;',
      '0: (61) r0 = *(u32 *)(r1 +0)',
      'R1 invalid mem access \'inv\'',
      'processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      '',
    ].join('\n');
    const e = explain(log);
    expect(e.id).toBe('scalar-deref');
    expect(e.location).toEqual({ from: 'log', text: 'int x = *(int *)ctx;' });
  });
});
