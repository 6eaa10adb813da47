/**
 * BTF read back from the kernel by id (`BPF_BTF_GET_FD_BY_ID` + `BPF_OBJ_GET_INFO_BY_FD`), and
 * `tsbpf btf dump id N` against `bpftool btf dump id N` on a BTF object the test loads.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL_BTF_FEATURES, btfFromElf, dumpCString, marshalBtf, parseBtf, rawDump, sanitizeBtf } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { btfObjectInfo, loadBtfById } from '../../src/maps/index.js';
import { btfLoad, objGetFdById, objIds, type Fd } from '../../src/syscall/index.js';
import { runCli } from '../helpers/cli.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

const bpftool = (...argv: string[]) => execFileSync('bpftool', argv, { encoding: 'utf8', maxBuffer: 1 << 28 });

describeKernel('BTF objects by id', () => {
  const elf = parseElf(readFixture('btf_types'));
  const sanitized = sanitizeBtf(btfFromElf(elf)!.btf, ALL_BTF_FEATURES, { elf });
  let fd: Fd;
  let id = 0;
  beforeAll(() => {
    fd = btfLoad(sanitized.bytes);
    id = btfObjectInfo(fd.raw).info.id;
  });
  afterAll(() => fd.close());

  it('reads back the bytes that were loaded, with the object info', () => {
    const { btf, info } = loadBtfById(id);
    expect(info).toEqual({ id, size: sanitized.bytes.length, name: '', kernelBtf: false });
    expect(marshalBtf(btf)).toEqual(sanitized.bytes);
    expect(rawDump(btf)).toBe(rawDump(parseBtf(sanitized.bytes)));
  });

  it('reads vmlinux as kernel BTF', () => {
    // Other tests load and free BTF objects meanwhile: an id may vanish between listing and opening.
    const vmlinuxId = objIds('btf').find((i) => {
      const fd = objGetFdById('btf', i);
      if (!fd) return false;
      try {
        const { info } = btfObjectInfo(fd.raw);
        return info.kernelBtf && info.name === 'vmlinux';
      } finally {
        fd.close();
      }
    });
    expect(vmlinuxId).toBeDefined();
    const { btf, info } = loadBtfById(vmlinuxId!);
    expect(info.kernelBtf).toBe(true);
    expect(btf.base).toBeUndefined();
    expect(btf.findByName('task_struct', 'STRUCT')).toBeGreaterThan(0);
  });

  it('refuses ids that do not exist', () => {
    expect(() => loadBtfById(0x7fff_fff0)).toThrow(/no btf object with id 2147483632/);
    expect(() => loadBtfById(-1)).toThrow(/not a positive u32/);
  });

  describeWithTool('tsbpf btf dump id vs bpftool', ['bpftool'], () => {
    it('raw text, JSON and C are identical', async () => {
      expect((await runCli(['btf', 'dump', 'id', String(id)])).out).toBe(bpftool('btf', 'dump', 'id', String(id)));
      expect(JSON.parse((await runCli(['btf', 'dump', 'id', String(id), '--json'])).out)).toEqual(JSON.parse(bpftool('btf', 'dump', 'id', String(id), '-j')));
      // The C dump follows today's libbpf where Debian's bpftool (libbpf 1.1) spells a few
      // declarators differently (see test/btf/c-dump.test.ts); it must equal the file dump.
      expect((await runCli(['btf', 'dump', 'id', String(id), 'format', 'c'])).out).toBe(dumpCString(parseBtf(sanitized.bytes)));
    });

    it('usage errors', async () => {
      expect((await runCli(['btf', 'dump', 'id', 'x'])).code).toBe(2);
      expect((await runCli(['btf', 'dump', 'id'])).code).toBe(2);
      const r = await runCli(['btf', 'dump', 'id', '2147483632']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no btf object with id 2147483632/);
    });
  });
});
