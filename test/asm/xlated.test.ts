/**
 * tsbpf's disassembler against `bpftool prog dump xlated` on the running kernel: bpftool loads
 * fixture programs, then dumps each translated program both as text and as raw instructions
 * (`file`); tsbpf decodes the raw bytes and must print bpftool's text, line for line.
 *
 * Translated programs are what the verifier made of the object: map fds replaced by map ids
 * (`map[id:12]`), helper calls rewritten to the helper's address minus `__bpf_call_base`
 * (bpftool names them from /proc/kallsyms; the test gives tsbpf the same names through
 * `callName`), inlined helpers, per-cpu address moves. Two known differences are mapped
 * before comparing:
 * - BPF-to-BPF calls: bpftool appends the callee's JIT symbol (`call pc+14#bpf_prog_<tag>_f`),
 *   which needs prog info tsbpf does not have here; the `#...` suffix is dropped. (The
 *   distance itself is compared: in a JIT-compiled program it sits in `off`, see
 *   `DisasmOptions.jited`.)
 * - Debian's bpftool 7.1 carries the disassembler of Linux 6.1, which prints the per-cpu move
 *   `r0 = &(void __percpu *)(r0)` (Linux 6.10) as `r0 = r0`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { BPF_PSEUDO_CALL, decodeProgram, disassemble, type Instruction } from '../../src/asm/index.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { parseObject } from '../../src/object/index.js';

/** Fixtures whose programs all load on this kernel (no fentry/kprobe, no cpu v4 text that
 * bpftool 7.1 cannot print). */
const FIXTURES = ['minimal', 'packet', 'maps', 'ringbuf', 'globals', 'subprogs'];

/** Kernel symbols by address, from /proc/kallsyms (several names can share an address). */
function kallsyms(): { base: bigint; names: Map<bigint, string[]> } {
  const names = new Map<bigint, string[]>();
  let base: bigint | undefined;
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const [addr, , name] = line.split(/\s+/);
    if (!addr || !name) continue;
    const a = BigInt('0x' + addr);
    if (name === '__bpf_call_base') base = a;
    const list = names.get(a);
    if (list) list.push(name);
    else names.set(a, [name]);
  }
  if (base === undefined || base === 0n) throw new Error('no __bpf_call_base in /proc/kallsyms (kptr_restrict?)');
  return { base, names };
}

describeKernel('disassembly agrees with bpftool prog dump xlated', () => {
  describeWithTool('bpftool', ['bpftool'], () => {
    const pinRoot = `/sys/fs/bpf/tsbpf_test_asm_${process.pid}`;
    let work = '';
    let syms: ReturnType<typeof kallsyms>;

    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'tsbpf-asm-xlated-'));
      syms = kallsyms();
    });
    afterAll(() => {
      rmSync(pinRoot, { recursive: true, force: true });
      if (work) rmSync(work, { recursive: true, force: true });
    });

    let programs = 0;
    for (const name of FIXTURES) {
      it(`${name}.bpfel.o`, () => {
        const dir = `${pinRoot}_${name}`;
        // libbpf pins LIBBPF_PIN_BY_NAME maps at /sys/fs/bpf/<name>: remove the ones this
        // load creates (maps.bpf.c pins 'lru'), so no test leaves kernel objects behind.
        const byName = [...parseObject(readFixture(name)).maps.values()].filter((m) => m.pinning === 1).map((m) => `/sys/fs/bpf/${m.name}`);
        const preexisting = new Set(byName.filter((p) => existsSync(p)));
        onTestFinished(() => byName.filter((p) => !preexisting.has(p)).forEach((p) => rmSync(p, { force: true })));
        try {
          execFileSync('bpftool', ['prog', 'loadall', fixturePath(name), dir], { stdio: 'pipe' });
          const pins = readdirSync(dir).sort();
          expect(pins.length).toBeGreaterThan(0);
          for (const pin of pins) {
            const path = join(dir, pin);
            const raw = join(work, `${name}-${pin}.bin`);
            const text = execFileSync('bpftool', ['prog', 'dump', 'xlated', 'pinned', path], { encoding: 'utf8' });
            execFileSync('bpftool', ['prog', 'dump', 'xlated', 'pinned', path, 'file', raw], { stdio: 'pipe' });
            const expected = text
              .split('\n')
              .filter((l) => /^\s*\d+: \(/.test(l))
              .map((l) => l.replace(/^(\s*\d+: \(85\) call pc[+-]\d+)#\S+$/, '$1'));

            // The kernel dumps translated instructions in host byte order.
            const insns = decodeProgram(new Uint8Array(readFileSync(raw)), endianness() === 'LE');
            const candidates = new Map<number, string[]>();
            const callName = (insn: Instruction): string | undefined => {
              if (insn.src === BPF_PSEUDO_CALL) return undefined;
              const list = syms.names.get(syms.base + BigInt(insn.imm | 0));
              if (!list) return undefined;
              candidates.set(insns.indexOf(insn as (typeof insns)[number]), list);
              return list[0];
            };
            const info = JSON.parse(
              execFileSync('bpftool', ['prog', 'show', 'pinned', path, '--json'], { encoding: 'utf8' }),
            ) as { bytes_jited?: number };
            const jited = (info.bytes_jited ?? 0) > 0;
            const ours = disassemble(insns, { callName, jited }).map((l) => l.replace(/= &\(void __percpu \*\)\((r\d+)\)$/, '= $1'));
            // Where kallsyms has aliases, accept whichever one bpftool printed.
            insns.forEach((insn, k) => {
              const list = candidates.get(k);
              const m = /call ([\w.]+)#-?\d+$/.exec(expected[k] ?? '');
              if (list && m && list.includes(m[1]!)) ours[k] = ours[k]!.replace(/call [\w.]+#/, `call ${m[1]}#`);
            });
            expect(ours, `${name} ${pin}`).toEqual(expected);
            programs++;
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    it('compared at least 6 programs', () => {
      expect(programs).toBeGreaterThanOrEqual(6);
    });
  });
});
