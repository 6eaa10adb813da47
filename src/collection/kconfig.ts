/**
 * Values of `.kconfig` externs: `extern int CONFIG_HZ __kconfig;`.
 *
 * The loader fills a read-only array map (`<obj>.kconfig`) with one slot per extern, laid out
 * by the object model, and the program reads it as global data. Values come from the running
 * kernel's build configuration, `/proc/config.gz` (CONFIG_IKCONFIG_PROC) or
 * `/boot/config-$(uname -r)`, plus a few names libbpf computes itself:
 * `LINUX_KERNEL_VERSION` (from `uname -r`), `LINUX_HAS_BPF_COOKIE`,
 * `LINUX_HAS_SYSCALL_WRAPPER`. The conversion rules are libbpf's (`set_kcfg_value_tri`,
 * `set_kcfg_value_num`, `set_kcfg_value_str`):
 * - `bool`: `y` -> 1, `n` -> 0 (`m` is an error);
 * - tristate (`enum libbpf_tristate` or a `char`): `y` -> 1, `m` -> 2, `n` -> 0;
 * - a `char[N]`: the quoted string, NUL-terminated, cut to N-1 bytes;
 * - an integer: the number (decimal or `0x` hex), which must fit the type.
 * An option absent from the config is `n` for tristates and an error for the rest, unless
 * the extern is `__weak` (then 0).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { skipModifiers, type Btf } from '../btf/index.js';
import type { ExternSpec } from '../object/index.js';
import { LoadError } from './errors.js';

/** `KERNEL_VERSION(a, b, c)` as `linux/version.h` computes it (c capped at 255). */
export function kernelVersionCode(a: number, b: number, c: number): number {
  return (a << 16) + (b << 8) + Math.min(c, 255);
}

/** `LINUX_KERNEL_VERSION` of the running kernel, from `uname -r` (libbpf `get_kernel_version`). */
export function runningKernelVersion(rel = release()): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(rel);
  if (!m) return 0;
  return kernelVersionCode(Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
}

/** Parses a kernel `.config` (`CONFIG_X=value`, `# CONFIG_Y is not set`). */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (!line.startsWith('CONFIG_') || eq < 0) continue;
    out.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return out;
}

/** The running kernel's configuration, or undefined when neither file exists. */
export function readKernelConfig(): Map<string, string> | undefined {
  if (existsSync('/proc/config.gz')) return parseKernelConfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'));
  const boot = `/boot/config-${release()}`;
  if (existsSync(boot)) return parseKernelConfig(readFileSync(boot, 'utf8'));
  return undefined;
}

type KcfgKind = { kind: 'bool' } | { kind: 'tristate' } | { kind: 'char-array'; size: number } | { kind: 'int'; size: number; signed: boolean };

function kcfgKind(btf: Btf, varId: number, name: string): KcfgKind {
  const v = btf.type(varId);
  if (v.kind !== 'VAR') throw new LoadError(`extern '${name}': BTF type [${varId}] is a ${v.kind}, not a VAR`, { symbol: name });
  const t = btf.type(skipModifiers(btf, v.type));
  if (t.kind === 'ENUM' && t.name === 'libbpf_tristate') return { kind: 'tristate' };
  if (t.kind === 'INT') {
    if (t.encoding & 4) return { kind: 'bool' };
    if (t.size === 1 && t.encoding & 2) return { kind: 'tristate' }; // char
    return { kind: 'int', size: t.size, signed: (t.encoding & 1) !== 0 };
  }
  if (t.kind === 'ENUM') return { kind: 'int', size: t.size, signed: t.signed };
  if (t.kind === 'ARRAY') {
    const e = btf.type(skipModifiers(btf, t.type));
    if (e.kind === 'INT' && e.size === 1) return { kind: 'char-array', size: t.nelems };
  }
  throw new LoadError(`extern '${name}': kconfig type ${t.kind} '${t.name}' is not a bool, tristate, integer or char array`, { symbol: name });
}

/** Values libbpf provides without reading the config. */
function builtin(name: string): string | undefined {
  switch (name) {
    case 'LINUX_KERNEL_VERSION':
      return String(runningKernelVersion());
    // Both true on every kernel tsbpf targets (BPF cookies: 5.15; syscall wrappers: x86 4.17+,
    // arm64 4.19+); libbpf probes them.
    case 'LINUX_HAS_BPF_COOKIE':
    case 'LINUX_HAS_SYSCALL_WRAPPER':
      return 'y';
    default:
      return undefined;
  }
}

/**
 * Writes the value of each kconfig extern of `externs` into `data` (the `.kconfig` map's
 * value). `config` is the kernel configuration (read lazily when undefined and needed).
 * @throws {@link LoadError} naming the extern: a value missing for a non-weak extern, a
 *   value of the wrong form for its C type, or one that does not fit.
 */
export function fillKconfig(
  data: Uint8Array,
  externs: readonly ExternSpec[],
  btf: Btf,
  littleEndian: boolean,
  config?: () => Map<string, string> | undefined,
): void {
  let cfg: Map<string, string> | undefined | null = null;
  const lookup = (name: string): string | undefined => {
    const b = builtin(name);
    if (b !== undefined) return b;
    if (!name.startsWith('CONFIG_')) return undefined;
    if (cfg === null) cfg = (config ?? readKernelConfig)();
    return cfg?.get(name);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const e of externs) {
    if (e.kind !== 'kconfig') continue;
    if (e.typeId === undefined || e.offset === undefined || e.size === undefined) continue;
    if (e.offset + e.size > data.length) throw new LoadError(`extern '${e.name}': slot [${e.offset}, +${e.size}) is past the .kconfig map (${data.length} bytes)`, { symbol: e.name });
    const kind = kcfgKind(btf, e.typeId, e.name);
    const raw = lookup(e.name);
    const fail = (what: string): LoadError => new LoadError(`extern (kcfg) '${e.name}': ${what}`, { symbol: e.name });
    if (raw === undefined) {
      if (kind.kind === 'tristate') continue; // absent means 'n' = 0
      if (e.weak) continue;
      throw fail(`value not found in the kernel config (/proc/config.gz, /boot/config-${release()})`);
    }
    const slot = data.subarray(e.offset, e.offset + e.size);
    slot.fill(0);
    switch (kind.kind) {
      case 'bool':
        if (raw !== 'y' && raw !== 'n') throw fail(`value '${raw}' is not 'y' or 'n' for a bool`);
        slot[0] = raw === 'y' ? 1 : 0;
        break;
      case 'tristate':
        if (raw !== 'y' && raw !== 'm' && raw !== 'n') throw fail(`value '${raw}' is not 'y', 'm' or 'n' for a tristate`);
        // enum libbpf_tristate { TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2 }
        view.setUint8(e.offset, raw === 'y' ? 1 : raw === 'm' ? 2 : 0);
        break;
      case 'char-array': {
        if (!raw.startsWith('"') || !raw.endsWith('"') || raw.length < 2) throw fail(`value ${raw} is not a quoted string`);
        const bytes = new TextEncoder().encode(raw.slice(1, -1));
        slot.set(bytes.subarray(0, Math.max(0, kind.size - 1)));
        break;
      }
      case 'int': {
        if (raw === 'y' || raw === 'n' || raw === 'm') throw fail(`value '${raw}' is a tristate, the extern is an integer`);
        let v: bigint;
        try {
          v = BigInt(raw);
        } catch {
          throw fail(`value '${raw}' is not a number`);
        }
        const bits = BigInt(kind.size * 8);
        const fits = kind.signed ? BigInt.asIntN(Number(bits), v) === v : BigInt.asUintN(Number(bits), v) === v;
        if (!fits) throw fail(`value ${raw} does not fit in ${kind.size} bytes`);
        const u = BigInt.asUintN(64, v);
        for (let i = 0; i < kind.size; i++) slot[littleEndian ? i : kind.size - 1 - i] = Number((u >> BigInt(8 * i)) & 0xffn);
        break;
      }
    }
  }
}
