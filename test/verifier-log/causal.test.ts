/** The causal path (register history) and source mapping, on real logs. */
import { describe, expect, it } from 'vitest';
import { explain, failingPath, formatExplanation, insnEffect, parseVerifierLog, traceRegister } from '../../src/verifier-log/index.js';
import { readLog } from './helpers.js';

describe('insnEffect', () => {
  it('reads destinations and kinds from instruction text', () => {
    expect(insnEffect('r1 = *(u32 *)(r1 +12)')).toMatchObject({ dst: 1, kind: 'load' });
    expect(insnEffect('r6 = r0')).toMatchObject({ dst: 6, copyFrom: 0, kind: 'copy' });
    expect(insnEffect('w6 += -8')).toMatchObject({ dst: 6, kind: 'alu' });
    expect(insnEffect('r6 s>>= 32')).toMatchObject({ dst: 6, kind: 'alu' });
    expect(insnEffect('call bpf_map_lookup_elem#1')).toMatchObject({ dst: 0, kind: 'call' });
    expect(insnEffect('if w6 s> 0x44 goto pc+6')).toMatchObject({ kind: 'cond', compared: [6] });
    expect(insnEffect('if r1 > r2 goto pc+1')).toMatchObject({ kind: 'cond', compared: [1, 2] });
    expect(insnEffect('r1 = 0xffff888109025c00', 0x18)).toMatchObject({ dst: 1, kind: 'map' });
    expect(insnEffect('w0 = 2')).toMatchObject({ dst: 0, kind: 'const' });
    expect(insnEffect('*(u64 *)(r10 -8) = r1')).toMatchObject({ kind: 'store' });
  });
});

describe('causal path', () => {
  it('names the instructions that made R6 an unbounded scalar (verifier_unbounded_index)', () => {
    for (const level of [1, 2] as const) {
      const e = explain(readLog('verifier_unbounded_index', level));
      const steps = e.causalPath;
      expect(steps.map((s) => s.insnIdx)).toEqual([2, 9, 10, 11, 12]);
      expect(steps[0]).toMatchObject({ event: 'origin', regno: 6 });
      expect(steps[0]!.note).toContain('loaded from memory at r1+16');
      // The subtraction after the check, then the sign extension, lost the bounds.
      expect(steps.find((s) => s.insnIdx === 11)!.event).toBe('bounds-lost');
      expect(steps.at(-1)!.state?.bounds.smin).toBe(-2147483648n);
      // Each step carries its C line.
      expect(steps.find((s) => s.insnIdx === 10)!.location?.line).toBe(19);
      expect(steps.find((s) => s.insnIdx === 12)!.location?.line).toBe(26);
    }
  });

  it('follows copies back to the call that returned the pointer (verifier_possibly_null_kfunc)', () => {
    const e = explain(readLog('verifier_possibly_null_kfunc', 2));
    expect(e.causalPath.map((s) => [s.insnIdx, s.regno, s.event])).toEqual([
      [1, 0, 'origin'],
      [2, 6, 'copy'],
      [3, 1, 'copy'],
    ]);
    expect(e.causalPath[0]!.note).toContain('bpf_task_from_pid');
  });

  it('shows where a release call invalidated the register (verifier_double_release)', () => {
    const e = explain(readLog('verifier_double_release', 1));
    const release = e.causalPath.find((s) => s.insnIdx === 11);
    expect(release).toMatchObject({ event: 'type', regno: 6 });
    expect(release!.note).toContain('bpf_ringbuf_submit');
    expect(release!.location?.line).toBe(17);
  });

  it('ends at the program entry for the context argument', () => {
    const e = explain(readLog('verifier_helper_arg_type', 1));
    expect(e.causalPath).toHaveLength(1);
    expect(e.causalPath[0]).toMatchObject({ insnIdx: 0, event: 'origin', regno: 1 });
    expect(e.causalPath[0]!.note).toContain('context');
  });

  it('level 2: the failing path jumps over the other explored paths at "from X to Y"', () => {
    const p = parseVerifierLog(readLog('verifier_unreleased_ref', 2));
    const exitRec = p.insns.at(-1)!;
    const path = failingPath(p, exitRec.line).map((i) => (p.records[i] as { idx: number }).idx);
    // exit <- 15 <- branch at 10 (from 10 to 15) <- ... <- 0, without the fall-through 11..14.
    expect(path.slice(0, 3)).toEqual([16, 15, 10]);
    expect(path).not.toContain(11);
    expect(path.at(-1)).toBe(0);
    const steps = traceRegister(p, exitRec.line, 6);
    expect(steps.map((s) => s.insnIdx)).toEqual([4, 5, 7]);
  });
});

describe('causal path across bpf-to-bpf calls', () => {
  const p = parseVerifierLog(readLog('verifier_stack_too_deep', 2));
  const at = (idx: number) => p.insns.find((r) => r.idx === idx)!.line;

  it('follows a subprogram argument out to the caller', () => {
    const steps = traceRegister(p, at(18), 2);
    expect(steps.map((s) => [s.insnIdx, s.regno, s.event])).toEqual([
      [7, 1, 'origin'],
      [8, 1, 'bounds-lost'],
      [9, 1, 'bounds-lost'],
      [10, 1, 'copy'],
      [13, 2, 'copy'],
      [14, 2, 'bounds'],
    ]);
    expect(steps[3]!.note).toBe('R1 is argument 1 of the subprogram, passed by `call pc+2`');
  });

  it("skips a returned subprogram's instructions when following the caller's R0", () => {
    const steps = traceRegister(p, at(12), 0);
    // After the return (`from 26 to 11:` gives the caller's state) R0 is a char (smin32=-128,
    // smax32=127); `w0 &= 1` narrows it to [0, 1].
    expect(steps.map((s) => [s.insnIdx, s.event])).toEqual([
      [10, 'origin'],
      [11, 'bounds'],
    ]);
    expect(steps[0]!.note).toContain('return value of the subprogram');
  });
});

describe('causal path through a taken branch', () => {
  // XDP, level 2: `r2 = ctx->rx_queue_index; r0 = 0; if r2 > 10 goto +1; exit; r3 = *(u64 *)(r2 +0)`.
  // The fall-through is explored first; the failing path is the jump, whose state is the one
  // printed at `from 2 to 4:` (R2 >= 11), not the fall-through state on insn 2's line (R2 <= 10).
  const log = [
    '0: R1=ctx() R10=fp0',
    '0: (61) r2 = *(u32 *)(r1 +16)         ; R1=ctx() R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
    '1: (b7) r0 = 0                        ; R0=0',
    '2: (25) if r2 > 0xa goto pc+1         ; R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))',
    '3: (95) exit',
    '',
    'from 2 to 4: R0=0 R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0',
    '4: R0=0 R1=ctx() R2=scalar(smin=umin=umin32=11,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0',
    '4: (79) r3 = *(u64 *)(r2 +0)',
    "R2 invalid mem access 'scalar'",
    'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].join('\n');

  it('the compare step shows the state on the jump, as the level-1 log of the same load does', () => {
    const e = explain(log);
    expect(e).toMatchObject({ id: 'scalar-deref', register: 'R2', insnIdx: 4 });
    expect(e.causalPath.map((s) => [s.insnIdx, s.event])).toEqual([
      [0, 'origin'],
      [2, 'bounds'],
    ]);
    expect(e.causalPath[1]!.state?.bounds.umin).toBe(11n);
    expect(e.causalPath[1]!.note).toContain('umin=umin32=11');
  });
});

describe('source mapping', () => {
  const log = readLog('verifier_null_deref', 1);

  it('prefers line_info records over the log comments', () => {
    const lineInfo = [
      { insnOff: 0, fileName: 'probe.bpf.c', line: 40, column: 2, lineText: '\t__u32 key = ctx->ingress_ifindex;' },
      { insnOff: 7, fileName: 'probe.bpf.c', line: 43, column: 9, lineText: '\t*value += 1;' },
      { insnOff: 10, fileName: 'probe.bpf.c', line: 44, column: 2, lineText: '\treturn XDP_PASS;' },
    ];
    const e = explain(log, { lineInfo });
    expect(e.location).toEqual({ from: 'line_info', file: 'probe.bpf.c', line: 43, column: 9, text: '\t*value += 1;' });
    // An instruction between records takes the record before it.
    expect(e.causalPath[0]!.location).toMatchObject({ line: 40 });
    const text = formatExplanation(e);
    expect(text.split('\n').slice(0, 3)).toEqual(['probe.bpf.c:43:9: pointer may be NULL', '    *value += 1;', '           ^']);
  });

  it('falls back to the log comments, marking guesses as approximate', () => {
    const e = explain(log);
    expect(e.location).toMatchObject({ from: 'log', file: 'verifier_null_deref.bpf.c', line: 17 });
    expect(e.location?.approximate).toBeUndefined();
    const u = explain(readLog('verifier_unreleased_ref', 1));
    expect(u.location).toMatchObject({ line: 12, approximate: true });
  });
});
