/**
 * Every failing fixture (test/fixtures/src/verifier_*.bpf.c), explained from the verifier
 * logs bpftool captured on a 6.18 kernel (test/fixtures/logs, made by capture.sh): the
 * catalogue entry, the C line (the fixture marks it with a FAIL comment), and the register.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsbpfError } from '../../src/errors.js';
import { explain, parseVerifierLog, VerifierError } from '../../src/verifier-log/index.js';
import { fixturesDir } from '../helpers/fixtures.js';
import { failLine, readLog } from './helpers.js';

interface Expect {
  /** Catalogue id. */
  id: string;
  /** Register the explanation names; undefined when the error involves none (helper/kfunc availability). */
  reg?: string;
  /**
   * Levels whose log names the C line. The default is both. Hand-written assembly has no
   * line info; a failure found after do_check (stack depth) has no instruction at level 1.
   */
  lineFrom?: (1 | 2)[];
}

const expected: Record<string, Expect> = {
  verifier_bad_exit_code: { id: 'exit-code', reg: 'R0' },
  verifier_ctx_write: { id: 'ctx-access', reg: 'R1' },
  verifier_double_release: { id: 'arg-type', reg: 'R1' },
  verifier_dynptr_uninit: { id: 'dynptr-uninit', reg: 'R3' },
  verifier_helper_arg_type: { id: 'arg-type', reg: 'R1' },
  verifier_infinite_loop: { id: 'infinite-loop', reg: 'R1' },
  verifier_kfunc_not_allowed: { id: 'kfunc-not-allowed' },
  verifier_map_value_oob: { id: 'map-value-oob', reg: 'R0' },
  verifier_misaligned_stack: { id: 'misaligned', reg: 'R10', lineFrom: [] },
  verifier_no_return_value: { id: 'reg-not-init', reg: 'R0', lineFrom: [] },
  verifier_null_arith: { id: 'ptr-arith-null', reg: 'R2' },
  verifier_null_deref: { id: 'null-deref', reg: 'R0' },
  verifier_packet_bounds: { id: 'packet-oob', reg: 'R1' },
  verifier_possibly_null_kfunc: { id: 'possibly-null-arg', reg: 'R1' },
  verifier_scalar_deref: { id: 'scalar-deref', reg: 'R1' },
  verifier_sleepable_helper: { id: 'might-sleep' },
  verifier_spin_lock_leak: { id: 'spin-lock-exit', reg: 'R0' },
  verifier_stack_too_deep: { id: 'combined-stack', reg: 'R10', lineFrom: [2] },
  verifier_unbounded_index: { id: 'value-makes-ptr-oob', reg: 'R6' },
  verifier_unbounded_min: { id: 'unbounded-min-math', reg: 'R1' },
  verifier_unbounded_size: { id: 'unbounded-mem-access', reg: 'R2' },
  verifier_unknown_helper: { id: 'helper-not-for-type' },
  verifier_unreleased_ref: { id: 'unreleased-ref', reg: 'R6' },
  verifier_subprog_null: { id: 'null-deref', reg: 'R1' },
  // bpftool on Debian 12 uses libbpf 1.1, which leaves the call as `call #0` (not poisoned).
  verifier_kfunc_poison: { id: 'kfunc-weak-unresolved' },
};

describe('failing fixtures', () => {
  it('every verifier_* fixture has an expectation, and there are at least 15', () => {
    const sources = readdirSync(fixturesDir)
      .filter((f) => /^verifier_.*\.bpf\.c$/.test(f))
      .map((f) => f.replace(/\.bpf\.c$/, ''))
      .sort();
    expect(sources).toEqual(Object.keys(expected).sort());
    expect(sources.length).toBeGreaterThanOrEqual(15);
    // Each fails in its own way.
    expect(new Set(Object.values(expected).map((e) => `${e.id}/${e.reg}`)).size).toBe(sources.length - 1);
  });

  for (const [name, exp] of Object.entries(expected)) {
    for (const level of [1, 2] as const) {
      it(`${name} (log level ${level}): ${exp.id}${exp.reg ? `, ${exp.reg}` : ''}`, () => {
        const log = readLog(name, level);
        const parsed = parseVerifierLog(log);
        expect(parsed.level).toBe(level);
        expect(parsed.summary?.insnLimit).toBe(1_000_000);
        expect(parsed.error.length).toBeGreaterThan(0);

        const e = explain(parsed);
        expect(e.id).toBe(exp.id);
        expect(e.fix).toBeTruthy();
        if (exp.reg) {
          expect(e.register).toBe(exp.reg);
          expect(e.text).toMatch(new RegExp(`\\b${exp.reg}\\b`));
        } else {
          expect(e.register).toBeUndefined();
        }

        if ((exp.lineFrom ?? [1, 2]).includes(level)) {
          expect(e.location?.file).toBe(`${name}.bpf.c`);
          expect(e.location?.line).toBe(failLine(name));
          expect(e.location?.text).toContain('FAIL:');
        } else {
          expect(e.location).toBeUndefined();
        }

        const err = new VerifierError(log, { program: `err_${name.slice('verifier_'.length)}`, errno: 'EACCES' });
        expect(err).toBeInstanceOf(TsbpfError);
        expect(err.name).toBe('VerifierError');
        expect(err.explanation.id).toBe(exp.id);
        expect(err.log).toBe(log);
        expect(err.truncated).toBe(false);
        const first = err.message.split('\n')[0]!;
        expect(first).toContain(`program 'err_`);
        expect(first).toContain(e.title);
        if (e.location) expect(first).toContain(`${name}.bpf.c:${failLine(name)}`);
        // The key lines follow: the kernel's own error line is in the message.
        expect(err.message).toContain(e.kernelMessage);
      });
    }
  }

  it('the committed logs match the sources (recapture with capture.sh after editing a fixture)', () => {
    for (const name of Object.keys(expected)) {
      const source = readFileSync(join(fixturesDir, `${name}.bpf.c`), 'utf8').split('\n');
      for (const level of [1, 2] as const) {
        for (const r of parseVerifierLog(readLog(name, level)).records) {
          if (r.kind !== 'source' || r.lineNo === undefined) continue;
          expect(r.file, `${name}.l${level}.log line ${r.line + 1}`).toBe(`${name}.bpf.c`);
          expect(source[r.lineNo - 1]?.trim(), `${name}.l${level}.log line ${r.line + 1}`).toBe(r.text.trim());
        }
      }
    }
  });

  it('a level-1 log without the failing instruction asks for level 2', () => {
    expect(explain(readLog('verifier_stack_too_deep', 1)).wantsLevel2).toBe(true);
    expect(explain(readLog('verifier_stack_too_deep', 2)).wantsLevel2).toBe(false);
    expect(explain(readLog('verifier_null_deref', 1)).wantsLevel2).toBe(false);
  });
});
