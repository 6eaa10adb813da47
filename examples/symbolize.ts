/**
 * Instruction addresses to function names, for stack traces: kernel addresses through
 * /proc/kallsyms, user addresses through the process's memory map and the ELF symbol
 * tables of the mapped files.
 *
 * A user address becomes a file offset first (`/proc/<pid>/maps` says which file is mapped
 * at which address, from which offset), and each function symbol's `st_value` becomes a file
 * offset too (through the `PT_LOAD` segment holding it, as uprobes do), so the lookup works
 * the same for executables, PIE executables and shared libraries, wherever they are loaded.
 * @module
 */
import { readFileSync } from 'node:fs';
import { addressToFileOffset, parseElf, SHN_UNDEF, STT_FUNC, STT_GNU_IFUNC } from '../src/index.js';

/** Sorted start addresses (or offsets) and their names; `end` when the symbol size is known. */
interface Table {
  start: bigint[];
  end: (bigint | undefined)[];
  name: string[];
}

function lookup(t: Table, addr: bigint): string | undefined {
  let lo = 0;
  let hi = t.start.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.start[mid]! <= addr) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return undefined;
  const end = t.end[found];
  if (end !== undefined && addr >= end) return undefined;
  return t.name[found];
}

function table(entries: [bigint, bigint | undefined, string][]): Table {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { start: entries.map((e) => e[0]), end: entries.map((e) => e[1]), name: entries.map((e) => e[2]) };
}

let kernel: Table | undefined;

/** The kernel function containing `addr`, from /proc/kallsyms (addresses are hidden unless root). */
export function kernelSymbol(addr: bigint): string {
  if (!kernel) {
    const entries: [bigint, bigint | undefined, string][] = [];
    for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
      const [a, type, name] = line.split(/\s+/);
      if (!a || !name || !type || !'tTwW'.includes(type)) continue;
      entries.push([BigInt('0x' + a), undefined, name]);
    }
    kernel = table(entries);
  }
  return lookup(kernel, addr) ?? `0x${addr.toString(16)}`;
}

/** Function symbols of an ELF file by file offset; undefined when the file cannot be read. */
const files = new Map<string, Table | undefined>();

function fileTable(path: string): Table | undefined {
  if (files.has(path)) return files.get(path);
  let t: Table | undefined;
  try {
    const elf = parseElf(readFileSync(path), { machine: 'any' });
    const entries: [bigint, bigint | undefined, string][] = [];
    for (const s of [...elf.symbols, ...elf.dynamicSymbols]) {
      if (s.sectionIndex === SHN_UNDEF || (s.type !== STT_FUNC && s.type !== STT_GNU_IFUNC) || !s.name) continue;
      try {
        const off = addressToFileOffset(elf, s.value);
        entries.push([off, s.size > 0n ? off + s.size : undefined, s.name.replace(/@.*/, '')]);
      } catch {
        // not in an executable segment
      }
    }
    t = table(entries);
  } catch {
    t = undefined;
  }
  files.set(path, t);
  return t;
}

interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

/** Symbolizes the user addresses of one process; read its maps while it still runs. */
export class ProcessSymbols {
  readonly #maps: Mapping[] = [];

  constructor(pid: number) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      // the process is gone: addresses stay hex
    }
    for (const line of text.split('\n')) {
      // 7f2c1a000000-7f2c1a022000 r-xp 00002000 fe:00 1234   /usr/lib/x86_64-linux-gnu/libc.so.6
      const m = /^([0-9a-f]+)-([0-9a-f]+) \S*x\S* ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
      if (m) this.#maps.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), offset: BigInt('0x' + m[3]), path: m[4]! });
    }
  }

  /** `function` (or `[file]+0xoffset`, or the hex address) of a user address. */
  symbol(addr: bigint): string {
    const m = this.#maps.find((x) => addr >= x.start && addr < x.end);
    if (!m) return `0x${addr.toString(16)}`;
    const off = addr - m.start + m.offset;
    const name = fileTable(m.path) && lookup(fileTable(m.path)!, off);
    return name ?? `[${m.path.slice(m.path.lastIndexOf('/') + 1)}]+0x${off.toString(16)}`;
  }
}
