/**
 * Addresses of kernel symbols, for untyped `__ksym` externs (`extern const void x __ksym;`):
 * the loader writes the address into the `ld_imm64` as a plain 64-bit constant, as libbpf's
 * `bpf_object__read_kallsyms_file` does. `/proc/kallsyms` shows real addresses only to root
 * (`kptr_restrict`); zeros mean "hidden" and are treated as not found.
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * Reads the addresses of `names` from `/proc/kallsyms` (`address type name [module]` per
 * line). Returns only the names found with a non-zero address.
 */
export function readKallsyms(names: ReadonlySet<string>, path = '/proc/kallsyms'): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if (names.size === 0) return out;
  const text = readFileSync(path, 'utf8');
  let start = 0;
  while (start < text.length && out.size < names.size) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a < 0 || b < 0) continue;
    let c = line.indexOf('\t', b + 1);
    if (c < 0) c = line.length;
    const name = line.slice(b + 1, c);
    if (!names.has(name) || out.has(name)) continue;
    const addr = BigInt('0x' + line.slice(0, a));
    if (addr !== 0n) out.set(name, addr);
  }
  return out;
}
