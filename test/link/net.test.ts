/**
 * Networking attachments on the real kernel: XDP and tcx links on one end of a veth pair
 * whose other end sits in a network namespace this test creates (addresses only on the
 * pair), sk_lookup in that namespace, a socket filter on a loopback socket, and typed
 * errors for missing interfaces. Everything created is removed in afterAll.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { AttachType, bind, LinkType, ProgType, socket } from '../../src/syscall/index.js';
import { AttachError, attachSkLookup, attachSocketFilter, attachTcx, attachXdp, FdLink, XdpFlags } from '../../src/link/index.js';
import { counter, type Counter } from './programs.js';

const tag = process.pid % 100000;
const NS = `tsbpf-link-${tag}`;
const HOST = `tsl${tag}a`;
const PEER = `tsl${tag}b`;
const NET = `10.213.${tag % 250}`;
const HOST_IP = `${NET}.1`;
const PEER_IP = `${NET}.2`;

function sh(...args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' });
}
/** One UDP datagram from inside the namespace to `ip` (bash's /dev/udp). */
function sendFromNs(ip: string, port = 9): void {
  sh('ip', 'netns', 'exec', NS, 'bash', '-c', `echo tsbpf > /dev/udp/${ip}/${port}`);
}
/** One UDP datagram from this namespace. */
function sendHere(ip: string, port = 9): void {
  sh('bash', '-c', `echo tsbpf > /dev/udp/${ip}/${port}`);
}

let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});
function track(c: Counter): Counter {
  open.push(c);
  return c;
}

describeKernel('netdev links (veth pair + test netns)', () => {
  beforeAll(() => {
    sh('ip', 'netns', 'add', NS);
    sh('ip', 'link', 'add', HOST, 'type', 'veth', 'peer', 'name', PEER, 'netns', NS);
    sh('ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST);
    sh('ip', 'link', 'set', HOST, 'up');
    sh('ip', '-n', NS, 'addr', 'add', `${PEER_IP}/30`, 'dev', PEER);
    sh('ip', '-n', NS, 'link', 'set', PEER, 'up');
    sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
  });
  afterAll(() => {
    try {
      sh('ip', 'link', 'del', HOST);
    } catch {
      // Already gone with the namespace.
    }
    sh('ip', 'netns', 'del', NS);
    expect(existsSync(`/run/netns/${NS}`)).toBe(false);
  });

  it('XDP link counts packets arriving from the namespace; close stops it', () => {
    const c = track(counter({ type: ProgType.XDP, name: 'xdp_cnt', expectedAttachType: AttachType.XDP, ret: 2 /* XDP_PASS */ }));
    const link = attachXdp(c.prog, HOST);
    expect(link).toBeInstanceOf(FdLink);
    const info = link.info();
    expect(info.type).toBe(LinkType.XDP);
    expect(info.ifindex).toBeGreaterThan(0);
    sendFromNs(HOST_IP);
    expect(c.count()).toBeGreaterThanOrEqual(1n);
    link.close();
    const before = c.count();
    sendFromNs(HOST_IP);
    expect(c.count()).toBe(before);
  });

  it('XDP in generic (skb) mode, and update() swaps the program', () => {
    const a = track(counter({ type: ProgType.XDP, name: 'xdp_a', expectedAttachType: AttachType.XDP, ret: 2 }));
    const b = track(counter({ type: ProgType.XDP, name: 'xdp_b', expectedAttachType: AttachType.XDP, ret: 2 }));
    using link = attachXdp(a.prog, HOST, { mode: XdpFlags.SKB_MODE });
    sendFromNs(HOST_IP);
    const aCount = a.count();
    expect(aCount).toBeGreaterThanOrEqual(1n);
    link.update(b.prog);
    sendFromNs(HOST_IP);
    expect(b.count()).toBeGreaterThanOrEqual(1n);
    expect(a.count()).toBe(aCount);
  });

  it('tcx ingress and egress links count their direction', () => {
    const i = track(counter({ type: ProgType.SCHED_CLS, name: 'tcx_in', expectedAttachType: AttachType.TCX_INGRESS }));
    const e = track(counter({ type: ProgType.SCHED_CLS, name: 'tcx_out', expectedAttachType: AttachType.TCX_EGRESS }));
    const li = attachTcx(i.prog, HOST, 'ingress');
    const le = attachTcx(e.prog, HOST, 'egress');
    expect(li.info().type).toBe(LinkType.TCX);
    expect(le.info().attachType).toBe(AttachType.TCX_EGRESS);
    sendFromNs(HOST_IP);
    expect(i.count()).toBeGreaterThanOrEqual(1n);
    const eBefore = e.count();
    sendHere(PEER_IP);
    expect(e.count()).toBeGreaterThan(eBefore);
    li.close();
    le.close();
    const [ib, eb] = [i.count(), e.count()];
    sendFromNs(HOST_IP);
    sendHere(PEER_IP);
    expect([i.count(), e.count()]).toEqual([ib, eb]);
  });

  it('sk_lookup link in the test namespace runs on UDP delivery there', () => {
    const c = track(counter({ type: ProgType.SK_LOOKUP, name: 'sk_lookup', expectedAttachType: AttachType.SK_LOOKUP, ret: 1 /* SK_PASS */ }));
    const link = attachSkLookup(c.prog, `/run/netns/${NS}`);
    expect(link.info().type).toBe(LinkType.NETNS);
    sendFromNs('127.0.0.1');
    expect(c.count()).toBeGreaterThanOrEqual(1n);
    link.close();
    const before = c.count();
    sendFromNs('127.0.0.1');
    expect(c.count()).toBe(before);
  });

  it('errors name the interface and the program', () => {
    const x = track(counter({ type: ProgType.XDP, name: 'xdp_err', expectedAttachType: AttachType.XDP, ret: 2 }));
    const t = track(counter({ type: ProgType.TRACEPOINT, name: 'tp_not_xdp' }));
    expect(() => attachXdp(x.prog, 'tsbpf-nodev0')).toThrow(AttachError);
    expect(() => attachXdp(x.prog, 'tsbpf-nodev0')).toThrow("xdp 'tsbpf-nodev0': no such network interface in this network namespace");
    expect(() => attachTcx(x.prog, 'tsbpf-nodev0', 'ingress')).toThrow(/program 'xdp_err' has type xdp; tcx\/ingress needs sched_cls/);
    expect(() => attachXdp(t.prog, HOST)).toThrow(`xdp '${HOST}': program 'tp_not_xdp' has type tracepoint; xdp needs xdp`);
    expect(() => attachXdp(x.prog, 99999)).toThrow(/xdp '99999': no such network interface/);
    expect(() => attachSkLookup(x.prog, '/run/netns/none')).toThrow(AttachError);
  });
});

function sockaddrIn(port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, 2, true); // AF_INET, host order (little-endian hosts)
  v.setUint16(2, port, false);
  b.set([127, 0, 0, 1], 4);
  return b;
}

describeKernel('socket filters', () => {
  it('SO_ATTACH_BPF on a loopback UDP socket sees our datagrams; close detaches', () => {
    const c = track(counter({ type: ProgType.SOCKET_FILTER, name: 'sock_cnt', ret: -1 }));
    using s = socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */);
    let port = 0;
    for (let i = 0; i < 20 && !port; i++) {
      const p = 40000 + Math.floor(Math.random() * 20000);
      try {
        bind(s.raw, sockaddrIn(p));
        port = p;
      } catch {
        // In use: try another.
      }
    }
    expect(port).toBeGreaterThan(0);
    const f = attachSocketFilter(c.prog, s.raw);
    sendHere('127.0.0.1', port);
    sendHere('127.0.0.1', port);
    expect(c.count()).toBe(2n);
    expect(() => f.pin('/sys/fs/bpf/x')).toThrow(/no bpf_link/);
    f.close();
    f.close();
    sendHere('127.0.0.1', port);
    expect(c.count()).toBe(2n);
  });
});
