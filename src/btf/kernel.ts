/**
 * The running kernel's BTF as sysfs exposes it: `/sys/kernel/btf/vmlinux`, and one split BTF
 * file per module (`/sys/kernel/btf/<module>`, based on vmlinux). Reading these needs no
 * privileges and no bpf() call; this is the only file of `src/btf` that touches the file system
 * (through `node:fs`, which Node, Deno and Bun provide). Loading BTF by id comes with the
 * syscall layer.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseBtf, type Btf } from './btf.js';

/** Where sysfs exposes kernel BTF. */
export const KERNEL_BTF_DIR = '/sys/kernel/btf';

function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Parses `/sys/kernel/btf/vmlinux` (or `path`).
 * @throws `Error` from `node:fs` when the file cannot be read (kernel without
 *   CONFIG_DEBUG_INFO_BTF), {@link BtfError} when it is malformed.
 */
export function readKernelBtf(path = `${KERNEL_BTF_DIR}/vmlinux`): Btf {
  return parseBtf(readBytes(path), { section: path });
}

/**
 * Parses the split BTF of kernel module `module` on top of `vmlinux` (read when not given):
 * ids continue after vmlinux's, strings after vmlinux's string section.
 */
export function readModuleBtf(module: string, vmlinux: Btf = readKernelBtf()): Btf {
  const path = module.includes('/') ? module : `${KERNEL_BTF_DIR}/${module}`;
  return parseBtf(readBytes(path), { base: vmlinux, section: path });
}
