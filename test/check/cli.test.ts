/** `tsbpf check` and `tsbpf gen min_core_btf` from the command line. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minCoreBtf } from '../../src/check/index.js';
import { runCli } from '../helpers/cli.js';
import { describeKernel, runWithKernelBtf } from '../helpers/env.js';
import { fixturePath } from '../helpers/fixtures.js';
import { kernelBtf, loadSpec, modifiedKernel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-check-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const VMLINUX = '/sys/kernel/btf/vmlinux';

describe.runIf(runWithKernelBtf)('tsbpf check --btf', () => {
  const modified = join(tmp, 'kernels', 'modified.btf');
  beforeAll(() => {
    mkdirSync(join(tmp, 'kernels'), { recursive: true });
    writeFileSync(modified, modifiedKernel().bytes);
    writeFileSync(join(tmp, 'kernels', 'README'), 'not BTF');
  }, 60_000);

  it('prints a block per kernel and a verdict table; exits 1 when a kernel fails', async () => {
    const r = await runCli(['check', fixturePath('core_kernel'), '--btf', VMLINUX, modified]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^kernel ${VMLINUX}: ok \\(\\d+ checks: \\d+ ok, 3 notes\\)$`, 'm'));
    expect(r.out).toMatch(/^kernel .*modified\.btf: fail \(\d+ checks: .*5 failed\)$/m);
    expect(r.out).toMatch(/^ {2}FAIL {2}core {5}core_kernel: task_struct\.pid <byte_off>: relo #0 \(insn #2\): poisoned and reachable: 'task_struct\.pid' not in this kernel; closest: 'task_struct\.__pid' \(offset \d+, pid_t\), distance 2$/m);
    expect(r.out).toMatch(/'task_struct\.comm' changed type: char\[16\] in the object, long unsigned int in this kernel/);
    expect(r.out).toMatch(/^KERNEL +VERDICT +OK +NOTE +WARN +FAIL$/m);
    expect(r.out).toMatch(new RegExp(`^${VMLINUX} +ok +\\d+ +3 +0 +0$`, 'm'));
    expect(r.out).toMatch(/^.*modified\.btf +fail +\d+ +3 +0 +5$/m);
    // bpf_core_type_size(task_t): no typedef 'task_t' in the kernel, so 0; a note, not a failure.
    expect(r.out).toMatch(/^ {2}note {2}core {5}core_kernel: task_t <type_size>: relo #11 \(insn #51\): absent in this kernel \(the program gets 0\): no type 'task_t' in this kernel/m);
  });

  it('--json gives every finding with its verdict and closest candidate', async () => {
    const r = await runCli(['check', fixturePath('core_kernel'), '--btf', VMLINUX, modified, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { kernels: { kernel: string; verdict: string; items: { subject: string; verdict: string; closest: Record<string, unknown> | null; relocation: Record<string, unknown> | null }[] }[] };
    expect(j.kernels.map((k) => [k.kernel, k.verdict])).toEqual([
      [VMLINUX, 'ok'],
      [modified, 'fail'],
    ]);
    const pid = j.kernels[1]!.items.find((i) => i.subject === 'task_struct.pid <byte_off>')!;
    expect(pid.verdict).toBe('fail');
    expect(pid.closest).toMatchObject({ change: 'renamed', candidate: 'task_struct.__pid' });
    expect(pid.relocation).toMatchObject({ relocation: 0, insn: 2, kind: 'byte_off', target: null });
    const tgid = j.kernels[1]!.items.find((i) => i.subject === 'task_struct.tgid <byte_off>')!;
    expect(tgid.closest).toMatchObject({ change: 'vanished', local: 'task_struct.tgid' });
  });

  it('a directory is searched for BTF files; other files are skipped with a message', async () => {
    const r = await runCli(['check', fixturePath('core_kernel'), '--btf', join(tmp, 'kernels')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/skipping '.*README': not raw BTF or ELF/);
    expect(r.out).toMatch(/modified\.btf +fail/);
  });

  it('the minimised BTF of an object passes its CO-RE checks, and says what it cannot tell', async () => {
    const min = join(tmp, 'min.btf');
    const g = await runCli(['gen', 'min_core_btf', VMLINUX, min, fixturePath('core_kernel'), '--json']);
    expect(g.code, g.err).toBe(0);
    const info = JSON.parse(g.out) as { types: number; bytes: number };
    expect(readFileSync(min).length).toBe(info.bytes);
    expect(readFileSync(min)).toEqual(Buffer.from(minCoreBtf(kernelBtf(), [loadSpec('core_kernel')]).bytes));
    const r = await runCli(['check', fixturePath('core_kernel'), '--btf', min, '--json']);
    const k = (JSON.parse(r.out) as { kernels: { verdict: string; items: { area: string; verdict: string }[] }[] }).kernels[0]!;
    expect(k.items.filter((i) => i.area === 'core' && i.verdict === 'fail')).toEqual([]);
    expect(k.verdict).toBe('warn'); // no UAPI enums in a minimised BTF
  });
});

describe('tsbpf check: bad input', () => {
  it('usage errors exit 2', async () => {
    expect((await runCli(['check'])).code).toBe(2);
    expect((await runCli(['check', fixturePath('core_kernel'), '--btf'])).err).toMatch(/'--btf' needs at least one file or directory/);
    expect((await runCli(['check', fixturePath('core_kernel'), '--bogus'])).code).toBe(2);
    expect((await runCli(['gen', 'min_core_btf', 'a'])).code).toBe(2);
  });

  it('a truncated BTF file or a missing path is an error naming it, not a crash', async () => {
    const bad = join(tmp, 'truncated.btf');
    writeFileSync(bad, readFileSync(fixturePath('core_target_a')).subarray(0, 3));
    const r = await runCli(['check', fixturePath('core_relos'), '--btf', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: .*truncated\.btf/m);
    const m = await runCli(['check', fixturePath('core_relos'), '--btf', join(tmp, 'missing')]);
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/cannot read '.*missing'/);
    const p = await runCli(['check', fixturePath('core_relos'), '--btf', fixturePath('core_target_a'), '--program', 'nope']);
    expect(p.err).toMatch(/program 'nope' not found/);
  });

  it('gen min_core_btf of an object without CO-RE relocations is an empty BTF (as bpftool writes)', async () => {
    const out = join(tmp, 'empty.btf');
    const r = await runCli(['gen', 'min_core_btf', fixturePath('core_target_a'), out, fixturePath('asm_isa')]);
    expect(r.code, r.err).toBe(0);
    // The 24-byte header and the empty string.
    expect(readFileSync(out).length).toBe(25);
    const bad = await runCli(['gen', 'min_core_btf', join(tmp, 'missing.btf'), out, fixturePath('asm_isa')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot read '.*missing\.btf'/);
  });
});

describeKernel('tsbpf check (running kernel)', () => {
  it('without --btf checks the running kernel with pre-flight probes', async () => {
    const r = await runCli(['check', fixturePath('loader'), '--verbose']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kernel \/sys\/kernel\/btf\/vmlinux: ok/m);
    // The untyped ksym BTF could not tell about, settled by /proc/kallsyms.
    expect(r.out).toMatch(/^ {2}ok {4}ksym {5}read_config: bpf_prog_put: in \/proc\/kallsyms at 0x[0-9a-f]+ \[probe\]$/m);
    expect(r.out).not.toMatch(/untyped ksym: resolved from \/proc\/kallsyms at load; BTF cannot tell/);
    expect(r.out).toMatch(/^ {2}ok {4}program  use_kfunc: program type tracing: the kernel accepts trace_raw_tp programs/m);
  });
});
