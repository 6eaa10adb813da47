/**
 * What `tsbpf run` finds in an object without a kernel: event record types (each of the four
 * ways), histograms, counters, parameters and their parsing, the attach plan, and the
 * one-line errors for bad input (exit code 1), which all happen before any load.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { discover } from '../../src/cli/run/discover.js';
import { recordSizes, resolveEventType } from '../../src/cli/run/event-type.js';
import { encodeParam, listParams, resolveParams } from '../../src/cli/run/params.js';
import { planAttach } from '../../src/cli/run/attach-plan.js';
import { splitRunArgs } from '../../src/cli/run.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath, repoRoot } from '../helpers/fixtures.js';

const examplePath = (name: string) => join(repoRoot, 'examples', 'bpf', `${name}.bpfel.o`);
const example = (name: string): ObjectSpec => parseObject(new Uint8Array(readFileSync(examplePath(name))), { name });

describe('event record types', () => {
  it('takes the type from __type(value, struct event) of a ring buffer', () => {
    const spec = example('execsnoop');
    const [e] = discover(spec).events;
    expect(e).toMatchObject({ map: 'events', kind: 'ringbuf', source: 'map definition' });
    expect(spec.btf!.nameOf(e!.typeId!)).toBe('event');
  });

  it('takes the type from a __tsbpf_event_<map> global', () => {
    const [e] = discover(example('sigsnoop')).events;
    expect(e).toMatchObject({ kind: 'perf', source: '__tsbpf_event global' });
  });

  it('infers the type from the constant size given to bpf_ringbuf_reserve', () => {
    const spec = example('execsnoop');
    const sizes = recordSizes(spec);
    expect([...sizes.get('events')!]).toEqual([156]);
    // Without the map definition's hint, the reserve size still finds struct event.
    const bare = { ...spec, maps: new Map([...spec.maps].map(([k, m]) => [k, { ...m, valueTypeId: 0 }])) };
    const t = resolveEventType(bare, 'events', undefined, sizes);
    expect(t).toMatchObject({ source: 'reserve size' });
    expect(spec.btf!.nameOf(t.typeId!)).toBe('event');
  });

  it('takes --event-type over everything, and refuses a type that does not exist', () => {
    const spec = example('execsnoop');
    expect(discover(spec, { eventTypeAll: 'struct event' }).events[0]).toMatchObject({ source: 'option' });
    expect(() => discover(spec, { eventTypeAll: 'nosuch' })).toThrow("no type 'nosuch' in the BTF of object 'execsnoop'");
    expect(() => discover(spec, { eventTypeByMap: new Map([['nomap', 'event']]) })).toThrow("has no event map 'nomap' (event maps: events)");
  });
});

describe('maps shown', () => {
  it('finds histograms by name and leaves per-item state maps out of the counters', () => {
    const plan = discover(example('runqlat'));
    expect(plan.histograms.map((h) => h.map)).toEqual(['hist_usecs']);
    expect(plan.counters.map((c) => c.map)).not.toContain('start');
  });

  it('finds counters in a per-CPU array', () => {
    expect(discover(example('xdpcount')).counters).toEqual([expect.objectContaining({ map: 'packets', perCpu: true, array: true })]);
  });

  it('sees bpf_printk calls', () => {
    expect(discover(example('hello')).printk).toBe(true);
    expect(discover(example('execsnoop')).printk).toBe(false);
  });
});

describe('parameters', () => {
  const spec = example('exitsnoop');
  const params = listParams(spec);

  it('lists const volatile .rodata globals with their types and defaults', () => {
    expect(params.map((p) => [p.name, p.typeName, p.defaultText])).toEqual([
      ['targ_pid', '__u32', '0'],
      ['targ_failed', '_Bool', 'false'],
    ]);
  });

  it('parses values by BTF type', () => {
    const pid = params.find((p) => p.name === 'targ_pid')!;
    expect([...encodeParam(spec, pid, '0x10')]).toEqual([16, 0, 0, 0]);
    expect([...encodeParam(spec, pid, '4294967295')]).toEqual([255, 255, 255, 255]);
    expect(() => encodeParam(spec, pid, '-1')).toThrow("parameter 'targ_pid' (__u32) takes an unsigned 32-bit integer, not '-1' (out of range 0..4294967295)");
    expect(() => encodeParam(spec, pid, 'abc')).toThrow("not 'abc'");
    const failed = params.find((p) => p.name === 'targ_failed')!;
    expect([...encodeParam(spec, failed, 'true')]).toEqual([1]);
    expect(() => encodeParam(spec, failed, 'maybe')).toThrow('takes true or false');
  });

  it('names the known parameters when one is unknown', () => {
    expect(() => resolveParams(spec, params, [['nope', '1']])).toThrow("unknown parameter 'nope'; parameters: targ_pid, targ_failed");
  });

  it('splits --NAME VALUE parameters from tsbpf options', () => {
    expect(splitRunArgs(['x.o', '--json', '--targ_pid', '7', '--min_us=5', '--duration', '2', '--offset', '-3'])).toEqual({
      own: ['x.o', '--json', '--duration=2'],
      params: [
        ['targ_pid', '7'],
        ['min_us', '5'],
        ['offset', '-3'],
      ],
    });
  });

  it('reports option mistakes as usage errors (exit code 2)', async () => {
    for (const argv of [['run', 'x.o', '--duration', '-1'], ['run', 'x.o', '--json=3'], ['run'], ['replay'], ['replay', 'f', '--bogus'], ['run', 'x.o', '--event', 'nope'], ['run', 'x.o', '--hist-style', 'ascii']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^tsbpf (run|replay): .+\nUsage: tsbpf /);
    }
  });
});

describe('attach plan', () => {
  it('attaches sections with targets and asks for the others', () => {
    expect(planAttach(example('execsnoop'), {})[0]!.step).toEqual({ how: 'section', describe: 'tracepoint sched/sched_process_exec' });
    expect(planAttach(example('xdpcount'), {})[0]!.step).toEqual({ how: 'skip', reason: 'needs --iface IF (an XDP program)' });
    expect(planAttach(example('xdpcount'), { iface: 'lo' })[0]!.step).toEqual({ how: 'xdp', iface: 'lo' });
    expect(planAttach(example('profile'), { freq: 49 })[0]!.step).toEqual({ how: 'perf_event', event: 'cpu-clock', freq: 49, pid: undefined });
  });

  it('prints the plan with --dry-run, uprobe offsets included', async () => {
    const r = await runCli(['run', examplePath('bashreadline'), '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bash_readline \(uretprobe\/\/bin\/bash:readline\) -> uretprobe \/bin\/bash:readline\n {6}\/bin\/bash file offset 0x[0-9a-f]+/);
    const j = JSON.parse((await runCli(['run', examplePath('execsnoop'), '--dry-run', '--json'])).out);
    expect(j.programs[0]).toMatchObject({ program: 'handle_exec', attach: 'tracepoint sched/sched_process_exec' });
    expect(j.events[0]).toMatchObject({ map: 'events', type: 'struct event', size: 156 });
  });

  it('lists the object parameters in tsbpf run OBJ --help', async () => {
    const r = await runCli(['run', examplePath('opensnoop'), '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}--targ_pid VALUE +__u32, default 0 \(an unsigned 32-bit integer\)$/m);
    expect(r.out).toMatch(/^ {2}--targ_failed VALUE +_Bool, default false \(true or false\)$/m);
  });
});

describe('bad input: one line, exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const junk = join(dir, 'junk.o');
  writeFileSync(junk, 'not an object file at all, and long enough for an ELF header: '.repeat(2));
  const short = join(dir, 'short.o');
  writeFileSync(short, '\x7fELF');
  const cases: [string, string[], RegExp][] = [
    ['not an ELF', ['run', junk], /bad magic: not an ELF file/],
    ['a truncated ELF', ['run', short], /too short for an ELF header/],
    ['a missing file', ['run', join(dir, 'missing.o')], /cannot read/],
    ['no attachable program', ['run', examplePath('xdpcount')], /no attachable program in object 'xdpcount': 'xdp_count' needs --iface IF/],
    ['an object without programs', ['run', fixturePath('core_target_a')], /^Error: no attachable program in object 'core_target_a' \(it has no programs\)$/m],
    ['an event type that does not exist', ['run', examplePath('execsnoop'), '--event-type', 'struct nosuch'], /no type 'struct nosuch'/],
    ['an unknown --set name', ['run', examplePath('execsnoop'), '--set', 'nope=1'], /unknown parameter 'nope'/],
    ['an unknown --NAME parameter', ['run', examplePath('opensnoop'), '--nope', '1'], /unknown parameter 'nope'; parameters: targ_pid, targ_failed/],
    ['a wrong-typed value', ['run', examplePath('opensnoop'), '--set', 'targ_pid=abc'], /parameter 'targ_pid' \(__u32\) takes an unsigned 32-bit integer, not 'abc'/],
    ['a wrong-typed --NAME value', ['run', examplePath('opensnoop'), '--targ_failed', 'perhaps'], /takes true or false, not 'perhaps'/],
    ['an unknown --only program', ['run', examplePath('execsnoop'), '--only', 'nope'], /--only: no program 'nope'/],
    ['replay of a file that is not a recording', ['replay', junk], /not a tsbpf recording/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await runCli(argv);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    });
  }
});
