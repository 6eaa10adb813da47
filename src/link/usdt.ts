/**
 * USDT probes (`SEC("usdt/<path>:<provider>:<name>")`): static probes compiled into a binary
 * by `<sys/sdt.h>`, each a `nop` whose location and argument descriptions sit in an ELF note.
 *
 * Each `.note.stapsdt` note (type 3, owner "stapsdt") holds three addresses -- the probe's
 * `pc`, the link-time address of `.stapsdt.base`, and the semaphore's address (0 when none) --
 * followed by three strings: provider, name, and the argument specs. When the file was
 * prelinked or relocated, `pc` moves by `.stapsdt.base`'s real address minus the recorded
 * one. The probe is then a uprobe at `pc`'s file offset; a semaphore is a counter the kernel
 * increments while a uprobe is attached (`ref_ctr_offset`), so `if (PROBE_ENABLED())` code runs.
 *
 * Arguments: x86-64 specs read `<size>@<operand>`, a negative size meaning signed:
 * `-4@%edi` (register), `8@-24(%rbp)` (memory at register + offset), `4@$5` (constant).
 * They are encoded into libbpf's `struct __bpf_usdt_spec` (usdt.bpf.h), which the BPF side
 * (`bpf_usdt_arg()`) finds through the attach cookie, the spec's index in the
 * `__bpf_usdt_specs` array map.
 *
 * Worked example: note `pc 0x1139 base 0x2004 sema 0`, `.stapsdt.base` at `0x2004`, args
 * `-4@%edi` -> a uprobe at file offset 0x1139 and a spec with one argument: `arg_type`
 * REG, `reg_off` 112 (`rdi` in `struct pt_regs`), signed, `arg_bitshift` 32.
 * @module
 */
import { readFileSync } from 'node:fs';
import { ByteReader } from '../bytes/reader.js';
import { parseElf, type ElfFile } from '../elf/index.js';
import { NotSupportedError } from '../errors.js';
import { ProgType } from '../uapi/bpf.js';
import { hostLittleEndian } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { addressToFileOffset, resolveBinaryPath } from './elf-symbols.js';
import { attachUprobe } from './uprobe.js';
import { LinkGroup, type AttachableProgram, type Link } from './link.js';

/** One USDT probe location, from a `.note.stapsdt` note. */
export interface UsdtNote {
  /** The provider, the first argument of `DTRACE_PROBE`/`STAP_PROBE` (`libc`, `node`). */
  provider: string;
  /** The probe's name within the provider (`setjmp`, `http__server__request`). */
  name: string;
  /** Probe address, already adjusted by `.stapsdt.base`. */
  pc: bigint;
  /** Semaphore address, 0n when the probe has none. */
  semaphore: bigint;
  /** The argument string as written: `-4@%edi 8@-24(%rbp)`. */
  args: string;
}

const NT_STAPSDT = 3;

/** Reads every USDT note of `elf` (empty when it has none). */
export function parseUsdtNotes(elf: ElfFile): UsdtNote[] {
  const sec = elf.section('.note.stapsdt');
  if (!sec) return [];
  const baseSec = elf.section('.stapsdt.base');
  const r = new ByteReader(sec.data, elf.littleEndian);
  const out: UsdtNote[] = [];
  const align4 = (n: number) => (n + 3) & ~3;
  let off = 0;
  while (off + 12 <= sec.data.length) {
    const namesz = r.u32(off, 'n_namesz');
    const descsz = r.u32(off + 4, 'n_descsz');
    const type = r.u32(off + 8, 'n_type');
    const nameOff = off + 12;
    const descOff = nameOff + align4(namesz);
    r.need(descOff, descsz, 'note descriptor');
    const owner = namesz > 0 ? r.cstring(nameOff, 'note owner') : '';
    if (type === NT_STAPSDT && owner === 'stapsdt' && descsz >= 24 + 3) {
      const pc = r.u64(descOff, 'pc');
      const base = r.u64(descOff + 8, 'base');
      const semaphore = r.u64(descOff + 16, 'semaphore');
      const d = r.sub(descOff, descsz, 'note descriptor');
      const provider = d.cstring(24, 'provider');
      const nameAt = 24 + new TextEncoder().encode(provider).length + 1;
      const name = d.cstring(nameAt, 'probe name');
      const argsAt = nameAt + new TextEncoder().encode(name).length + 1;
      const args = argsAt < descsz ? d.cstring(argsAt, 'probe arguments') : '';
      // Prelink/relocation moved the file: shift pc by how far .stapsdt.base moved.
      const adj = baseSec && base !== 0n ? baseSec.addr - base : 0n;
      out.push({ provider, name, pc: pc + adj, semaphore, args });
    }
    off = descOff + align4(descsz);
  }
  return out;
}

/** `enum __bpf_usdt_arg_type`: how `bpf_usdt_arg()` fetches an argument. */
export const UsdtArgType = {
  /** `BPF_USDT_ARG_CONST`: the value is `val_off` itself (`4@$5`). */
  CONST: 0,
  /** `BPF_USDT_ARG_REG`: the value of the register at `reg_off` in `struct pt_regs` (`-4@%edi`). */
  REG: 1,
  /** `BPF_USDT_ARG_REG_DEREF`: user memory at that register plus `val_off` (`8@-24(%rbp)`), read with `bpf_probe_read_user`. */
  REG_DEREF: 2,
} as const;

/** One `struct __bpf_usdt_arg_spec`. */
export interface UsdtArgSpec {
  /** `val_off`: the constant, or the memory offset from the register. */
  valOff: bigint;
  /** `arg_type`: a {@link UsdtArgType} value. */
  argType: number;
  /** Offset of the register in `struct pt_regs`. */
  regOff: number;
  /** `arg_signed`: the size was negative (`-4@...`); `bpf_usdt_arg()` sign-extends when it shifts back by `bitshift`. */
  signed: boolean;
  /** `64 - 8 * size`. */
  bitshift: number;
}

// struct pt_regs (arch/x86/include/uapi/asm/ptrace.h, x86-64), by 64-bit register.
const X86_REGS: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  rax: 80, rcx: 88, rdx: 96, rsi: 104, rdi: 112, rip: 128, rsp: 152,
};
// Narrower names of the same registers.
const X86_ALIASES: Record<string, string> = {
  eax: 'rax', ax: 'rax', al: 'rax', ebx: 'rbx', bx: 'rbx', bl: 'rbx', ecx: 'rcx', cx: 'rcx', cl: 'rcx',
  edx: 'rdx', dx: 'rdx', dl: 'rdx', esi: 'rsi', si: 'rsi', sil: 'rsi', edi: 'rdi', di: 'rdi', dil: 'rdi',
  ebp: 'rbp', bp: 'rbp', bpl: 'rbp', esp: 'rsp', sp: 'rsp', spl: 'rsp',
};

function x86RegOff(reg: string, spec: string): number {
  let r = X86_ALIASES[reg] ?? reg;
  const m = /^(r(?:8|9|1[0-5]))[dwb]?$/.exec(r);
  if (m) r = m[1]!;
  const off = X86_REGS[r];
  if (off === undefined) throw new AttachError('usdt', spec, `unknown x86-64 register '%${reg}'`);
  return off;
}

/** Parses one x86-64 argument spec (`-4@%edi`, `8@-24(%rbp)`, `4@$5`). */
export function parseUsdtArg(spec: string): UsdtArgSpec {
  const m = /^(-?)(1|2|4|8)@(.+)$/.exec(spec);
  if (!m) throw new AttachError('usdt', spec, 'not a USDT argument spec (<size>@<operand>)');
  const signed = m[1] === '-';
  const bitshift = 64 - Number(m[2]) * 8;
  const op = m[3]!;
  let x: RegExpExecArray | null;
  if ((x = /^\$(-?(?:0x[0-9a-f]+|\d+))$/i.exec(op))) {
    return { valOff: BigInt.asUintN(64, BigInt(x[1]!.replace(/^-/, '')) * (x[1]!.startsWith('-') ? -1n : 1n)), argType: UsdtArgType.CONST, regOff: 0, signed, bitshift };
  }
  if ((x = /^%(\w+)$/.exec(op))) return { valOff: 0n, argType: UsdtArgType.REG, regOff: x86RegOff(x[1]!, spec), signed, bitshift };
  if ((x = /^(-?(?:0x[0-9a-f]+|\d+))?\(%(\w+)\)$/i.exec(op))) {
    const n = x[1] ? BigInt(x[1].replace(/^-/, '')) * (x[1].startsWith('-') ? -1n : 1n) : 0n;
    return { valOff: BigInt.asUintN(64, n), argType: UsdtArgType.REG_DEREF, regOff: x86RegOff(x[2]!, spec), signed, bitshift };
  }
  throw new AttachError('usdt', spec, `unsupported operand '${op}' (SIB addressing is not supported)`);
}

/** `BPF_USDT_MAX_ARG_CNT` */
export const USDT_MAX_ARGS = 12;
/** `sizeof(struct __bpf_usdt_spec)` */
export const USDT_SPEC_SIZE = 208;

/** Encodes `struct __bpf_usdt_spec` (host byte order) for the `__bpf_usdt_specs` map. */
export function encodeUsdtSpec(args: UsdtArgSpec[], cookie = 0n): Uint8Array {
  if (args.length > USDT_MAX_ARGS) throw new AttachError('usdt', `${args.length} arguments`, `at most ${USDT_MAX_ARGS} arguments`);
  const b = new Uint8Array(USDT_SPEC_SIZE);
  const v = new DataView(b.buffer);
  const le = hostLittleEndian;
  args.forEach((a, i) => {
    const o = i * 16;
    v.setBigUint64(o, a.valOff, le);
    v.setUint32(o + 8, a.argType, le);
    v.setInt16(o + 12, a.regOff, le);
    v.setUint8(o + 14, a.signed ? 1 : 0);
    v.setInt8(o + 15, a.bitshift);
  });
  v.setBigUint64(192, cookie, le);
  v.setInt16(200, args.length, le);
  return b;
}

/** Where the spec of each attached location goes (the program's usdt.bpf.h map). */
export interface UsdtSpecMap {
  /** Writes `spec` at index `id` (e.g. `(id, v) => map.updateBytes(key(id), v)`). */
  update(id: number, spec: Uint8Array): void;
}

/** Options of {@link attachUsdt}. */
export interface UsdtOptions {
  /** Only this process (each uprobe's `pid`); default: every process that runs the file. */
  pid?: number;
  /** The `__bpf_usdt_specs` map; without it the program can count hits but not read arguments. */
  specs?: UsdtSpecMap;
  /** First spec index to use (one per probe location). Default 0. */
  firstSpecId?: number;
  /** `bpf_usdt_cookie()` value. */
  cookie?: bigint;
}

/** File offset of a semaphore address (through the section that holds it, usually `.probes`). */
function semaphoreOffset(elf: ElfFile, addr: bigint, target: string): bigint {
  for (const s of elf.sections) {
    if (s.addr !== 0n && addr >= s.addr && addr < s.addr + BigInt(s.size)) return addr - s.addr + BigInt(s.offset);
  }
  throw new AttachError('usdt', target, `semaphore address 0x${addr.toString(16)} is in no section`);
}

/**
 * Attaches a kprobe-type program to every location of USDT probe `provider:name` in
 * `binary`, one uprobe each (cookie = spec index), writing the argument specs to `o.specs`.
 * x86-64 only for now. Needs attach cookies (5.15+).
 */
export function attachUsdt(prog: AttachableProgram, binary: string, provider: string, name: string, o: UsdtOptions = {}): Link {
  const target = `${binary}:${provider}:${name}`;
  requireProgType('usdt', target, prog, ProgType.KPROBE);
  if (process.arch !== 'x64') throw new NotSupportedError(`USDT argument specs on ${process.arch} in tsbpf`);
  const path = resolveBinaryPath(binary);
  let elf: ElfFile;
  try {
    elf = parseElf(readFileSync(path), { machine: 'any' });
  } catch (e) {
    throw new AttachError('usdt', target, `cannot read '${path}' as ELF: ${(e as Error).message}`, { cause: e });
  }
  const notes = parseUsdtNotes(elf).filter((n) => n.provider === provider && n.name === name);
  if (!notes.length) throw new AttachError('usdt', target, `no USDT probe '${provider}:${name}' in '${path}'`);
  const links: Link[] = [];
  try {
    notes.forEach((n, i) => {
      const id = (o.firstSpecId ?? 0) + i;
      const args = n.args.trim() ? n.args.trim().split(/\s+/).map(parseUsdtArg) : [];
      o.specs?.update(id, encodeUsdtSpec(args, o.cookie ?? 0n));
      links.push(
        attachUprobe(prog, path, {
          offset: addressToFileOffset(elf, n.pc, target),
          cookie: BigInt(id),
          ...(o.pid !== undefined ? { pid: o.pid } : {}),
          ...(n.semaphore !== 0n ? { refCtrOffset: semaphoreOffset(elf, n.semaphore, target) } : {}),
        }),
      );
    });
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new LinkGroup('usdt', target, links);
}
