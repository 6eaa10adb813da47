/** VerifierError, and the layer rule of src/verifier-log. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TsbpfError } from '../../src/errors.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { readLog } from './helpers.js';

describe('VerifierError', () => {
  it('carries the raw log, the parse, the explanation, the location and the log size', () => {
    const log = readLog('verifier_unbounded_index', 2);
    const cut = log.slice(log.length - 1500);
    const err = new VerifierError(cut, { truncated: true, startsMidLine: true, logTrueSize: log.length + 1, program: 'p' });
    expect(err).toBeInstanceOf(TsbpfError);
    expect(err.log).toBe(cut);
    expect(err.truncated).toBe(true);
    expect(err.logTrueSize).toBe(log.length + 1);
    expect(err.parsed.records.length).toBeGreaterThan(0);
    expect(err.explanation.id).toBe('value-makes-ptr-oob');
    expect(err.message.split('\n')[0]).toMatch(/^program 'p': .*offset would move the pointer out of bounds: R6 .*\(log truncated\)$/);
    // Cut after the failing instruction: the message still says what failed, without guessing the register.
    const short = new VerifierError(log.slice(log.length - 700), { truncated: true, startsMidLine: true });
    expect(short.explanation.id).toBe('value-makes-ptr-oob');
    expect(short.explanation.register).toBeUndefined();
    expect(short.message).toMatch(/the register may be -2147483648/);
  });

  it('has a short message: location and explanation, history, then the key log lines', () => {
    const err = new VerifierError(readLog('verifier_unbounded_index', 1), { errno: 'EACCES' });
    const lines = err.message.split('\n');
    expect(lines[0]).toMatch(/^verifier_unbounded_index\.bpf\.c:26: offset would move the pointer out of bounds: R6 may be -2147483648.*\(EACCES\)$/);
    expect(lines[1]).toBe(
      '  R6 history: insn 2 (line 19): R6 loaded from memory at r1+16 (u32); insn 10 (line 19): R6 lost its bounds at `w6 += -8`; insn 11 (line 26): R6 lost its bounds at `r6 <<= 32`',
    );
    expect(lines.slice(2)).toEqual([
      '  ; v->bytes[idx] = 1; /* FAIL: idx has no lower bound */ @ verifier_unbounded_index.bpf.c:26',
      '  13: (0f) r0 += r6',
      '  value -2147483648 makes map_value pointer be out of bounds',
    ]);
    expect(lines.length).toBeLessThanOrEqual(8);
  });

  it('works on an empty log', () => {
    const err = new VerifierError('');
    expect(err.explanation.id).toBeUndefined();
    expect(err.message).toMatch(/no error message/);
  });
});

describe('layer rule', () => {
  it('src/verifier-log imports only itself and src/errors.ts', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'verifier-log');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gms)) {
        expect(m[1], `${f}`).toMatch(/^\.\/[\w-]+\.js$|^\.\.\/errors\.js$/);
      }
    }
  });
});
