/**
 * `tsbpf prog load OBJ PATH`: pins the first program; a verifier failure is explained at its
 * C line as text (snippet with a caret), JSON or SARIF 2.1.0, with exit code 1.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Program } from '../../src/programs/index.js';
import { runCli as run } from '../helpers/cli.js';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, fixturesDir } from '../helpers/fixtures.js';

const pin = `/sys/fs/bpf/tsbpf_progload_test_${process.pid}`;

/** The 1-based line of a fixture's source marked with a `FAIL:` comment. */
function failLine(fixture: string): number {
  return readFileSync(join(fixturesDir, `${fixture}.bpf.c`), 'utf8').split('\n').findIndex((l) => l.includes('/* FAIL:')) + 1;
}

type Json = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The SARIF 2.1.0 rules a viewer relies on (the normative constraints of the OASIS standard's
 * sarifLog, run, toolComponent, result, location, region and codeFlow objects), checked one by
 * one; returns the problems found.
 */
function sarifProblems(log: Json): string[] {
  const bad: string[] = [];
  const check = (ok: boolean, what: string) => ok || bad.push(what);
  const allowed = (o: Json, keys: string[], where: string) => {
    for (const k of Object.keys(o)) check(keys.includes(k), `${where}: unknown property '${k}'`);
  };
  allowed(log, ['$schema', 'version', 'runs', 'inlineExternalProperties', 'properties'], 'sarifLog');
  check(log.version === '2.1.0', 'sarifLog.version must be "2.1.0"');
  check(typeof log.$schema === 'string' && /sarif-2\.1\.0/.test(log.$schema), 'sarifLog.$schema names the 2.1.0 schema');
  check(Array.isArray(log.runs), 'sarifLog.runs is an array');
  for (const [ri, run] of (log.runs as Json[]).entries()) {
    const where = `runs[${ri}]`;
    const driver = run.tool?.driver as Json | undefined;
    check(typeof driver?.name === 'string' && driver.name.length > 0, `${where}.tool.driver.name is required`);
    const rules = (driver?.rules ?? []) as Json[];
    check(new Set(rules.map((r) => r.id)).size === rules.length, `${where}: rule ids are unique`);
    for (const r of rules) {
      check(typeof r.id === 'string', `${where}: rule.id is a string`);
      if (r.shortDescription !== undefined) check(typeof r.shortDescription.text === 'string', `${where}: rule.shortDescription.text`);
    }
    const bases = (run.originalUriBaseIds ?? {}) as Record<string, Json>;
    for (const [id, b] of Object.entries(bases)) {
      check(/^file:\/\/\/.*\/$/.test(b.uri), `${where}.originalUriBaseIds.${id}.uri is an absolute directory URI ending in '/'`);
    }
    check(Array.isArray(run.results), `${where}.results is an array`);
    const physical = (p: Json, at: string) => {
      const a = p.artifactLocation as Json;
      check(typeof a?.uri === 'string' && a.uri.length > 0 && !a.uri.includes('\\'), `${at}.artifactLocation.uri is a URI reference`);
      if (a?.uriBaseId !== undefined) check(a.uriBaseId in bases, `${at}.artifactLocation.uriBaseId '${a.uriBaseId}' is defined in originalUriBaseIds`);
      const reg = p.region as Json;
      check(Number.isInteger(reg?.startLine) && reg.startLine >= 1, `${at}.region.startLine is an integer >= 1`);
      if (reg?.startColumn !== undefined) check(Number.isInteger(reg.startColumn) && reg.startColumn >= 1, `${at}.region.startColumn >= 1`);
    };
    for (const [i, res] of (run.results as Json[]).entries()) {
      const at = `${where}.results[${i}]`;
      check(typeof res.message?.text === 'string' && res.message.text.length > 0, `${at}.message.text is required`);
      check(['none', 'note', 'warning', 'error'].includes(res.level), `${at}.level is a SARIF level`);
      if (res.ruleIndex !== undefined) check(rules[res.ruleIndex]?.id === res.ruleId, `${at}.ruleIndex points at rule '${res.ruleId}'`);
      for (const [li, l] of ((res.locations ?? []) as Json[]).entries()) if (l.physicalLocation) physical(l.physicalLocation, `${at}.locations[${li}].physicalLocation`);
      for (const cf of (res.codeFlows ?? []) as Json[]) {
        check(Array.isArray(cf.threadFlows) && cf.threadFlows.length >= 1, `${at}.codeFlows[].threadFlows has at least one item`);
        for (const tf of cf.threadFlows as Json[]) {
          check(Array.isArray(tf.locations) && tf.locations.length >= 1, `${at}: threadFlow.locations has at least one item`);
          for (const tl of tf.locations as Json[]) if (tl.location?.physicalLocation) physical(tl.location.physicalLocation, `${at}: threadFlowLocation`);
        }
      }
    }
  }
  return bad;
}

describe('tsbpf prog load: command line', () => {
  it('says what is wrong with its arguments', async () => {
    expect((await run(['prog', 'load', fixturePath('minimal')])).code).toBe(2);
    expect((await run(['prog', 'load', fixturePath('minimal'), pin, '--json', '--sarif'])).err).toMatch(/give one of/);
    expect((await run(['prog', 'load', fixturePath('minimal'), pin, '--log-level', '9'])).err).toMatch(/bad log level '9'/);
    const missing = await run(['prog', 'load', '/nonexistent.o', pin]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read '\/nonexistent\.o'/);
  });

  it('is listed in the help next to prog loadall', async () => {
    expect((await run(['--help'])).out).toMatch(/tsbpf prog load OBJ PATH \[--log-level N\] \[--explain\|--json\|--sarif\]/);
  });
});

describeKernel('tsbpf prog load', () => {
  afterEach(() => rmSync(pin, { force: true }));

  it('pins the first program of an object that loads', async () => {
    const r = await run(['prog', 'load', fixturePath('minimal'), pin, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.pinned).toBe(pin);
    expect(existsSync(pin)).toBe(true);
    using p = Program.fromPin(pin);
    expect(p.info().id).toBe(j.id);
    expect(p.info().name).toBe(j.program.slice(0, 15));
    // Plain: silent, as bpftool.
    rmSync(pin);
    const plain = await run(['prog', 'load', fixturePath('minimal'), pin]);
    expect(plain).toEqual({ code: 0, out: '', err: '' });
  });

  it('explains a verifier failure with a source snippet and a caret, exit code 1', async () => {
    const r = await run(['prog', 'load', fixturePath('verifier_subprog_null'), pin]);
    expect(r.code).toBe(1);
    expect(existsSync(pin)).toBe(false);
    const line = failLine('verifier_subprog_null');
    const lines = r.err.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      "error: program 'err_subprog_null' failed verification (EACCES): pointer may be NULL",
      `  --> test/fixtures/src/verifier_subprog_null.bpf.c:${line}:11`,
      '   |',
      `${line - 1} | {`,
      `${line} |     v->bytes += len; /* FAIL: v may be NULL */`,
      //          the column (11) is '+', after a tab shown as 4 spaces
      '   |              ^',
      `${line + 1} |     return v->hits > 8;`,
    ]);
    expect(lines[4]!.indexOf('+=')).toBe(lines[5]!.indexOf('^'));
    expect(r.err).toMatch(/^R1 may be NULL here/m);
    expect(r.err).toMatch(/^how R1 got here:\n {2}insn 11 \(\.\/verifier_subprog_null\.bpf\.c:45:6\): R0 is the return value of bpf_map_lookup_elem#1/m);
    expect(r.err).toMatch(/^ {2}R1 invalid mem access 'map_value_or_null'$/m);
    expect((await run(['prog', 'load', fixturePath('verifier_subprog_null'), pin, '--explain'])).err).toBe(r.err);
  });

  it('--json: the explanation as data; --log-level 2 loads with a level-2 log', async () => {
    const r = await run(['prog', 'load', fixturePath('verifier_null_deref'), pin, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ program: 'err_null_deref', errno: 'EACCES', logLevel: 1 });
    expect(j.explanation).toMatchObject({ id: 'null-deref', register: 'R0', location: { line: failLine('verifier_null_deref'), column: 9 } });
    expect(j.log).toMatch(/invalid mem access/);
    const l2 = JSON.parse((await run(['prog', 'load', fixturePath('verifier_null_deref'), pin, '--json', '--log-level', '2'])).out);
    expect(l2.logLevel).toBe(2);
    expect(l2.explanation.id).toBe('null-deref');
  });

  it('the automatic level-2 reload shows: a level-1 log without the failing instruction', async () => {
    const j = JSON.parse((await run(['prog', 'load', fixturePath('verifier_stack_too_deep'), pin, '--json'])).out);
    expect(j.logLevel).toBe(2);
    expect(j.explanation).toMatchObject({ id: 'combined-stack', location: { line: failLine('verifier_stack_too_deep') } });
  });

  it('names the kfunc the loader could not resolve', async () => {
    const r = await run(['prog', 'load', fixturePath('verifier_kfunc_poison'), pin]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^the kfunc 'bpf_tsbpf_no_such_kfunc' \(declared __ksym __weak\) is not in this kernel/m);
  });

  it('--sarif: a valid SARIF 2.1.0 log that points at the C line', async () => {
    const r = await run(['prog', 'load', fixturePath('verifier_unbounded_index'), pin, '--sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.out) as Json;
    expect(sarifProblems(log)).toEqual([]);
    const run0 = log.runs[0];
    expect(run0.tool.driver).toMatchObject({ name: 'tsbpf', version: '0.1.0' });
    expect(run0.results).toHaveLength(1);
    const res = run0.results[0];
    expect(res).toMatchObject({ ruleId: 'value-makes-ptr-oob', level: 'error', properties: { program: 'err_unbounded_index', register: 'R6', errno: expect.stringMatching(/^E[A-Z]+$/) } });
    expect(res.message.text).toMatch(/^program 'err_unbounded_index': offset would move the pointer out of bounds: R6 /);
    const loc = res.locations[0].physicalLocation;
    expect(loc.artifactLocation).toEqual({ uri: 'test/fixtures/src/verifier_unbounded_index.bpf.c', uriBaseId: 'SRCROOT' });
    expect(loc.region).toMatchObject({ startLine: failLine('verifier_unbounded_index'), startColumn: expect.any(Number) });
    // The URI resolves, against SRCROOT, to the fixture's source, and the snippet is its line.
    const file = fileURLToPath(new URL(loc.artifactLocation.uri, run0.originalUriBaseIds.SRCROOT.uri));
    const text = readFileSync(file, 'utf8').split('\n')[loc.region.startLine - 1];
    expect(loc.region.snippet.text).toBe(text);
    // The register's history is a code flow ending at the failing line.
    const flow = res.codeFlows[0].threadFlows[0].locations;
    expect(flow.length).toBeGreaterThanOrEqual(2);
    expect(flow[0].location.message.text).toMatch(/^insn 2: R6 loaded from memory/);
    expect(flow.at(-1).location.physicalLocation.region.startLine).toBe(failLine('verifier_unbounded_index'));
    expect(run0.tool.driver.rules[res.ruleIndex].help.text).toBeTruthy();
  });

  it('--sarif on success: a log with no results', async () => {
    const r = await run(['prog', 'load', fixturePath('minimal'), pin, '--sarif']);
    expect(r.code).toBe(0);
    const log = JSON.parse(r.out) as Json;
    expect(sarifProblems(log)).toEqual([]);
    expect(log.runs[0].results).toEqual([]);
  });

  it('the validator catches what it checks', () => {
    const broken = { version: '2.0.0', runs: [{ tool: { driver: {} }, results: [{ level: 'fatal', message: {}, locations: [{ physicalLocation: { artifactLocation: { uri: 'x', uriBaseId: 'NOPE' }, region: { startLine: 0 } } }] }] }], extra: 1 };
    expect(sarifProblems(broken as Json).length).toBeGreaterThanOrEqual(6);
  });
});
