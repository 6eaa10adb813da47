import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { btfFromElf, dumpCString, encodeBtf, parseBtf, sizeOf, StringTable, type Btf, type BtfType } from '../../src/btf/index.js';
import { main } from '../../src/cli/main.js';
import { parseElf } from '../../src/elf/index.js';
import { describeWithTool, runWithKernelBtf } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

const fixture = btfFromElf(parseElf(readFixture('btf_types')))!.btf;

describe('C header dump of the btf_types fixture', () => {
  const h = dumpCString(fixture);

  it('writes the bpftool frame and the preserve_access_index block', () => {
    expect(h.startsWith('#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n')).toBe(true);
    expect(h.endsWith('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n')).toBe(true);
  });

  it('writes declarators, bitfields, anonymous members and 64-bit enums', () => {
    for (const line of [
      'typedef int (*handler_fn)(void *, __u32);',
      '\thandler_fn handlers[4];',
      '\tint (*raw_handlers[2])(int);',
      '\tvoid (*(*fp_returning_fp)(int))(long);',
      '\tunsigned long long d: 40;',
      '\tunion {\n\t\tstruct {\n\t\t\t__u32 lo;\n\t\t\t__u32 hi;\n\t\t};\n\t\t__u64 both;\n\t};',
      '\tint __attribute__((btf_type_tag("user"))) *uptr;',
      '\tBIG_C = 9223372036854775808ULL,',
      '\tSBIG_NEG = -4294967296LL,',
      '\tSMALL_NEG = -3,',
      'struct bpf_flow_keys;\n',
      '\tint flex[0];',
    ]) {
      expect(h).toContain(line);
    }
    // Forward declaration before first use through a pointer.
    expect(h.indexOf('struct bpf_sock;')).toBeLessThan(h.indexOf('struct __sk_buff {'));
  });
});

function compile(dir: string, file: string): void {
  execFileSync('clang-19', ['-target', 'bpf', '-O2', '-g', '-c', file, '-o', file.replace(/\.c$/, '.o')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
}

/** `_Static_assert`s of size and member offsets for every uniquely named struct/union. */
function sizeAsserts(btf: Btf, header: string, limit = Infinity): string {
  const count = new Map<string, number>();
  for (let id = 1; id <= btf.maxId; id++) {
    const k = btf.kindOf(id);
    if (k === 4 || k === 5 || k === 6 || k === 19 || k === 8) count.set(btf.nameOf(id), (count.get(btf.nameOf(id)) ?? 0) + 1);
  }
  let out = `#include "${header}"\n`;
  let n = 0;
  for (let id = 1; id <= btf.maxId && n < limit; id++) {
    const k = btf.kindOf(id);
    const name = btf.nameOf(id);
    if ((k !== 4 && k !== 5) || name === '' || count.get(name) !== 1) continue;
    // va_list is the compiler's own type: its BPF-target size differs from the kernel's.
    if (name === 'warn_args' || name === 'va_format') continue;
    const tag = `${k === 4 ? 'struct' : 'union'} ${name}`;
    out += `_Static_assert(sizeof(${tag}) == ${sizeOf(btf, id)}, "${name}");\n`;
    // And where each named, non-bitfield member sits.
    const t = btf.type(id);
    if (t.kind === 'STRUCT') {
      for (const m of t.members) {
        if (m.name && !m.bitfieldSize) out += `_Static_assert(__builtin_offsetof(${tag}, ${m.name}) == ${m.bitsOffset / 8}, "${name}.${m.name}");\n`;
      }
    }
    n++;
  }
  return out;
}

describeWithTool('C header dump compiles with clang-19', ['clang-19'], () => {
  it('the fixture header, with every struct the size and layout BTF says', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cdump-'));
    try {
      writeFileSync(join(dir, 'fixture.h'), dumpCString(fixture));
      writeFileSync(join(dir, 'sizes.c'), sizeAsserts(fixture, 'fixture.h'));
      compile(dir, 'sizes.c');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('split BTF is written with its base types', () => {
    const base = fixture;
    const strings = new StringTable(new TextEncoder().encode('\0mod\0b\0'));
    const types: BtfType[] = [
      {
        id: base.maxId + 1,
        kind: 'STRUCT',
        name: 'mod',
        nameOff: base.stringsLength + 1,
        size: 16,
        kindFlag: false,
        members: [{ name: 'b', nameOff: base.stringsLength + 5, type: base.findByName('bits')!, bitsOffset: 0, bitfieldSize: 0 }],
      },
    ];
    const split = parseBtf(encodeBtf(types, strings.bytes()), { base });
    const h = dumpCString(split);
    expect(h).toContain('struct mod {\n\tstruct bits b;\n};');
    expect(h.indexOf('struct bits {')).toBeLessThan(h.indexOf('struct mod {'));
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cdump-split-'));
    try {
      writeFileSync(join(dir, 'split.h'), h);
      writeFileSync(join(dir, 'use.c'), '#include "split.h"\n_Static_assert(sizeof(struct mod) == 16, "mod");\n');
      compile(dir, 'use.c');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(runWithKernelBtf)('vmlinux.h from `tsbpf btf dump file /sys/kernel/btf/vmlinux format c`, in a CO-RE program', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-vmlinux-h-'));
    try {
      const chunks: string[] = [];
      const code = await main(['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { out: (t) => chunks.push(t), err: (t) => chunks.push(t) });
      expect(code).toBe(0);
      writeFileSync(join(dir, 'vmlinux.h'), chunks.join(''));
      writeFileSync(
        join(dir, 'prog.bpf.c'),
        `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp/raw_syscalls/sys_enter")
int handle(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct sk_buff *skb = (void *)ctx->args[1];
	int pid = BPF_CORE_READ(task, pid);
	unsigned int len = BPF_CORE_READ(skb, len);
	return pid + (int)ctx->id + (int)len + (int)BPF_CORE_READ(task, real_parent, tgid);
}
`,
      );
      compile(dir, 'prog.bpf.c');
      // Layout check: the compiler agrees with BTF on the size and member offsets of every
      // uniquely named struct (padding and packed attributes are right).
      const btf = parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
      writeFileSync(join(dir, 'sizes.c'), sizeAsserts(btf, 'vmlinux.h'));
      compile(dir, 'sizes.c');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
