/**
 * `tsbpf verifier explain LOG --object OBJ`: a log captured by bpftool (libbpf's instruction
 * layout) mapped to C file:line:column through the object's line_info gives the same
 * explanation as tsbpf's own load of the same object; the names behind poisoned
 * instructions; the automatic level-2 reload.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { insnLineInfo, loaderSymbols } from '../../src/collection/debug-info.js';
import { loadCollection } from '../../src/collection/index.js';
import { parseObject } from '../../src/object/index.js';
import { explain, extractVerifierLogs, POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE, VerifierError, type Explanation } from '../../src/verifier-log/index.js';
import { runCli as run } from '../helpers/cli.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { failLine, logsDir, readLog } from './helpers.js';

const spec = (name: string) => parseObject(readFixture(name), { name });

/** The error tsbpf's own load of fixture `name` throws. */
function ownLoad(name: string, logLevel?: number): VerifierError {
  try {
    loadCollection(spec(name), logLevel !== undefined ? { logLevel } : {}).close();
  } catch (e) {
    if (e instanceof VerifierError) return e;
    throw e;
  }
  throw new Error(`${name} loaded, but must fail verification`);
}

/** What must agree between two explanations of the same failure. */
function essence(e: Explanation) {
  return {
    id: e.id,
    title: e.title,
    register: e.register,
    insnIdx: e.insnIdx,
    location: e.location,
    text: e.text,
    fix: e.fix,
    causal: e.causalPath.map((s) => ({ insnIdx: s.insnIdx, event: s.event, location: s.location })),
  };
}

describe('line_info of a linked program (libbpf layout)', () => {
  it('a subprogram appended after a deeper callee gets the indexes the log prints', () => {
    // main calls touch (which calls mix), then bump: loaded as main, touch, mix, bump, while
    // .text holds touch, bump, mix. The log's failing instruction 29 is in bump.
    const s = spec('verifier_subprog_null');
    const p = s.programs.get('err_subprog_null')!;
    const funcs = p.instructions.map((i) => i.func).filter((f) => f !== undefined);
    expect(funcs).toEqual(['err_subprog_null', 'touch', 'mix', 'bump']);
    const e = explain(readLog('verifier_subprog_null', 1), { lineInfo: insnLineInfo(p.instructions) });
    expect(e).toMatchObject({ id: 'null-deref', register: 'R1', insnIdx: 29 });
    expect(e.location).toEqual({
      from: 'line_info',
      file: './verifier_subprog_null.bpf.c',
      line: failLine('verifier_subprog_null'),
      column: 11,
      text: '\tv->bytes += len; /* FAIL: v may be NULL */',
    });
    // The register's history crosses the call into the subprogram: every step has its C line.
    expect(e.causalPath.map((s) => [s.insnIdx, s.location?.line])).toEqual([
      [11, 45],
      [15, 46],
      [16, 46],
    ]);
  });

  it('without line_info the same log still names the line, from its own source comments', () => {
    const e = explain(readLog('verifier_subprog_null', 2));
    expect(e.location).toMatchObject({ from: 'log', line: failLine('verifier_subprog_null') });
  });

  it('names poisoned kfuncs and maps by libbpf index, and what each instruction refers to', () => {
    const s = spec('verifier_kfunc_poison');
    const sym = loaderSymbols(s, s.programs.get('err_kfunc_poison')!.instructions);
    expect([...sym.kfuncs!]).toEqual([[0, 'bpf_tsbpf_no_such_kfunc']]);
    expect(sym.byInsn!.get(1)).toEqual({ kind: 'kfunc', name: 'bpf_tsbpf_no_such_kfunc' });
    const m = spec('verifier_subprog_null');
    const msym = loaderSymbols(m, m.programs.get('err_subprog_null')!.instructions);
    expect([...msym.maps!]).toEqual([[0, 'stats']]);
    // The ld_imm64 of `stats` at insn 9 takes two slots; a poisoned one is two calls.
    expect(msym.byInsn!.get(9)).toEqual({ kind: 'map', name: 'stats' });
    expect(msym.byInsn!.get(10)).toEqual({ kind: 'map', name: 'stats' });

    const log = (imm: number, at: number) =>
      [
        '0: R1=ctx() R10=fp0',
        `${at}: (85) call unknown#${imm}`,
        `invalid func unknown#${imm}`,
        'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      ].join('\n');
    const k = explain(log(POISON_CALL_KFUNC_BASE, 1), { symbols: sym });
    expect(k.id).toBe('kfunc-poison');
    expect(k.text).toContain("the kfunc 'bpf_tsbpf_no_such_kfunc'");
    expect(k.fix).toContain('bpf_ksym_exists(bpf_tsbpf_no_such_kfunc)');
    const mp = explain(log(POISON_LDIMM64_MAP_BASE, 9), { symbols: msym });
    expect(mp.id).toBe('map-poison');
    expect(mp.text).toContain("map 'stats'");
    expect(mp.fix).toContain("enable map 'stats'");
    // By instruction when the index is unknown to the table (a map index from another loader).
    const byInsn = explain(log(POISON_LDIMM64_MAP_BASE + 7, 10), { symbols: { byInsn: msym.byInsn! } });
    expect(byInsn.text).toContain("map 'stats'");
    // Without names: the numbers, as before.
    expect(explain(log(POISON_LDIMM64_MAP_BASE + 3, 9)).text).toContain('map #3');
  });
});

describe('tsbpf verifier explain --object', () => {
  it('maps the log to C lines with columns, and names the kfunc libbpf 1.1 left unresolved', async () => {
    const r = await run(['verifier', 'explain', join(logsDir, 'verifier_kfunc_poison.l1.log'), '--object', fixturePath('verifier_kfunc_poison'), '--prog', 'err_kfunc_poison']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`./verifier_kfunc_poison.bpf.c:${failLine('verifier_kfunc_poison')}:9: kfunc not resolved`);
    expect(lines[2]).toBe('           ^');
    expect(r.out).toMatch(/^the kfunc 'bpf_tsbpf_no_such_kfunc' \(declared __ksym __weak\) is not in this kernel/m);
    expect(r.out).toContain('fix: guard the call with `if (bpf_ksym_exists(bpf_tsbpf_no_such_kfunc))`');
  });

  it('without --object the same log says it was a kfunc, without its name', () => {
    const e = explain(readLog('verifier_kfunc_poison', 1));
    expect(e.id).toBe('kfunc-weak-unresolved');
    expect(e.insnIdx).toBe(1);
    expect(e.text).toMatch(/^a kfunc \(declared __ksym __weak\)/);
  });

  it('picks the program by --prog, or the one the log names, and says when it cannot', async () => {
    const log = join(logsDir, 'verifier_null_deref.bpftool.txt');
    const obj = fixturePath('verifier_null_deref');
    const byName = await run(['verifier', 'explain', log, '--object', obj, '--json']);
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.out)).toMatchObject({ program: 'err_null_deref', location: { from: 'line_info', line: 17, column: 9 } });
    const wrong = await run(['verifier', 'explain', log, '--object', obj, '--prog', 'nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/no program 'nope' in object 'verifier_null_deref' \(it has 'err_null_deref'\)/);
    const many = await run(['verifier', 'explain', join(logsDir, 'verifier_null_deref.l1.log'), '--object', fixturePath('subprogs')]);
    expect(many.code).toBe(1);
    expect(many.err).toMatch(/has \d+ programs: say which one the log is of with '--prog NAME'/);
    expect((await run(['verifier', 'explain', log, '--prog', 'x'])).code).toBe(2);
    const bad = await run(['verifier', 'explain', log, '--object', '/nonexistent.o']);
    expect(bad.err).toMatch(/cannot read '\/nonexistent\.o'/);
  });
});

describeKernel('a log bpftool captures now, explained with --object, equals tsbpf load', () => {
  describeWithTool('bpftool prog load', ['bpftool'], () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-vobj-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const cases = ['verifier_subprog_null', 'verifier_null_deref', 'verifier_unbounded_index', 'verifier_unreleased_ref'].flatMap((n) => [
      { name: n, debug: false },
      { name: n, debug: true },
    ]);
    for (const { name, debug } of cases) {
      it(`${name}${debug ? ' (bpftool -d: log_level 7)' : ''}`, async () => {
        const pin = `/sys/fs/bpf/tsbpf_vobj_test_${process.pid}`;
        let out = '';
        try {
          // -d: libbpf debug output, and log_level 1|2|4 (BPF_LOG_LEVEL2 | BPF_LOG_STATS).
          execFileSync('bpftool', [...(debug ? ['-d'] : []), 'prog', 'load', fixturePath(name), pin], { stdio: 'pipe' });
          throw new Error(`${name} loaded, but must fail verification`);
        } catch (e) {
          out = String((e as { stderr?: Buffer }).stderr ?? '');
        } finally {
          rmSync(pin, { force: true });
        }
        const file = join(dir, `${name}.txt`);
        writeFileSync(file, out);
        expect(extractVerifierLogs(out)).toHaveLength(1);

        const r = await run(['verifier', 'explain', file, '--object', fixturePath(name), '--json']);
        expect(r.code).toBe(0);
        const fromBpftool = JSON.parse(r.out) as Explanation & { program: string };
        const own = ownLoad(name, debug ? 7 : undefined);
        expect(own.parsed.level).toBe(debug ? 2 : 1);
        expect(fromBpftool.program).toBe(own.program);
        expect(essence(fromBpftool)).toEqual(JSON.parse(JSON.stringify(essence(own.explanation))));
        expect(fromBpftool.location).toMatchObject({ from: 'line_info', line: failLine(name) });
        expect(fromBpftool.location?.column).toBeGreaterThan(0);
      });
    }
  });
});

describeKernel('tsbpf loads: names and the automatic level-2 reload', () => {
  it('an unresolved __weak kfunc is poisoned and named in the VerifierError', () => {
    const err = ownLoad('verifier_kfunc_poison');
    expect(err.log).toContain(`invalid func unknown#${POISON_CALL_KFUNC_BASE}`);
    expect(err.explanation).toMatchObject({ id: 'kfunc-poison', insnIdx: 1, location: { line: failLine('verifier_kfunc_poison') } });
    expect(err.message.split('\n')[0]).toMatch(
      new RegExp(
        `^program 'err_kfunc_poison': \\./verifier_kfunc_poison\\.bpf\\.c:${failLine('verifier_kfunc_poison')}:9: kfunc not resolved: the kfunc 'bpf_tsbpf_no_such_kfunc' \\(declared __ksym __weak\\) is not in this kernel`,
      ),
    );
  });

  it('a poisoned call in dead code (behind a check that the kfunc exists) loads', () => {
    using c = loadCollection(spec('verifier_kfunc_poison'), { programs: ['ok_kfunc_guarded'] });
    expect([...c.programs.keys()]).toEqual(['ok_kfunc_guarded']);
  });

  it('a level-1 log without the failing instruction is reloaded at level 2, which names the C line', () => {
    // check_max_stack_depth runs after do_check: at level 1 the kernel has rewound the log to
    // nothing but the error, with no instruction, state or source line.
    const l1 = explain(readLog('verifier_stack_too_deep', 1));
    expect(l1.wantsLevel2).toBe(true);
    expect(l1.location).toBeUndefined();
    const err = ownLoad('verifier_stack_too_deep');
    expect(err.parsed.level).toBe(2);
    expect(err.explanation.wantsLevel2).toBe(false);
    expect(err.explanation).toMatchObject({ id: 'combined-stack', register: 'R10', location: { line: failLine('verifier_stack_too_deep') } });
    expect(err.parsed.insns.length).toBeGreaterThan(0);
    // And a load whose level-1 log is enough stays at level 1.
    expect(ownLoad('verifier_null_deref').parsed.level).toBe(1);
  });

  it('the source the fixtures mark is what line_info names', () => {
    const src = readFileSync(join(logsDir, '..', 'src', 'verifier_subprog_null.bpf.c'), 'utf8').split('\n');
    expect(src[failLine('verifier_subprog_null') - 1]).toBe(ownLoad('verifier_subprog_null').location?.text);
  });
});
