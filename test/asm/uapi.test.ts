/**
 * The constants and helper ids of src/asm against the system's UAPI headers
 * (/usr/include/linux/bpf.h from linux-libc-dev), through a C program compiled with clang-19.
 * The headers may be older than tsbpf's tables (Debian 12 ships 6.1): every name the header
 * has must have the header's value; names it lacks (BPF_JCOND, BPF_LOAD_ACQ, newer helpers)
 * are checked against the values copied from Linux 6.18 by the unit tests below.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as asm from '../../src/asm/index.js';
import { BPF_FUNC, BPF_FUNC_MAX_ID, BPF_FUNC_NAMES, helperId, helperName } from '../../src/asm/index.js';
import { describeWithTool } from '../helpers/env.js';

/** Every numeric constant src/asm exports under a UAPI name. */
const constants = Object.entries(asm).filter(
  (e): e is [string, number] => typeof e[1] === 'number' && /^(BPF_|MAX_BPF_REG$)/.test(e[0]),
);
/** tsbpf names that are not in bpf.h: whole-opcode shorthands and kernel-internal values. */
const notInUapi = new Set(['BPF_LD_IMM64', 'BPF_CALL_INSN', 'BPF_EXIT_INSN', 'BPF_INSN_SIZE', 'BPF_ADDR_SPACE_CAST', 'BPF_NOSPEC', 'BPF_FUNC_MAX_ID']);

describeWithTool('asm constants match <linux/bpf.h>', ['clang-19'], () => {
  it('every constant and helper id the header defines has the header value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-asm-uapi-'));
    try {
      const macros = new Set(
        execFileSync('clang-19', ['-dM', '-E', '-x', 'c', '-'], { input: '#include <linux/bpf.h>\n', encoding: 'utf8' })
          .split('\n')
          .map((l) => /^#define (\w+)/.exec(l)?.[1])
          .filter((n): n is string => n !== undefined),
      );
      // Enum constants are not macros: BPF_REG_* are in every 6.x header; helpers are probed
      // through __BPF_FUNC_MAX_ID.
      const enums = new Set(constants.map(([n]) => n).filter((n) => /^BPF_REG_\d+$/.test(n)));
      const names = constants.map(([n]) => n).filter((n) => macros.has(n) || enums.has(n));
      const lines = [
        '#include <stdio.h>',
        '#include <linux/bpf.h>',
        'int main(void) {',
        ...names.map((n) => `  printf("%s %lld\\n", "${n}", (long long)(${n}));`),
        '  printf("__BPF_FUNC_MAX_ID %d\\n", (int)__BPF_FUNC_MAX_ID);',
        // __BPF_FUNC_MAPPER(FN) expands to `FN(name),` for every helper (6.1 and 6.18).
        '#define PRINT_FN(name) printf("FN %s %d\\n", #name, (int)BPF_FUNC_##name)',
        '  int printed[] = { __BPF_FUNC_MAPPER(PRINT_FN) 0 };',
        '  (void)printed;',
        '  return 0;',
        '}',
      ];
      writeFileSync(join(dir, 'uapi.c'), lines.join('\n'));
      execFileSync('clang-19', ['-o', join(dir, 'uapi'), join(dir, 'uapi.c')], { stdio: 'pipe' });
      const out = execFileSync(join(dir, 'uapi'), { encoding: 'utf8' }).trim().split('\n');

      const ours = new Map(constants);
      let compared = 0;
      const helpers = new Map<string, number>();
      let maxId = -1;
      for (const line of out) {
        const [a, b, c] = line.split(' ');
        if (a === 'FN') helpers.set(b!, Number(c));
        else if (a === '__BPF_FUNC_MAX_ID') maxId = Number(b);
        else {
          expect(ours.get(a!), a).toBe(Number(b));
          compared++;
        }
      }
      // Debian 12's header has at least the classic eBPF set.
      expect(compared).toBeGreaterThanOrEqual(60);
      expect(maxId).toBeGreaterThanOrEqual(200);
      expect(maxId).toBeLessThanOrEqual(BPF_FUNC_MAX_ID);
      expect(helpers.size).toBe(maxId);
      for (const [name, id] of helpers) {
        expect((BPF_FUNC as Record<string, number>)[name], name).toBe(id);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('asm constants', () => {
  it('exports each UAPI constant once, with the values of Linux 6.18', () => {
    const byName = new Map(constants);
    // Added after Debian 12's 6.1 header; values from include/uapi/linux/bpf.h of 6.18.
    expect(byName.get('BPF_MEMSX')).toBe(0x80);
    expect(byName.get('BPF_JCOND')).toBe(0xe0);
    expect(byName.get('BPF_MAY_GOTO')).toBe(0);
    expect(byName.get('BPF_LOAD_ACQ')).toBe(0x100);
    expect(byName.get('BPF_STORE_REL')).toBe(0x110);
    expect(byName.get('BPF_XCHG')).toBe(0xe1);
    expect(byName.get('BPF_CMPXCHG')).toBe(0xf1);
    expect(byName.get('BPF_PSEUDO_MAP_IDX_VALUE')).toBe(6);
    expect(byName.get('BPF_PSEUDO_KFUNC_CALL')).toBe(2);
    for (const n of notInUapi) if (n !== 'BPF_NOSPEC' && n !== 'BPF_FUNC_MAX_ID') expect(byName.has(n), n).toBe(true);
  });

  it('extracts code fields like bpf_common.h', () => {
    // 0xdb = BPF_STX | BPF_ATOMIC | BPF_DW; 0x3f = BPF_ALU64 | BPF_DIV | BPF_X
    expect([asm.BPF_CLASS(0xdb), asm.BPF_MODE(0xdb), asm.BPF_SIZE(0xdb)]).toEqual([asm.BPF_STX, asm.BPF_ATOMIC, asm.BPF_DW]);
    expect([asm.BPF_CLASS(0x3f), asm.BPF_OP(0x3f), asm.BPF_SRC(0x3f)]).toEqual([asm.BPF_ALU64, asm.BPF_DIV, asm.BPF_X]);
    expect([asm.sizeBytes(asm.BPF_B), asm.sizeBytes(asm.BPF_H), asm.sizeBytes(asm.BPF_W), asm.sizeBytes(asm.BPF_DW)]).toEqual([
      1, 2, 4, 8,
    ]);
  });
});

describe('helpers', () => {
  it('lists the 212 helpers of Linux 6.18, ids without gaps', () => {
    expect(BPF_FUNC_MAX_ID).toBe(212);
    expect(BPF_FUNC_NAMES.map((n) => BPF_FUNC[n])).toEqual([...Array(212).keys()]);
    expect(BPF_FUNC.map_lookup_elem).toBe(1);
    expect(BPF_FUNC.ringbuf_output).toBe(130);
    expect(BPF_FUNC.user_ringbuf_drain).toBe(209);
    expect(BPF_FUNC.cgrp_storage_delete).toBe(211);
  });

  it('maps names and ids both ways', () => {
    expect(helperName(1)).toBe('bpf_map_lookup_elem');
    expect(helperName(130)).toBe('bpf_ringbuf_output');
    for (const bad of [0, -1, 212, 1.5, NaN]) expect(helperName(bad)).toBeUndefined();
    expect(helperId('bpf_ringbuf_output')).toBe(130);
    expect(helperId('ringbuf_output')).toBe(130);
    expect(helperId('BPF_FUNC_ringbuf_output')).toBe(130);
    for (const bad of ['unspec', 'bpf_unspec', 'nope', '__proto__', 'toString', '']) expect(helperId(bad)).toBeUndefined();
  });
});
