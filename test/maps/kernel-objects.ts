/**
 * Kernel objects the map tests put into fd-valued maps: a program, a perf event, sockets,
 * a cgroup directory fd, a pidfd.
 */
import { closeSync, openSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { returnImm } from '../../src/features/insns.js';
import { bind, Fd, hostLittleEndian, perfEventOpen, progLoad, ProgType, socket } from '../../src/syscall/index.js';

/** Loads `r0 = 0; exit` as a program of `type`. */
export function loadTrivialProg(type: number = ProgType.SOCKET_FILTER): Fd {
  return progLoad({ prog_type: type, insns: returnImm(0), license: 'GPL' });
}

/** A software perf event (PERF_COUNT_SW_DUMMY) on CPU `cpu`, any process. */
export function dummyPerfEvent(cpu = 0): Fd {
  const attr = new Uint8Array(128);
  const v = new DataView(attr.buffer);
  v.setUint32(0, 1, true); // type = PERF_TYPE_SOFTWARE
  v.setUint32(4, 128, true); // size
  v.setBigUint64(8, 9n, true); // config = PERF_COUNT_SW_DUMMY
  return perfEventOpen(attr, -1, cpu);
}

/** A UDP socket bound to 127.0.0.1 (an ephemeral port) and its fd; close `socket` when done. */
export async function udpSocket(): Promise<{ socket: { close(): void }; fd: number }> {
  const sock = socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */);
  try {
    // struct sockaddr_in: sin_family (host order), sin_port 0 (any), sin_addr 127.0.0.1
    const sin = new Uint8Array(16);
    new DataView(sin.buffer).setUint16(0, 2, hostLittleEndian);
    sin.set([127, 0, 0, 1], 4);
    bind(sock.raw, sin);
  } catch (e) {
    sock.close();
    throw e;
  }
  return { socket: sock, fd: sock.raw };
}

/** Where cgroup v2 is mounted (`/sys/fs/cgroup` or `/sys/fs/cgroup/unified` on hybrid systems). */
export function cgroup2Path(): string {
  const line = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  if (!line) throw new Error('cgroup v2 is not mounted');
  return line.split(' ')[1]!;
}

/** An O_RDONLY fd of the cgroup v2 root (closed with closeSync). */
export function cgroupFd(): number {
  return openSync(cgroup2Path(), constants.O_RDONLY | constants.O_DIRECTORY);
}

export { closeSync };

/** Mounts bpffs at /sys/fs/bpf when it is not mounted (needs root). */
export function ensureBpffs(): void {
  const mounted = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf');
  if (!mounted && existsSync('/sys/fs/bpf')) execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
}
