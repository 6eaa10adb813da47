/**
 * `tsbpf run` output, without a kernel: histogram layouts (bpftrace's `TextOutput::hist`,
 * BCC's `print_log2_hist`/`print_linear_hist`, character for character), well-known field
 * rendering, event tables and JSON lines, counter tables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { valueCodec } from '../../src/btf/index.js';
import { parseObject } from '../../src/object/index.js';
import { EventFormatter, clockTime } from '../../src/cli/run/event-format.js';
import { errnoName, fieldKind, formatDuration, formatIPv6, signalName } from '../../src/cli/run/fields.js';
import { bccRows, bpftraceRows, formatHistogram, histBuckets, log2Label } from '../../src/cli/run/hist.js';
import { formatCounters, KeyRenderer, readCounters, readHistograms } from '../../src/cli/run/map-format.js';
import { discover } from '../../src/cli/run/discover.js';
import { repoRoot } from '../helpers/fixtures.js';

const example = (name: string) => parseObject(new Uint8Array(readFileSync(join(repoRoot, 'examples', 'bpf', `${name}.bpfel.o`))), { name });
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

describe('histograms, bpftrace layout', () => {
  it('prints [lo, hi) rows from the first to the last non-empty slot with 52-wide @ bars', () => {
    // Slot 2 counts [4, 8), slot 3 [8, 16); 3/12 of 52 is 13 bars.
    const rows = bpftraceRows([0, 0, 3, 12], { kind: 'log2' });
    expect(rows).toEqual([
      '[4, 8)                 3 |@@@@@@@@@@@@@                                       |',
      '[8, 16)               12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
    ]);
    for (const r of rows) expect(r.length).toBe(16 + 8 + 2 + 52 + 1);
  });

  it('labels powers of 1024 with K, M, G and slot 0 as [0, 2)', () => {
    expect(log2Label(1024)).toBe('1K');
    expect(log2Label(2048)).toBe('2K');
    expect(log2Label(1 << 20)).toBe('1M');
    expect(log2Label(2 ** 31)).toBe('2G');
    const counts = new Array(12).fill(0);
    counts[0] = 1;
    counts[10] = 2;
    const rows = bpftraceRows(counts, { kind: 'log2' });
    expect(rows[0]).toMatch(/^\[0, 2\) {10} {7}1 \|@{26} {26}\|$/);
    expect(rows.at(-1)).toMatch(/^\[1K, 2K\) +2 \|@{52}\|$/);
  });

  it('truncates bars as bpftrace does (int of count / max * 52)', () => {
    const rows = bpftraceRows([1, 3], { kind: 'log2' });
    expect(rows[0]).toContain(`|${'@'.repeat(17)}${' '.repeat(35)}|`); // 1/3*52 = 17.33
  });

  it('titles a histogram @unit: (and @unit[key]:) and ends it with a blank line', () => {
    expect(formatHistogram({ name: 'usecs', unit: 'usecs', counts: [0, 1], scale: { kind: 'log2' } }, 'bpftrace')).toEqual([
      '@usecs:',
      '[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
      '',
    ]);
    expect(formatHistogram({ name: 'usecs', unit: 'usecs', label: 'bash', counts: [], scale: { kind: 'log2' } }, 'bpftrace')[0]).toBe('@usecs[bash]:');
  });

  it('prints linear buckets as lhist does', () => {
    const rows = bpftraceRows([0, 2, 1], { kind: 'linear', base: 0, step: 10 });
    expect(rows).toEqual([
      '[10, 20)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
      '[20, 30)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |',
    ]);
    expect(bpftraceRows([0, 1], { kind: 'linear', base: 0, step: 1024 })[0]).toMatch(/^\[1K, 2K\)/);
  });
});

describe('histograms, BCC layout', () => {
  it('prints print_log2_hist rows from slot 0 with a 40-star bar', () => {
    const rows = bccRows([0, 0, 3, 12], { kind: 'log2' }, 'usecs');
    expect(rows).toEqual([
      '     usecs               : count    distribution',
      '         0 -> 1          : 0        |                                        |',
      '         2 -> 3          : 0        |                                        |',
      '         4 -> 7          : 3        |**********                              |',
      '         8 -> 15         : 12       |****************************************|',
    ]);
  });

  it('widens columns and halves the bar beyond 33 slots', () => {
    const counts = new Array(34).fill(0);
    counts[33] = 1;
    const rows = bccRows(counts, { kind: 'log2' }, 'nsecs');
    expect(rows[0]).toBe(`${' '.repeat(15)}${'nsecs'.padEnd(29)} : count    distribution`);
    expect(rows.at(-1)).toBe(`${String(2 ** 33).padStart(20)} -> ${String(2 ** 34 - 1).padEnd(20)} : 1        |${'*'.repeat(20)}|`);
  });

  it('prints print_linear_hist rows, skipping empty buckets', () => {
    expect(bccRows([0, 4, 0, 2], { kind: 'linear', base: 0, step: 5 }, 'msecs')).toEqual([
      '     msecs         : count     distribution',
      '        5          : 4        |****************************************|',
      '        15         : 2        |********************                    |',
    ]);
  });

  it('puts the key above a keyed histogram', () => {
    expect(formatHistogram({ name: 'usecs', unit: 'usecs', label: '42', keyName: 'pid', counts: [1], scale: { kind: 'log2' } }, 'bcc')[0]).toBe('pid = 42');
  });

  it('gives JSON buckets as inclusive [min, max] ranges', () => {
    expect(histBuckets([0, 0, 5], { kind: 'log2' })).toEqual([{ min: 4, max: 7, count: 5 }]);
    expect(histBuckets([2], { kind: 'log2' })).toEqual([{ min: 0, max: 1, count: 2 }]);
  });
});

describe('well-known fields', () => {
  it('names errnos and signals', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
  });

  it('writes IPv6 as inet_ntop does', () => {
    const a = new Uint8Array(16);
    a[15] = 1;
    expect(formatIPv6(a)).toBe('::1');
    const b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(formatIPv6(b)).toBe('2001:db8::1:0:0:1');
    const m = new Uint8Array(16);
    m[10] = 0xff;
    m[11] = 0xff;
    m.set([10, 0, 0, 1], 12);
    expect(formatIPv6(m)).toBe('::ffff:10.0.0.1');
  });

  it('scales durations', () => {
    expect(formatDuration(850)).toBe('850ns');
    expect(formatDuration(12_500)).toBe('12.5us');
    expect(formatDuration(4_560_000)).toBe('4.56ms');
    expect(formatDuration(1_230_000_000)).toBe('1.23s');
  });

  it('chooses the rendering by field name and type', () => {
    const int = (size: number, typeName = 'int') => ({ kind: 'int' as const, typeName, size, signed: true, bool: false, bits: size * 8, bitOffset: 0 });
    expect(fieldKind('ret', int(4))).toBe('errno');
    expect(fieldKind('saddr', int(4))).toBe('ipv4');
    expect(fieldKind('daddr_v6', { kind: 'array', typeName: '__u8[16]', size: 16, length: 16, elemSize: 1, elem: int(1) })).toBe('ipv6');
    expect(fieldKind('dport', int(2, '__be16'))).toBe('port-be');
    expect(fieldKind('dport', int(2, '__u16'))).toBe('port');
    expect(fieldKind('sig', int(4))).toBe('signal');
    expect(fieldKind('delta_us', int(8))).toBe('duration');
    expect(fieldKind('pid', int(4))).toBe('int');
  });
});

describe('event table', () => {
  const spec = example('execsnoop');
  const btf = spec.btf!;
  const plan = discover(spec);
  const codec = valueCodec(btf, plan.events[0]!.typeId!);
  const record = codec.encode({ pid: 4242, ppid: 1, uid: 0, comm: 'true', filename: '/usr/bin/true' });

  it('aligns columns under a header with a TIME column', () => {
    const f = new EventFormatter('events', codec);
    expect(f.header()).toBe('TIME     PID     PPID    UID     COMM            FILENAME');
    expect(f.row('12:00:01', record)).toBe('12:00:01 4242    1       0       true            /usr/bin/true');
  });

  it('writes one JSON object per event with the decoded fields under data', () => {
    const f = new EventFormatter('events', codec);
    expect(JSON.parse(f.json(Date.UTC(2026, 0, 2, 3, 4, 5), record))).toEqual({
      type: 'event',
      map: 'events',
      time: '2026-01-02T03:04:05.000Z',
      data: { pid: 4242, ppid: 1, uid: 0, comm: 'true', filename: '/usr/bin/true' },
    });
  });

  it('prints bytes for an unknown type or a short record', () => {
    expect(new EventFormatter('events', undefined).row('12:00:00', Uint8Array.of(1, 2))).toBe('12:00:00 01 02');
    expect(new EventFormatter('events', codec).row('12:00:00', Uint8Array.of(1))).toMatch(/short record: 1 of 156 bytes/);
  });

  it('formats the clock in the recorded zone', () => {
    expect(clockTime(Date.UTC(2026, 0, 1, 23, 30, 5), 60)).toBe('00:30:05');
    expect(clockTime(Date.UTC(2026, 0, 1, 23, 30, 5), 0)).toBe('23:30:05');
  });
});

describe('map contents', () => {
  it('sums per-CPU slots of an array histogram indexed by slot', () => {
    const spec = example('runqlat');
    const h = discover(spec).histograms[0]!;
    expect(h).toMatchObject({ map: 'hist_usecs', layout: 'index', unit: 'usecs' });
    const entries = [
      { key: u32(0), values: [u64(1)] },
      { key: u32(3), values: [u64(2)] },
    ];
    const data = readHistograms({ ...h, perCpu: false }, entries, true);
    expect(data).toHaveLength(1);
    expect(data[0]!.counts.slice(0, 4)).toEqual([1, 0, 0, 2]);
    const perCpu = readHistograms({ ...h, perCpu: true }, [{ key: u32(3), values: [u64(2), u64(5)] }], true);
    expect(perCpu[0]!.counts[3]).toBe(7);
  });

  it('reads struct hist values per key', () => {
    const spec = example('biolatency');
    const h = discover(spec).histograms[0]!;
    expect(h).toMatchObject({ layout: 'struct', slotSize: 4, slotCount: 27 });
    const v = new Uint8Array(27 * 4);
    new DataView(v.buffer).setUint32(2 * 4, 9, true);
    const one = readHistograms(h, [{ key: u32(0), values: [v] }], true, spec.btf);
    expect(one[0]!.key).toBeUndefined();
    expect(one[0]!.counts[2]).toBe(9);
    const two = readHistograms(h, [{ key: u32(8), values: [v] }, { key: u32(9), values: [v] }], true, spec.btf);
    expect(two.map((x) => x.key && new KeyRenderer(spec.btf, h.keyTypeId, true).text(x.key))).toEqual(['8', '9']);
  });

  it('prints counters sorted by value, largest first, without zero array slots', () => {
    const plan = { map: 'packets', keyTypeId: 0, valueTypeId: 0, keySize: 4, valueSize: 8, perCpu: true, array: true };
    const table = readCounters(plan, [
      { key: u32(6), values: [u64(3), u64(4)] },
      { key: u32(17), values: [u64(20), u64(0)] },
      { key: u32(1), values: [u64(0), u64(0)] },
    ], true);
    expect(formatCounters(plan, table, new KeyRenderer(undefined, 0, true))).toEqual(['@packets:', 'KEY  VALUE', '17      20', '6        7', '']);
  });
});
