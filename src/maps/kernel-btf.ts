/**
 * BTF objects the kernel holds: what a map, program or module was loaded with, read back by id.
 *
 * `BPF_BTF_GET_FD_BY_ID` opens the object; `BPF_OBJ_GET_INFO_BY_FD` on it fills
 * `struct bpf_btf_info`:
 * ```
 * __aligned_u64 btf;       // 0: where the kernel copies the raw BTF
 * __u32 btf_size;          // 8: in: buffer size; out: the BTF's size
 * __u32 id;                // 12
 * __aligned_u64 name;      // 16: where the kernel copies the name
 * __u32 name_len;          // 24: in: buffer size; out: name length without the NUL
 * __u32 kernel_btf;        // 28: 1 for vmlinux and module BTF
 * ```
 * A first call with zero sizes learns `btf_size` and `name_len`; a second one fetches both
 * (as bpftool's `btf__load_from_kernel_by_id` does through libbpf). Module BTF (kernel_btf set,
 * name other than `vmlinux`) is split BTF and is parsed on top of vmlinux. Needs
 * CAP_SYS_ADMIN (`BPF_BTF_GET_FD_BY_ID`).
 * @module
 */
import { parseBtf, readKernelBtf, type Btf } from '../btf/index.js';
import { TsbpfError } from '../errors.js';
import { hostLittleEndian, NativeBuffer, objGetFdById, objGetInfoByFd, type Fd } from '../syscall/index.js';

/** `struct bpf_btf_info`, camelCased. */
export interface BtfObjectInfo {
  /** `id` */
  id: number;
  /** `btf_size`: bytes of raw BTF. */
  size: number;
  /** `name`: `vmlinux`, a module name, or `''` for BTF loaded by user space. */
  name: string;
  /** `kernel_btf`: vmlinux or module BTF (as opposed to BTF loaded with `BPF_BTF_LOAD`). */
  kernelBtf: boolean;
}

const BTF_INFO_SIZE = 32;
const le = hostLittleEndian;

/**
 * `BPF_OBJ_GET_INFO_BY_FD` on a BTF fd: its info and, with `withData`, the raw bytes.
 * @throws `BpfError` from the kernel.
 */
export function btfObjectInfo(
  fd: number,
  withData = false,
): {
  /** The decoded `struct bpf_btf_info`. */
  info: BtfObjectInfo;
  /** The raw BTF, with `withData`. */
  bytes?: Uint8Array;
} {
  const b = new NativeBuffer(BTF_INFO_SIZE);
  try {
    b.bytes.fill(0);
    objGetInfoByFd(fd, b);
    const size = b.view.getUint32(8, le);
    const nameLen = b.view.getUint32(24, le);
    const data = new NativeBuffer(withData ? size : 0);
    const name = new NativeBuffer(nameLen + 1);
    try {
      b.bytes.fill(0);
      if (withData) {
        b.view.setBigUint64(0, data.ptr, le);
        b.view.setUint32(8, size, le);
      }
      b.view.setBigUint64(16, name.ptr, le);
      b.view.setUint32(24, nameLen + 1, le);
      name.bytes.fill(0);
      objGetInfoByFd(fd, b);
      const got = b.view.getUint32(8, le);
      if (withData && got !== size) throw new TsbpfError(`btf id ${b.view.getUint32(12, le)}: size changed from ${size} to ${got} bytes between two reads`);
      const end = name.bytes.indexOf(0);
      const info: BtfObjectInfo = {
        id: b.view.getUint32(12, le),
        size: got,
        name: new TextDecoder().decode(name.bytes.subarray(0, end < 0 ? nameLen : end)),
        kernelBtf: b.view.getUint32(28, le) !== 0,
      };
      return withData ? { info, bytes: data.bytes.slice() } : { info };
    } finally {
      data.free();
      name.free();
    }
  } finally {
    b.free();
  }
}

/** Options of {@link loadBtfById}. */
export interface LoadBtfByIdOptions {
  /** Base for split (module) BTF; default: `/sys/kernel/btf/vmlinux`, read when needed. */
  base?: Btf;
}

/**
 * The BTF object with kernel id `id`, parsed. Module BTF is parsed as split BTF on `base`
 * (vmlinux), so its type ids are the kernel's.
 * @throws {@link TsbpfError} when there is no BTF object with this id, `BpfError` (EPERM
 *   without CAP_SYS_ADMIN), {@link BtfError} when the bytes do not parse.
 */
export function loadBtfById(
  id: number,
  options: LoadBtfByIdOptions = {},
): {
  /** The parsed BTF (split on vmlinux for a module's BTF). */
  btf: Btf;
  /** Its `struct bpf_btf_info`. */
  info: BtfObjectInfo;
} {
  let fd: Fd | undefined;
  if (!Number.isInteger(id) || id <= 0 || id > 0xffff_ffff) throw new TsbpfError(`btf id ${id} is not a positive u32`);
  fd = objGetFdById('btf', id);
  if (!fd) throw new TsbpfError(`no btf object with id ${id}`);
  try {
    const { info, bytes } = btfObjectInfo(fd.raw, true);
    const split = info.kernelBtf && info.name !== 'vmlinux';
    const base = split ? (options.base ?? readKernelBtf()) : undefined;
    return { btf: parseBtf(bytes!, { base, section: `btf id ${id}${info.name ? ` '${info.name}'` : ''}` }), info };
  } finally {
    fd.close();
  }
}
