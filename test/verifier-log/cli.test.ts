/**
 * `tsbpf verifier explain`: on committed logs, on bpftool's whole output, and on a log that
 * bpftool captures now from this kernel (the explanation must be the same as for the
 * committed log of the same fixture).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explain, extractVerifierLogs } from '../../src/verifier-log/index.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { failLine, logsDir, readLog } from './helpers.js';
import { runCli as run } from '../helpers/cli.js';

describe('tsbpf verifier explain', () => {
  it('explains a raw log: C line, explanation, fix, register history, key lines', async () => {
    const r = await run(['verifier', 'explain', join(logsDir, 'verifier_unbounded_index.l2.log')]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('verifier_unbounded_index.bpf.c:26 (approximately): offset would move the pointer out of bounds');
    expect(lines[1]).toBe('    v->bytes[idx] = 1; /* FAIL: idx has no lower bound */');
    expect(r.out).toMatch(/^R6 may be -2147483648/m);
    expect(r.out).toMatch(/^fix: /m);
    expect(r.out).toMatch(/^how R6 got here:\n {2}insn 2 \(verifier_unbounded_index\.bpf\.c:19\): R6 loaded from memory/m);
    expect(r.out).toMatch(/^ {2}13: \(0f\) r0 \+= r6$/m);
  });

  it('explains bpftool output (libbpf framing) and names the program', async () => {
    const r = await run(['verifier', 'explain', join(logsDir, 'verifier_null_deref.bpftool.txt')]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 2)).toEqual([
      "program 'err_null_deref':",
      'verifier_null_deref.bpf.c:17: pointer may be NULL',
    ]);
  });

  it('--json gives the explanation as data', async () => {
    const r = await run(['verifier', 'explain', join(logsDir, 'verifier_unreleased_ref.l1.log'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ id: 'unreleased-ref', register: 'R6', insnIdx: 4, location: { line: 12 } });
    expect(j.causalPath.map((s: { insnIdx: number }) => s.insnIdx)).toEqual([4, 5, 7]);
  });

  it('--truncated marks the log as cut (ENOSPC)', async () => {
    const r = await run(['verifier', 'explain', join(logsDir, 'verifier_null_deref.l1.log'), '--truncated']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^note: the log was truncated/m);
  });

  it('--object takes C locations (with columns) from the object\'s line_info (more in object.test.ts)', async () => {
    const r = await run(['verifier', 'explain', join(logsDir, 'verifier_null_deref.l1.log'), '--object', fixturePath('verifier_null_deref')]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('./verifier_null_deref.bpf.c:17:9: pointer may be NULL');
  });

  it('reports a missing file and a missing argument', async () => {
    expect((await run(['verifier', 'explain', '/nonexistent/log'])).err).toMatch(/cannot read '\/nonexistent\/log'/);
    expect((await run(['verifier', 'explain'])).code).toBe(2);
  });
});

describeKernel('verifier explain on a log bpftool captures now', () => {
  describeWithTool('bpftool prog load', ['bpftool'], () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-vlog-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    for (const name of ['verifier_null_deref', 'verifier_unbounded_index', 'verifier_unreleased_ref', 'verifier_double_release']) {
      it(`${name}: same explanation as the committed log`, async () => {
        const pin = `/sys/fs/bpf/tsbpf_vlog_test_${process.pid}`;
        let out = '';
        try {
          execFileSync('bpftool', ['prog', 'load', fixturePath(name), pin], { stdio: 'pipe' });
          rmSync(pin, { force: true });
          throw new Error(`${name} loaded, but must fail verification`);
        } catch (e) {
          out = String((e as { stderr?: Buffer }).stderr ?? '');
        } finally {
          rmSync(pin, { force: true });
        }
        const logs = extractVerifierLogs(out);
        expect(logs[0]?.program).toBe(`err_${name.slice('verifier_'.length)}`);
        const live = explain(logs[0]!.log);
        const committed = explain(readLog(name, 1));
        for (const key of ['id', 'title', 'register', 'insnIdx', 'text', 'fix', 'location'] as const) {
          expect(live[key], key).toEqual(committed[key]);
        }
        expect(live.causalPath.map((s) => s.note)).toEqual(committed.causalPath.map((s) => s.note));
        expect(live.location?.line).toBe(failLine(name));

        // And through the CLI, from a file.
        const file = join(dir, `${name}.txt`);
        writeFileSync(file, out);
        const r = await run(['verifier', 'explain', file, '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.out)).toMatchObject({ id: committed.id, register: committed.register });
      });
    }
  });
});
