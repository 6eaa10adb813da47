/**
 * Every map type this kernel supports (by tsbpf's own probe) is created, written, read back
 * and iterated against the real kernel. A supported type with no case here fails the test.
 */
import { closeSync, constants, mkdirSync, openSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { BpfMap, lpmKeyCodec, mapTraits, MapError, u32Codec, u64Codec } from '../../src/maps/index.js';
import { probeMapType, localStorageBtf, vmlinuxBtf } from '../../src/features/index.js';
import {
  AttachType,
  bind,
  btfLoad,
  Fd,
  MapFlags,
  MapType,
  pidfdOpen,
  possibleCpus,
  progAttach,
  progDetach,
  hostLittleEndian,
  Mapping,
  ProgFlags,
  progLoad,
  progTestRun,
  PROT_READ,
  PROT_WRITE,
  ProgType,
  rawTracepointOpen,
  setsockopt,
  socket,
  UpdateFlags,
} from '../../src/syscall/index.js';
import { call, encodeInsn, exit, loadMapFd, movImm, program } from '../../src/features/insns.js';
import { cgroup2Path, cgroupFd, dummyPerfEvent, loadTrivialProg, udpSocket } from './kernel-objects.js';

const u32 = (n: number) => u32Codec.encode(n);

describeKernel('map types', () => {
  let btf: Fd;
  beforeAll(() => {
    btf = btfLoad(localStorageBtf());
  });
  afterAll(() => btf.close());

  const storageSpec = (type: string) => ({
    type,
    keySize: 4,
    valueSize: 8,
    maxEntries: 0,
    flags: MapFlags.NO_PREALLOC,
    btf: { fd: btf.raw, keyTypeId: 1, valueTypeId: 3 },
  });

  /** Writes/reads a storage map keyed by `fd`. */
  function storage(type: string, fd: number): void {
    using m = BpfMap.create(storageSpec(type), { key: u32Codec, value: u64Codec });
    expect(m.lookup(fd)).toBeUndefined();
    m.update(fd, 0x1234n);
    expect(m.lookup(fd)).toBe(0x1234n);
    m.update(fd, 7n, UpdateFlags.EXIST);
    expect(m.lookup(fd)).toBe(7n);
    expect(() => [...m.keys()]).toThrow(MapError);
    expect(m.delete(fd)).toBe(true);
    expect(m.lookup(fd)).toBeUndefined();
  }

  function hashLike(type: string): void {
    // An LRU hash may evict before it is full: a CPU whose local free list is empty
    // refills it with LOCAL_FREE_TARGET (128, kernel/bpf/bpf_lru_list.c) nodes from
    // the global list, and evicts to make up the difference when that list holds
    // fewer. Size the map so that every CPU's first refill finds 128 free nodes.
    const maxEntries = type.startsWith('lru') ? 64 + 128 * possibleCpus() : 64;
    using m = BpfMap.create({ type, name: `t_${type}`.slice(0, 15), keySize: 4, valueSize: 8, maxEntries }, { key: u32Codec, value: u64Codec });
    for (let i = 0; i < 50; i++) m.update(i, BigInt(i) * 3n);
    expect(m.lookup(7)).toBe(21n);
    expect(m.lookup(1000)).toBeUndefined();
    const entries = new Map(m.entries());
    expect(entries.size).toBe(50);
    for (let i = 0; i < 50; i++) expect(entries.get(i)).toBe(BigInt(i) * 3n);
    expect(() => m.update(3, 1n, UpdateFlags.NOEXIST)).toThrow(/EEXIST/);
    expect(() => m.update(999, 1n, UpdateFlags.EXIST)).toThrow(/ENOENT/);
    expect(m.delete(3)).toBe(true);
    expect(m.delete(3)).toBe(false);
    expect([...m.keys()].length).toBe(49);
  }

  function perCpu(type: string, array: boolean): void {
    const n = possibleCpus();
    using m = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 8 }, { key: u32Codec, value: u32Codec });
    const vals = Array.from({ length: n }, (_, i) => 100 + i);
    m.updatePerCpu(2, vals);
    expect(m.lookupPerCpu(2)).toEqual(vals);
    expect(() => m.lookup(2)).toThrow(/per-CPU/);
    expect(() => m.updatePerCpu(2, [1])).toThrow(MapError);
    const all = [...m.entriesPerCpu()];
    expect(all.length).toBe(array ? 8 : 1);
    expect(all.find(([k]) => k === 2)?.[1]).toEqual(vals);
    // Raw bytes: one 8-byte-aligned slot per possible CPU.
    expect(m.lookupBytes(u32(2))!.length).toBe(8 * n);
  }

  const cases: Record<string, () => void | Promise<void>> = {
    hash: () => hashLike('hash'),
    lru_hash: () => hashLike('lru_hash'),
    percpu_hash: () => perCpu('percpu_hash', false),
    lru_percpu_hash: () => perCpu('lru_percpu_hash', false),
    percpu_array: () => perCpu('percpu_array', true),
    array: () => {
      using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 16 }, { key: u32Codec, value: u64Codec });
      m.update(3, 42n);
      expect(m.lookup(3)).toBe(42n);
      expect(m.lookup(4)).toBe(0n);
      expect(m.lookup(16)).toBeUndefined();
      expect([...m.keys()]).toEqual([...Array(16).keys()]);
      expect(() => m.delete(3)).toThrow(/cannot be deleted/);
    },
    prog_array: () => {
      using prog = loadTrivialProg();
      using m = BpfMap.create({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }, { key: u32Codec, value: u32Codec });
      m.update(1, prog.raw);
      const id = m.lookup(1)!;
      expect(id).toBeGreaterThan(0); // the kernel returns the program id, not the fd
      expect([...m.keys()]).toEqual([0, 1, 2, 3]);
      expect([...m.entries()]).toEqual([[1, id]]);
      expect(m.delete(1)).toBe(true);
      expect(m.lookup(1)).toBeUndefined();
    },
    perf_event_array: () => {
      using ev = dummyPerfEvent(0);
      using m = BpfMap.create({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: possibleCpus() }, { key: u32Codec, value: u32Codec });
      m.update(0, ev.raw);
      // No user-space lookup for perf event arrays: a typed error, keys still iterate.
      expect(() => m.lookup(0)).toThrow(/not supported on perf_event_array/);
      expect([...m.keys()].length).toBe(possibleCpus());
      expect(m.delete(0)).toBe(true);
    },
    cgroup_array: () => {
      const cg = cgroupFd();
      try {
        using m = BpfMap.create({ type: 'cgroup_array', keySize: 4, valueSize: 4, maxEntries: 2 }, { key: u32Codec, value: u32Codec });
        m.update(0, cg);
        expect([...m.keys()]).toEqual([0, 1]);
        expect(m.delete(0)).toBe(true);
        expect(m.delete(0)).toBe(false);
      } finally {
        closeSync(cg);
      }
    },
    stack_trace: async () => {
      using m = BpfMap.create({ type: 'stack_trace', keySize: 4, valueSize: 8 * 16, maxEntries: 64 }, { key: u32Codec });
      // Only BPF programs add stack traces (user space can read, iterate and delete): a raw
      // tracepoint program on sched_switch calls bpf_get_stackid(ctx, map, 0).
      expect(() => m.update(0, new Uint8Array(128))).toThrow(/EINVAL/);
      expect([...m.keys()]).toEqual([]);
      {
        using prog = progLoad({
          prog_type: ProgType.RAW_TRACEPOINT,
          license: 'GPL',
          insns: program(loadMapFd(2, m.fd), movImm(3, 0), call(27 /* bpf_get_stackid */), movImm(0, 0), exit()),
        });
        using link = rawTracepointOpen(prog.raw, 'sched_switch');
        for (let i = 0; i < 20 && m.nextKey() === undefined; i++) await new Promise((r) => setTimeout(r, 5));
        void link;
      }
      const entries = [...m.entries()];
      expect(entries.length).toBeGreaterThan(0);
      // Each value is an array of kernel instruction pointers, the first one non-zero.
      const ip = new DataView(entries[0]![1].buffer, entries[0]![1].byteOffset).getBigUint64(0, true);
      expect(ip).toBeGreaterThan(0xffff_0000_0000_0000n);
      const [id] = entries[0]!;
      expect(m.delete(id)).toBe(true);
      expect(m.lookup(id)).toBeUndefined();
    },
    lpm_trie: () => {
      using m = BpfMap.create({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 16, flags: MapFlags.NO_PREALLOC }, { key: lpmKeyCodec(4), value: u32Codec });
      m.update({ prefixlen: 8, data: new Uint8Array([10, 0, 0, 0]) }, 1);
      m.update({ prefixlen: 16, data: new Uint8Array([10, 1, 0, 0]) }, 2);
      m.update({ prefixlen: 32, data: new Uint8Array([10, 1, 2, 3]) }, 3);
      // Longest-prefix match: a /32 lookup finds the most specific entry.
      expect(m.lookup({ prefixlen: 32, data: new Uint8Array([10, 1, 2, 3]) })).toBe(3);
      expect(m.lookup({ prefixlen: 32, data: new Uint8Array([10, 1, 9, 9]) })).toBe(2);
      expect(m.lookup({ prefixlen: 32, data: new Uint8Array([10, 9, 9, 9]) })).toBe(1);
      expect(m.lookup({ prefixlen: 32, data: new Uint8Array([11, 0, 0, 0]) })).toBeUndefined();
      const keys = [...m.keys()].map((k) => `${k.data.join('.')}/${k.prefixlen}`).sort();
      expect(keys).toEqual(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3/32']);
      expect(m.delete({ prefixlen: 16, data: new Uint8Array([10, 1, 0, 0]) })).toBe(true);
      expect(m.lookup({ prefixlen: 32, data: new Uint8Array([10, 1, 9, 9]) })).toBe(1);
      expect(() => m.update({ prefixlen: 33, data: new Uint8Array(4) }, 1)).toThrow(/prefixlen/);
    },
    array_of_maps: () => mapInMap('array_of_maps'),
    hash_of_maps: () => mapInMap('hash_of_maps'),
    devmap: () => {
      using m = BpfMap.create({ type: 'devmap', keySize: 4, valueSize: 4, maxEntries: 4 }, { key: u32Codec, value: u32Codec });
      m.update(0, 1); // ifindex 1 = lo
      expect(m.lookup(0)).toBe(1);
      expect([...m.entries()]).toEqual([[0, 1]]);
      expect(m.delete(0)).toBe(true);
    },
    devmap_hash: () => {
      using m = BpfMap.create({ type: 'devmap_hash', keySize: 4, valueSize: 4, maxEntries: 4 }, { key: u32Codec, value: u32Codec });
      m.update(77, 1);
      expect(m.lookup(77)).toBe(1);
      expect([...m.entries()]).toEqual([[77, 1]]);
      expect(m.delete(77)).toBe(true);
    },
    sockmap: async () => sockMap('sockmap', 0),
    sockhash: async () => sockMap('sockhash', 12345),
    cpumap: () => {
      using m = BpfMap.create({ type: 'cpumap', keySize: 4, valueSize: 4, maxEntries: 1 }, { key: u32Codec, value: u32Codec });
      m.update(0, 192); // struct bpf_cpumap_val.qsize
      expect(m.lookup(0)).toBe(192);
      expect([...m.entries()]).toEqual([[0, 192]]);
      expect(m.delete(0)).toBe(true);
    },
    xskmap: () => {
      // Values are AF_XDP sockets bound to a device queue; without one, create and iterate.
      using m = BpfMap.create({ type: 'xskmap', keySize: 4, valueSize: 4, maxEntries: 2 }, { key: u32Codec, value: u32Codec });
      expect([...m.keys()]).toEqual([0, 1]);
      expect(() => m.lookup(0)).toThrow(/not supported on xskmap/);
    },
    reuseport_sockarray: () => {
      // Values are UDP/TCP sockets bound with SO_REUSEPORT.
      using m = BpfMap.create({ type: 'reuseport_sockarray', keySize: 4, valueSize: 8, maxEntries: 2 }, { key: u32Codec, value: u64Codec });
      expect([...m.keys()]).toEqual([0, 1]);
      expect(m.lookup(0)).toBeUndefined();
      using sock = socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */);
      setsockopt(sock.raw, 1 /* SOL_SOCKET */, 15 /* SO_REUSEPORT */, u32(1));
      const sin = new Uint8Array(16); // struct sockaddr_in: family (host order), port 0, 127.0.0.1
      new DataView(sin.buffer).setUint16(0, 2, true);
      sin.set([127, 0, 0, 1], 4);
      bind(sock.raw, sin);
      m.update(1, BigInt(sock.raw));
      expect(m.lookup(1)).toBeGreaterThan(0n); // the socket cookie
      expect(m.delete(1)).toBe(true);
      expect(m.lookup(1)).toBeUndefined();
    },
    cgroup_storage: () => cgroupStorage('cgroup_storage'),
    percpu_cgroup_storage: () => cgroupStorage('percpu_cgroup_storage'),
    queue: () => {
      using q = BpfMap.create({ type: 'queue', keySize: 0, valueSize: 4, maxEntries: 3 }, { value: u32Codec });
      q.push(1);
      q.push(2);
      q.push(3);
      expect(() => q.push(4)).toThrow(/E2BIG|ENOSPC/);
      q.push(4, UpdateFlags.EXIST); // BPF_EXIST: drop the oldest
      expect(q.peek()).toBe(2);
      expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([2, 3, 4, undefined]);
      expect(() => q.keys().next()).toThrow(/cannot be iterated/);
    },
    stack: () => {
      using s = BpfMap.create({ type: 'stack', keySize: 0, valueSize: 4, maxEntries: 3 }, { value: u32Codec });
      s.push(1);
      s.push(2);
      expect(s.peek()).toBe(2);
      expect([s.pop(), s.pop(), s.pop()]).toEqual([2, 1, undefined]);
    },
    sk_storage: async () => {
      const s = await udpSocket();
      try {
        storage('sk_storage', s.fd);
      } finally {
        s.socket.close();
      }
    },
    inode_storage: () => {
      const fd = openSync('/proc/self/exe', 'r');
      try {
        storage('inode_storage', fd);
      } finally {
        closeSync(fd);
      }
    },
    task_storage: () => {
      using pidfd = pidfdOpen(process.pid);
      storage('task_storage', pidfd.raw);
    },
    cgrp_storage: () => {
      const fd = cgroupFd();
      try {
        storage('cgrp_storage', fd);
      } finally {
        closeSync(fd);
      }
    },
    struct_ops: () => {
      const vmlinux = vmlinuxBtf()!;
      const id = vmlinux.findByName('bpf_struct_ops_tcp_congestion_ops', 'STRUCT')!;
      const t = { id, sizeOrType: vmlinux.sizeOrTypeOf(id) };
      // struct_ops maps need a BTF fd even though their value type is the kernel's.
      using m = BpfMap.create({ type: 'struct_ops', keySize: 4, valueSize: t.sizeOrType, maxEntries: 1, btfVmlinuxValueTypeId: t.id, btf: { fd: btf.raw, keyTypeId: 0, valueTypeId: 0 } });
      expect(m.info().btfVmlinuxValueTypeId).toBe(t.id);
      // The value is the kernel's struct bpf_struct_ops_tcp_congestion_ops, all zero (state INIT).
      expect(m.lookupBytes(u32(0))).toEqual(new Uint8Array(t.sizeOrType));
      expect([...m.keys()]).toEqual([u32(0)]);
    },
    ringbuf: () => {
      // No element operations (a typed refusal); records are written by a program and read
      // through the mmapped ring (the full consumer lives in src/ringbuf).
      using m = BpfMap.create({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 });
      expect(m.info().maxEntries).toBe(4096);
      expect(() => m.pop()).toThrow(MapError);
      // *(u64 *)(r10 - 8) = 0x5eed; bpf_ringbuf_output(map, r10 - 8, 8, 0); return 0
      using prog = progLoad({
        prog_type: ProgType.SYSCALL,
        prog_flags: ProgFlags.SLEEPABLE,
        license: 'GPL',
        insns: program(
          encodeInsn(0x7a /* BPF_ST | BPF_MEM | BPF_DW */, 10, 0, -8, 0x5eed),
          loadMapFd(1, m.fd),
          encodeInsn(0xbf /* BPF_ALU64 | BPF_MOV | BPF_X */, 2, 10, 0, 0),
          encodeInsn(0x07 /* BPF_ALU64 | BPF_ADD | BPF_K */, 2, 0, 0, -8),
          movImm(3, 8),
          movImm(4, 0),
          call(130 /* bpf_ringbuf_output */),
          movImm(0, 0),
          exit(),
        ),
      });
      progTestRun({ prog_fd: prog.raw });
      progTestRun({ prog_fd: prog.raw });
      // Consumer page (read-write) at offset 0; producer page + data (mapped twice) after it.
      using cons = new Mapping(m.fd, 4096, PROT_READ | PROT_WRITE, 0);
      using prod = new Mapping(m.fd, 4096 + 2 * 4096, PROT_READ, 4096);
      const producerPos = new DataView(prod.buffer).getBigUint64(0, hostLittleEndian);
      expect(producerPos).toBe(2n * 16n); // two records of 8-byte header + 8 bytes
      const data = new DataView(prod.buffer, 4096);
      for (const at of [0, 16]) {
        expect(data.getUint32(at, hostLittleEndian)).toBe(8); // len, busy/discard bits clear
        expect(data.getBigUint64(at + 8, hostLittleEndian)).toBe(0x5eedn);
      }
      new DataView(cons.buffer).setBigUint64(0, producerPos, hostLittleEndian); // consumer_pos
    },
    user_ringbuf: () => {
      using m = BpfMap.create({ type: 'user_ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 });
      expect(m.info().type).toBe(MapType.USER_RINGBUF);
      expect(() => m.pop()).toThrow(MapError);
      // User space writes three records through the mapped producer side...
      using cons = new Mapping(m.fd, 4096, PROT_READ, 0);
      using prod = new Mapping(m.fd, 4096 + 2 * 4096, PROT_READ | PROT_WRITE, 4096);
      const data = new DataView(prod.buffer, 4096);
      for (let i = 0; i < 3; i++) {
        data.setUint32(i * 16, 8, hostLittleEndian); // header: len 8, not busy
        data.setBigUint64(i * 16 + 8, BigInt(i), hostLittleEndian);
      }
      new DataView(prod.buffer).setBigUint64(0, 48n, hostLittleEndian); // producer_pos
      // ...and a program drains them: return bpf_user_ringbuf_drain(map, cb, 0, 0), with
      // cb: return 0. Callbacks need BTF func_info: [3] FUNC main (global), [4] FUNC cb.
      using funcs = btfLoad(funcBtf());
      const fi = new Uint8Array(16);
      const fv = new DataView(fi.buffer);
      fv.setUint32(0, 0, hostLittleEndian); // insn_off 0: main
      fv.setUint32(4, 3, hostLittleEndian);
      fv.setUint32(8, 8, hostLittleEndian); // insn_off 8: cb
      fv.setUint32(12, 4, hostLittleEndian);
      using prog = progLoad({
        prog_type: ProgType.SYSCALL,
        prog_flags: ProgFlags.SLEEPABLE,
        license: 'GPL',
        prog_btf_fd: funcs.raw,
        func_info: fi,
        func_info_rec_size: 8,
        insns: program(
          loadMapFd(1, m.fd),
          encodeInsn(0x18 /* ld_imm64 */, 2, 4 /* BPF_PSEUDO_FUNC */, 0, 5), // r2 = &cb (insn 2 + 5 + 1)
          encodeInsn(0, 0, 0, 0, 0),
          movImm(3, 0),
          movImm(4, 0),
          call(209 /* bpf_user_ringbuf_drain */),
          exit(),
          movImm(0, 0), // cb
          exit(),
        ),
      });
      expect(progTestRun({ prog_fd: prog.raw }).retval).toBe(3);
      expect(new DataView(cons.buffer).getBigUint64(0, hostLittleEndian)).toBe(48n); // consumer_pos
    },
    bloom_filter: () => {
      using b = BpfMap.create({ type: 'bloom_filter', keySize: 0, valueSize: 4, maxEntries: 100, mapExtra: 3n }, { value: u32Codec });
      for (let i = 0; i < 20; i++) b.push(i * 7);
      for (let i = 0; i < 20; i++) expect(b.mayContain(i * 7)).toBe(true);
      // No false negatives; with 100 slots and 3 hashes nearly every absent value is "no".
      const absent = Array.from({ length: 50 }, (_, i) => 100000 + i).filter((v) => b.mayContain(v)).length;
      expect(absent).toBeLessThan(25);
    },
    arena: () => {
      using m = BpfMap.create({ type: 'arena', keySize: 0, valueSize: 0, maxEntries: 2, flags: MapFlags.MMAPABLE });
      using view = m.mmap();
      expect(view.bytes.length).toBe(2 * 4096);
      // Pages are allocated on first touch (arena fault handler); the write must stick.
      view.bytes[100] = 42;
      view.bytes[4096 + 5] = 7;
      expect(view.bytes[100]).toBe(42);
      expect(view.bytes[4096 + 5]).toBe(7);
      expect(() => m.lookupBytes(null)).toThrow();
    },
  };

  /**
   * Entries of cgroup storage maps exist per (cgroup, attach type) a program using the map is
   * attached to: a cgroup_skb program calling bpf_get_local_storage(map, 0), attached to a
   * fresh cgroup, creates one.
   */
  function cgroupStorage(type: string): void {
    const perCpu = type.startsWith('percpu');
    using m = BpfMap.create({ type, keySize: 16, valueSize: 8, maxEntries: 0 });
    expect([...m.keys()]).toEqual([]);
    const dir = join(cgroup2Path(), `tsbpf-storage-${process.pid}`);
    mkdirSync(dir);
    const cg = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      using prog = progLoad({
        prog_type: ProgType.CGROUP_SKB,
        expected_attach_type: AttachType.CGROUP_INET_EGRESS,
        license: 'GPL',
        insns: program(loadMapFd(1, m.fd), movImm(2, 0), call(81 /* bpf_get_local_storage */), movImm(0, 1), exit()),
      });
      progAttach({ target_fd: cg, attach_bpf_fd: prog.raw, attach_type: AttachType.CGROUP_INET_EGRESS });
      try {
        const keys = [...m.keys()];
        expect(keys.length).toBe(1);
        // struct bpf_cgroup_storage_key { __u64 cgroup_inode_id; __u32 attach_type; }
        const key = keys[0]!;
        expect(new DataView(key.buffer, key.byteOffset).getUint32(8, true)).toBe(AttachType.CGROUP_INET_EGRESS);
        if (perCpu) {
          const vals = Array.from({ length: possibleCpus() }, (_, i) => u64Codec.encode(BigInt(i + 1)));
          m.updatePerCpu(key, vals);
          expect(m.lookupPerCpu(key)).toEqual(vals);
        } else {
          m.update(key, u64Codec.encode(77n));
          expect(m.lookup(key)).toEqual(u64Codec.encode(77n));
        }
      } finally {
        progDetach({ target_fd: cg, attach_bpf_fd: prog.raw, attach_type: AttachType.CGROUP_INET_EGRESS });
      }
    } finally {
      closeSync(cg);
      rmdirSync(dir);
    }
  }

  /** BTF: [1] int, [2] int (void) proto, [3] FUNC main (global), [4] FUNC cb (static). */
  function funcBtf(): Uint8Array {
    const le = hostLittleEndian;
    const strs = new TextEncoder().encode('\0int\0main\0cb\0');
    const info = (kind: number, vlen: number) => ((kind << 24) | vlen) >>> 0;
    const types = [1, info(1, 0), 4, (1 << 24) | 32, 0, info(13, 0), 1, 5, info(12, 1), 2, 10, info(12, 0), 2];
    const out = new Uint8Array(24 + types.length * 4 + strs.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, le);
    out[2] = 1;
    v.setUint32(4, 24, le);
    v.setUint32(12, types.length * 4, le);
    v.setUint32(16, types.length * 4, le);
    v.setUint32(20, strs.length, le);
    types.forEach((x, i) => v.setUint32(24 + i * 4, x, le));
    out.set(strs, 24 + types.length * 4);
    return out;
  }

  function mapInMap(type: string): void {
    const inner = { type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 };
    using outer = BpfMap.create({ type, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner }, { key: u32Codec, value: u32Codec });
    using a = BpfMap.create(inner, { key: u32Codec, value: u32Codec });
    a.update(1, 99);
    outer.update(2, a.fd); // write: the inner map's fd
    const id = outer.lookup(2)!; // read: the inner map's id
    expect(id).toBe(a.id);
    using back = outer.innerMap(2)!;
    expect(back.lookupBytes(u32(1))).toEqual(u32(99));
    expect([...outer.entries()]).toEqual([[2, id]]);
    using wrong = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 });
    expect(() => outer.update(3, wrong.fd)).toThrow(/EINVAL/);
  }

  async function sockMap(type: string, key: number): Promise<void> {
    const s = await udpSocket();
    try {
      using m = BpfMap.create({ type, keySize: 4, valueSize: 8, maxEntries: 2 }, { key: u32Codec, value: u64Codec });
      m.update(key, BigInt(s.fd));
      // Lookup returns the socket cookie (8-byte values), not the fd.
      expect(m.lookup(key)).toBeGreaterThan(0n);
      expect([...m.keys()]).toContain(key);
      expect(m.delete(key)).toBe(true);
    } finally {
      s.socket.close();
    }
  }

  for (const t of mapTraits.values()) {
    it(`${t.name}: create, write, read back, iterate`, async () => {
      if (!probeMapType(t.type)) {
        // Unsupported by this kernel: creation must say so by name.
        expect(() => BpfMap.create({ type: t.type, keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/not supported by this kernel/);
        return;
      }
      const c = cases[t.name];
      expect(c, `no test case for supported map type '${t.name}'`).toBeDefined();
      await c!();
    });
  }
});
