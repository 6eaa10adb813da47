/**
 * Recordings and `tsbpf replay`, with no kernel: the format round-trips, a replay prints
 * events, histograms (both styles), counters and trace_pipe lines as a run would, and
 * damaged or foreign files are one-line errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { valueCodec } from '../../src/btf/index.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { discover } from '../../src/cli/run/discover.js';
import { decodeRecording, encodeHeader, encodeItem, RECORD_FORMAT, RECORD_VERSION, type RecordItem } from '../../src/cli/run/record-file.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/fixtures.js';

const example = (name: string): ObjectSpec => parseObject(new Uint8Array(readFileSync(join(repoRoot, 'examples', 'bpf', `${name}.bpfel.o`))), { name });
const dir = mkdtempSync(join(tmpdir(), 'tsbpf-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

function recording(spec: ObjectSpec, items: RecordItem[], options = { json: false, histStyle: 'bpftrace' as const, interval: 0 }): string {
  const header = encodeHeader({
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    object: spec.name,
    littleEndian: spec.littleEndian,
    tzOffsetMin: 0,
    btf: spec.btf?.bytes,
    plan: discover(spec),
    options,
  });
  return [header, ...items.map(encodeItem)].join('\n') + '\n';
}

function save(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('record format', () => {
  it('round-trips every kind of item', () => {
    const spec = example('runqlat');
    const items: RecordItem[] = [
      { kind: 'event', t: T0, map: 'events', data: Uint8Array.of(1, 2, 3) },
      { kind: 'lost', t: T0 + 1, map: 'events', count: 4 },
      { kind: 'printk', t: T0 + 2, line: 'sh-1 [000] bpf_trace_printk: hi' },
      { kind: 'iter', t: T0 + 3, program: 'dump', text: 'a\nb\n' },
      { kind: 'maps', t: T0 + 4, final: true, maps: new Map([['hist_usecs', [{ key: u32(1), values: [u64(2), u64(3)] }]]]) },
      { kind: 'end', t: T0 + 5 },
    ];
    const { header, items: back } = decodeRecording(recording(spec, items));
    expect(header).toMatchObject({ format: 'tsbpf-record', version: 1, object: 'runqlat', littleEndian: true });
    expect([...header.btf!]).toEqual([...spec.btf!.bytes]);
    expect(back).toEqual(items);
  });

  it('refuses other formats, newer versions and damaged lines', () => {
    const spec = example('execsnoop');
    const good = recording(spec, []);
    expect(() => decodeRecording('')).toThrow('not a tsbpf recording');
    expect(() => decodeRecording('{"format":"other"}\n')).toThrow("not a tsbpf recording (format 'other')");
    expect(() => decodeRecording(good.replace('"version":1', '"version":2'))).toThrow('recording version 2 is newer than this tsbpf reads (1)');
    expect(() => decodeRecording(good + '{"t":1,"event":"events","data":"!!"}\n')).toThrow('line 2: data: not base64');
    expect(() => decodeRecording(good + 'garbage\n')).toThrow('line 2: not JSON');
  });
});

describe('tsbpf replay', () => {
  it('prints recorded events as run prints them: table, or JSON lines with --json', async () => {
    const spec = example('execsnoop');
    const plan = discover(spec);
    const codec = valueCodec(spec.btf!, plan.events[0]!.typeId!);
    const ev = (pid: number, comm: string, filename: string) => codec.encode({ pid, ppid: 1, uid: 0, comm, filename });
    const file = save(
      'exec.rec',
      recording(spec, [
        { kind: 'event', t: T0 + 1500, map: 'events', data: ev(100, 'bash', '/bin/bash') },
        { kind: 'event', t: T0 + 2500, map: 'events', data: ev(101, 'exactly16chars!!', '/usr/bin/x') },
        { kind: 'maps', t: T0 + 3000, final: true, maps: new Map() },
        { kind: 'end', t: T0 + 3000 },
      ]),
    );
    const r = await runCli(['replay', file]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'TIME     PID     PPID    UID     COMM            FILENAME',
        '12:00:01 100     1       0       bash            /bin/bash',
        // A string longer than the column widens it from then on.
        '12:00:02 101     1       0       exactly16chars!! /usr/bin/x',
        '',
      ].join('\n'),
    );
    expect(r.err).toBe('summary: 2 events (events: 2)\n');
    const j = await runCli(['replay', file, '--json']);
    const lines = j.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { type: 'event', map: 'events', time: '2026-11-26T12:00:01.500Z', data: { pid: 100, ppid: 1, uid: 0, comm: 'bash', filename: '/bin/bash' } },
      { type: 'event', map: 'events', time: '2026-11-26T12:00:02.500Z', data: { pid: 101, ppid: 1, uid: 0, comm: 'exactly16chars!!', filename: '/usr/bin/x' } },
    ]);
  });

  it('prints histograms in bpftrace and BCC style, at each interval and at exit', async () => {
    const spec = example('runqlat');
    const slots = (c: [number, number][]) => c.map(([slot, n]) => ({ key: u32(slot), values: [u64(n)] }));
    const file = save(
      'runqlat.rec',
      recording(spec, [
        { kind: 'maps', t: T0 + 1000, final: false, maps: new Map([['hist_usecs', slots([[2, 1]])]]) },
        { kind: 'maps', t: T0 + 2000, final: true, maps: new Map([['hist_usecs', slots([[2, 3], [4, 6]])]]) },
      ]),
    );
    const r = await runCli(['replay', file]);
    expect(r.out).toBe(
      [
        '12:00:01',
        '@usecs:',
        '[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '@usecs:',
        '[4, 8)                 3 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |',
        '[8, 16)                0 |                                                    |',
        '[16, 32)               6 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '',
      ].join('\n'),
    );
    const bcc = await runCli(['replay', file, '--hist-style', 'bcc']);
    expect(bcc.out).toContain(['     usecs               : count    distribution', '         0 -> 1          : 0        |                                        |'].join('\n'));
    expect(bcc.out).toContain('        16 -> 31         : 6        |****************************************|');
    const j = (await runCli(['replay', file, '--json'])).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(j[1]).toMatchObject({ type: 'hist', map: 'hist_usecs', unit: 'usecs', final: true, total: 9, buckets: [{ min: 4, max: 7, count: 3 }, { min: 8, max: 15, count: 0 }, { min: 16, max: 31, count: 6 }] });
  });

  it('prints counters and trace_pipe lines', async () => {
    const xdp = example('xdpcount');
    const file = save(
      'xdp.rec',
      recording(xdp, [
        { kind: 'maps', t: T0, final: true, maps: new Map([['packets', [{ key: u32(6), values: [u64(2), u64(3)] }, { key: u32(1), values: [u64(9), u64(0)] }]]]) },
      ]),
    );
    const r = await runCli(['replay', file]);
    expect(r.out).toBe(['@packets:', 'KEY  VALUE', '1        9', '6        5', ''].join('\n'));
    expect(r.err).toBe('summary: packets: 2 entries\n');
    const hello = example('hello');
    const line = '            bash-4242    [001] ...21  1234.567890: bpf_trace_printk: hello from pid 4242';
    const h = save('hello.rec', recording(hello, [{ kind: 'printk', t: T0, line }]));
    expect((await runCli(['replay', h])).out).toBe(line + '\n');
    expect(JSON.parse((await runCli(['replay', h, '--json'])).out)).toMatchObject({ type: 'printk', msg: 'hello from pid 4242' });
  });

  it('prints stack counts with the symbols recorded live, least frequent first', async () => {
    const spec = example('profile');
    const plan = discover(spec);
    expect(plan.stacks).toEqual([expect.objectContaining({ map: 'counts', stackMap: 'stacks', kernField: 'kern_stack_id', userField: 'user_stack_id', pidField: 'pid', commField: 'comm' })]);
    const keyCodec = valueCodec(spec.btf!, plan.stacks![0]!.keyTypeId);
    const stack = (...addrs: number[]) => new Uint8Array(new BigUint64Array([...addrs.map(BigInt), 0n]).buffer);
    const file = save(
      'profile.rec',
      recording(spec, [
        {
          kind: 'maps',
          t: T0,
          final: true,
          maps: new Map([
            [
              'counts',
              [
                { key: keyCodec.encode({ pid: 42, kern_stack_id: 1, user_stack_id: 2, comm: 'busy' }), values: [u64(17)] },
                { key: keyCodec.encode({ pid: 43, kern_stack_id: -14, user_stack_id: 2, comm: 'idle' }), values: [u64(3)] },
              ],
            ],
            [
              'stacks',
              [
                { key: u32(1), values: [stack(0xffff1000, 0xffff2000)] },
                { key: u32(2), values: [stack(0x401000, 0x402000)] },
              ],
            ],
          ]),
          symbols: { 'k:ffff1000': 'do_syscall_64', 'k:ffff2000': 'entry_SYSCALL_64_after_hwframe', 'u:42:401000': 'main' },
        },
      ]),
    );
    const r = await runCli(['replay', file]);
    expect(r.out).toBe(
      [
        // -EFAULT: no kernel stack, nothing printed for it; unknown addresses are [unknown].
        '    [unknown]',
        '    [unknown]',
        '    -                idle (43)',
        '        3',
        '',
        '    do_syscall_64',
        '    entry_SYSCALL_64_after_hwframe',
        '    --',
        '    main',
        '    [unknown]',
        '    -                busy (42)',
        '        17',
        '',
      ].join('\n'),
    );
    const j = JSON.parse((await runCli(['replay', file, '--json'])).out);
    expect(j.samples[1]).toEqual({ pid: 42, comm: 'busy', kernel: ['do_syscall_64', 'entry_SYSCALL_64_after_hwframe'], user: ['main', '[unknown]'], count: 17 });
  });
});
