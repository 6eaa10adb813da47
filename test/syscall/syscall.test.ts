/**
 * The syscall layer against the real kernel: each wrapper once, errors with names and hints.
 */
import { mkdirSync, openSync, closeSync, rmdirSync, constants } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { returnImm } from '../../src/features/insns.js';
import {
  AttachType,
  BpfError,
  btfLoad,
  btfLoadRaw,
  defaultHint,
  enableStats,
  Epoll,
  Errno,
  errnoName,
  iterCreate,
  linkCreate,
  linkDetach,
  hostLittleEndian,
  ioctl,
  setsockopt,
  linkInfo,
  linkUpdate,
  MapType,
  mapCreate,
  mapInfo,
  objGetFdById,
  objIds,
  perfEventOpen,
  pidfdOpen,
  progAttach,
  progBindMap,
  progDetach,
  progInfo,
  progLoad,
  progLoadRaw,
  progQuery,
  progTestRun,
  ProgType,
  rawTracepointOpen,
  taskFdQuery,
  tokenCreate,
} from '../../src/syscall/index.js';
import { localStorageBtf } from '../../src/features/index.js';
import { cgroup2Path, dummyPerfEvent, udpSocket } from '../maps/kernel-objects.js';

describe('pointer fields', () => {
  it('ptrInto writes the bytes ptr writes for the same address, without a bigint; and refuses a byte outside the buffer', async () => {
    const { attr } = await import('../../src/syscall/attr.js');
    const { NativeBuffer } = await import('../../src/syscall/memory.js');
    const buf = new NativeBuffer(4096);
    try {
      expect(BigInt(buf.address)).toBe(buf.ptr);
      for (const offset of [0, 1, 8, 4095, 4096]) {
        const a = attr(16).ptr(0, buf.at(offset)).ptrInto(8, buf, offset);
        expect(a.getU64(8)).toBe(a.getU64(0));
        expect(a.getU64(8)).toBe(buf.ptr + BigInt(offset));
      }
      for (const offset of [-1, 4097, 1.5, Number.NaN]) expect(() => attr(16).ptrInto(8, buf, offset)).toThrow(/pointer to byte .* of a 4096-byte native buffer/);
    } finally {
      buf.free();
    }
  });
});

describe('BpfError', () => {
  it('names the command, the errno and a hint', () => {
    const e = new BpfError('BPF_PROG_LOAD', Errno.EPERM, defaultHint('BPF_PROG_LOAD', Errno.EPERM));
    expect(e.message).toMatch(/^BPF_PROG_LOAD: EPERM \(operation not permitted\): needs root or CAP_BPF/);
    expect(e.command).toBe('BPF_PROG_LOAD');
    expect(e.errno).toBe('EPERM');
    expect(e.errnoNumber).toBe(1);
    expect(defaultHint('BPF_PROG_LOAD', Errno.ENOSPC)).toMatch(/log buffer is too small/);
    expect(defaultHint('BPF_MAP_CREATE', Errno.E2BIG)).toMatch(/does not know a non-zero attribute/);
    expect(defaultHint('BPF_MAP_UPDATE_ELEM', Errno.E2BIG)).toMatch(/map is full/);
    expect(defaultHint('BPF_MAP_GET_FD_BY_ID', Errno.EPERM)).toMatch(/CAP_SYS_ADMIN/);
    expect(defaultHint('perf_event_open', Errno.EPERM)).toMatch(/CAP_PERFMON/);
    expect(errnoName(524)).toBe('ENOTSUPP');
    expect(errnoName(9999)).toBe('errno 9999');
  });
});

describeKernel('bpf() commands', () => {
  it('PROG_LOAD, PROG_TEST_RUN, OBJ_GET_INFO_BY_FD for programs', () => {
    using prog = progLoad({ prog_type: ProgType.SOCKET_FILTER, insns: returnImm(7), license: 'GPL', prog_name: 'seven' });
    const r = progTestRun({ prog_fd: prog.raw, data_in: new Uint8Array(64), repeat: 3 });
    expect(r.retval).toBe(7);
    const info = progInfo(prog.raw);
    expect(info).toMatchObject({ type: ProgType.SOCKET_FILTER, name: 'seven', gplCompatible: true, xlatedProgLen: 16 });
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(objIds('prog')).toContain(info.id);
    using again = objGetFdById('prog', info.id)!;
    expect(progInfo(again.raw).id).toBe(info.id);
  });

  it('PROG_LOAD failure returns the verifier log; a small log is ENOSPC with log_true_size', () => {
    // `exit` with r0 never written: the verifier refuses.
    const insns = returnImm(0).slice(8);
    const full = progLoadRaw({ prog_type: ProgType.SOCKET_FILTER, insns, license: 'GPL', log_level: 1, log_size: 65536 });
    expect(full.fd).toBeUndefined();
    expect(full.errno).toBe(Errno.EACCES);
    expect(full.log).toMatch(/R0 !read_ok/);
    const small = progLoadRaw({ prog_type: ProgType.SOCKET_FILTER, insns, license: 'GPL', log_level: 2, log_size: 32 });
    expect(small.errno).toBe(Errno.ENOSPC);
    expect(small.logTrueSize).toBeGreaterThan(32);
    expect(() => progLoad({ prog_type: ProgType.SOCKET_FILTER, insns, license: 'GPL' })).toThrow(/BPF_PROG_LOAD: EACCES/);
  });

  it('MAP_CREATE errors and map info', () => {
    expect(() => mapCreate({ map_type: MapType.HASH, key_size: 0, value_size: 4, max_entries: 1 })).toThrow(/^BPF_MAP_CREATE: EINVAL/);
    using m = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 3, map_name: 'abc.def_1' });
    expect(mapInfo(m.raw)).toMatchObject({ type: MapType.ARRAY, maxEntries: 3, name: 'abc.def_1' });
    expect(objIds('map')).toContain(mapInfo(m.raw).id);
    expect(objGetFdById('map', 0x7fff_fff0)).toBeUndefined();
  });

  it('BTF_LOAD: good BTF loads; corrupt BTF names the kernel log line', () => {
    using b = btfLoad(localStorageBtf());
    expect(b.raw).toBeGreaterThan(2);
    const bad = localStorageBtf();
    bad[24 + 4 + 3] = 0x7f; // kind 127 in the first type's info
    expect(() => btfLoad(bad)).toThrow(/BPF_BTF_LOAD: EINVAL.*kernel says/);
    expect(btfLoadRaw(bad, { logSize: 4096 }).log.length).toBeGreaterThan(0);
  });

  it('RAW_TRACEPOINT_OPEN, link info, TASK_FD_QUERY, LINK_UPDATE/LINK_DETACH', () => {
    using prog = progLoad({ prog_type: ProgType.RAW_TRACEPOINT, insns: returnImm(0), license: 'GPL' });
    using link = rawTracepointOpen(prog.raw, 'sched_switch');
    const li = linkInfo(link.raw);
    expect(li).toMatchObject({ type: 1, progId: progInfo(prog.raw).id, rawTracepoint: 'sched_switch' });
    expect(objIds('link')).toContain(li.id);
    const q = taskFdQuery(process.pid, link.raw);
    expect(q.buf).toBe('sched_switch');
    expect(q.progId).toBe(li.progId);
    // Raw tracepoint links cannot swap programs.
    expect(() => linkUpdate(link.raw, prog.raw)).toThrow(/BPF_LINK_UPDATE/);
    // ...nor detach while open (only links with a detach op: cgroup, xdp, netns, tcx...).
    expect(() => linkDetach(link.raw)).toThrow(/^BPF_LINK_DETACH: EOPNOTSUPP/);
    expect(() => iterCreate(link.raw)).toThrow(/BPF_ITER_CREATE: EINVAL/);
  });

  it('PROG_ATTACH, PROG_QUERY, PROG_DETACH on a fresh cgroup', () => {
    const dir = join(cgroup2Path(), `tsbpf-syscall-${process.pid}`);
    mkdirSync(dir);
    const cg = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      using prog = progLoad({ prog_type: ProgType.CGROUP_SKB, insns: returnImm(1), license: 'GPL', expected_attach_type: AttachType.CGROUP_INET_EGRESS });
      progAttach({ target_fd: cg, attach_bpf_fd: prog.raw, attach_type: AttachType.CGROUP_INET_EGRESS });
      const q = progQuery(cg, AttachType.CGROUP_INET_EGRESS);
      expect(q.progIds).toEqual([progInfo(prog.raw).id]);
      progDetach({ target_fd: cg, attach_bpf_fd: prog.raw, attach_type: AttachType.CGROUP_INET_EGRESS });
      expect(progQuery(cg, AttachType.CGROUP_INET_EGRESS).progIds).toEqual([]);
    } finally {
      closeSync(cg);
      rmdirSync(dir);
    }
  });

  it('LINK_CREATE, LINK_UPDATE, LINK_DETACH with a cgroup link', () => {
    const dir = join(cgroup2Path(), `tsbpf-link-${process.pid}`);
    mkdirSync(dir);
    const cg = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      const load = (ret: number) => progLoad({ prog_type: ProgType.CGROUP_SKB, insns: returnImm(ret), license: 'GPL', expected_attach_type: AttachType.CGROUP_INET_EGRESS });
      using p1 = load(1);
      using p2 = load(1);
      using link = linkCreate({ prog_fd: p1.raw, target_fd: cg, attach_type: AttachType.CGROUP_INET_EGRESS });
      const li = linkInfo(link.raw);
      expect(li).toMatchObject({ type: 3, progId: progInfo(p1.raw).id, attachType: AttachType.CGROUP_INET_EGRESS });
      expect(li.cgroupId).toBeGreaterThan(0n);
      expect(progQuery(cg, AttachType.CGROUP_INET_EGRESS).progIds).toEqual([li.progId]);
      linkUpdate(link.raw, p2.raw);
      expect(linkInfo(link.raw).progId).toBe(progInfo(p2.raw).id);
      linkDetach(link.raw);
      expect(progQuery(cg, AttachType.CGROUP_INET_EGRESS).progIds).toEqual([]);
    } finally {
      closeSync(cg);
      rmdirSync(dir);
    }
  });

  it('setsockopt(SO_ATTACH_BPF) and ioctl(PERF_EVENT_IOC_ENABLE)', async () => {
    using prog = progLoad({ prog_type: ProgType.SOCKET_FILTER, insns: returnImm(0), license: 'GPL' });
    const { socket, fd } = await udpSocket();
    try {
      const opt = new Uint8Array(4);
      new DataView(opt.buffer).setInt32(0, prog.raw, hostLittleEndian);
      setsockopt(fd, 1 /* SOL_SOCKET */, 50 /* SO_ATTACH_BPF */, opt);
      expect(() => setsockopt(fd, 1, 50, new Uint8Array(4).fill(0xff))).toThrow(/^setsockopt: EBADF/);
    } finally {
      socket.close();
    }
    using ev = dummyPerfEvent(0);
    expect(ioctl(ev.raw, 0x2400 /* PERF_EVENT_IOC_ENABLE */)).toBe(0);
    expect(() => ioctl(ev.raw, 0x1234)).toThrow(/^ioctl\(0x1234\): ENOTTY/);
  });

  it('PROG_BIND_MAP, ENABLE_STATS, TOKEN_CREATE errors', () => {
    using prog = progLoad({ prog_type: ProgType.SOCKET_FILTER, insns: returnImm(0), license: 'GPL' });
    using m = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
    progBindMap(prog.raw, m.raw);
    expect(progInfo(prog.raw).mapIds).toEqual([mapInfo(m.raw).id]);
    using stats = enableStats();
    expect(stats.raw).toBeGreaterThan(2);
    // A map fd is no bpffs: the kernel refuses with a named error.
    expect(() => tokenCreate(m.raw)).toThrow(/^BPF_TOKEN_CREATE: E/);
  });

  it('perf_event_open, epoll, pidfd_open', () => {
    const attr = new Uint8Array(128);
    const v = new DataView(attr.buffer);
    v.setUint32(0, 1, true); // PERF_TYPE_SOFTWARE
    v.setUint32(4, 128, true);
    v.setBigUint64(8, 9n, true); // PERF_COUNT_SW_DUMMY
    using ev = perfEventOpen(attr, -1, 0);
    expect(ev.raw).toBeGreaterThan(2);
    v.setBigUint64(8, 1000n, true); // no such software event
    expect(() => perfEventOpen(attr, -1, 0)).toThrow(/^perf_event_open: E/);
    using rb = mapCreate({ map_type: MapType.RINGBUF, key_size: 0, value_size: 0, max_entries: 4096 });
    using ep = new Epoll();
    ep.add(rb.raw, 1, 42);
    expect(ep.wait(0)).toEqual([]);
    using pidfd = pidfdOpen(process.pid);
    expect(pidfd.raw).toBeGreaterThan(2);
  });

  it('Fd: close is idempotent, dup gives an independent fd, disown hands it over', () => {
    const fd = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
    const d = fd.dup();
    expect(d.raw).not.toBe(fd.raw);
    fd.close();
    fd.close();
    expect(fd.raw).toBe(-1);
    expect(mapInfo(d.raw).maxEntries).toBe(1);
    const n = d.disown();
    expect(d.closed).toBe(true);
    expect(() => d.dup()).toThrow(/EBADF/);
    closeSync(n);
  });
});
