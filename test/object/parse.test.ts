import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, slotCount } from '../../src/asm/index.js';
import { ALL_BTF_FEATURES, sanitizeBtf } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { ParseError } from '../../src/errors.js';
import {
  findSectionDef,
  internalMapName,
  isDataSection,
  ObjectError,
  parseObject,
  PinType,
  resolveCalls,
  type ProgramInstruction,
} from '../../src/object/index.js';
import { AttachType, MapFlags, MapType, ProgFlags, ProgType } from '../../src/uapi/bpf.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allFixtures, readFixture, repoRoot, standaloneFixtures } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';

const parse = (name: string, endian: 'bpfel' | 'bpfeb' = 'bpfel') => parseObject(readFixture(name, endian), { fileName: `${name}.${endian}.o` });

describe('section names (libbpf section_defs)', () => {
  it.each([
    ['socket', ProgType.SOCKET_FILTER, 0, undefined],
    ['xdp', ProgType.XDP, AttachType.XDP, undefined],
    ['xdp.frags', ProgType.XDP, AttachType.XDP, undefined],
    ['xdp/devmap', ProgType.XDP, AttachType.XDP_DEVMAP, undefined],
    ['tracepoint/sched/sched_switch', ProgType.TRACEPOINT, 0, 'sched/sched_switch'],
    ['tp/syscalls/sys_enter_openat', ProgType.TRACEPOINT, 0, 'syscalls/sys_enter_openat'],
    ['raw_tp/sys_exit', ProgType.RAW_TRACEPOINT, 0, 'sys_exit'],
    ['raw_tp.w/sys_exit', ProgType.RAW_TRACEPOINT_WRITABLE, 0, 'sys_exit'],
    ['tp_btf/sched_wakeup', ProgType.TRACING, AttachType.TRACE_RAW_TP, 'sched_wakeup'],
    ['fentry/do_unlinkat', ProgType.TRACING, AttachType.TRACE_FENTRY, 'do_unlinkat'],
    ['fmod_ret/security_file_open', ProgType.TRACING, AttachType.MODIFY_RETURN, 'security_file_open'],
    ['lsm.s/bprm_committed_creds', ProgType.LSM, AttachType.LSM_MAC, 'bprm_committed_creds'],
    ['iter/task', ProgType.TRACING, AttachType.TRACE_ITER, 'task'],
    ['kprobe/do_unlinkat', ProgType.KPROBE, 0, 'do_unlinkat'],
    ['kprobe', ProgType.KPROBE, 0, undefined],
    ['kprobe.multi/vfs_*', ProgType.KPROBE, AttachType.TRACE_KPROBE_MULTI, 'vfs_*'],
    ['uprobe.s//bin/bash:readline', ProgType.KPROBE, 0, '/bin/bash:readline'],
    ['usdt/libc.so.6:libc:setjmp', ProgType.KPROBE, 0, 'libc.so.6:libc:setjmp'],
    ['tc', ProgType.SCHED_CLS, 0, undefined],
    ['tc/ingress', ProgType.SCHED_CLS, AttachType.TCX_INGRESS, undefined],
    ['sk_reuseport/migrate', ProgType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE, undefined],
    ['sk_reuseport', ProgType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT, undefined],
    ['cgroup/connect_unix', ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_CONNECT, undefined],
    ['cgroup_skb/egress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS, undefined],
    ['netfilter', ProgType.NETFILTER, AttachType.NETFILTER, undefined],
    ['struct_ops/dummy', ProgType.STRUCT_OPS, 0, 'dummy'],
    ['syscall', ProgType.SYSCALL, 0, undefined],
  ])('%s', (section, type, attach, target) => {
    const info = findSectionDef(section)!;
    expect(info.def.progType).toBe(type);
    expect(info.def.expectedAttachType).toBe(attach);
    expect(info.target).toBe(target);
  });

  it('uses libbpf matching: exact, or prefix followed by /', () => {
    expect(findSectionDef('kprobex')).toBeUndefined(); // "kprobe+" needs '/' after the prefix
    expect(findSectionDef('xdp/foo')).toBeUndefined(); // "xdp" is exact
    expect(findSectionDef('socket/whatever')).toBeUndefined();
    expect(findSectionDef('uprobe.s/x')!.sleepable).toBe(true);
    expect(findSectionDef('xdp.frags/cpumap')!.frags).toBe(true);
  });

  it('types every program of the sections fixture', () => {
    const spec = parse('sections');
    for (const p of spec.programs.values()) expect(p.type, p.section).not.toBe(0);
    expect(spec.programs.get('fentry_sleepable')!.flags & ProgFlags.SLEEPABLE).toBeTruthy();
    expect(spec.programs.get('xdp_frags')!.flags).toBe(ProgFlags.XDP_HAS_FRAGS);
    expect(spec.programs.get('tp_exec')!.attachTarget).toBe('sched/sched_process_exec');
    expect(spec.programs.get('tp_exec')!.autoAttach).toBe('tracepoint');
  });
});

describe('parseObject', () => {
  it('reads every fixture, in both byte orders', () => {
    let withPrograms = 0;
    for (const f of standaloneFixtures()) {
      const bytes = readFixture(f.name, f.endian);
      const spec = parseObject(bytes);
      // Some CO-RE fixtures are BTF-only targets: no code, no license.
      const hasCode = parseElf(bytes).sections.some((s) => (s.flags & 0x4n) !== 0n && s.size > 0);
      expect(spec.programs.size > 0, f.file).toBe(hasCode);
      if (hasCode) {
        expect(spec.license, f.file).toBe('GPL');
        withPrograms++;
      }
    }
    expect(withPrograms).toBeGreaterThanOrEqual(20);
  });

  it('reads BTF map definitions, incl. map-in-map and prog_array initial values', () => {
    for (const endian of ['bpfel', 'bpfeb'] as const) {
      const spec = parse('maps', endian);
      const counts = spec.maps.get('counts')!;
      expect([counts.type, counts.keySize, counts.valueSize, counts.maxEntries]).toEqual([MapType.HASH, 8, 32, 1024]);
      expect(spec.btf!.type(counts.keyTypeId).name).toBe('key');
      expect(spec.btf!.type(counts.valueTypeId).name).toBe('value');
      const lru = spec.maps.get('lru')!;
      expect(lru.flags).toBe(MapFlags.NO_COMMON_LRU);
      expect(lru.pinning).toBe(PinType.BY_NAME);
      expect(spec.maps.get('bloom')!.mapExtra).toBe(3n);
      expect(spec.maps.get('events')!.maxEntries).toBe(256 * 1024);
      expect([spec.maps.get('events')!.keySize, spec.maps.get('events')!.valueSize]).toEqual([0, 0]);
      const outer = spec.maps.get('outer')!;
      expect(outer.type).toBe(MapType.ARRAY_OF_MAPS);
      expect(outer.valueSize).toBe(4);
      expect(outer.innerMap).toMatchObject({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      expect([...outer.initialValues!]).toEqual([
        [0, 'inner1'],
        [2, 'inner2'],
      ]);
      const jumps = spec.maps.get('jumps')!;
      expect(jumps.type).toBe(MapType.PROG_ARRAY);
      expect([...jumps.initialValues!]).toEqual([[1, 'tail_a']]);
    }
  });

  it('turns map and data relocations into named references', () => {
    const spec = parse('maps');
    const refs = spec.programs.get('use_maps')!.instructions.filter((i) => i.reference).map((i) => i.reference);
    expect(refs).toEqual(['counts', 'counts', 'counts', 'array', 'percpu', 'jumps'].map((map) => ({ kind: 'map', map })));

    const g = parse('globals');
    expect([...g.maps.keys()]).toEqual(['globals.rodata', 'globals.data', '.data.slots', 'globals.bss']);
    const rodata = g.maps.get('globals.rodata')!;
    expect(rodata.flags).toBe(MapFlags.MMAPABLE | MapFlags.RDONLY_PROG);
    expect(rodata.variables!.map((v) => [v.name, v.offset, v.size])).toEqual([
      ['target_pid', 0, 4],
      ['greeting', 4, 8],
    ]);
    expect(new TextDecoder().decode(rodata.data!.subarray(4, 9))).toBe('hello');
    const bss = g.maps.get('globals.bss')!;
    expect(bss.variables!.find((v) => v.name === 'internal_counter')!.isStatic).toBe(true);
    expect(bss.data!.every((b) => b === 0)).toBe(true);
    const dataRefs = g.programs.get('count_getpid')!.instructions.flatMap((i) => (i.reference?.kind === 'data' ? [i.reference] : []));
    expect(dataRefs).toContainEqual({ kind: 'data', map: 'globals.rodata', offset: 0 });
    expect(dataRefs).toContainEqual({ kind: 'data', map: '.data.slots', offset: 0 });
  });

  it('links subprograms and callbacks into each program that uses them', () => {
    const spec = parse('subprogs');
    const first = spec.programs.get('first')!.instructions;
    expect(first.filter((i) => i.func).map((i) => i.func)).toEqual(['first', 'loop_cb', 'add']);
    const second = spec.programs.get('second')!.instructions;
    expect(second.filter((i) => i.func).map((i) => i.func)).toEqual(['second', 'add', 'global_mul']);

    // Depth first, as libbpf: a_mid's callee c_leaf comes before third's second callee b_leaf.
    const third = spec.programs.get('third')!.instructions;
    expect(third.filter((i) => i.func).map((i) => i.func)).toEqual(['third', 'a_mid', 'c_leaf', 'b_leaf']);

    const insns = first.map((i) => ({ ...i }));
    resolveCalls(insns, 'first');
    const slots: number[] = [];
    let slot = 0;
    for (const i of insns) {
      slots.push(slot);
      slot += slotCount(i);
    }
    const start = (name: string) => slots[insns.findIndex((i) => i.func === name)]!;
    insns.forEach((insn, k) => {
      if (insn.reference?.kind === 'call') {
        expect(insn.src).toBe(BPF_PSEUDO_CALL);
        expect(slots[k]! + 1 + insn.imm).toBe(start(insn.reference.func));
      }
      if (insn.reference?.kind === 'func') {
        expect(insn.src).toBe(BPF_PSEUDO_FUNC);
        expect(slots[k]! + 1 + insn.imm).toBe(start(insn.reference.func));
      }
    });
  });

  it('carries .BTF.ext func_info and line_info on the instructions', () => {
    const spec = parse('subprogs');
    const insns = spec.programs.get('first')!.instructions;
    for (const i of insns.filter((x) => x.func)) expect(i.funcTypeId, i.func).toBeGreaterThan(0);
    const lines = insns.filter((i) => i.line).map((i) => i.line!);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.fileName.endsWith('subprogs.bpf.c'))).toBe(true);
  });

  it('keeps CO-RE relocations for the CO-RE step', () => {
    const relos = parse('core').programs.get('core_reads')!.instructions.filter((i) => i.coreRelo);
    expect(relos.length).toBeGreaterThanOrEqual(10);
  });

  it('finds kconfig and ksym externs', () => {
    const spec = parse('btf_types');
    const kconfig = spec.externs.filter((e) => e.kind === 'kconfig');
    expect(kconfig.map((e) => e.name)).toEqual(['LINUX_KERNEL_VERSION', 'CONFIG_HZ']);
    const m = spec.maps.get(internalMapName('btf_types', '.kconfig'))!;
    expect(m.name).toBe('btf_typ.kconfig');
    expect(m.variables!.map((v) => v.name)).toEqual(['LINUX_KERNEL_VERSION', 'CONFIG_HZ']);
    const kf = parse('verifier_kfunc_not_allowed');
    const calls = [...kf.programs.values()][0]!.instructions.flatMap((i) => (i.reference?.kind === 'kfunc' ? [i.reference.name] : []));
    expect(calls).toEqual(['bpf_cpumask_create', 'bpf_cpumask_release']);
  });

  it('lays out .kconfig externs exactly as sanitizeBtf lays out the DATASEC the kernel sees', () => {
    for (const name of ['btf_types', 'loader']) {
      const bytes = readFixture(name);
      const spec = parseObject(bytes);
      const placed = sanitizeBtf(spec.btf!, ALL_BTF_FEATURES, { elf: parseElf(bytes) }).externs.filter((p) => p.section === '.kconfig');
      const ours = spec.externs.filter((e) => e.kind === 'kconfig');
      expect(ours.length, name).toBeGreaterThanOrEqual(2);
      expect(ours.map((e) => [e.name, e.offset, e.size]).sort()).toEqual(placed.map((p) => [p.name, p.offset, p.size]).sort());
    }
  });

  it('keeps __type(value, ...) of a ring buffer as a record-type hint, with the sizes the kernel wants', () => {
    const bytes = new Uint8Array(readFileSync(join(repoRoot, 'examples', 'bpf', 'execsnoop.bpfel.o')));
    const events = parseObject(bytes).maps.get('events')!;
    expect(events.type).toBe(MapType.RINGBUF);
    expect([events.keySize, events.valueSize]).toEqual([0, 0]);
    expect(parseObject(bytes).btf!.type(events.valueTypeId).name).toBe('event');
  });

  it('knows the data sections libbpf turns into maps', () => {
    for (const name of ['.data', '.rodata', '.bss', '.data.x', '.rodata.str1.1', '.bss.a.b']) expect(isDataSection(name), name).toBe(true);
    for (const name of ['.data.', '.datax', '.database', 'data', '.rodata_x', '.BTF', '', '.text', '.bs']) expect(isDataSection(name), name).toBe(false);
  });

  it('names internal maps as libbpf does', () => {
    expect(internalMapName('my_object_name', '.rodata')).toBe('my_objec.rodata');
    expect(internalMapName('my_object_name', '.bss')).toBe('my_objec.bss');
    expect(internalMapName('my_object_name', '.kconfig')).toBe('my_obje.kconfig');
    expect(internalMapName('my_object_name', '.rodata.abracadabra')).toBe('.rodata.abracad');
    expect(internalMapName('x', '.data')).toBe('x.data');
  });

  it('gives a spec whose data edits do not write through to the file', () => {
    const bytes = readFixture('globals');
    const before = bytes.slice();
    const spec = parseObject(bytes);
    spec.maps.get('obj.rodata')!.data!.fill(0xaa);
    expect(bytes).toEqual(before);
  });
});

describe('parseObject on bad input', () => {
  it('names the program, instruction and symbol of a call into a missing function', () => {
    const bytes = readFixture('subprogs').slice();
    const xdp = parseElf(bytes).section('xdp')!;
    // insn #12 of section 'xdp' is a call relocated against '.text': imm + 1 lands inside
    // a function instead of at its start.
    const at = xdp.offset + 12 * 8 + 4;
    const v = new DataView(bytes.buffer);
    v.setInt32(at, v.getInt32(at, true) + 1, true);
    let err: unknown;
    try {
      parseObject(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ObjectError);
    expect((err as ObjectError).message).toMatch(/^section 'xdp' \(#\d+\): program 'first': insn #12: call into '\.text' slot \d+, where no function starts/);
    expect((err as ObjectError).program).toBe('first');
    expect((err as ObjectError).insn).toBe(12);
  });

  it('refuses a relocation that is not on an instruction boundary', () => {
    const bytes = readFixture('maps').slice();
    const relsec = parseElf(bytes).section('.relsocket')!;
    const v = new DataView(bytes.buffer);
    v.setBigUint64(relsec.offset, v.getBigUint64(relsec.offset, true) + 4n, true);
    expect(() => parseObject(bytes)).toThrow(/relocation at byte \d+ is not on an instruction boundary/);
  });

  it('refuses a program that loads something that is not a map, naming program, insn and symbol', () => {
    const bytes = readFixture('maps').slice();
    const elf = parseElf(bytes);
    const rel = elf.section('.relsocket')!;
    const license = elf.symbols.find((s) => s.name === 'LICENSE')!;
    // Entry 0 of .relsocket (insn 16, 'counts') now names LICENSE: r_info's high half.
    new DataView(bytes.buffer).setUint32(rel.offset + 12, license.index, true);
    let err: unknown;
    try {
      parseObject(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ObjectError);
    expect((err as ObjectError).message).toMatch(
      /program 'use_maps': insn #16: relocation against 'LICENSE' in section 'license', which is neither a map, data nor code/,
    );
    expect((err as ObjectError).symbol).toBe('LICENSE');
  });

  it('raises only typed errors on 3,000 mutated fixtures', () => {
    const bases = allFixtures()
      .filter((f) => !f.name.startsWith('verifier_'))
      .map((f) => readFixture(f.name, f.endian));
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }).chain((i) => fc.tuple(fc.constant(i), mutations(bases[i]!.length))),
        ([i, muts]) => {
          try {
            const spec = parseObject(applyMutations(bases[i]!, muts));
            for (const p of spec.programs.values()) resolveCalls(p.instructions.map((x: ProgramInstruction) => ({ ...x })), p.name);
            parsed++;
          } catch (e) {
            if (!(e instanceof ParseError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
    expect(parsed).toBeGreaterThan(30);
  });
});

