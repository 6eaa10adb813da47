/**
 * Multi-uprobes (`SEC("uprobe.multi/<path>:<pattern>")`, `uretprobe.multi`): many uprobes in
 * one file behind one `bpf_link`, created with one `BPF_LINK_CREATE` of attach type
 * `BPF_TRACE_UPROBE_MULTI` (Linux 6.6+, `link_create.uprobe_multi`), instead of one perf
 * event per probe.
 *
 * The kernel takes file offsets, not names: the pattern is a glob (`*` any run, `?` one
 * character) matched here against the file's function symbols, `.symtab` first and
 * `.dynsym` only when `.symtab` matched nothing (a stripped file, or a library's exports),
 * so the same function is not counted twice (libbpf's `elf_resolve_pattern_offsets` follows
 * the same rule). Versioned dynamic names (`memcpy@@GLIBC_2.14`) match by their base name.
 * Each offset is `st_value` mapped through its executable `PT_LOAD` segment
 * (`elf-symbols.ts`). Aliases (two names, one address) become one probe: a probe placed
 * twice at one offset would run the program twice per call.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseElf, SHN_UNDEF, STT_FUNC, STT_GNU_IFUNC, type ElfFile } from '../elf/index.js';
import { BpfError, linkCreate } from '../syscall/index.js';
import { AttachType, ProgType } from '../uapi/bpf.js';
import { addressToFileOffset, resolveBinaryPath } from './elf-symbols.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink, type AttachableProgram, type Link } from './link.js';

/** `BPF_F_UPROBE_MULTI_RETURN`: the probes fire on return (`uretprobe.multi`). */
export const BPF_F_UPROBE_MULTI_RETURN = 1;

/** One function a pattern matched. */
export interface UprobeMultiTarget {
  /** Symbol name as in the table (versioned names keep their `@VERSION`). */
  name: string;
  /** File offset of the probe. */
  offset: bigint;
}

/** Options of {@link attachUprobeMulti}. */
export interface UprobeMultiOptions {
  /** A glob over the file's function names (`tsbpf_*`). */
  pattern?: string;
  /** Exact function names (each must exist), instead of or with `pattern`. */
  symbols?: readonly string[];
  /** File offsets, instead of or with the names. */
  offsets?: readonly bigint[];
  /** Only this process (`pid`; default every process). */
  pid?: number;
  /** uretprobes: run when the functions return. */
  retprobe?: boolean;
  /** `bpf_get_attach_cookie()` value per probe, in the order of the resolved offsets. */
  cookies?: readonly bigint[];
  /** USDT semaphore offsets (`ref_ctr_offsets`), one per probe. */
  refCtrOffsets?: readonly bigint[];
}

/** A glob as a regular expression: `*` any run of characters, `?` one, everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(re + '$', 's');
}

const baseName = (name: string): string => {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
};

/**
 * The functions of `elf` whose names match `pattern`, with their file offsets, in symbol
 * table order, one per offset.
 * @param path names the file in errors.
 * @throws {@link AttachError} when a matched function lies in no executable segment.
 */
export function uprobeMultiTargets(elf: ElfFile, pattern: string, path: string): UprobeMultiTarget[] {
  const re = globToRegExp(pattern);
  return functionsWhere(elf, (name) => re.test(name), path);
}

/** The functions whose base names pass `test`: `.symtab`, else `.dynsym`; one per offset. */
function functionsWhere(elf: ElfFile, test: (baseName: string) => boolean, path: string): UprobeMultiTarget[] {
  for (const table of [elf.symbols, elf.dynamicSymbols]) {
    const out: UprobeMultiTarget[] = [];
    const seen = new Set<bigint>();
    for (const s of table) {
      if (s.sectionIndex === SHN_UNDEF || (s.type !== STT_FUNC && s.type !== STT_GNU_IFUNC) || !s.name) continue;
      if (!test(baseName(s.name))) continue;
      const offset = addressToFileOffset(elf, s.value, `${path}:${s.name}`);
      if (seen.has(offset)) continue;
      seen.add(offset);
      out.push({ name: s.name, offset });
    }
    if (out.length) return out;
  }
  return [];
}

function readElf(path: string, shown: string, kind: string): ElfFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new AttachError(kind, shown, `cannot read '${path}'`, { cause: e });
  }
  try {
    return parseElf(bytes, { machine: 'any' });
  } catch (e) {
    throw new AttachError(kind, shown, `'${path}' is not a readable ELF file: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Attaches a kprobe-type program loaded with expected attach type `BPF_TRACE_UPROBE_MULTI`
 * (`SEC("uprobe.multi...")`) to every function of `binary` that `o.pattern` matches (and to
 * `o.symbols` and `o.offsets`), with one link. Needs Linux 6.6+ and CAP_BPF plus
 * CAP_PERFMON (or root). The link owns its fd; closing it removes every probe.
 * @throws {@link AttachError} naming `binary:pattern` when the file is missing, nothing
 *   matches, a named symbol is missing, or the kernel refuses the link.
 */
export function attachUprobeMulti(prog: AttachableProgram, binary: string, o: UprobeMultiOptions = {}): Link {
  const kind = o.retprobe ? 'uretprobe.multi' : 'uprobe.multi';
  const what = o.pattern ?? (o.symbols?.length ? o.symbols.join(',') : o.offsets?.length ? o.offsets.map((x) => `0x${x.toString(16)}`).join(',') : '');
  const shown = `${binary}:${what}`;
  requireProgType(kind, shown, prog, ProgType.KPROBE);
  if (prog.expectedAttachType !== undefined && prog.expectedAttachType !== AttachType.TRACE_UPROBE_MULTI) {
    throw new AttachError(kind, shown, `program '${prog.name}' was not loaded for uprobe_multi links (expected attach type BPF_TRACE_UPROBE_MULTI, from SEC("uprobe.multi/..."))`);
  }
  if (o.pattern === undefined && !o.symbols?.length && !o.offsets?.length) throw new AttachError(kind, shown, 'give a pattern, symbols or offsets');
  const path = resolveBinaryPath(binary);
  const offsets: bigint[] = [];
  if (o.pattern !== undefined || o.symbols?.length) {
    const elf = readElf(path, shown, kind);
    if (o.pattern !== undefined) {
      const found = uprobeMultiTargets(elf, o.pattern, path);
      if (!found.length) throw new AttachError(kind, shown, `no function in '${path}' matches '${o.pattern}'`);
      offsets.push(...found.map((t) => t.offset));
    }
    for (const name of o.symbols ?? []) {
      const found = functionsWhere(elf, (n) => n === baseName(name), path);
      if (!found.length) throw new AttachError(kind, shown, `symbol '${name}' not found in '${path}'`);
      offsets.push(found[0]!.offset);
    }
  }
  offsets.push(...(o.offsets ?? []));
  for (const [name, arr] of [['cookies', o.cookies], ['refCtrOffsets', o.refCtrOffsets]] as const) {
    if (arr && arr.length !== offsets.length) throw new AttachError(kind, shown, `${name} has ${arr.length} entries for ${offsets.length} probes`);
  }
  try {
    const fd = linkCreate({
      prog_fd: prog.fd,
      target_fd: 0,
      attach_type: AttachType.TRACE_UPROBE_MULTI,
      uprobe_multi: {
        path,
        offsets,
        flags: o.retprobe ? BPF_F_UPROBE_MULTI_RETURN : 0,
        ...(o.pid !== undefined ? { pid: o.pid } : {}),
        ...(o.cookies ? { cookies: o.cookies } : {}),
        ...(o.refCtrOffsets ? { ref_ctr_offsets: o.refCtrOffsets } : {}),
      },
    });
    return new FdLink(kind, shown, fd);
  } catch (e) {
    const why =
      e instanceof BpfError && (e.errno === 'EOPNOTSUPP' || e.errno === 'EINVAL')
        ? `${e.message} (uprobe_multi links need Linux >= 6.6 with CONFIG_UPROBES, and a program loaded with SEC("uprobe.multi/..."))`
        : (e as Error).message;
    throw new AttachError(kind, shown, `attaching ${offsets.length} probe(s) failed: ${why}`, { cause: e });
  }
}

/**
 * Parses an `uprobe.multi` section target, `<path>:<pattern>` (libbpf splits at the first
 * `:`). Undefined when it does not fit.
 */
export function parseUprobeMultiTarget(t: string):
  | {
      /** The file as written: a path, a library name or a command ({@link attachUprobeMulti} resolves it). */
      binary: string;
      /** The glob over the file's function names (`tsbpf_*`); may itself contain `:`. */
      pattern: string;
    }
  | undefined {
  const colon = t.indexOf(':');
  if (colon <= 0 || colon === t.length - 1) return undefined;
  return { binary: t.slice(0, colon), pattern: t.slice(colon + 1) };
}
