/**
 * Maps both llvm-objdump's BPF syntax and the kernel's (tsbpf's disassembler) to one canonical
 * text, so the two can be compared instruction by instruction.
 *
 * The syntaxes agree on structure but differ in spelling:
 *
 * | llvm-objdump-19                              | kernel / tsbpf                               |
 * | -------------------------------------------- | -------------------------------------------- |
 * | `r1 = *(u32 *)(r1 + 0x4)`                    | `r1 = *(u32 *)(r1 +4)`                       |
 * | `if r1 > 0x5 goto +0x3 <prog+0x40>`          | `if r1 > 0x5 goto pc+3`                      |
 * | `if w1 < -0x1 goto +0x1`                     | `if w1 < 0xffffffff goto pc+1`               |
 * | `call 0x1`, `call -0x1`                      | `call bpf_map_lookup_elem#1`, `call pc-1`    |
 * | `r1 = -0x1 ll`                               | `r1 = 0xffffffffffffffff`                    |
 * | `lock *(u32 *)(r1 + 0x0) += w2`              | `lock *(u32 *)(r1 +0) += r2`                 |
 * | `r2 = atomic_fetch_add((u64 *)(r1 + 0x8), r2)` | `r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)` |
 * | `r2 = xchg_64(r1 + 0x8, r2)`                 | `r2 = atomic64_xchg((u64 *)(r1 +8), r2)`     |
 * | `w0 = cmpxchg32_32(r1 + 0x8, w0, w2)`        | `r0 = atomic_cmpxchg((u32 *)(r1 +8), r0, r2)` |
 * | `r0 = *(u8 *)skb[r2]`                        | `r0 = *(u8 *)skb[r2 + 0]`                    |
 * | `w2 = *(u32 *)(r1 + 0x4)` (alu32)            | `r2 = *(u32 *)(r1 +4)`                       |
 *
 * The canonical form keeps every field that carries meaning (operation, width, registers,
 * offsets, immediates) and drops only spelling: numbers become decimal, with immediates read
 * as the instruction's width (s32 for jumps, u64 for `ld_imm64`).
 */

/** How to read the numbers of a line: `ldimm64` as u64, everything else as s32. */
export type NumberWidth = 'ldimm64' | 's32';

export function canonical(text: string, width: NumberWidth): string {
  let t = text.trim().replace(/\s+/g, ' ');
  // llvm: jump target annotation and the ld_imm64 marker.
  t = t.replace(/ <[^<>\s]+>$/, '').replace(/ ll$/, '');
  // llvm's xchg/cmpxchg spelling -> the kernel's (before memory operands are normalised).
  t = t.replace(
    /^([rw]\d+) = (xchg|cmpxchg)(32_32|_64)\((r\d+) ([+-]) ?(\S+?), (.*)\)$/,
    (_m, dst: string, op: string, w: string, base: string, sign: string, off: string, rest: string) =>
      `${dst} = atomic_${op}((${w === '_64' ? 'u64' : 'u32'} *)(${base} ${sign}${off}), ${rest})`,
  );
  t = t.replace(/^(r\d+ = )?atomic64_/, '$1atomic_');
  // The kernel always names registers r in loads, stores and atomics; llvm (with alu32) uses
  // w when the access is 32 bits or narrower. Both mean the same zero-extended value.
  if (/^lock |atomic_|\*\(/.test(t)) t = t.replace(/\bw(\d+)\b/g, 'r$1');
  // Calls: `call name#N` / `call pc+N[#name]` -> `call N`.
  t = t.replace(/^call pc([+-]\d+)(#.*)?$/, 'call $1').replace(/^call [\w-]+#(-?\d+)$/, 'call $1');
  // Jumps: `pc+N` -> `+N`.
  t = t.replace(/\bpc([+-]\d)/g, '$1');
  // Memory operands: `(r1 + 0x8)`, `(r1 +8)` -> `(r1 +8)`.
  t = t.replace(/\((r\d+) ([+-]) ?(0x[0-9a-f]+|\d+)\)/g, (_m, r: string, s: string, n: string) => {
    const v = BigInt(n);
    return `(${r} ${v === 0n ? '+' : s}${v})`;
  });
  // Legacy packet load: the kernel prints the (zero) immediate of BPF_IND.
  t = t.replace(/skb\[(r\d+) \+ 0\]/, 'skb[$1]');
  // Remaining numbers (not parts of names like r10, u32, bswap16, s8).
  t = t.replace(/(?<![\w+-])([+-]?)(0x[0-9a-f]+|\d+)(?![\w])/g, (_m, sign: string, digits: string) => {
    let v = BigInt(digits);
    if (sign === '-') v = -v;
    v = width === 'ldimm64' ? BigInt.asUintN(64, v) : BigInt.asIntN(32, v);
    return v.toString();
  });
  return t;
}
