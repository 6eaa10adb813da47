/**
 * loadCollection against the real kernel: global data, externs, kfuncs, map initial values,
 * pinning, CO-RE end to end, typed errors for bad input, and no fd leak on failure.
 */
import { readdirSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import {
  loadCollection,
  LoadError,
  readKallsyms,
  runningKernelVersion,
  setVariable,
  readKernelConfig,
  kernelVersionCode,
} from '../../src/collection/index.js';
import { ProgType, MapType } from '../../src/uapi/bpf.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { readKernelBtf } from '../../src/btf/index.js';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

const spec = (name: string): ObjectSpec => parseObject(readFixture(name), { fileName: `${name}.bpfel.o` });
const openFds = () => readdirSync('/proc/self/fd').length;
const pinRoot = `/sys/fs/bpf/tsbpf_test_load_${process.pid}`;
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

describe('global data before load (pure)', () => {
  it('sets .rodata by name, checking the size against the DATASEC', () => {
    const s = spec('loader');
    setVariable(s, 'config_magic', 0x55n);
    const m = [...s.maps.values()].find((x) => x.dataSection === '.rodata')!;
    const v = m.variables!.find((x) => x.name === 'config_magic')!;
    expect(Buffer.from(m.data!.subarray(v.offset, v.offset + 8)).readBigUInt64LE()).toBe(0x55n);
  });

  it('rejects an unknown name and a wrong size with LoadError naming the symbol', () => {
    const s = spec('loader');
    expect(() => setVariable(s, 'no_such_var', 1)).toThrow(LoadError);
    expect(() => setVariable(s, 'no_such_var', 1)).toThrow(/'no_such_var'/);
    expect(() => setVariable(s, 'config_scale', new Uint8Array(8))).toThrow(/'config_scale' is 4 bytes, the value is 8/);
    expect(() => setVariable(s, 'config_scale', 1n << 40n)).toThrow(/does not fit in 4 bytes/);
    expect(() => loadCollection(s, { constants: { nope: 1 } })).toThrow(/no variable 'nope'/);
  });
});

describeKernel('loadCollection', () => {
  mkdirSync(pinRoot, { recursive: true });
  afterAll(() => rmSync(pinRoot, { recursive: true, force: true }));

  it('leaves the spec as it was: fds, BTF ids and call distances go into the loaded copy only', () => {
    // Map and data loads, ksyms, kconfig, and from Linux 6.2 a kfunc call (loader); calls and
    // callbacks (subprogs).
    const loaderPrograms = runningKernelVersion() < kernelVersionCode(6, 2, 0) ? ['read_config'] : ['read_config', 'use_kfunc'];
    for (const [name, programs] of [['loader', loaderPrograms], ['subprogs', undefined]] as const) {
      const s = spec(name);
      const before = structuredClone([...s.programs.values()].map((p) => p.instructions));
      expect(before.flat().some((i) => i.reference)).toBe(true);
      for (let round = 0; round < 2; round++) {
        using c = loadCollection(s, { pinRoot, programs });
        expect(c.programs.size).toBeGreaterThan(0);
      }
      expect([...s.programs.values()].map((p) => p.instructions)).toEqual(before);
    }
  });

  it('rewrites .rodata before load; the program reads it back through BPF_PROG_TEST_RUN', () => {
    const s = spec('loader');
    setVariable(s, 'config_magic', 11n);
    using c = loadCollection(s, { pinRoot, constants: { config_scale: 5 }, programs: ['read_config'] });
    const p = c.program('read_config')!;
    expect(p.type).toBe(ProgType.SYSCALL);
    expect(p.testRun().retval).toBe(55);
    // .rodata is frozen and read-only through the variable API.
    expect(c.variable('config_scale').getNumber()).toBe(5);
    expect(() => c.variable('config_scale').set(1)).toThrow(/read-only/);
  });

  it('fills .kconfig (LINUX_KERNEL_VERSION, CONFIG_HZ) and untyped ksyms (kallsyms address)', () => {
    using c = loadCollection(spec('loader'), { pinRoot, programs: ['read_config'] });
    c.program('read_config')!.testRun();
    expect(c.variable('seen_version').getNumber()).toBe(runningKernelVersion());
    // The loader's own source of the kernel config (/proc/config.gz, else /boot/config-$(uname -r)).
    const cfg = readKernelConfig();
    const hz = cfg?.get('CONFIG_HZ');
    expect(c.variable('seen_hz').getNumber()).toBe(hz ? Number(hz) : 0);
    const addr = readKallsyms(new Set(['bpf_prog_put'])).get('bpf_prog_put');
    expect(addr).toBeDefined();
    expect(c.variable('seen_ksym_addr').getBigUint()).toBe(addr);
  });

  it('takes kconfig values from the kernelConfig option', () => {
    using c = loadCollection(spec('loader'), { pinRoot, programs: ['read_config'], kernelConfig: new Map([['CONFIG_HZ', '1234']]) });
    c.program('read_config')!.testRun();
    expect(c.variable('seen_hz').getNumber()).toBe(1234);
  });

  // bpf_task_from_pid is a kfunc since Linux 6.2 (the kernel matrix runs 6.1).
  it.skipIf(runningKernelVersion() < kernelVersionCode(6, 2, 0))('loads a tp_btf program calling kfuncs (attach_btf_id and BTF ids from kernel BTF)', () => {
    using c = loadCollection(spec('loader'), { pinRoot, programs: ['use_kfunc'] });
    const p = c.program('use_kfunc')!;
    expect(p.type).toBe(ProgType.TRACING);
    const i = p.info();
    expect(i.attachBtfId).toBeGreaterThan(0);
    // The kfunc call stays a call to a kernel function in the xlated code.
    expect(p.xlated().some((x) => x.opcode === 0x85 && x.src === 2)).toBe(true);
  });

  it('pins LIBBPF_PIN_BY_NAME maps under pinRoot and reuses a compatible pin', () => {
    const root = `${pinRoot}/reuse`;
    mkdirSync(root, { recursive: true });
    let id: number;
    {
      using c = loadCollection(spec('loader'), { pinRoot: root, programs: ['read_config'] });
      id = c.map('loader_pinned')!.id;
      c.program('read_config')!.testRun();
    }
    expect(existsSync(`${root}/loader_pinned`)).toBe(true);
    {
      using c = loadCollection(spec('loader'), { pinRoot: root, programs: ['read_config'] });
      expect(c.map('loader_pinned')!.id).toBe(id);
    }
    // An incompatible definition is refused, naming the map and the difference.
    const s = spec('loader');
    s.maps.get('loader_pinned')!.maxEntries = 8;
    const before = openFds();
    expect(() => loadCollection(s, { pinRoot: root })).toThrow(/map 'loader_pinned': pinned map at .* does not match the definition: max_entries 4 != 8/);
    expect(openFds()).toBe(before);
    rmSync(`${root}/loader_pinned`);
  });

  it('sets prog_array and map-in-map initial values after loading the programs', () => {
    using c = loadCollection(spec('maps'), { pinRoot });
    const jumps = c.map('jumps')!;
    const progId = new DataView(jumps.lookupBytes(u32(1))!.buffer).getUint32(0, true);
    expect(progId).toBe(c.program('tail_a')!.id);
    expect(jumps.lookupBytes(u32(0))).toBeUndefined();
    const outer = c.map('outer')!;
    expect(outer.type).toBe(MapType.ARRAY_OF_MAPS);
    const innerId = new DataView(outer.lookupBytes(u32(0))!.buffer).getUint32(0, true);
    expect(innerId).toBe(c.map('inner1')!.id);
    expect(new DataView(outer.lookupBytes(u32(2))!.buffer).getUint32(0, true)).toBe(c.map('inner2')!.id);
    // The tail call runs: use_maps jumps to tail_a, which returns 1.
    const pkt = new Uint8Array(64);
    expect(c.program('use_maps')!.testRun({ data: pkt }).retval).toBe(1);
  });

  it('reads and writes .data/.bss variables through the mmapped map', () => {
    using c = loadCollection(spec('globals'), { pinRoot });
    expect(c.variable('hits').getNumber()).toBe(1);
    c.variable('hits').set(41n);
    expect(c.variable('hits').getNumber()).toBe(41);
    expect(c.variable('misses').getNumber()).toBe(0);
    const slots = c.variable('per_slot');
    expect(slots.size).toBe(16);
    expect([...new Uint32Array(slots.get().buffer)]).toEqual([1, 2, 3, 4]);
    expect(() => c.variable('hits').set(new Uint8Array(4))).toThrow(/8 bytes/);
    expect(Buffer.from(c.variable('greeting').get()).toString('latin1').replace(/\0+$/, '')).toBe('hello');
  });

  it('runs CO-RE relocations against the kernel (task_struct->pid, ->real_parent->tgid, sizes, enums)', () => {
    using c = loadCollection(spec('core_kernel'), { pinRoot });
    const p = c.program('core_kernel')!;
    // raw_tp test runs execute in the calling task: this process's main thread.
    p.testRun({ ctx: new Uint8Array(8), ctxSizeOut: 0 }); // raw_tp takes no ctx_out
    const out = new BigUint64Array(c.variable('out').get().buffer);
    expect(Number(out[0])).toBe(process.pid);
    expect(Number(out[1])).toBe(process.ppid);
    expect(out[2]).toBe(1n); // flags exists
    expect(out[3]).toBe(16n); // sizeof comm
    expect(out[5]).toBe(out[4]! + 3n); // comm[3]
    expect(out[6]).toBe(0n); // task_struct___old.state does not exist (it is __state)
    expect(out[7]).toBe(1n);
    expect(out[8]).toBe(4n); // PIDTYPE_MAX
    expect(out[9]).toBe(1n);
    // task_t is a local typedef the kernel does not have: TYPE_SIZE of a missing type is 0.
    expect(out[10]).toBe(readKernelBtf().findByName('task_t', 'TYPEDEF') === undefined ? 0n : out[10]);
    expect(out[11]).toBeGreaterThan(0n);
    // out[12] (TYPE_MATCHES) and the rest are checked against libbpf by bpftool-xlated.test.ts.
  });

  it('refuses an unknown section, naming the program and the section', () => {
    const s = spec('minimal');
    const p = [...s.programs.values()][0]!;
    p.section = 'not_a_section';
    p.type = 0;
    const before = openFds();
    const e = (() => {
      try {
        loadCollection(s, { pinRoot });
      } catch (x) {
        return x;
      }
    })() as LoadError;
    expect(e).toBeInstanceOf(LoadError);
    expect(e.message).toMatch(new RegExp(`program '${p.name}': unknown section 'not_a_section'`));
    expect(e.program).toBe(p.name);
    expect(openFds()).toBe(before);
  });

  it('refuses a map referenced but not defined, naming program, insn and symbol', () => {
    const s = spec('maps');
    s.maps.delete('counts');
    let err: LoadError | undefined;
    try {
      loadCollection(s, { pinRoot });
    } catch (x) {
      err = x as LoadError;
    }
    expect(err).toBeInstanceOf(LoadError);
    expect(err!.message).toMatch(/program 'use_maps': insn #\d+: references map 'counts', which the object does not define/);
    expect(err!.symbol).toBe('counts');
    expect(err!.insn).toBeGreaterThanOrEqual(0);
  });

  it('throws VerifierError with the C line when the verifier refuses, and leaks no fd', () => {
    const s = spec('verifier_null_deref');
    const before = openFds();
    let err: unknown;
    try {
      loadCollection(s, { pinRoot });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(VerifierError);
    const v = err as VerifierError;
    expect(v.location?.file).toMatch(/verifier_null_deref\.bpf\.c$/);
    expect(v.location?.line).toBeGreaterThan(0);
    expect(v.log).toMatch(/invalid mem access/);
    expect(openFds()).toBe(before);
  });

  it('grows a log buffer that is too small (ENOSPC) to the size the kernel reports', () => {
    let err: VerifierError | undefined;
    try {
      loadCollection(spec('verifier_null_deref'), { pinRoot, logSize: 32 });
    } catch (x) {
      err = x as VerifierError;
    }
    expect(err).toBeInstanceOf(VerifierError);
    expect(err!.truncated).toBe(false);
    expect(err!.log).toMatch(/invalid mem access/);
    expect(err!.log).toMatch(/processed \d+ insns/);
  });

  it('loads with a log on request (logLevel) and with an explicit kernelBtf', () => {
    using c = loadCollection(spec('core_kernel'), { pinRoot, logLevel: 1, logSize: 16, kernelBtf: readKernelBtf() });
    expect(c.program('core_kernel')!.type).toBe(ProgType.RAW_TRACEPOINT);
  });

  it('a load that fails after creating maps and programs closes them all (fd count and bpffs unchanged)', () => {
    // globals has several maps; break the last program so everything before it was created.
    const s = spec('maps');
    const use = s.programs.get('use_maps')!;
    use.instructions = [{ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]; // exit with r0 unset
    const before = openFds();
    for (let i = 0; i < 20; i++) expect(() => loadCollection(s, { pinRoot })).toThrow(VerifierError);
    expect(openFds()).toBe(before);
  });

  it('a failed load removes the pins it made', () => {
    const root = `${pinRoot}/undo`;
    const s = spec('loader');
    s.programs.get('read_config')!.instructions = [{ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    expect(() => loadCollection(s, { pinRoot: root, programs: ['read_config'] })).toThrow(VerifierError);
    expect(existsSync(`${root}/loader_pinned`)).toBe(false);
  });

  it('closes everything on close(), idempotently', () => {
    const before = openFds();
    const c = loadCollection(spec('maps'), { pinRoot });
    expect(openFds()).toBeGreaterThan(before);
    const m: BpfMap = c.map('counts')!;
    c.close();
    c.close();
    expect(m.closed).toBe(true);
    expect(openFds()).toBe(before);
  });
});
