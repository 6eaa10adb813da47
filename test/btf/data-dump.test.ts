/**
 * bpftool's BTF data dumper (the `formatted` map dump), pure: writer layout and value rules.
 * The comparison with bpftool itself on live maps is in test/maps/cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runWithKernelBtf } from '../helpers/env.js';
import { btfFromElf, BtfValueError, dumpBtfData, JsonWriter, readKernelBtf, sizeOf, valueCodec } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { readFixture } from '../helpers/fixtures.js';

const { btf } = btfFromElf(parseElf(readFixture('btf_types')))!;

function dump(id: number, data: Uint8Array, pretty = true): string {
  const w = new JsonWriter(pretty);
  dumpBtfData(w, btf, id, data, { plainText: pretty, littleEndian: true });
  return w.text();
}

describe('btf data dump (bpftool btf_dumper)', () => {
  it('writes json_writer\'s pretty layout: names on new lines, arrays inline', () => {
    const w = new JsonWriter(true);
    w.startArray();
    w.startObject();
    w.name('key');
    w.raw('1');
    w.name('value');
    w.startArray();
    w.raw('1');
    w.raw('2');
    w.endArray();
    w.endObject();
    w.endArray();
    expect(w.text()).toBe('[{\n        "key": 1,\n        "value": [1,2\n        ]\n    }\n]');
    const e = new JsonWriter(true);
    e.startArray();
    e.endArray();
    expect(e.text()).toBe('[]');
  });

  it('bitfields in hex, signed ints in decimal, enums by name', () => {
    const id = btf.findByName('bits', 'STRUCT')!;
    const bytes = valueCodec(btf, id, { littleEndian: true }).encode({ a: 5, b: 31, c: -2, d: 0x12345n, e: 200, f: 1 });
    expect(dump(id, bytes, false)).toBe('{"a":"0x5","b":"0x1f","c":"0x7e","d":"0x12345","e":200,"f":"0x1"}');
    const small = btf.findByName('small_enum', 'ENUM')!;
    expect(dump(small, new Uint8Array([0xfd, 0xff, 0xff, 0xff]))).toBe('"SMALL_NEG"');
    expect(dump(small, new Uint8Array([9, 0, 0, 0]))).toBe('9');
    const big = btf.findByName('big_enum', 'ENUM64')!;
    expect(dump(big, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0x80]))).toBe('"BIG_C"');
    expect(dump(big, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe('-1');
  });

  it('strings only when NUL-terminated and printable; pointers; unsupported kinds stop the value', () => {
    const id = btf.findByName('with_anon', 'STRUCT')!;
    const c = valueCodec(btf, id, { littleEndian: true });
    const zero = c.decode(new Uint8Array(c.size)) as Record<string, never>;
    const text = dump(id, c.encode({ ...zero, named: { tag: 'ab', flag: 0 }, next: 0x10n } as never));
    expect(text).toContain('"tag": "ab"');
    expect(text).toContain('"next": 0x10');
    expect(text).toContain('"handlers": [(nil),(nil),(nil),(nil)\n');
    expect(text).toMatch(/"ratio": \(unsupported-kind\n\}$/);
    const full = c.encode({ ...zero, named: { tag: new Uint8Array([0x61, 0x62, 0x63]), flag: 0 } } as never);
    // char[3] without a NUL: not a string for bpftool, so an array of (signed char) numbers.
    expect(dump(id, full)).toContain('"tag": [97,98,99\n');
    expect(() => dump(id, new Uint8Array(4))).toThrow(BtfValueError);
  });

  it.runIf(runWithKernelBtf)('prints every struct and union of vmlinux without failing', () => {
    const vmlinux = readKernelBtf();
    let n = 0;
    for (let id = 1; id <= vmlinux.maxId; id += 7) {
      const k = vmlinux.type(id).kind;
      if (k !== 'STRUCT' && k !== 'UNION') continue;
      const b = new Uint8Array(sizeOf(vmlinux, id)).map((_, i) => (i * 131 + id) & 0xff);
      const w = new JsonWriter(true);
      dumpBtfData(w, vmlinux, id, b, { plainText: true, littleEndian: true });
      n++;
    }
    expect(n).toBeGreaterThan(1000);
  });
});
