/**
 * Stack counts (a profiler's samples) printed as BCC's profile prints them: for each key,
 * least frequent first, the kernel frames (innermost first), `--`, the user frames, then
 * `-                comm (pid)` and the count:
 * ```
 *     do_syscall_64
 *     entry_SYSCALL_64_after_hwframe
 *     --
 *     main
 *     __libc_start_call_main
 *     -                busy (4242)
 *         17
 * ```
 * A stack id below zero is an error from `bpf_get_stackid`: `-EFAULT` means there is no
 * such stack (a kernel thread has no user stack) and prints nothing; others print
 * `[Missed Kernel Stack]`/`[Missed User Stack]`, BCC's `stack_id_err`.
 *
 * Addresses become names through a table made while the run was live (`k:<hex>` for the
 * kernel, `u:<pid>:<hex>` for a process), which a recording carries: a replay needs neither
 * the processes nor the machine.
 * @module
 */
import type { Btf, BtfValue } from '../../btf/index.js';
import { valueCodec } from '../../btf/index.js';
import type { StackPlan } from './discover.js';
import { readUint, type MapEntry } from './map-format.js';

const EFAULT = 14;

/** Symbol table keys. */
export const kernelSymbolKey = (addr: bigint) => `k:${addr.toString(16)}`;
export const userSymbolKey = (pid: number, addr: bigint) => `u:${pid}:${addr.toString(16)}`;

/** One decoded sample key with its count. */
export interface StackSample {
  pid: number | undefined;
  comm: string | undefined;
  kernId: number | undefined;
  userId: number | undefined;
  count: bigint;
}

/** Decodes the count map's entries (counts summed over CPUs). */
export function readStackSamples(plan: StackPlan, entries: readonly MapEntry[], btf: Btf | undefined, littleEndian: boolean): StackSample[] {
  if (!btf) return [];
  const codec = valueCodec(btf, plan.keyTypeId, { littleEndian });
  const out: StackSample[] = [];
  for (const e of entries) {
    if (e.key.length < codec.size) continue;
    const k = codec.decode(e.key) as Record<string, BtfValue>;
    const num = (name: string | undefined) => (name !== undefined && k[name] !== undefined ? Number(k[name]) : undefined);
    out.push({
      pid: num(plan.pidField),
      comm: plan.commField !== undefined ? String(k[plan.commField]) : undefined,
      kernId: num(plan.kernField),
      userId: num(plan.userField),
      count: e.values.reduce((a, v) => a + readUint(v, 0, plan.valueSize, littleEndian), 0n),
    });
  }
  out.sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : 0));
  return out;
}

/** The addresses of stack `id` (innermost first, up to the first 0). */
export function stackAddresses(stacks: ReadonlyMap<number, Uint8Array>, id: number, littleEndian: boolean): bigint[] {
  const b = stacks.get(id);
  const out: bigint[] = [];
  if (!b) return out;
  for (let off = 0; off + 8 <= b.length; off += 8) {
    const a = readUint(b, off, 8, littleEndian);
    if (a === 0n) break;
    out.push(a);
  }
  return out;
}

/** Stack trace map entries by id. */
export function stacksById(entries: readonly MapEntry[] | undefined, littleEndian: boolean): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const e of entries ?? []) if (e.values[0]) m.set(Number(readUint(e.key, 0, 4, littleEndian)), e.values[0]);
  return m;
}

/** The stack ids a set of samples refers to (to read from the stack map). */
export function referencedStackIds(samples: readonly StackSample[]): Set<number> {
  const ids = new Set<number>();
  for (const s of samples) for (const id of [s.kernId, s.userId]) if (id !== undefined && id >= 0) ids.add(id);
  return ids;
}

/** Frames of a sample as names (`[unknown]` where the table has none). */
export function sampleFrames(s: StackSample, stacks: ReadonlyMap<number, Uint8Array>, symbols: Readonly<Record<string, string>>, littleEndian: boolean): { kernel: string[] | string | undefined; user: string[] | string | undefined } {
  const frames = (id: number | undefined, user: boolean): string[] | string | undefined => {
    if (id === undefined) return undefined;
    if (id < 0) return id === -EFAULT ? undefined : user ? '[Missed User Stack]' : '[Missed Kernel Stack]';
    return stackAddresses(stacks, id, littleEndian).map((a) => symbols[user ? userSymbolKey(s.pid ?? 0, a) : kernelSymbolKey(a)] ?? '[unknown]');
  };
  return { kernel: frames(s.kernId, false), user: frames(s.userId, true) };
}

/** BCC profile's multi-line layout for every sample. */
export function formatStacks(samples: readonly StackSample[], stacks: ReadonlyMap<number, Uint8Array>, symbols: Readonly<Record<string, string>>, littleEndian: boolean): string[] {
  const lines: string[] = [];
  for (const s of samples) {
    const { kernel, user } = sampleFrames(s, stacks, symbols, littleEndian);
    const block = (f: string[] | string | undefined) => (f === undefined ? [] : typeof f === 'string' ? [f] : f);
    lines.push(...block(kernel).map((x) => `    ${x}`));
    if (kernel !== undefined && user !== undefined && s.kernId! >= 0 && s.userId! >= 0) lines.push('    --');
    lines.push(...block(user).map((x) => `    ${x}`));
    lines.push(`    ${'-'.padEnd(16)} ${s.comm ?? '?'} (${s.pid ?? '?'})`, `        ${s.count}`, '');
  }
  return lines;
}

/** One JSON line with every sample of a stack count map. */
export function stacksJson(plan: StackPlan, samples: readonly StackSample[], stacks: ReadonlyMap<number, Uint8Array>, symbols: Readonly<Record<string, string>>, littleEndian: boolean, extra: Record<string, unknown>): string {
  return JSON.stringify({
    type: 'stacks',
    map: plan.map,
    ...extra,
    samples: samples.map((s) => {
      const { kernel, user } = sampleFrames(s, stacks, symbols, littleEndian);
      return { pid: s.pid, comm: s.comm, kernel: kernel ?? [], user: user ?? [], count: Number(s.count) };
    }),
  });
}
