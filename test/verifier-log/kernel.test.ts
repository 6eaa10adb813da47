/**
 * Real logs from BPF_PROG_LOAD (through src/syscall, test-only): a log buffer too small gives
 * ENOSPC and the tail of the log; the parser marks it truncated and still explains it, and a
 * reload with `log_true_size` gives the full log with the same explanation.
 */
import { expect, it } from 'vitest';
import { progLoadRaw } from '../../src/syscall/prog.js';
import { explain, parseVerifierLog, VerifierError } from '../../src/verifier-log/index.js';
import { describeKernel } from '../helpers/env.js';

const BPF_PROG_TYPE_XDP = 6;
const ENOSPC = 28;
const EACCES = 13;

/** `r1 += 1` twenty times, then `exit` with R0 never set. */
function insns(): Uint8Array {
  const out = new Uint8Array(21 * 8);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 20; i++) {
    out[i * 8] = 0x07; // BPF_ALU64 | BPF_ADD | BPF_K
    out[i * 8 + 1] = 0x01; // dst r1
    v.setInt32(i * 8 + 4, 1, true);
  }
  out[20 * 8] = 0x95; // BPF_JMP | BPF_EXIT
  return out;
}

describeKernel('verifier logs from BPF_PROG_LOAD', () => {
  it('ENOSPC: the tail of the log, marked truncated, still explained; the full log on retry', () => {
    const small = progLoadRaw({ prog_type: BPF_PROG_TYPE_XDP, insns: insns(), license: 'GPL', log_level: 2, log_size: 256 });
    expect(small.fd).toBeUndefined();
    expect(small.errno).toBe(ENOSPC);
    expect(small.logTrueSize).toBeGreaterThan(256);
    // The kernel keeps the end of the log (rotating log, 6.4+): it starts mid-line.
    const cut = parseVerifierLog(small.log, { truncated: true, startsMidLine: true, logTrueSize: small.logTrueSize });
    expect(cut.truncated).toBe(true);
    expect(cut.summary).toBeDefined();
    const e1 = explain(cut);
    expect(e1.id).toBe('reg-not-init');
    expect(e1.register).toBe('R0');

    const full = progLoadRaw({
      prog_type: BPF_PROG_TYPE_XDP,
      insns: insns(),
      license: 'GPL',
      log_level: 2,
      log_size: small.logTrueSize,
    });
    expect(full.errno).toBe(EACCES);
    expect(full.logTrueSize).toBe(small.logTrueSize);
    expect(small.log.length).toBeLessThan(full.log.length);
    expect(full.log.endsWith(small.log)).toBe(true);
    const p = parseVerifierLog(full.log, { logTrueSize: full.logTrueSize });
    expect(p.truncated).toBe(false);
    expect(p.insns.map((r) => r.idx)).toEqual([...Array(21).keys()]);
    const e2 = explain(p);
    expect(e2).toMatchObject({ id: 'reg-not-init', register: 'R0', insnIdx: 20, insn: 'exit' });
    expect(e2.causalPath).toEqual([]);

    const err = new VerifierError(full.log, { logTrueSize: full.logTrueSize, errno: 'EACCES', program: 'no_r0' });
    expect(err.message.split('\n')[0]).toBe(
      "program 'no_r0': insn 20: register read before it was set: R0 is read but was never set: at exit R0 holds the return value, so this path returns without a value (or a helper call clobbered it) (EACCES)",
    );
  });
});
