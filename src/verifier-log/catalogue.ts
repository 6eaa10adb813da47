/**
 * The catalogue: verifier error messages in plain words, with the usual fix.
 *
 * Each entry matches one message the kernel prints (the format strings are in
 * kernel/bpf/verifier.c; the function that prints each is named in the entry), says what it
 * means for the C programmer, names the register involved and says what to change in the C
 * code. Entries are tried in order on the error lines of a log; the first match wins, so
 * specific patterns come before general ones.
 *
 * Patterns and texts are our own; the messages themselves are the kernel's.
 * @module
 */
import type { InsnRecord, ParsedLog } from './parse.js';
import type { RegState } from './state.js';
import { insnEffect } from './causal.js';
import { POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE, type LoaderSymbols } from './symbols.js';

/** What an entry may look at besides the message. */
export interface CatalogueContext {
  /** The whole parsed log. */
  parsed: ParsedLog;
  /** The instruction the verifier was checking when it failed (the last one printed). */
  failing?: InsnRecord;
  /** The instructions on the failing path before the failing one, newest first. */
  path: InsnRecord[];
  /** The latest printed state of register `regno` before the failure. */
  regState(regno: number): RegState | undefined;
  /** The register the message is about, as `R3`, once known (`'the register'` otherwise). */
  reg: string;
  /** Names the loader (or the object file) knows behind the log's numbers. */
  symbols?: LoaderSymbols;
}

/** One known message. */
export interface CatalogueEntry {
  /** Stable id, e.g. `null-deref`. */
  id: string;
  /** Matches one log line. */
  pattern: RegExp;
  /** Short title: `pointer may be NULL`. */
  title: string;
  /** Register number the message is about; default: a leading `R<n>` in the message. */
  register?(m: RegExpExecArray, ctx: CatalogueContext): number | undefined;
  /** Instruction the explanation should point at, when not the failing one. */
  insn?(m: RegExpExecArray, ctx: CatalogueContext): number | undefined;
  /** Plain-words explanation (names the register). */
  explain(m: RegExpExecArray, ctx: CatalogueContext): string;
  /** What usually fixes it, in terms of the C code. */
  fix: string | ((m: RegExpExecArray, ctx: CatalogueContext) => string);
  /** A level-2 log (`log_level` 2) would explain more: the failing instruction is not in this log. */
  wantsLevel2?: boolean;
}

/** `arg#N` / `arg #N` of a helper or kfunc, 0-based, is in register R(N+1). */
const argReg = (n: string | undefined): number | undefined => (n === undefined ? undefined : Number(n) + 1);

/** Source register of `rX += rY`-style instructions. */
function srcReg(ctx: CatalogueContext): number | undefined {
  const m = ctx.failing && /^[rw]\d+ \S+= [rw](\d+)$/.exec(ctx.failing.text);
  return m ? Number(m[1]) : undefined;
}

/** Base register of a memory access `*(u32 *)(r1 +12)`. */
function memBaseReg(ctx: CatalogueContext): number | undefined {
  const m = ctx.failing && /\*\(\w+ \*\)\(r(\d+) [+-]\d+\)/.exec(ctx.failing.text);
  return m ? Number(m[1]) : undefined;
}

/** A register holding reference `id`, in the latest state printed. */
function regHoldingRef(ctx: CatalogueContext, id: number): number | undefined {
  for (let r = 0; r <= 9; r++) {
    if (ctx.regState(r)?.refObjId === id) return r;
  }
  return undefined;
}

/** `1 byte`, `8 bytes`. */
const bytes = (n: string): string => `${n} byte${n === '1' ? '' : 's'}`;

/** The last conditional jump on the failing path: the decision that led to this exit. */
function lastBranch(ctx: CatalogueContext): number | undefined {
  return ctx.path.find((r) => /^if /.test(r.text))?.idx;
}

function describeState(reg: RegState | undefined): string {
  if (!reg) return '';
  return ` (${'R' + reg.regno}=${reg.raw})`;
}

/**
 * The name of a poisoned reference: from the index table when it has the index, else from
 * what the failing instruction referred to before the loader poisoned it.
 */
function poisonedName(c: CatalogueContext, kind: 'kfunc' | 'map', byIndex: string | undefined): string | undefined {
  if (byIndex !== undefined) return byIndex;
  const at = c.failing ? c.symbols?.byInsn?.get(c.failing.idx) : undefined;
  return at?.kind === kind ? at.name : undefined;
}

/**
 * Not matched by a message: an unresolved `__weak` kfunc that the loader left as a kfunc call
 * with `imm` 0 (libbpf before 1.2, so bpftool on Debian 12). The verifier lets the call
 * through (`call #0`), sets no return value, and fails at the first read of R0 with
 * `R0 !read_ok`. `explain` uses this entry instead of `reg-not-init` when the last call on the
 * failing path is `call #0`; the instruction is that call.
 */
export const weakKfuncZeroCall: CatalogueEntry = {
  id: 'kfunc-weak-unresolved',
  pattern: /^R0 !read_ok/,
  title: 'kfunc not resolved',
  register: () => undefined,
  insn: (_m, c) => c.path.find((r) => r.text === 'call #0')?.idx,
  explain: (_m, c) => {
    const call = c.path.find((r) => r.text === 'call #0');
    const at = call ? c.symbols?.byInsn?.get(call.idx) : undefined;
    const what = at?.kind === 'kfunc' ? `the kfunc '${at.name}'` : 'a kfunc';
    return `${what} (declared __ksym __weak) is not in this kernel; the loader left its call with no target (\`call #0\`, kfunc id 0), which returns nothing, so R0 is unreadable after it: the call is reachable`;
  },
  fix: (_m, c) => {
    const call = c.path.find((r) => r.text === 'call #0');
    const at = call ? c.symbols?.byInsn?.get(call.idx) : undefined;
    return `guard the call with \`if (bpf_ksym_exists(${at?.kind === 'kfunc' ? at.name : 'func'}))\` so it is dead code on kernels without the kfunc`;
  },
};

/** The catalogue, most specific first. */
export const catalogue: CatalogueEntry[] = [
  // --- NULL and pointer types (check_mem_access, check_ptr_alu) ---
  {
    id: 'null-deref',
    pattern: /^R(\d+) invalid mem access '(\w*_or_null\w*)'/,
    title: 'pointer may be NULL',
    explain: (m, c) =>
      `${c.reg} may be NULL here: it is a '${m[2]}', e.g. the result of bpf_map_lookup_elem() or of a kfunc that can fail, and the program reads or writes through it without checking`,
    fix: 'check the pointer before using it: `if (!ptr) return 0;` right after the call that returned it, and use it only after the check',
  },
  {
    id: 'scalar-deref',
    // 'inv' before 5.18.
    pattern: /^R(\d+) invalid mem access '(?:scalar|inv)'/,
    title: 'a number is used as a pointer',
    explain: (_m, c) =>
      `${c.reg} holds a plain number (scalar), not a pointer the verifier knows about, and the program dereferences it. The verifier only allows memory access through pointers whose type it tracked from their origin (context, map value, stack, packet)`,
    fix: 'do not turn integers into pointers: read kernel or user memory at an arbitrary address with bpf_probe_read_kernel()/bpf_probe_read_user() (or BPF_CORE_READ), and keep pointers in pointer-typed variables instead of storing them in maps or integer fields',
  },
  {
    id: 'invalid-mem-access',
    pattern: /^R(\d+) invalid mem access '(\w+)'/,
    title: 'memory access through a pointer of the wrong type',
    explain: (m, c) => `${c.reg} is a '${m[2]}' pointer, which this instruction may not read or write through`,
    fix: 'access that object through the helper or kfunc made for it, or use a pointer of an accessible type (map value, stack, packet after a bounds check)',
  },
  {
    id: 'ptr-arith-null',
    pattern: /^R(\d+) pointer arithmetic on (\w*_or_null\w*) prohibited, null-check it first/,
    title: 'arithmetic on a pointer that may be NULL',
    explain: (m, c) =>
      `${c.reg} is '${m[2]}': it may be NULL, and the program adds an offset to it (e.g. \`&value[i]\` or \`ptr + n\`) before checking it`,
    fix: 'compare the pointer with NULL first and compute addresses from it only after the check (compilers may hoist `ptr + i` above the check: keep the use inside the `if (ptr)` block)',
  },
  {
    id: 'ptr-arith-prohibited',
    pattern: /^R(\d+) pointer arithmetic on (\w+) prohibited/,
    title: 'arithmetic on a pointer that may not be moved',
    explain: (m, c) => `${c.reg} is a '${m[2]}' pointer; the verifier forbids adding offsets to this kind of pointer`,
    fix: 'use the pointer as it is (pass it to the helper that expects it) and do not compute other addresses from it',
  },
  {
    id: 'ptr-arith-bitwise',
    pattern: /^R(\d+) (?:bitwise operator|32-bit pointer arithmetic|pointer \S+ pointer) .*prohibited/,
    title: 'forbidden operation on a pointer',
    explain: (_m, c) => `${c.reg} is a pointer and the instruction does an operation the verifier does not allow on pointers (bitwise or 32-bit arithmetic, or pointer minus pointer)`,
    fix: 'do arithmetic on integer offsets and add the final offset to the pointer once; do not mask or truncate pointers',
  },
  // --- bounds (check_mem_region_access, check_map_access, adjust_ptr_min_max_vals) ---
  {
    id: 'unbounded-min-math',
    pattern: /^math between (\w+) pointer and register with unbounded min value is not allowed/,
    title: 'pointer plus an offset that may be negative',
    register: (_m, c) => srcReg(c),
    explain: (m, c) =>
      `the program adds ${c.reg} to a ${m[1]} pointer, and the verifier cannot prove ${c.reg} is not negative${describeState(c.regState(srcReg(c) ?? -1))}: it was checked against an upper bound only, or it is signed`,
    fix: 'make the index unsigned (`__u32 i`) or check both ends: `if (i < 0 || i >= N) return 0;`',
  },
  {
    id: 'unbounded-max-math',
    pattern: /^math between (\w+) pointer and register with unbounded max value is not allowed/,
    title: 'pointer plus an offset with no upper bound',
    register: (_m, c) => srcReg(c),
    explain: (m, c) => `the program adds ${c.reg} to a ${m[1]} pointer and the verifier knows no upper bound for ${c.reg}`,
    fix: 'bound the index before using it: `if (i >= N) return 0;` or `i &= N - 1;` with N a power of two',
  },
  {
    id: 'value-makes-ptr-oob',
    pattern: /^value (-?\d+) makes (\w+) pointer be out of bounds/,
    title: 'offset would move the pointer out of bounds',
    register: (_m, c) => srcReg(c),
    explain: (m, c) =>
      `${c.reg} may be ${m[1]}, and adding it to the ${m[2]} pointer would leave the object; ${c.reg} lost its bounds on the way (see the causal path), typically through a signed conversion or a subtraction after the check`,
    fix: 'check the index after its last change, against both ends, in the type it is used with: e.g. `if (idx < 0 || idx >= N) return 0;` right before the access, or make the index unsigned',
  },
  {
    id: 'map-value-oob',
    pattern: /^invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)/,
    title: 'access past the end of a map value',
    register: (_m, c) => memBaseReg(c),
    explain: (m, c) =>
      `${c.reg} points into a map value of ${m[1]} bytes, and this ${m[3]}-byte access may reach offset ${m[2]}: the index or offset used to compute ${c.reg} is not bounded tightly enough`,
    fix: (m) =>
      `bound the index by the size of the value, not a larger constant: for an array field use \`if (i >= sizeof(v->field) / sizeof(v->field[0])) return 0;\` (the value is ${m[1]} bytes)`,
  },
  {
    id: 'mem-oob',
    pattern: /^invalid access to memory, mem_size=(\d+) off=(-?\d+) size=(\d+)/,
    title: 'access past the end of a memory region',
    register: (_m, c) => memBaseReg(c),
    explain: (m, c) =>
      `${c.reg} points to a region of ${m[1]} bytes (e.g. ring buffer space or helper-returned memory), and this ${m[3]}-byte access may reach offset ${m[2]}`,
    fix: 'bound the offset by the region size, e.g. reserve enough space or check the index against the reserved size',
  },
  {
    id: 'range-outside',
    pattern: /^R(\d+) (min|max) value is outside of the allowed memory range/,
    title: 'pointer offset outside the object',
    explain: (m, c) =>
      `the ${m[2] === 'min' ? 'smallest' : 'largest'} value ${c.reg} may have points outside the object it points into`,
    fix: 'bound the index before computing the address, against the size of the object',
  },
  {
    id: 'unbounded-mem-access',
    pattern: /^R(\d+) unbounded memory access/,
    title: 'size argument without an upper bound',
    explain: (_m, c) =>
      `${c.reg} is used as a size (or offset) for a memory access by a helper, and the verifier knows no upper bound for it${describeState(c.regState(Number(/^R(\d+)/.exec(c.reg)?.[1] ?? -1)))}`,
    fix: 'clamp the size right before the call: `if (len > sizeof(buf)) len = sizeof(buf);` or `len &= sizeof(buf) - 1;` (sizeof a power of two)',
  },
  {
    id: 'min-negative',
    pattern: /^R(\d+) min value is negative, either use unsigned or 'var &= const'/,
    title: 'size or offset may be negative',
    explain: (_m, c) => `${c.reg} is used as a size or offset and the verifier cannot prove it is not negative`,
    fix: "use an unsigned type for the size, or mask it (`len &= 0xff`) so it cannot be negative",
  },
  {
    id: 'zero-size',
    pattern: /^R(\d+) invalid zero-sized read/,
    title: 'size may be zero',
    explain: (_m, c) => `${c.reg} is a size that may be 0, and this helper does not accept 0`,
    fix: 'check `if (len == 0) return 0;` (or use a helper that accepts zero sizes)',
  },
  {
    id: 'packet-oob',
    pattern: /^invalid access to packet, off=(-?\d+) size=(\d+), R(\d+)\(id=\d+,off=(-?\d+),r=(\d+)\)/,
    title: 'packet access without a bounds check',
    register: (m) => Number(m[3]),
    explain: (m, c) =>
      `${c.reg} points into the packet, and the program accesses ${bytes(m[2]!)} at offset ${m[1]} while only ${bytes(m[5]!)} are known to be in the packet: there is no (or too small a) comparison with data_end before this access`,
    fix: 'compare with data_end first: `if ((void *)(eth + 1) > data_end) return XDP_PASS;` (or TC_ACT_OK) before reading the header, and re-check after any helper that may change the packet',
  },
  {
    id: 'packet-offset-outside',
    pattern: /^R(\d+) offset is outside of the packet/,
    title: 'packet access without a bounds check',
    explain: (_m, c) => `${c.reg} points past the part of the packet the program has checked against data_end`,
    fix: 'compare the end of what you read with data_end first: `if (p + sizeof(*p) > data_end) return ...;`',
  },
  {
    id: 'ctx-access',
    pattern: /^invalid bpf_context access off=(\d+) size=(\d+)/,
    title: 'invalid context access',
    register: (_m, c) => memBaseReg(c),
    explain: (m, c) =>
      `${c.reg} is the program's context, and this ${m[2]}-byte access at offset ${m[1]} is not allowed for this program type: the field is read-only, does not exist for this attach type, or is accessed with the wrong size`,
    fix: 'only read the context fields your program type allows, with their declared size; write results through helpers or maps instead of into the context; check the section name (program type) matches the context struct',
  },
  {
    id: 'stack-read-uninit',
    pattern: /^invalid (?:indirect )?read from stack (?:R(\d+) )?off (-?\d+)\+(-?\d+) size (\d+)/,
    title: 'read of uninitialized stack memory',
    explain: (m, c) =>
      `${m[1] !== undefined ? c.reg + ' points to stack memory that' : 'stack memory at fp' + m[2] + ' '} is read (size ${m[4]}) before every byte of it was written; struct padding counts`,
    fix: 'initialize the whole variable first: `struct key k = {};` or `__builtin_memset(&k, 0, sizeof(k));` before setting fields (padding bytes are otherwise uninitialized)',
  },
  {
    id: 'stack-access',
    pattern: /^invalid (?:variable-offset )?(?:indirect )?(?:read|write|access) (?:from|to|of) stack/,
    title: 'invalid stack access',
    explain: (_m, c) => `the access through ${c.reg} falls outside the 512-byte stack or uses a variable offset the verifier cannot bound`,
    fix: 'keep stack buffers small (the stack is 512 bytes), index them with bounded indexes, and move large buffers to a per-CPU array map',
  },
  {
    id: 'misaligned',
    pattern: /^misaligned (?:(\w+) )?access off (\S+) size (\d+)/,
    title: 'misaligned access',
    register: (_m, c) => memBaseReg(c),
    explain: (m, c) =>
      `the ${m[3]}-byte ${m[1] ?? ''} access through ${c.reg} is at offset ${m[2]}, which is not a multiple of ${m[3]}; ${m[1] === 'stack' ? 'stack accesses must be aligned' : 'this program requires aligned access'}`.replace(
        /  +/g,
        ' ',
      ),
    fix: 'access fields at their natural alignment: avoid packed structs on the stack, copy unaligned data with __builtin_memcpy into an aligned variable',
  },
  {
    id: 'frame-pointer-ro',
    pattern: /^frame pointer is read only/,
    title: 'write to the frame pointer',
    register: () => 10,
    explain: () => 'the program writes to R10, the frame pointer, which is read-only',
    fix: 'this comes from hand-written assembly: use another register',
  },
  // --- types of helper/kfunc arguments (check_func_arg, check_kfunc_args) ---
  {
    id: 'arg-type',
    pattern: /^R(\d+) type=(\S+) expected=(.+)$/,
    title: 'wrong argument type for a helper',
    explain: (m, c) =>
      `${c.reg} is argument ${Number(m[1])} of the call and holds a '${m[2]}', but the helper expects ${m[3]}${m[2] === 'scalar' ? `. If ${c.reg} held the right pointer earlier, a previous call released or overwrote it (see the causal path)` : ''}`,
    fix: (m) =>
      m[2] === 'scalar'
        ? 'pass the pointer the helper expects, and do not use a reference after releasing it (after bpf_ringbuf_submit/discard, bpf_sk_release, ... the pointer is gone)'
        : `pass a ${m[3]} as this argument (e.g. \`&my_map\` for a map, a stack or map-value pointer for memory)`,
  },
  {
    id: 'possibly-null-arg',
    pattern: /^Possibly NULL pointer passed to (?:trusted |helper )?arg ?#?(\d+)/,
    title: 'pointer that may be NULL passed to a kfunc or helper',
    register: (m) => argReg(m[1]),
    explain: (_m, c) =>
      `${c.reg} may be NULL (it comes from a call that can fail, and was not checked) and is passed to a function that needs a valid pointer`,
    fix: 'check the pointer before the call: `if (!p) return 0;`',
  },
  {
    id: 'must-be-referenced',
    pattern: /^R(\d+) must be referenced when passed to release function/,
    title: 'release of something that was not acquired',
    explain: (_m, c) => `${c.reg} is passed to a release function, but it does not hold a reference the program acquired`,
    fix: 'release only what you acquired (the result of a *_lookup/*_acquire/reserve call), exactly once',
  },
  {
    id: 'ref-not-acquired',
    pattern: /reference has not been acquired before/,
    title: 'release of a reference that was not acquired',
    register: () => 1,
    explain: (_m, c) => `the reference in ${c.reg} is released, but the program never acquired it (or already released it)`,
    fix: 'release each acquired reference exactly once, on every path',
  },
  {
    id: 'dynptr-uninit',
    pattern: /^Expected an initialized dynptr as arg #(\d+)/,
    title: 'dynptr used before it was initialized',
    register: (m) => argReg(m[1]),
    explain: (m, c) => {
      const r = c.regState(Number(m[1]) + 1);
      const slot = r?.type === 'fp' && r.off !== undefined ? ` (stack slot fp${r.off})` : '';
      return `${c.reg} points to a struct bpf_dynptr${slot} that no helper or kfunc has initialized; zeroing it with memset does not make it a dynptr`;
    },
    fix: 'initialize the dynptr first with bpf_dynptr_from_mem(), bpf_ringbuf_reserve_dynptr(), bpf_dynptr_from_skb()/xdp() and check its return value',
  },
  {
    id: 'dynptr-other',
    pattern: /^(?:Dynptr has to be an uninitialized dynptr|cannot pass in dynptr at an offset|Expected a dynptr of type (\S+) as arg #(\d+)|dynptr has to be at a constant offset|cannot overwrite referenced dynptr)/,
    title: 'dynptr misuse',
    register: (m) => argReg(m[2]),
    explain: (m, c) => `the bpf_dynptr passed in ${c.reg} is not in the state this call needs: "${m[0]}"`,
    fix: 'pass a pointer to the dynptr variable itself (not into it), initialize each dynptr once and release ring buffer dynptrs with submit/discard',
  },
  // --- references and locks (check_reference_leak, process_spin_lock) ---
  {
    id: 'unreleased-ref',
    pattern: /^Unreleased reference id=(\d+) alloc_insn=(\d+)/,
    title: 'reference not released',
    insn: (m) => Number(m[2]),
    register: (m, c) => regHoldingRef(c, Number(m[1])) ?? 0,
    explain: (m, c) =>
      `the reference acquired at instruction ${m[2]} (held in ${c.reg}) is still held when the program exits on this path: every acquired object (ring buffer reservation, socket, task, kptr...) must be released on every path`,
    fix: 'release it on every path before returning, e.g. call bpf_ringbuf_discard()/bpf_ringbuf_submit(), bpf_sk_release(), bpf_task_release() in the early-return branch too',
  },
  {
    id: 'ref-leak-exit',
    pattern: /^BPF_EXIT instruction (?:in main prog )?would lead to reference leak/,
    title: 'reference not released at exit',
    register: () => 0,
    explain: () => 'the program returns while still holding an acquired reference',
    fix: 'release every acquired reference on every path before returning',
  },
  {
    id: 'spin-lock-exit',
    pattern: /^BPF_EXIT instruction (?:in main prog )?cannot be used inside bpf_spin_lock-ed region/,
    title: 'return while holding a spin lock',
    register: () => 0,
    // The exit instruction is often shared by every return (its line is the closing brace);
    // the branch that chose this path says which return it is.
    insn: (_m, c) => lastBranch(c),
    explain: (_m, c) =>
      `the program returns (R0 is set and exit is reached) while a bpf_spin_lock is held${lastBranch(c) !== undefined ? `, on the path through the branch at instruction ${lastBranch(c)}` : ''}`,
    fix: 'call bpf_spin_unlock() before every return inside the locked region; keep the locked region short and free of early returns',
  },
  {
    id: 'spin-lock-misuse',
    pattern: /^(?:bpf_spin_unlock without taking a lock|bpf_spin_unlock of different lock|Locking two bpf_spin_locks are not allowed|function calls are not allowed while holding a lock|bpf_spin_unlock is missing)/,
    title: 'spin lock misuse',
    register: () => 1,
    explain: (m) => `"${m[0]}": the lock held in R1 is not used as the verifier requires (one lock at a time, no calls while locked, unlock what was locked)`,
    fix: 'take one bpf_spin_lock at a time, call no helpers while holding it, and unlock the same lock on every path',
  },
  // --- program type, helpers, kfuncs (check_helper_call, check_kfunc_call) ---
  {
    id: 'helper-not-for-type',
    pattern: /^program of this type cannot use helper (\S+)/,
    title: 'helper not available to this program type',
    explain: (m) => `${m[1]} is not available to this program type (each program type has its own list of helpers)`,
    fix: 'use a helper that this program type offers, or change the program type (the SEC() name); e.g. XDP programs use bpf_xdp_load_bytes or direct packet access instead of skb helpers',
  },
  {
    id: 'unknown-func',
    pattern: /^unknown func (\S+)/,
    title: 'helper unknown or not allowed here',
    explain: (m) =>
      `${m[1]} is not available to this program type on this kernel: the helper is too new for the kernel, or it is not allowed for this program type or for a program without GPL license`,
    fix: 'check which helpers the program type allows (`bpftool feature probe`), use a GPL-compatible license for GPL-only helpers, or change the program type',
  },
  {
    id: 'helper-not-in-probe',
    pattern: /^helper call is not allowed in probe/,
    title: 'helper not allowed in this probe',
    explain: () => 'this helper may not be called from this kind of probe (e.g. a tracing helper from a probe that runs in NMI or with locks held)',
    fix: 'call the helper from a different attach point, or move the work to user space',
  },
  {
    id: 'might-sleep',
    pattern: /^helper call might sleep in a non-sleepable prog/,
    title: 'sleeping helper in a non-sleepable program',
    explain: () =>
      'the helper may sleep (e.g. bpf_copy_from_user, bpf_d_path with page faults), and this program runs where it may not sleep',
    fix: 'make the program sleepable by using a sleepable section name (`fentry.s/`, `lsm.s/`, `uprobe.s/`, `tp_btf.s`...), or use the non-sleeping variant (bpf_probe_read_user)',
  },
  {
    id: 'kfunc-sleepable',
    pattern: /^(?:program must be sleepable to call sleepable kfunc (\S+)|kernel func (\S+) is sleepable within (?:non-sleepable|\w+) )/,
    title: 'sleepable kfunc in a non-sleepable context',
    explain: (m) => `the kfunc ${m[1] ?? m[2]} may sleep, and the program (or the region it is called from) may not`,
    fix: 'call it from a sleepable program (`.s` section suffix), outside RCU read sections and spin-locked regions',
  },
  {
    id: 'kfunc-not-allowed',
    pattern: /^calling kernel function (\S+) is not allowed/,
    title: 'kfunc not allowed for this program type',
    explain: (m) => `the kfunc ${m[1]} is not registered for this program type (kfuncs are enabled per program type)`,
    fix: 'call it from a program type that allows it (often tracing/LSM/struct_ops/syscall programs), or use an equivalent helper',
  },
  {
    id: 'kfunc-unresolved',
    pattern: /^(?:kernel btf_id (\d+) is not a function|cannot find kernel function|kfunc (\S+) is not found|invalid kernel function call)/,
    title: 'kfunc not found',
    explain: (m) => `the kfunc this call names is not in this kernel ("${m[0]}")`,
    fix: 'check the kernel version offers the kfunc; declare it `__ksym __weak` and guard the call with `bpf_ksym_exists()` to run on kernels without it',
  },
  {
    id: 'core-poison',
    pattern: /^invalid func unknown#195896080/,
    title: 'CO-RE relocation failed',
    wantsLevel2: false,
    explain: () =>
      'the loader could not relocate a field, type or enum access for this kernel (a CO-RE relocation failed) and replaced the instruction with a call to the poison value 195896080 (0xbad2310), which the verifier rejects when the code is reachable',
    fix: 'the field or type does not exist in this kernel: guard the access with bpf_core_field_exists()/bpf_core_type_exists() so the poisoned branch is dead, or use the field name of this kernel version (the loader\'s relocation report names the relocation)',
  },
  {
    id: 'kfunc-poison',
    pattern: /^invalid func unknown#(2002\d{6})/,
    title: 'kfunc not resolved',
    explain: (m, c) => {
      const n = Number(m[1]) - POISON_CALL_KFUNC_BASE;
      const name = poisonedName(c, 'kfunc', c.symbols?.kfuncs?.get(n));
      return name
        ? `the kfunc '${name}' (declared __ksym __weak) is not in this kernel, so the loader replaced its call with a poison value (${m[1]}); the call is reachable`
        : `a __weak kfunc extern (#${n}) was not found in this kernel, and the loader replaced its call with a poison value; the call is reachable`;
    },
    fix: (m, c) => {
      const name = poisonedName(c, 'kfunc', c.symbols?.kfuncs?.get(Number(m[1]) - POISON_CALL_KFUNC_BASE)) ?? 'func';
      return `guard the call with \`if (bpf_ksym_exists(${name}))\` so it is dead code on kernels without the kfunc`;
    },
  },
  {
    id: 'map-poison',
    // libbpf turns the ld_imm64 of a map it did not create into calls to 2001000000 + map index.
    pattern: /^invalid func unknown#(2001\d{6})/,
    title: 'map not created',
    explain: (m, c) => {
      const n = Number(m[1]) - POISON_LDIMM64_MAP_BASE;
      const name = poisonedName(c, 'map', c.symbols?.maps?.get(n));
      return name
        ? `the code uses map '${name}', which the loader did not create (poison value ${m[1]}): the map was disabled (autocreate off) but the code that uses it is reachable`
        : `an instruction refers to a map the loader did not create (poison value ${m[1]}, map #${n}); the map was disabled (autocreate off) but the code that uses it is reachable`;
    },
    fix: (m, c) => {
      const name = poisonedName(c, 'map', c.symbols?.maps?.get(Number(m[1]) - POISON_LDIMM64_MAP_BASE));
      return `enable ${name ? `map '${name}'` : 'the map'}, or make the code that uses it unreachable on this configuration`;
    },
  },
  {
    id: 'invalid-func',
    pattern: /^invalid func (\S+)/,
    title: 'call to an unknown function',
    explain: (m) => `the call targets ${m[1]}, which is not a helper this kernel knows`,
    fix: 'the kernel is too old for this helper, or the object was built against newer headers: check `bpftool feature probe` or guard the call',
  },
  {
    id: 'gpl-only',
    pattern: /^cannot call GPL-restricted function from non-GPL compatible program/,
    title: 'helper only for GPL-compatible programs',
    explain: () => 'the program calls a helper the kernel exports to GPL-compatible programs only',
    fix: 'declare a GPL-compatible license: `char LICENSE[] SEC("license") = "GPL";` (or "Dual BSD/GPL")',
  },
  // --- registers and return values (check_reg_arg, check_return_code) ---
  {
    id: 'reg-not-init',
    pattern: /^R(\d+) !read_ok/,
    title: 'register read before it was set',
    explain: (_m, c) =>
      c.reg === 'R0'
        ? 'R0 is read but was never set: at exit R0 holds the return value, so this path returns without a value (or a helper call clobbered it)'
        : `${c.reg} is read but was never set on this path (calls leave R1-R5 unreadable)`,
    fix: 'set a return value on every path (in C: no path may fall off the end of a non-void function; in assembly: set r0 before exit), and do not rely on R1-R5 after a call',
  },
  {
    id: 'exit-code',
    pattern: /^At (program exit|async callback return|callback return|subprogram exit) the register (R\d+) has (.*?) should have been in (.*)$/,
    title: 'return value out of range',
    register: (m) => Number(m[2]!.slice(1)),
    explain: (m) =>
      `${m[2]} holds the return value, and at ${m[1]} it has ${m[3]}, but this program type must return a value in ${m[4]}`,
    fix: (m) => `return only values in ${m[4]} (e.g. 0 = drop/deny, 1 = pass/allow for cgroup programs); check the program type's return codes`,
  },
  {
    id: 'ptr-leak',
    pattern: /^R(\d+) leaks addr (?:into (\w+)|as return value)/,
    title: 'kernel address leak',
    explain: (m, c) => `${c.reg} holds a kernel pointer and the program stores it ${m[2] ? 'into ' + m[2] : 'as its return value'}, which unprivileged programs may not do`,
    fix: 'do not store or return pointers; store the data they point to',
  },
  {
    id: 'write-forbidden',
    pattern: /^(?:write into map forbidden|cannot write into (\w+))/,
    title: 'write to read-only memory',
    register: (_m, c) => memBaseReg(c),
    explain: (_m, c) => `${c.reg} points to memory this program may only read (a read-only map, .rodata, or the packet of a program that may not change it)`,
    fix: 'write to a writable map or a copy on the stack; for .rodata (const volatile) values, change them from user space before load',
  },
  // --- control flow and size (check_cfg, do_check, check_max_stack_depth) ---
  {
    id: 'infinite-loop',
    pattern: /^infinite loop detected at insn (\d+)/,
    title: 'infinite loop',
    insn: (m) => Number(m[1]),
    register: (m, c) => {
      const rec = c.parsed.insns.findLast((r) => r.idx === Number(m[1]));
      const eff = rec ? insnEffect(rec.text, rec.opcode) : undefined;
      return eff?.compared?.[0];
    },
    explain: (m, c) =>
      `the loop reaches instruction ${m[1]} again in exactly the same state (${c.reg}, which the loop condition tests, is the same each time around), so the verifier proved it can loop forever`,
    fix: 'make the loop condition change on every iteration and give the loop a constant upper bound (`for (int i = 0; i < 64 && cond; i++)`), or use bpf_loop()/bpf_for()',
  },
  {
    id: 'back-edge',
    pattern: /^back-edge from insn (\d+) to (\d+)/,
    title: 'loop not allowed',
    insn: (m) => Number(m[1]),
    explain: (m) => `a jump from instruction ${m[1]} back to ${m[2]} makes a loop, and loops are not allowed here (unprivileged program or kernel older than 5.3)`,
    fix: 'unroll the loop (`#pragma unroll` with a constant trip count) or load with CAP_BPF on a 5.3+ kernel',
  },
  {
    id: 'too-large',
    pattern: /^BPF program is too large\. Processed (\d+) insn/,
    title: 'too many instructions to verify',
    explain: (m) =>
      `the verifier walked ${m[1]} instructions across all paths and gave up (the limit is 1,000,000): loops with large bounds, or many branches whose states cannot be merged, multiply the work`,
    fix: 'reduce the paths: use bpf_loop()/bpf_for() instead of unrolled or long bounded loops, move work into global (non-static) functions that are verified once, and keep loop counters from being tracked precisely',
  },
  {
    id: 'jumps-too-complex',
    pattern: /^The sequence of (\d+) jumps is too complex/,
    title: 'too many pending branches',
    explain: (m) => `the verifier had ${m[1]} branches pending at once and gave up`,
    fix: 'simplify the control flow: fewer nested conditions inside loops, or split the program into global functions',
  },
  {
    id: 'combined-stack',
    pattern: /^combined stack size of (\d+) calls is (\d+)\. Too large/,
    title: 'call chain uses too much stack',
    register: () => 10,
    insn: (_m, c) => c.parsed.insns.findLast((r) => /^call pc[+-]\d+$/.test(r.text))?.idx,
    wantsLevel2: true,
    explain: (m) =>
      `a chain of ${m[1]} functions uses ${m[2]} bytes of stack (R10-relative locals of all frames together), more than the 512 bytes allowed`,
    fix: 'make the big local buffers smaller or move them to a per-CPU array map, or mark the callee __always_inline so the compiler can share stack',
  },
  {
    id: 'stack-too-big',
    pattern: /^(?:stack size (\d+)\(extra \d+\) is too large|invalid stack off=(-?\d+))/,
    title: 'stack too large',
    register: () => 10,
    explain: () => 'a function uses more than the 512 bytes of stack allowed',
    fix: 'move large local buffers to a per-CPU array map',
  },
  {
    id: 'jump-out-of-range',
    pattern: /^jump out of range from insn (\d+) to (-?\d+)/,
    title: 'jump out of the program',
    insn: (m) => Number(m[1]),
    explain: (m) => `instruction ${m[1]} jumps to ${m[2]}, outside the program`,
    fix: 'the object is broken or relocations were not applied: rebuild it, and check subprograms were linked',
  },
  {
    id: 'unreachable',
    pattern: /^unreachable insn (\d+)/,
    title: 'unreachable instruction',
    insn: (m) => Number(m[1]),
    explain: (m) => `instruction ${m[1]} can never run; the verifier rejects dead code`,
    fix: 'this usually comes from hand-written assembly or a broken relocation: remove the dead code',
  },
];

/** The entry whose pattern matches `line`, with the match. */
export function matchCatalogue(line: string):
  | {
      /** The first catalogue entry whose pattern matches. */
      entry: CatalogueEntry;
      /** The pattern's match, for the entry's captured names and numbers. */
      match: RegExpExecArray;
    }
  | undefined {
  for (const entry of catalogue) {
    const match = entry.pattern.exec(line);
    if (match) return { entry, match };
  }
  return undefined;
}
