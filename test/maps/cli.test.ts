/**
 * `tsbpf map|prog|link show|dump`: same text and JSON as bpftool on the same kernel objects.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTool, describeKernel } from '../helpers/env.js';
import { ALL_BTF_FEATURES, btfFromElf, parseBtf, sanitizeBtf, sizeOf, type BtfValue } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { BpfMap, typedMap, u32Codec, u64Codec } from '../../src/maps/index.js';
import { btfLoad, objPin, possibleCpus, progLoad, ProgType, rawTracepointOpen, type Fd } from '../../src/syscall/index.js';
import { readFixture } from '../helpers/fixtures.js';
import { exit, loadMapFd, movImm, program, returnImm } from '../../src/features/insns.js';
import { runCli } from '../helpers/cli.js';
import { ensureBpffs } from './kernel-objects.js';

const tsbpf = (...argv: string[]) => runCli(argv);

const bpftool = (...argv: string[]) => execFileSync('bpftool', argv, { encoding: 'utf8' });

describeKernel('map/prog/link CLI (root)', () => {
  describeWithTool('map/prog/link CLI vs bpftool', ['bpftool'], () => {
    const dir = `/sys/fs/bpf/tsbpf-cli-${process.pid}`;
    const objs: { close(): void }[] = [];
    let hashPath = '';
    let pcpuPath = '';
    let bigPath = '';
  let paPath = '';
    let progPath = '';
    let linkPath = '';
    beforeAll(() => {
      ensureBpffs();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const h = BpfMap.create({ name: 'cli_hash', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 }, { key: u32Codec, value: u64Codec });
      for (let i = 1; i <= 3; i++) h.update(i, BigInt(i) * 0x0102030405n);
      hashPath = join(dir, 'hash');
      h.pin(hashPath);
      const p = BpfMap.create({ name: 'cli_pcpu', type: 'percpu_array', keySize: 4, valueSize: 4, maxEntries: 2 });
      pcpuPath = join(dir, 'pcpu');
      p.pin(pcpuPath);
      const big = BpfMap.create({ name: 'cli_big', type: 'array', keySize: 4, valueSize: 40, maxEntries: 2 });
      big.update(u32Codec.encode(1), Uint8Array.from({ length: 40 }, (_, i) => i));
      big.freeze();
      bigPath = join(dir, 'big');
      big.pin(bigPath);
      // A prog_array owned by a socket filter that references it, then frozen.
    const pa = BpfMap.create({ name: 'cli_pa', type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 2 });
    const owner = progLoad({ prog_type: ProgType.SOCKET_FILTER, license: 'GPL', insns: program(loadMapFd(2, pa.fd), movImm(0, 0), exit()) });
    pa.freeze();
    paPath = join(dir, 'pa');
    pa.pin(paPath);
    objs.push(pa, owner);
    const prog: Fd = progLoad({ prog_type: ProgType.RAW_TRACEPOINT, insns: returnImm(0), license: 'GPL', prog_name: 'cli_prog' });
      progPath = join(dir, 'prog');
      objPin(prog.raw, progPath);
      const link = rawTracepointOpen(prog.raw, 'sched_switch');
      linkPath = join(dir, 'link');
      objPin(link.raw, linkPath);
      objs.push(h, p, big, prog, link);
    });
    afterAll(() => {
      for (const o of objs) o.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('map show: text and JSON', async () => {
      for (const path of [hashPath, pcpuPath, bigPath]) {
        expect((await tsbpf('map', 'show', 'pinned', path)).out).toBe(bpftool('map', 'show', 'pinned', path));
        expect(JSON.parse((await tsbpf('map', 'show', 'pinned', path, '--json')).out)).toEqual(JSON.parse(bpftool('map', 'show', 'pinned', path, '-j')));
      }
    });

    it('map dump: text and JSON, plain, per-CPU and long values', async () => {
      for (const path of [hashPath, pcpuPath, bigPath]) {
        const ours = (await tsbpf('map', 'dump', 'pinned', path)).out;
        const theirs = bpftool('map', 'dump', 'pinned', path);
        // Hash order is the kernel's; both walk it the same way, but compare as sets of blocks.
        expect(ours.split('\n').sort()).toEqual(theirs.split('\n').sort());
        expect(JSON.parse((await tsbpf('map', 'dump', 'pinned', path, '--json')).out)).toEqual(
          expect.arrayContaining(JSON.parse(bpftool('map', 'dump', 'pinned', path, '-j'))),
        );
      }
    });

    it('map list includes our maps, like bpftool map list', async () => {
      const ours = (await tsbpf('map', 'list')).out;
      const id = JSON.parse(bpftool('map', 'show', 'pinned', hashPath, '-j')).id;
      expect(ours).toContain(`${id}: hash  name cli_hash  flags 0x0\n`);
    });

    it('prog show and link show', async () => {
      const ours = (await tsbpf('prog', 'show', 'pinned', progPath)).out.split('\n');
      const theirs = bpftool('prog', 'show', 'pinned', progPath).split('\n');
      // loaded_at is computed from the boot time on both sides and may differ by a second.
      const norm = (l: string) => l.replace(/loaded_at \S+/, 'loaded_at T');
      expect(ours.map(norm)).toEqual(theirs.filter((l) => !l.includes('pids ')).map(norm));
      const j = JSON.parse((await tsbpf('prog', 'show', 'pinned', progPath, '--json')).out);
      const bj = JSON.parse(bpftool('prog', 'show', 'pinned', progPath, '-j'));
      for (const k of ['id', 'type', 'name', 'tag', 'gpl_compatible', 'bytes_xlated', 'jited', 'bytes_jited', 'bytes_memlock']) expect(j[k]).toEqual(bj[k]);
      expect((await tsbpf('link', 'show', 'pinned', linkPath)).out).toBe(bpftool('link', 'show', 'pinned', linkPath));
      const lj = JSON.parse((await tsbpf('link', 'show', 'pinned', linkPath, '--json')).out);
      const blj = JSON.parse(bpftool('link', 'show', 'pinned', linkPath, '-j'));
      for (const k of ['id', 'type', 'prog_id', 'tp_name']) expect(lj[k]).toEqual(blj[k]);
      expect((await tsbpf('link', 'list')).out).toContain(`${lj.id}: raw_tracepoint  prog ${lj.prog_id}  \n\ttp 'sched_switch'  `);
      expect((await tsbpf('prog', 'list')).out).toContain(`${j.id}: raw_tracepoint  name cli_prog  tag ${j.tag}`);
    });
  });
});

describeKernel('map CLI errors', () => {
  it('bad selectors and missing objects', async () => {
    expect((await tsbpf('map', 'dump')).code).toBe(2);
    expect((await tsbpf('map', 'show', 'id', 'x')).code).toBe(2);
    const r = await tsbpf('map', 'dump', 'pinned', '/tmp/not-bpffs');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not on a bpffs.*mount -t bpf bpf \/sys\/fs\/bpf/);
    expect((await tsbpf('map', 'show', 'id', '2147483000')).err).toMatch(/no map with this id/);
  });
});

describeKernel('map dump of maps with BTF (root)', () => {
  describeWithTool('map dump with BTF vs bpftool', ['bpftool'], () => {
    const objs: { close(): void }[] = [];
    const ids: { name: string; id: number; json: boolean }[] = [];
    beforeAll(() => {
      // The fixture's BTF, sanitized as a loader would, loaded with BPF_BTF_LOAD; maps created
      // with its key/value type ids and filled through typed handles.
      const elf = parseElf(readFixture('btf_types'));
      const sanitized = sanitizeBtf(btfFromElf(elf)!.btf, ALL_BTF_FEATURES, { elf });
      const btf = parseBtf(sanitized.bytes);
      const fd = btfLoad(sanitized.bytes);
      objs.push(fd);
      const u32 = btf.findByName('__u32', 'TYPEDEF')!;
      const create = (name: string, type: string, vid: number) => {
        const m = BpfMap.create({ name, type, keySize: 4, valueSize: sizeOf(btf, vid), maxEntries: 4, btf: { fd: fd.raw, keyTypeId: u32, valueTypeId: vid } });
        objs.push(m);
        const t = typedMap(m);
        objs.push(t);
        return t;
      };
      const bits = create('cli_bits', 'hash', btf.findByName('bits', 'STRUCT')!);
      bits.update(1, { a: 5, b: 31, c: -2, d: 2n ** 40n - 1n, e: 200, f: 1 });
      bits.update(2, { a: 0, b: 0, c: 0, d: 0n, e: 0, f: 0 });
      const u = create('cli_union', 'array', btf.findByName('u_sample', 'UNION')!);
      u.update(0, { bytes: [0x61, 0x62, 0x63, 0] });
      u.update(1, { word: 0xffffffff });
      const pc = create('cli_pcpu_btf', 'percpu_array', btf.findByName('tagged', 'STRUCT')!);
      pc.updatePerCpu(1, Array.from({ length: possibleCpus() }, (_, i) => ({ x: -i, y: BigInt(i) << 40n })));
      const anon = create('cli_anon', 'hash', btf.findByName('with_anon', 'STRUCT')!);
      const zero = anon.valueCodec.decode(new Uint8Array(anon.valueSize)) as Record<string, BtfValue>;
      const { both: _both, ...rest } = zero;
      anon.update(3, { ...rest, kind: -7, lo: 1, hi: 2, named: { tag: 'hi', flag: 1 }, next: 0x1234n, handlers: [0n, 1n, 0n, 0xffffn] });
      const e64 = create('cli_enum64', 'array', btf.findByName('big_enum', 'ENUM64')!);
      e64.update(0, 'BIG_C');
      e64.update(1, 5n);
      const e32 = create('cli_enum', 'hash', btf.findByName('small_enum', 'ENUM')!);
      e32.update(1, 'SMALL_NEG');
      e32.update(2, 9);
      const sbig = create('cli_sbig', 'array', btf.findByName('signed_big', 'ENUM64')!);
      sbig.update(0, 'SBIG_NEG');
      // with_anon holds a float, which bpftool prints as an unsupported kind: no valid JSON.
      for (const [m, json] of [[bits, true], [u, true], [pc, true], [anon, false], [e64, true], [e32, true], [sbig, true]] as const) {
        ids.push({ name: m.name, id: m.id, json });
      }
    });
    afterAll(() => {
      for (const o of objs.reverse()) o.close();
    });

    it('text: bpftool\'s formatted layout, line for line', async () => {
      for (const { name, id } of ids) {
        expect((await tsbpf('map', 'dump', 'id', String(id))).out, name).toBe(bpftool('map', 'dump', 'id', String(id)));
      }
    });

    it('JSON: hex bytes plus "formatted"', async () => {
      for (const { name, id, json } of ids) {
        const ours = (await tsbpf('map', 'dump', 'id', String(id), '--json')).out;
        const theirs = bpftool('map', 'dump', 'id', String(id), '-j');
        if (json) expect(JSON.parse(ours), name).toEqual(JSON.parse(theirs));
        else expect(ours, name).toBe(theirs);
      }
    });
  });
});
