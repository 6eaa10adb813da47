/**
 * The catalogue: every entry matches the kernel's message format (kernel/bpf/verifier.c
 * format strings, filled in as the kernel prints them) and explains it in plain words.
 */
import { describe, expect, it } from 'vitest';
import { catalogue, explain, matchCatalogue } from '../../src/verifier-log/index.js';

/** One message per catalogue id, as the kernel prints it. */
const samples: Record<string, string> = {
  'null-deref': "R0 invalid mem access 'map_value_or_null'",
  'scalar-deref': "R1 invalid mem access 'scalar'",
  'invalid-mem-access': "R3 invalid mem access 'map_ptr'",
  'ptr-arith-null': 'R2 pointer arithmetic on map_value_or_null prohibited, null-check it first',
  'ptr-arith-prohibited': 'R1 pointer arithmetic on map_ptr prohibited',
  'ptr-arith-bitwise': 'R1 bitwise operator &= on pointer prohibited',
  'unbounded-min-math': 'math between map_value pointer and register with unbounded min value is not allowed',
  'unbounded-max-math': 'math between pkt pointer and register with unbounded max value is not allowed',
  'value-makes-ptr-oob': 'value -2147483648 makes map_value pointer be out of bounds',
  'map-value-oob': 'invalid access to map value, value_size=32 off=56 size=8',
  'mem-oob': 'invalid access to memory, mem_size=16 off=16 size=8',
  'range-outside': 'R0 max value is outside of the allowed memory range',
  'unbounded-mem-access': "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'",
  'min-negative': "R2 min value is negative, either use unsigned or 'var &= const'",
  'zero-size': 'R2 invalid zero-sized read',
  'packet-oob': 'invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)',
  'packet-offset-outside': 'R1 offset is outside of the packet',
  'ctx-access': 'invalid bpf_context access off=12 size=4',
  'stack-read-uninit': 'invalid indirect read from stack R2 off -16+4 size 16',
  'stack-access': 'invalid write to stack R1 off=-520 size=8',
  misaligned: 'misaligned stack access off 0+0+-12 size 8',
  'frame-pointer-ro': 'frame pointer is read only',
  'arg-type': 'R1 type=ctx expected=map_ptr',
  'possibly-null-arg': 'Possibly NULL pointer passed to trusted arg0',
  'must-be-referenced': 'R1 must be referenced when passed to release function',
  'ref-not-acquired': 'release kernel function bpf_sk_release expects refcounted PTR_TO_BTF_ID reference has not been acquired before',
  'dynptr-uninit': 'Expected an initialized dynptr as arg #2',
  'dynptr-other': 'Dynptr has to be an uninitialized dynptr',
  'unreleased-ref': 'Unreleased reference id=2 alloc_insn=4',
  'ref-leak-exit': 'BPF_EXIT instruction in main prog would lead to reference leak',
  'spin-lock-exit': 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region',
  'spin-lock-misuse': 'bpf_spin_unlock without taking a lock',
  'helper-not-for-type': 'program of this type cannot use helper bpf_skb_load_bytes#26',
  'unknown-func': 'unknown func bpf_get_current_task_btf#158',
  'helper-not-in-probe': 'helper call is not allowed in probe',
  'might-sleep': 'helper call might sleep in a non-sleepable prog',
  'kfunc-sleepable': 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_str',
  'kfunc-not-allowed': 'calling kernel function bpf_cpumask_create is not allowed',
  'kfunc-unresolved': 'kernel btf_id 12345 is not a function',
  'core-poison': 'invalid func unknown#195896080',
  'kfunc-poison': 'invalid func unknown#2002000001',
  'map-poison': 'invalid func unknown#2001000003',
  'invalid-func': 'invalid func unknown#212',
  'gpl-only': 'cannot call GPL-restricted function from non-GPL compatible program',
  'reg-not-init': 'R0 !read_ok',
  'exit-code': 'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]',
  'ptr-leak': 'R0 leaks addr as return value',
  'write-forbidden': 'write into map forbidden, value_size=8 off=0 size=8',
  'infinite-loop': 'infinite loop detected at insn 3',
  'back-edge': 'back-edge from insn 12 to 5',
  'too-large': 'BPF program is too large. Processed 1000001 insn',
  'jumps-too-complex': 'The sequence of 8193 jumps is too complex.',
  'combined-stack': 'combined stack size of 2 calls is 640. Too large',
  'stack-too-big': 'invalid stack off=-520 size=8',
  'jump-out-of-range': 'jump out of range from insn 7 to 99',
  unreachable: 'unreachable insn 12',
};

describe('catalogue', () => {
  it('has at least 30 patterns with unique ids, each with an explanation and a fix', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(30);
    expect(new Set(catalogue.map((e) => e.id)).size).toBe(catalogue.length);
    for (const e of catalogue) {
      expect(e.title).toMatch(/^(?:[a-z]|CO-RE )/);
      expect(e.fix).toBeTruthy();
    }
  });

  it('every entry has a sample message here, and matches it first', () => {
    expect(Object.keys(samples).sort()).toEqual(catalogue.map((e) => e.id).sort());
    for (const [id, message] of Object.entries(samples)) {
      expect(matchCatalogue(message)?.entry.id, message).toBe(id);
    }
  });

  it.each(Object.entries(samples))('%s: explained from a minimal log, register named', (id, message) => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '; int x = 0; @ prog.bpf.c:3',
      '0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()',
      '1: (b7) r0 = 0                        ; R0=0',
      message,
      'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      '',
    ].join('\n');
    const e = explain(log);
    expect(e.id).toBe(id);
    expect(e.kernelMessage).toBe(message);
    expect(e.text.length).toBeGreaterThan(20);
    const reg = /^R(\d+) /.exec(message);
    if (reg) {
      expect(e.register).toBe(`R${reg[1]}`);
      expect(e.text).toContain(`R${reg[1]}`);
    }
    expect(e.location?.line ?? 3).toBe(3);
  });

  it('an unknown message is kept and shown as the kernel said it', () => {
    const e = explain('0: (95) exit\nsomething new in linux 7.0\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
    expect(e.id).toBeUndefined();
    expect(e.text).toContain('something new in linux 7.0');
    expect(e.keyLines).toContain('something new in linux 7.0');
  });
});
