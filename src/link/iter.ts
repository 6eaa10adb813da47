/**
 * Iterator programs (`SEC("iter/task")`, `SEC("iter/bpf_map_elem")`): an iterator link
 * (`BPF_LINK_CREATE` with `BPF_TRACE_ITER`, plus `union bpf_iter_link_info` for iterators
 * over one map, cgroup or task) is the template; each `BPF_ITER_CREATE` on it opens a fresh
 * fd whose read(2) runs the program over every object, and the program's
 * `bpf_seq_write`/`bpf_seq_printf` output is what read(2) returns. A pinned iterator link
 * can be read with `cat` (`bpf_iter_link_pin`).
 * @module
 */
import { createReadStream, readSync, type ReadStream } from 'node:fs';
import { AttachType, ProgType } from '../uapi/bpf.js';
import { hostLittleEndian, iterCreate, linkCreate, type Fd } from '../syscall/index.js';
import { AttachError, requireProgType } from './errors.js';
import { FdLink } from './link.js';
import type { AttachableProgram } from './link.js';

/** Narrows an iterator to one object (`union bpf_iter_link_info`). */
export interface IterOptions {
  /** `map.map_fd`: iterate one map (`bpf_map_elem`, `bpf_sk_storage_map`, ...). */
  mapFd?: number;
  /** `cgroup.cgroup_fd`: the cgroup (a directory fd on cgroupfs) a `cgroup` iterator starts from. */
  cgroupFd?: number;
  /**
   * `cgroup.order` (`enum bpf_cgroup_iter_order`): `BPF_CGROUP_ITER_SELF_ONLY` (1),
   * `DESCENDANTS_PRE` (2), `DESCENDANTS_POST` (3), `ANCESTORS_UP` (4). Default with `cgroupFd`:
   * `SELF_ONLY`, since the kernel refuses 0, `BPF_CGROUP_ITER_ORDER_UNSPEC`, with EINVAL
   * (`bpf_iter_attach_cgroup`).
   */
  cgroupOrder?: number;
  /** `task.tid`: one thread (6.1+). */
  tid?: number;
  /** `task.pid`: every thread of one process (6.1+); give `tid` or `pid`, not both (EINVAL). */
  pid?: number;
  /** Shown in errors and as {@link Link.target}. */
  target?: string;
}

function iterInfo(o: IterOptions): Uint8Array | undefined {
  if (o.mapFd === undefined && o.cgroupFd === undefined && o.tid === undefined && o.pid === undefined) return undefined;
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  const le = hostLittleEndian;
  if (o.mapFd !== undefined) v.setUint32(0, o.mapFd, le);
  else if (o.cgroupFd !== undefined) {
    v.setUint32(0, o.cgroupOrder ?? 1 /* BPF_CGROUP_ITER_SELF_ONLY */, le);
    v.setUint32(4, o.cgroupFd, le);
  } else {
    v.setUint32(0, o.tid ?? 0, le);
    v.setUint32(4, o.pid ?? 0, le);
  }
  return b;
}

/** An iterator link: {@link IterLink.open} starts one pass; {@link IterLink.read} reads one pass whole. */
export class IterLink extends FdLink {
  /** A new iterator fd (`BPF_ITER_CREATE`); read(2) on it runs the program. The caller owns it. */
  open(): Fd {
    return iterCreate(this.fd);
  }

  /** Runs one full pass and returns everything the program wrote. */
  read(): Uint8Array {
    const fd = this.open();
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        // read(2) on a seq_file: returns 0 at the end; EAGAIN never happens (blocking fd).
        const n = readSync(fd.raw, buf, 0, buf.length, null);
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
        total += n;
      }
      return new Uint8Array(Buffer.concat(chunks, total));
    } finally {
      fd.close();
    }
  }

  /** One full pass, decoded as UTF-8. */
  readText(): string {
    return new TextDecoder().decode(this.read());
  }

  /** One pass as a Node stream; the stream owns (and closes) its iterator fd. */
  stream(): ReadStream {
    const fd = this.open();
    return createReadStream('', { fd: fd.disown(), autoClose: true });
  }
}

/**
 * Creates the iterator link of an `iter/...` program (loaded with `expected_attach_type`
 * `BPF_TRACE_ITER` and the `bpf_iter_<target>` BTF id).
 */
export function attachIter(prog: AttachableProgram, o: IterOptions = {}): IterLink {
  const target = o.target ?? prog.name;
  requireProgType('iter', target, prog, ProgType.TRACING);
  if (prog.expectedAttachType !== undefined && prog.expectedAttachType !== AttachType.TRACE_ITER) {
    throw new AttachError('iter', target, `program '${prog.name}' was not loaded as an iterator (expected attach type ${prog.expectedAttachType})`);
  }
  const info = iterInfo(o);
  try {
    const fd = linkCreate({ prog_fd: prog.fd, target_fd: 0, attach_type: AttachType.TRACE_ITER, ...(info ? { iter_info: info } : {}) });
    return new IterLink('iter', target, fd);
  } catch (e) {
    throw new AttachError('iter', target, `attaching program '${prog.name}' failed: ${(e as Error).message}`, { cause: e });
  }
}
