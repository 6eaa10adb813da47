/**
 * `tsbpf map|prog|link show|dump`: same text and JSON as bpftool on the same kernel objects.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTool, describeKernel } from '../helpers/env.js';
import { BpfMap, u32Codec, u64Codec } from '../../src/maps/index.js';
import { objPin, progLoad, ProgType, rawTracepointOpen, type Fd } from '../../src/syscall/index.js';
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
