/**
 * Names for stack addresses, found while the processes still run.
 *
 * Kernel: `/proc/kallsyms`, sorted by address; an address belongs to the last symbol at or
 * below it (addresses read as 0 without CAP_SYSLOG, then every frame is `[unknown]`).
 *
 * User: `/proc/<pid>/maps` gives the file mapped at the address and its file offset
 * (`addr - start + offset`); the file's `PT_LOAD` segment containing that offset turns it
 * into the ELF virtual address (`off - p_offset + p_vaddr`), which lies inside a `STT_FUNC`
 * symbol of `.symtab` or `.dynsym` (the same walk as BCC's `bcc_symcache`, blazesym, perf).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseElf, PT_LOAD, STT_FUNC, type ElfFile } from '../../elf/index.js';

interface Sym {
  addr: bigint;
  size: bigint;
  name: string;
}

function nearest(syms: readonly Sym[], addr: bigint, sized: boolean): Sym | undefined {
  let lo = 0;
  let hi = syms.length - 1;
  let best: Sym | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid]!.addr <= addr) {
      best = syms[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best && sized && best.size > 0n && addr >= best.addr + best.size) return undefined;
  return best;
}

/** `/proc/kallsyms`, searchable by address. */
export class KernelSymbols {
  #syms: Sym[] | undefined;

  #load(): Sym[] {
    if (this.#syms) return this.#syms;
    const out: Sym[] = [];
    try {
      for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
        const [a, type, name] = line.split(/\s+/);
        if (!a || !name || !type || !/[tTwW]/.test(type)) continue;
        const addr = BigInt('0x' + a);
        if (addr) out.push({ addr, size: 0n, name });
      }
    } catch {
      // No kallsyms: no kernel names.
    }
    out.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
    return (this.#syms = out);
  }

  /** The function containing `addr`, or undefined. */
  name(addr: bigint): string | undefined {
    return nearest(this.#load(), addr, false)?.name;
  }
}

interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

interface ElfSyms {
  elf: ElfFile;
  syms: Sym[];
}

/** Symbols of processes, by pid; ELF files parsed once. */
export class UserSymbols {
  readonly #maps = new Map<number, Mapping[]>();
  readonly #files = new Map<string, ElfSyms | undefined>();

  #mappings(pid: number): Mapping[] {
    let m = this.#maps.get(pid);
    if (m) return m;
    m = [];
    try {
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        // 7f2c1e000000-7f2c1e022000 r-xp 00002000 fe:00 1234   /usr/lib/x86_64-linux-gnu/libc.so.6
        const f = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
        if (!f || !f[3]!.includes('x')) continue;
        m.push({ start: BigInt('0x' + f[1]), end: BigInt('0x' + f[2]), offset: BigInt('0x' + f[4]), path: f[5]!.replace(/ \(deleted\)$/, '') });
      }
    } catch {
      // The process is gone: no names.
    }
    this.#maps.set(pid, m);
    return m;
  }

  #file(pid: number, path: string): ElfSyms | undefined {
    const key = `${pid}:${path}`;
    if (this.#files.has(key)) return this.#files.get(key);
    let v: ElfSyms | undefined;
    try {
      // Through the process's root, so a file in another mount namespace is the right one.
      let bytes: Buffer;
      try {
        bytes = readFileSync(`/proc/${pid}/root${path}`);
      } catch {
        bytes = readFileSync(path);
      }
      const elf = parseElf(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { machine: 'any' });
      const syms: Sym[] = [];
      for (const table of [elf.symbols, elf.dynamicSymbols]) {
        for (const s of table) if (s.type === STT_FUNC && s.value !== 0n && s.name) syms.push({ addr: s.value, size: s.size, name: s.name.replace(/@.*$/, '') });
      }
      syms.sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
      v = { elf, syms };
    } catch {
      v = undefined;
    }
    this.#files.set(key, v);
    return v;
  }

  /** The function at `addr` in process `pid`, or undefined. */
  name(pid: number, addr: bigint): string | undefined {
    const m = this.#mappings(pid).find((x) => addr >= x.start && addr < x.end);
    if (!m) return undefined;
    const f = this.#file(pid, m.path);
    if (!f) return undefined;
    const off = addr - m.start + m.offset;
    const ph = f.elf.programHeaders.find((p) => p.type === PT_LOAD && off >= BigInt(p.offset) && off < BigInt(p.offset) + BigInt(p.filesz));
    if (!ph) return undefined;
    const vaddr = off - BigInt(ph.offset) + ph.vaddr;
    return nearest(f.syms, vaddr, true)?.name;
  }
}
