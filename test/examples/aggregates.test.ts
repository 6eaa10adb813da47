/**
 * The examples that aggregate in the kernel (runqlat, syscalllat, biolatency, profile,
 * xdpcount): each runs as a child process while the test causes a known amount of the
 * traced activity, and what it prints at exit is checked against it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { histRows, runExample, sleep } from './run.js';

/** A perl process that waits for a line on stdin, then runs `script`. */
function perlAfterLine(script: string): ChildProcessWithoutNullStreams {
  return spawn('perl', ['-e', `<STDIN>; ${script}`]);
}

function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', () => resolve())));
}

/** pselect6, the syscall behind perl's 4-argument select. */
const PSELECT6: Partial<Record<NodeJS.Architecture, number>> = { x64: 270, arm64: 72 };

describeKernel('examples: in-kernel aggregation', () => {
  it('syscalllat counts exactly the syscalls of one process and number, in the right bucket', async () => {
    const nr = PSELECT6[process.arch];
    expect(nr, `pselect6 number for ${process.arch}`).toBeDefined();
    // 10 sleeps of 20 ms: 20000 us falls in [16384, 32767].
    const child = perlAfterLine('select(undef, undef, undef, 0.02) for 1..10;');
    try {
      const run = await runExample('syscalllat.ts', {
        args: ['--pid', String(child.pid), '--nr', String(nr)],
        ready: /Tracing/,
        trigger: async () => {
          child.stdin.end('go\n');
          await exited(child);
        },
      });
      const rows = histRows(run.stdout);
      expect(rows.reduce((a, r) => a + r.count, 0), run.stdout).toBe(10);
      // None shorter than the sleep; on a busy machine some take longer than 32 ms.
      for (const r of rows.filter((r) => r.count > 0)) expect(r.low, run.stdout).toBeGreaterThanOrEqual(16384);
      expect(run.stdout).toMatch(/total: 10\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('runqlat counts the run-queue waits of one process', async () => {
    // Each of the 20 sleeps ends with a wakeup and a wait for a CPU.
    const child = perlAfterLine('select(undef, undef, undef, 0.01) for 1..20;');
    try {
      const run = await runExample('runqlat.ts', {
        args: ['--pid', String(child.pid)],
        ready: /Tracing run queue latency of pid/,
        trigger: async () => {
          child.stdin.end('go\n');
          await exited(child);
        },
      });
      const rows = histRows(run.stdout);
      expect(rows[0]?.low, run.stdout).toBe(0);
      const total = rows.reduce((a, r) => a + r.count, 0);
      expect(total, run.stdout).toBeGreaterThanOrEqual(20);
      // A few more at most (wakeups while reading stdin, exit), never other processes' waits.
      expect(total, run.stdout).toBeLessThan(40);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('biolatency histograms direct writes on the disk that holds /var/tmp', async () => {
    const dir = mkdtempSync('/var/tmp/tsbpf-examples-');
    try {
      // The whole disk (requests are counted per disk, not per partition).
      const { dev } = statSync(dir);
      const sys = `/sys/dev/block/${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
      expect(existsSync(sys), `${dir} is not on a block device`).toBe(true);
      const disk = existsSync(`${sys}/partition`) ? basename(join(readlinkSync(sys), '..')) : basename(readlinkSync(sys));
      const run = await runExample('biolatency.ts', {
        ready: /Tracing block device I\/O/,
        trigger: () => execFileSync('dd', ['if=/dev/zero', `of=${dir}/f`, 'bs=4k', 'count=16', 'oflag=direct,sync'], { stdio: 'ignore' }),
      });
      const section = run.stdout.split(/\n(?=\ndisk = )/).find((s) => s.includes(`disk = ${disk}\n`));
      expect(section, run.stdout).toBeDefined();
      expect(histRows(section!).reduce((a, r) => a + r.count, 0)).toBeGreaterThanOrEqual(16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('profile samples a busy process and names its functions', async () => {
    const child = spawn('perl', ['-e', '$x = 0; $x++ while 1']);
    try {
      const run = await runExample('profile.ts', {
        args: ['--pid', String(child.pid), '--freq', '99'],
        ready: /Sampling on \d+ CPUs/,
        trigger: () => sleep(3000),
      });
      const lines = run.stdout.split('\n').slice(1).filter(Boolean);
      expect(lines.length, run.stdout).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^perl(;[^;]+)* \d+$/);
      const samples = lines.reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      // ~300 at 99 Hz over 3 s on an idle machine; far fewer when other work shares the CPUs.
      expect(samples).toBeGreaterThanOrEqual(3);
      // The interpreter's functions come from libperl's dynamic symbol table.
      expect(run.stdout).toMatch(/;Perl_\w+/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('xdpcount counts UDP packets sent to a veth in a network namespace', async () => {
    const id = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const [a, b] = [`tsbpfex-${id}-a`, `tsbpfex-${id}-b`];
    const [va, vb] = [`xa${id}`.slice(0, 15), `xb${id}`.slice(0, 15)];
    const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' });
    const sendUdp = (n: number): void => {
      const r = spawnSync('ip', ['netns', 'exec', b, 'bash', '-c', `for i in $(seq ${n}); do echo x > /dev/udp/10.211.7.1/9999; sleep 0.05; done`]);
      expect(r.status).toBe(0);
    };
    ip('netns', 'add', a);
    try {
      ip('netns', 'add', b);
      ip('link', 'add', va, 'type', 'veth', 'peer', 'name', vb);
      ip('link', 'set', va, 'netns', a);
      ip('link', 'set', vb, 'netns', b);
      ip('-n', a, 'addr', 'add', '10.211.7.1/24', 'dev', va);
      ip('-n', b, 'addr', 'add', '10.211.7.2/24', 'dev', vb);
      ip('-n', a, 'link', 'set', va, 'up');
      ip('-n', b, 'link', 'set', vb, 'up');
      sendUdp(1); // resolves the neighbour first, so every counted packet is one we send
      const run = await runExample('xdpcount.ts', {
        netns: a,
        args: ['--iface', va],
        ready: /Counting packets on/,
        trigger: async () => {
          sendUdp(5);
          await sleep(200);
        },
      });
      expect(run.stdout).toMatch(/\nUDP\s+5\n/);
    } finally {
      spawnSync('ip', ['netns', 'del', a]);
      spawnSync('ip', ['netns', 'del', b]);
    }
  });
});
