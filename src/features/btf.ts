/**
 * The BTF the probes need, through `src/btf`:
 * - the hand-built BTF for local-storage maps (`int`, `struct bpf_spin_lock`, `struct val`),
 *   the same types libbpf's probe builds;
 * - the running kernel's BTF (`/sys/kernel/btf/vmlinux`), parsed once, for enum values such
 *   as `enum bpf_func_id`.
 * @module
 */
import { BTF_INT_SIGNED, encodeBtf, readKernelBtf, StringTable, type Btf, type BtfType } from '../btf/index.js';
import { hostLittleEndian } from '../syscall/index.js';

/**
 * BTF for local storage maps (`sk_storage`, `inode_storage`, `task_storage`,
 * `cgrp_storage`): type 1 = `int` (key), type 3 = `struct val { int cnt; struct bpf_spin_lock l; }`
 * (value, 8 bytes). Host byte order unless `littleEndian` says otherwise.
 */
export function localStorageBtf(littleEndian = hostLittleEndian): Uint8Array {
  const s = new StringTable();
  const n = (name: string) => ({ name, nameOff: s.add(name) });
  const member = (name: string, type: number, bitsOffset: number) => ({ ...n(name), type, bitsOffset, bitfieldSize: 0 });
  const types: BtfType[] = [
    { id: 1, kind: 'INT', ...n('int'), size: 4, encoding: BTF_INT_SIGNED, bitsOffset: 0, nrBits: 32 },
    { id: 2, kind: 'STRUCT', ...n('bpf_spin_lock'), size: 4, kindFlag: false, members: [member('val', 1, 0)] },
    { id: 3, kind: 'STRUCT', ...n('val'), size: 8, kindFlag: false, members: [member('cnt', 1, 0), member('l', 2, 32)] },
  ];
  return encodeBtf(types, s.bytes(), { littleEndian });
}

let vmlinux: Btf | null | undefined;

/** The kernel's BTF, or undefined when `/sys/kernel/btf/vmlinux` is missing or unreadable. Cached. */
export function vmlinuxBtf(): Btf | undefined {
  if (vmlinux === undefined) {
    try {
      vmlinux = readKernelBtf();
    } catch {
      vmlinux = null;
    }
  }
  return vmlinux ?? undefined;
}

/** The enumerators of enum `name` of the kernel's BTF (ENUM or ENUM64) as name -> number, or undefined. */
export function kernelEnum(name: string): Map<string, number> | undefined {
  const btf = vmlinuxBtf();
  if (!btf) return undefined;
  const id = btf.findByName(name, 'ENUM') ?? btf.findByName(name, 'ENUM64');
  if (id === undefined) return undefined;
  const t = btf.type(id);
  if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') return undefined;
  return new Map(t.values.map((v) => [v.name, Number(v.value)]));
}
