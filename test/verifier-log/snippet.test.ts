/** Source snippets and SARIF from explanations, without the kernel. */
import { describe, expect, it } from 'vitest';
import { explain, formatExplanation, formatSnippet, toSarif, type SourceLocation } from '../../src/verifier-log/index.js';
import { readLog } from './helpers.js';

const loc: SourceLocation = { from: 'line_info', file: './x.bpf.c', line: 3, column: 12, text: '\tif (a) *p += 1;' };

describe('formatSnippet', () => {
  it('from line_info alone: the line and a caret under the column (a tab shown as 4 spaces)', () => {
    expect(formatSnippet(loc)).toEqual([' --> ./x.bpf.c:3:12', '  |', '3 |     if (a) *p += 1;', '  |               ^']);
    // column 12 is the '+' of '+=': 1 tab + 10 characters before it
    const [, , code, caret] = formatSnippet(loc);
    expect(code!.indexOf('+=')).toBe(caret!.indexOf('^'));
  });

  it('with the file: neighbouring lines, and the path the caller found', () => {
    const lines = ['int f(int *p, int a)', '{', '\tif (a) *p += 1;', '\treturn 0;', '}'];
    expect(formatSnippet(loc, { sourceLines: lines, path: 'src/x.bpf.c' })).toEqual([
      ' --> src/x.bpf.c:3:12',
      '  |',
      '2 | {',
      '3 |     if (a) *p += 1;',
      '  |               ^',
      '4 |     return 0;',
    ]);
  });

  it('ignores a file that no longer matches the object, and handles missing parts', () => {
    const edited = ['', '', '\tint changed;', ''];
    expect(formatSnippet(loc, { sourceLines: edited })[2]).toBe('3 |     if (a) *p += 1;');
    expect(formatSnippet({ from: 'log', file: 'y.c', line: 7 })).toEqual(['--> y.c:7']);
    expect(formatSnippet({ from: 'log', text: 'x' })).toEqual([]);
    expect(formatSnippet(undefined)).toEqual([]);
    expect(formatSnippet({ ...loc, column: 0 })).toHaveLength(3);
  });
});

describe('toSarif', () => {
  it('one rule per catalogue entry, the C location, the register history as a code flow', () => {
    const e = explain(readLog('verifier_unbounded_index', 1));
    const log = toSarif([{ program: 'p', explanation: e, errno: 'EACCES' }, { program: 'q', explanation: e }], { toolVersion: '1', srcRoot: 'file:///src/' });
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['value-makes-ptr-oob']);
    expect(run.results.map((r) => r.ruleIndex)).toEqual([0, 0]);
    const r = run.results[0]!;
    // No line_info here: the log's own source comment gives the file and line.
    expect(r.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'verifier_unbounded_index.bpf.c', uriBaseId: 'SRCROOT' },
      region: { startLine: 26, snippet: { text: 'v->bytes[idx] = 1; /* FAIL: idx has no lower bound */' } },
    });
    const flow = r.codeFlows![0]!.threadFlows[0]!.locations.map((l) => l.location.physicalLocation!.region.startLine);
    expect(flow.length).toBe(e.causalPath.filter((s) => s.location?.line !== undefined).length + 1);
    expect([flow[0], flow.at(-1)]).toEqual([19, 26]);
    expect(r.properties).toMatchObject({ program: 'p', errno: 'EACCES', register: 'R6', insn: 13 });
  });

  it('an unexplained failure without location still makes a valid result', () => {
    const e = explain('0: (95) exit\nsomething new\n');
    const r = toSarif([{ explanation: e }]).runs[0]!.results[0]!;
    expect(r.ruleId).toBe('verifier-rejected');
    expect(r.locations).toEqual([{}]);
    expect(r.message.text).toContain('something new');
    expect(formatExplanation(e, { header: false }).split('\n')[0]).toBe(e.text);
  });
});
