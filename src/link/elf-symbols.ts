/**
 * Where a function lives in an ELF file, for uprobes.
 *
 * A uprobe is set on a file offset, not an address: the kernel puts a breakpoint in the page
 * cache of the file, so every process that maps it sees it. A symbol's `st_value` is a
 * virtual address (`ET_EXEC`) or an address relative to the load base (`ET_DYN`: shared
 * libraries and PIE executables); either way the `PT_LOAD` segment that contains it gives
 * the file offset: `offset = st_value - p_vaddr + p_offset`.
 *
 * Worked example: libc's `getpid` has `st_value 0xe1860`; the executable segment has
 * `p_vaddr 0x26000`, `p_offset 0x26000`, so the offset is `0xe1860`. A binary linked with a
 * non-zero base (`p_vaddr 0x401000`, `p_offset 0x1000`) maps `0x401136` to `0x1136`.
 * @module
 */
import { readFileSync, existsSync } from 'node:fs';
import { parseElf, PT_LOAD, PF_X, STT_FUNC, STT_GNU_IFUNC, SHN_UNDEF, type ElfFile, type ElfSymbol } from '../elf/index.js';
import { AttachError } from './errors.js';

/** Directories searched for a library given without a slash (`libc.so.6`). */
const LIB_DIRS = ['/lib64', '/usr/lib64', '/lib', '/usr/lib', `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];

/**
 * The absolute path of a uprobe target: a path with a slash is used as is; a name ending in
 * `.so` or containing `.so.` is searched in the library directories; anything else in `$PATH`.
 * @throws {@link AttachError} when nothing is found.
 */
export function resolveBinaryPath(binary: string): string {
  if (binary.includes('/')) {
    if (!existsSync(binary)) throw new AttachError('uprobe', binary, 'no such file');
    return binary;
  }
  const isLib = /\.so($|\.)/.test(binary);
  const dirs = isLib ? LIB_DIRS : (process.env.PATH ?? '/usr/bin:/bin').split(':');
  for (const d of dirs) {
    const p = `${d}/${binary}`;
    if (d && existsSync(p)) return p;
  }
  throw new AttachError('uprobe', binary, `not found in ${isLib ? 'the library directories' : '$PATH'}`);
}

function baseName(sym: string): string {
  // Versioned dynamic symbols: `memcpy@@GLIBC_2.14`, `memcpy@GLIBC_2.2.5`.
  const at = sym.indexOf('@');
  return at < 0 ? sym : sym.slice(0, at);
}

/**
 * The file offset of function `symbol` in `elf` (searching `.symtab` then `.dynsym`).
 * @param path names the file in errors.
 * @throws {@link AttachError} when the symbol is missing, not a function, ambiguous or outside
 * every executable segment.
 */
export function symbolFileOffset(elf: ElfFile, symbol: string, path: string): bigint {
  const target = `${path}:${symbol}`;
  const wanted = baseName(symbol);
  const versioned = symbol.includes('@');
  const matches: ElfSymbol[] = [];
  for (const table of [elf.symbols, elf.dynamicSymbols]) {
    for (const s of table) {
      if (s.sectionIndex === SHN_UNDEF || (s.type !== STT_FUNC && s.type !== STT_GNU_IFUNC)) continue;
      if (versioned ? s.name === symbol : baseName(s.name) === wanted) matches.push(s);
    }
    if (matches.length) break;
  }
  if (!matches.length) {
    const stripped = elf.symbols.length === 0 && elf.dynamicSymbols.length === 0;
    throw new AttachError('uprobe', target, `symbol '${symbol}' not found in '${path}'${stripped ? ' (the file has no symbol tables)' : ''}`);
  }
  const addrs = new Set(matches.map((s) => s.value));
  if (addrs.size > 1) {
    throw new AttachError('uprobe', target, `symbol '${symbol}' is ambiguous in '${path}' (${addrs.size} addresses); give an offset`);
  }
  return addressToFileOffset(elf, matches[0]!.value, target);
}

/** Maps a virtual address to its file offset through the executable `PT_LOAD` segment containing it. */
export function addressToFileOffset(elf: ElfFile, addr: bigint, target = ''): bigint {
  for (const ph of elf.programHeaders) {
    if (ph.type !== PT_LOAD || (ph.flags & PF_X) === 0) continue;
    if (addr >= ph.vaddr && addr < ph.vaddr + BigInt(ph.memsz)) return addr - ph.vaddr + BigInt(ph.offset);
  }
  throw new AttachError('uprobe', target, `address 0x${addr.toString(16)} is in no executable segment`);
}

/** Reads and parses `path` (any machine) and returns the file offset of `symbol`. */
export function uprobeOffset(path: string, symbol: string): bigint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new AttachError('uprobe', `${path}:${symbol}`, `cannot read '${path}'`, { cause: e });
  }
  let elf: ElfFile;
  try {
    elf = parseElf(bytes, { machine: 'any' });
  } catch (e) {
    throw new AttachError('uprobe', `${path}:${symbol}`, `'${path}' is not a readable ELF file: ${(e as Error).message}`, { cause: e });
  }
  return symbolFileOffset(elf, symbol, path);
}
