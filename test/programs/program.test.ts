/**
 * `Program`: open by pin and id, info, xlated instructions, test runs, idempotent close.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { loadCollection } from '../../src/collection/index.js';
import { parseObject } from '../../src/object/index.js';
import { Program, ProgramError } from '../../src/programs/index.js';
import { ProgType } from '../../src/uapi/bpf.js';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

const dir = `/sys/fs/bpf/tsbpf_test_programs_${process.pid}`;
const openFds = () => readdirSync('/proc/self/fd').length;

describeKernel('Program', () => {
  mkdirSync(dir, { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pins, opens by pin and by id, and reads the same xlated instructions', () => {
    const spec = parseObject(readFixture('subprogs'), { fileName: 'subprogs.bpfel.o' });
    using c = loadCollection(spec);
    const p = c.program('first')!;
    expect(p.type).toBe(ProgType.XDP);
    expect(p.typeName).toBe('xdp');
    p.pin(`${dir}/first`);
    using a = Program.fromPin(`${dir}/first`);
    using b = Program.fromId(p.id);
    expect(a.id).toBe(p.id);
    expect(a.name).toBe('first');
    expect(a.type).toBe(ProgType.XDP);
    const x = p.xlated();
    expect(x.length).toBeGreaterThan(10);
    expect(a.xlated()).toEqual(x);
    expect(b.xlated()).toEqual(x);
    // A JIT-compiled program with two subprograms has three ksyms.
    if (p.info().jitedProgLen > 0) expect(p.jitedKsyms().length).toBeGreaterThanOrEqual(2);
    rmSync(`${dir}/first`);
  });

  it('runs an xdp program on a packet with BPF_PROG_TEST_RUN, repeatedly', () => {
    const spec = parseObject(readFixture('subprogs'), { fileName: 'subprogs.bpfel.o' });
    using c = loadCollection(spec);
    const r = c.program('first')!.testRun({ data: new Uint8Array(64), repeat: 10 });
    expect(r.data.length).toBe(64);
    expect(typeof r.retval).toBe('number');
  });

  it('close is idempotent; a closed program says so', () => {
    const spec = parseObject(readFixture('minimal'), { fileName: 'minimal.bpfel.o' });
    const before = openFds();
    const c = loadCollection(spec);
    const p = [...c.programs.values()][0]!;
    const clone = p.clone();
    p.close();
    p.close();
    expect(p.closed).toBe(true);
    expect(() => p.fd).toThrow(ProgramError);
    expect(() => p.fd).toThrow(/program is closed/);
    expect(clone.info().name).toBe(p.name.slice(0, 15));
    clone[Symbol.dispose]();
    c.close();
    expect(openFds()).toBe(before);
  });

  it('fromId of a missing id is a ProgramError', () => {
    expect(() => Program.fromId(0x7fff_fff0)).toThrow(ProgramError);
  });
});
