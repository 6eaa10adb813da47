/**
 * cgroup links on the cgroup v2 hierarchy: a sock_create program counts sockets that a
 * process in a test cgroup opens; close stops it. Also sockmap program attachment.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { AttachType, hostLittleEndian, LinkType, MapType, ProgType } from '../../src/syscall/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { AttachError, attachCgroup, attachSockmap } from '../../src/link/index.js';
import { counter, type Counter } from './programs.js';

/** The cgroup v2 mount: /sys/fs/cgroup/unified on hybrid systems, else /sys/fs/cgroup. */
function cgroup2Root(): string {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  const line = mounts.find((l) => l.split(' ')[2] === 'cgroup2');
  if (!line) throw new Error('no cgroup2 mount');
  return line.split(' ')[1]!;
}

let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

describeKernel('cgroup links', () => {
  let dir = '';
  beforeAll(() => {
    dir = `${cgroup2Root()}/tsbpf-link-${process.pid}`;
    mkdirSync(dir);
  });
  afterAll(() => {
    // Empty once the child processes have exited.
    if (dir) rmdirSync(dir);
    expect(existsSync(dir)).toBe(false);
  });
  /** Runs a process inside the test cgroup that opens one UDP socket. */
  function socketInCgroup(): void {
    execFileSync('bash', ['-c', `echo $$ > ${dir}/cgroup.procs && exec 3<>/dev/udp/127.0.0.1/9`], { stdio: 'pipe' });
  }

  it('cgroup/sock_create counts sockets made inside the cgroup; close stops it', () => {
    const c = counter({ type: ProgType.CGROUP_SOCK, name: 'sock_create', expectedAttachType: AttachType.CGROUP_INET_SOCK_CREATE, ret: 1 });
    open.push(c);
    const link = attachCgroup(c.prog, dir);
    const info = link.info();
    expect(info.type).toBe(LinkType.CGROUP);
    expect(info.attachType).toBe(AttachType.CGROUP_INET_SOCK_CREATE);
    socketInCgroup();
    expect(c.count()).toBe(1n);
    // A socket made outside the cgroup (by this process) is not counted.
    execFileSync('bash', ['-c', 'exec 3<>/dev/udp/127.0.0.1/9']);
    expect(c.count()).toBe(1n);
    link.close();
    socketInCgroup();
    expect(c.count()).toBe(1n);
  });

  it('cgroup_skb/egress via an explicit attach type', () => {
    const c = counter({ type: ProgType.CGROUP_SKB, name: 'skb_egress', expectedAttachType: AttachType.CGROUP_INET_EGRESS, ret: 1 });
    open.push(c);
    using link = attachCgroup(c.prog, dir, AttachType.CGROUP_INET_EGRESS);
    execFileSync('bash', ['-c', `echo $$ > ${dir}/cgroup.procs && echo x > /dev/udp/127.0.0.1/9`], { stdio: 'pipe' });
    expect(c.count()).toBeGreaterThanOrEqual(1n);
    expect(link.kind).toBe('cgroup cgroup_inet_egress');
  });

  it('tsbpf link detach stops a cgroup link that a pin still holds', async () => {
    const c = counter({ type: ProgType.CGROUP_SOCK, name: 'sock_detach', expectedAttachType: AttachType.CGROUP_INET_SOCK_CREATE, ret: 1 });
    open.push(c);
    const path = `/sys/fs/bpf/tsbpf-link-cg-${process.pid}`;
    rmSync(path, { force: true });
    try {
      using link = attachCgroup(c.prog, dir);
      link.pin(path);
      socketInCgroup();
      expect(c.count()).toBe(1n);
      const r = await runCli(['link', 'detach', 'id', String(link.info().id), '--json']);
      expect(r).toEqual({ code: 0, out: 'null\n', err: '' });
      socketInCgroup();
      expect(c.count()).toBe(1n);
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('errors name the cgroup and the program', () => {
    const c = counter({ type: ProgType.CGROUP_SOCK, name: 'sock_err', expectedAttachType: AttachType.CGROUP_INET_SOCK_CREATE, ret: 1 });
    const t = counter({ type: ProgType.TRACEPOINT, name: 'tp_cg' });
    open.push(c, t);
    expect(() => attachCgroup(c.prog, '/sys/fs/cgroup/no-such-cgroup')).toThrow("cgroup cgroup_inet_sock_create '/sys/fs/cgroup/no-such-cgroup': no such cgroup directory");
    expect(() => attachCgroup(t.prog, dir, AttachType.CGROUP_INET_EGRESS)).toThrow(AttachError);
    expect(() => attachCgroup(t.prog, dir, AttachType.CGROUP_INET_EGRESS)).toThrow(/program 'tp_cg' has type tracepoint/);
  });
});

/** A connected loopback TCP pair; the fds come from libuv's handles (Linux only, test use). */
async function tcpPair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const server = await accepted;
  return {
    client,
    server,
    close() {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}
function rawFd(s: Socket): number {
  return (s as unknown as { _handle: { fd: number } })._handle.fd;
}

describeKernel('sockmap attachments', () => {
  it('an sk_msg verdict program runs on sendmsg from a socket in the map; close stops it', async () => {
    using m = BpfMap.create({ type: MapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 2, name: 'msgsocks' });
    const c = counter({ type: ProgType.SK_MSG, name: 'msg_cnt', expectedAttachType: AttachType.SK_MSG_VERDICT, ret: 1 /* SK_PASS */ });
    open.push(c);
    const pair = await tcpPair();
    try {
      const link = attachSockmap(c.prog, m.fd);
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, rawFd(pair.client), hostLittleEndian);
      m.updateBytes(new Uint8Array(4), v);
      const got = new Promise<Buffer>((r) => pair.server.once('data', r));
      pair.client.write('hello');
      expect((await got).toString()).toBe('hello');
      expect(c.count()).toBeGreaterThanOrEqual(1n);
      link.close();
      // A socket added after detaching gets no verdict program.
      m.delete(new Uint8Array(4));
      new DataView(v.buffer).setUint32(0, rawFd(pair.server), hostLittleEndian);
      m.updateBytes(new Uint8Array([1, 0, 0, 0]), v);
      const before = c.count();
      const back = new Promise<Buffer>((r) => pair.client.once('data', r));
      pair.server.write('again');
      expect((await back).toString()).toBe('again');
      expect(c.count()).toBe(before);
    } finally {
      pair.close();
    }
  });


  it('sk_msg and sk_skb verdict programs attach to a sockmap and detach on close', () => {
    using m = BpfMap.create({ type: MapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 4, name: 'socks' });
    const msg = counter({ type: ProgType.SK_MSG, name: 'msg_v', expectedAttachType: AttachType.SK_MSG_VERDICT, ret: 1 });
    const skb = counter({ type: ProgType.SK_SKB, name: 'skb_v', expectedAttachType: AttachType.SK_SKB_STREAM_VERDICT, ret: 1 });
    open.push(msg, skb);
    const a = attachSockmap(msg.prog, m.fd);
    const b = attachSockmap(skb.prog, m.fd);
    expect(a.closed).toBe(false);
    a.close();
    b.close();
    // Detached: attaching again works (an attached verdict program would make this EBUSY on old kernels).
    attachSockmap(msg.prog, m.fd).close();
    expect(() => attachSockmap(skb.prog, m.fd, AttachType.SK_MSG_VERDICT)).toThrow(/needs an attach type of/);
  });
});
