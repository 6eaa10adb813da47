/**
 * `tsbpf run` end to end on the bundled examples: the CLI runs as a child process (as a user
 * runs it), the test causes the traced activity itself (an exec, an open, a signal, a TCP
 * connect, system calls, packets), then stops the run with SIGINT and checks that the
 * decoded events, histograms and counters it printed are the ones it caused, in the table
 * and in `--json`.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { fixturePath, repoRoot } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const examplePath = (name: string) => join(repoRoot, 'examples', 'bpf', `${name}.bpfel.o`);
const work = mkdtempSync(join(tmpdir(), 'tsbpf-run-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The CLI bundled once, as `npm run build` makes dist/cli.js: a child starts in a second,
// where tsx would transpile every module of src/ for each run.
const cli = join(work, 'cli.js');
beforeAll(async () => {
  await build({ entryPoints: [join(repoRoot, 'src/cli/main.ts')], outfile: cli, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['koffi'], logLevel: 'warning' });
  writeFileSync(join(work, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'));
});

/** `tsbpf ARGS` run to its end. */
function tsbpf(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

interface Finished {
  code: number | null;
  out: string;
  err: string;
}

interface Running {
  child: ChildProcess;
  /** Resolves once the run says it is waiting (everything attached). */
  ready: Promise<void>;
  /** SIGINT (Ctrl-C), then the output. */
  stop(): Promise<Finished>;
  /** The exit, without sending anything. */
  finished: Promise<Finished>;
}

/** Starts `tsbpf run ARGS` as a child process, optionally inside a network namespace. */
function startRun(args: string[], netns?: string): Running {
  const node = [process.execPath, cli, 'run', ...args];
  const [cmd, ...argv] = netns ? ['ip', 'netns', 'exec', netns, ...node] : node;
  const child = spawn(cmd!, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (/^waiting for /m.test(err)) onReady();
  });
  const finished = new Promise<Finished>((res) => {
    child.on('exit', (code) => {
      onFail(new Error(`tsbpf run exited (${code}) before it was ready:\n${err}`));
      // stdout/stderr may still hold data after 'exit': wait for 'close'.
      child.on('close', () => res({ code, out, err }));
    });
  });
  return {
    child,
    ready,
    finished,
    stop: async () => {
      // Give the last records a moment to reach the ring (they are drained at exit anyway).
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGINT');
      return finished;
    },
  };
}

/** A copy of /bin/true with a unique name (a unique `comm`, up to 15 characters). */
function uniqueTrue(prefix: string): string {
  const name = `${prefix}${process.pid % 10000}${Math.floor(Math.random() * 1000)}`.slice(0, 15);
  const path = join(work, name);
  copyFileSync('/bin/true', path);
  execFileSync('chmod', ['+x', path]);
  return path;
}

const jsonLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

/** Sum of the counts of bpftrace-style histogram rows (`[4, 8)   12 |@@@|`). */
const bucketSum = (out: string) => [...out.matchAll(/^\[[^\]]*?[\])] +(\d+) \|/gm)].reduce((a, m) => a + Number(m[1]), 0);

/**
 * A child node process that waits for a line on stdin, then calls getppid(2) `n` times
 * (process.ppid is libuv's uv_os_getppid, one system call per read) and exits.
 */
function getppidCaller(n: number): ChildProcess {
  const code = `process.stdin.once('data', () => { let x = 0; for (let i = 0; i < ${n}; i++) x += process.ppid; process.exit(x > 0 ? 0 : 1); });`;
  return spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'ignore', 'inherit'] });
}
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.on('exit', () => r())));
const SYS_getppid = 110; // x86_64

describeKernel('tsbpf run on the bundled examples', () => {
  it('execsnoop: prints each exec with its pid and command, as a table and as JSON', async () => {
    const bin = uniqueTrue('tsbx');
    const comm = bin.split('/').pop()!;
    for (const json of [false, true]) {
      const run = startRun([examplePath('execsnoop'), ...(json ? ['--json'] : []), '--duration', '60']);
      await run.ready;
      const pids = [1, 2, 3].map(() => spawnSync(bin).pid!);
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/^attached handle_exec: tracepoint sched\/sched_process_exec$/m);
      expect(r.err).toMatch(/^summary: \d+ events \(events: \d+\)$/m);
      if (!json) {
        expect(r.out).toMatch(/^TIME +PID +PPID +UID +COMM +FILENAME$/m);
        for (const pid of pids) expect(r.out).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${pid} +\\d+ +0 +${comm} +${bin}$`, 'm'));
      } else {
        const mine = jsonLines(r.out).filter((l) => l.data.comm === comm);
        expect(mine.map((l) => l.data.pid)).toEqual(pids);
        expect(mine[0]).toMatchObject({ type: 'event', map: 'events', data: { uid: 0, filename: bin } });
      }
    }
  });

  it('records a run, and replay prints exactly what the run printed', async () => {
    const bin = uniqueTrue('tsbr');
    const rec = join(work, 'exec.rec');
    const run = startRun([examplePath('execsnoop'), '--record', rec, '--duration', '60']);
    await run.ready;
    spawnSync(bin);
    const r = await run.stop();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(bin);
    const replay = tsbpf(['replay', rec]);
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toBe(r.out);
    expect(replay.stderr.trim()).toBe(r.err.trim().split('\n').at(-1));
  });

  it('opensnoop: prints opened paths with errno names; --set targ_pid keeps one process', async () => {
    const missing = join(work, `missing-${process.pid}`);
    for (const json of [false, true]) {
      const run = startRun([examplePath('opensnoop'), ...(json ? ['--json'] : []), '--duration', '60']);
      await run.ready;
      expect(() => openSync(missing, 'r')).toThrow();
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      if (!json) {
        expect(r.out).toMatch(/^TIME +PID +UID +RET +FLAGS +COMM +FNAME$/m);
        expect(r.out).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${process.pid} +0 +-2 ENOENT +\\d+ +\\S+ +${missing}$`, 'm'));
      } else {
        const mine = jsonLines(r.out).filter((l) => l.data.fname === missing);
        expect(mine).toHaveLength(1);
        expect(mine[0]!.data).toMatchObject({ pid: process.pid, ret: -2, uid: 0 });
      }
    }

    // The parameter filters in the kernel: only the child's open shows, not this process's.
    const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { try { require('fs').openSync(${JSON.stringify(missing + '-child')}, 'r'); } catch {} process.exit(0); });`], { stdio: ['pipe', 'ignore', 'inherit'] });
    const run = startRun([examplePath('opensnoop'), '--set', `targ_pid=${child.pid}`, '--json', '--duration', '60']);
    await run.ready;
    expect(() => openSync(missing, 'r')).toThrow();
    child.stdin!.end('go\n');
    await exited(child);
    const r = await run.stop();
    expect(r.code, r.err).toBe(0);
    const events = jsonLines(r.out);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((l) => l.data.pid === child.pid)).toBe(true);
    expect(events.map((l) => l.data.fname)).toContain(missing + '-child');
    expect(events.map((l) => l.data.fname)).not.toContain(missing);
  });

  it('exitsnoop: prints exit codes and the signal that killed a process', async () => {
    for (const json of [false, true]) {
      const run = startRun([examplePath('exitsnoop'), ...(json ? ['--json'] : []), '--duration', '60']);
      await run.ready;
      const code3 = spawnSync('sh', ['-c', 'exit 3']).pid!;
      const victim = spawn('sleep', ['30']);
      victim.kill('SIGKILL');
      await exited(victim);
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      if (!json) {
        expect(r.out).toMatch(/^TIME +AGE_NS +PID +PPID +EXIT_CODE +SIG +COMM$/m);
        expect(r.out).toMatch(new RegExp(`^\\S+ +\\S+ +${code3} +\\d+ +3 +0 +sh$`, 'm'));
        expect(r.out).toMatch(new RegExp(`^\\S+ +\\S+ +${victim.pid} +${process.pid} +0 +SIGKILL +sleep$`, 'm'));
      } else {
        const byPid = new Map(jsonLines(r.out).map((l) => [l.data.pid, l.data]));
        expect(byPid.get(code3)).toMatchObject({ exit_code: 3, sig: 0, comm: 'sh' });
        expect(byPid.get(victim.pid)).toMatchObject({ exit_code: 0, sig: 9, ppid: process.pid, comm: 'sleep' });
      }
    }
  });

  it('sigsnoop: prints signals from a perf event array', async () => {
    for (const json of [false, true]) {
      const run = startRun([examplePath('sigsnoop'), ...(json ? ['--json'] : []), '--set', 'targ_sig=10', '--duration', '60']);
      await run.ready;
      const target = spawn('sleep', ['30']);
      await new Promise((r) => setTimeout(r, 100));
      target.kill('SIGUSR1');
      await exited(target);
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      if (!json) {
        expect(r.out).toMatch(/^TIME +PID +TPID +SIG +RESULT +COMM +TCOMM$/m);
        // A perf buffer counts what it lost; a ring buffer cannot.
        expect(r.err).toMatch(/^summary: \d+ events? \(events: \d+\), 0 lost$/m);
        expect(r.out).toMatch(new RegExp(`^\\S+ +${process.pid} +${target.pid} +SIGUSR1 +0 +\\S+ +sleep$`, 'm'));
        // targ_sig=10 filters in the kernel: no other signal shows.
        expect(r.out).not.toMatch(/ SIG(?!USR1)[A-Z]+ /);
      } else {
        const mine = jsonLines(r.out).filter((l) => l.data.tpid === target.pid);
        expect(mine).toEqual([expect.objectContaining({ type: 'event', map: 'events', data: expect.objectContaining({ pid: process.pid, sig: 10, tcomm: 'sleep' }) })]);
      }
    }
  });

  it('tcpconnect: prints IPv4 and IPv6 connects with addresses and ports', async () => {
    const { connect } = await import('node:net');
    const port = 40000 + (process.pid % 20000);
    const tryConnect = (host: string) =>
      new Promise<void>((r) => {
        const s = connect(port, host);
        s.on('error', () => r());
        s.on('connect', () => (s.destroy(), r()));
      });
    for (const json of [false, true]) {
      const run = startRun([examplePath('tcpconnect'), ...(json ? ['--json'] : []), '--targ_dport', String(port), '--duration', '60']);
      await run.ready;
      await tryConnect('127.0.0.1');
      await tryConnect('::1');
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      if (!json) {
        expect(r.out).toMatch(/^TIME +PID +UID +FAMILY +DPORT +SADDR +DADDR +COMM$/m);
        expect(r.out).toMatch(new RegExp(`^\\S+ +${process.pid} +0 +AF_INET +${port} +127\\.0\\.0\\.1 +127\\.0\\.0\\.1 +\\S+$`, 'm'));
        expect(r.out).toMatch(new RegExp(`^\\S+ +${process.pid} +0 +AF_INET6 +${port} +::1 +::1 +\\S+$`, 'm'));
      } else {
        expect(jsonLines(r.out).map((l) => [l.data.family, l.data.dport, l.data.daddr])).toEqual([
          [2, port, '127.0.0.1'],
          [10, port, '::1'],
        ]);
      }
    }
  });

  it('syscalllat: the histogram buckets add up to the system calls the test made', async () => {
    for (const [json, n] of [
      [false, 25],
      [true, 7],
    ] as const) {
      const child = getppidCaller(n);
      const run = startRun([examplePath('syscalllat'), ...(json ? ['--json'] : []), '--targ_pid', String(child.pid), '--set', `targ_nr=${SYS_getppid}`, '--duration', '60']);
      await run.ready;
      child.stdin!.end('go\n');
      await exited(child);
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      if (!json) {
        expect(r.out).toMatch(/^@usecs:$/m);
        expect(bucketSum(r.out)).toBe(n);
      } else {
        const [h] = jsonLines(r.out).filter((l) => l.type === 'hist');
        expect(h).toMatchObject({ map: 'hist_usecs', unit: 'usecs', final: true, total: n });
        expect(h!.buckets.reduce((a: number, b: { count: number }) => a + b.count, 0)).toBe(n);
      }
    }
  });

  it('runqlat: prints the scheduler latency histogram at each interval and at exit, in both styles', async () => {
    const run = startRun([examplePath('runqlat'), '--interval', '1', '--duration', '60']);
    await run.ready;
    await new Promise((r) => setTimeout(r, 1300));
    const r = await run.stop();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^\d\d:\d\d:\d\d\n@usecs:\n\[/m); // the interval print
    expect(r.out.match(/^@usecs:$/gm)!.length).toBeGreaterThanOrEqual(2);
    expect(bucketSum(r.out)).toBeGreaterThan(0);
    const bcc = startRun([examplePath('runqlat'), '--hist-style', 'bcc', '--duration', '60']);
    await bcc.ready;
    const b = await bcc.stop();
    expect(b.out).toMatch(/^ {5}usecs {15}: count {4}distribution\n {9}0 -> 1 {10}: \d+ +\|[* ]{40}\|$/m);
  });

  it('biolatency: prints a histogram per disk for direct writes', async () => {
    const run = startRun([examplePath('biolatency'), '--duration', '60']);
    await run.ready;
    const file = `/var/tmp/tsbpf-run-bio-${process.pid}`;
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=4k', 'count=16', 'oflag=direct,sync'], { stdio: 'ignore' });
    } finally {
      rmSync(file, { force: true });
    }
    const r = await run.stop();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^@usecs\[\d+\]:$/m);
    expect(bucketSum(r.out)).toBeGreaterThanOrEqual(16);
  });

  it('hello: shows bpf_printk output from trace_pipe', async () => {
    const bin = uniqueTrue('tsbh');
    for (const json of [false, true]) {
      const run = startRun([examplePath('hello'), ...(json ? ['--json'] : []), '--duration', '60']);
      await run.ready;
      spawnSync(bin);
      await new Promise((r) => setTimeout(r, 300)); // trace_pipe is read every 100 ms
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      if (!json) expect(r.out).toMatch(new RegExp(`bpf_trace_printk: Hello, World! \\S+ runs ${bin}$`, 'm'));
      else expect(jsonLines(r.out).filter((l) => l.type === 'printk').map((l) => l.msg)).toContainEqual(expect.stringMatching(new RegExp(`^Hello, World! \\S+ runs ${bin}$`)));
    }
  });

  it('xdpcount: counts packets by IP protocol on an interface given with --iface', async () => {
    const ns = `tsbpf-run-${process.pid}`;
    const [host, peer] = [`tsbr${process.pid % 100000}a`, `tsbr${process.pid % 100000}b`];
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
    ip('netns', 'add', ns);
    try {
      ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'netns', ns);
      ip('addr', 'add', '10.203.0.1/24', 'dev', host);
      ip('link', 'set', host, 'up');
      ip('-n', ns, 'addr', 'add', '10.203.0.2/24', 'dev', peer);
      ip('-n', ns, 'link', 'set', peer, 'up');
      for (const json of [false, true]) {
        const run = startRun([examplePath('xdpcount'), '--iface', peer, ...(json ? ['--json'] : []), '--duration', '60'], ns);
        await run.ready;
        const { createSocket } = await import('node:dgram');
        const sock = createSocket('udp4');
        for (let i = 0; i < 5; i++) await new Promise<void>((r) => sock.send('x', 9, '10.203.0.2', () => r()));
        sock.close();
        const r = await run.stop();
        expect(r.code, r.err).toBe(0);
        expect(r.err).toMatch(new RegExp(`^attached xdp_count: xdp on interface ${peer}$`, 'm'));
        if (!json) {
          expect(r.out).toMatch(/^@packets:\nKEY +VALUE$/m);
          expect(r.out).toMatch(/^17 +5$/m); // UDP
        } else {
          const [c] = jsonLines(r.out).filter((l) => l.type === 'counters');
          expect(c!.entries).toContainEqual({ key: 17, value: 5 });
        }
      }
    } finally {
      try {
        ip('link', 'del', host);
      } catch {
        // gone with the namespace
      }
      ip('netns', 'del', ns);
    }
  });
});

describeKernel('tsbpf run load errors', () => {
  it('explains a verifier rejection with the C line and exits 1', async () => {
    const r = await runCli(['run', fixturePath('verifier_null_deref'), '--iface', 'lo', '--duration', '1']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^Error: program 'err_null_deref': \S*verifier_null_deref\.bpf\.c:\d+:\d+: pointer may be NULL: /);
  });
});

describeKernel('tsbpf run targets', () => {
  it('attaches a tcx program to the interface --iface names, and only the --only program', async () => {
    const ns = `tsbpf-run-tcx-${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const run = startRun([fixturePath('sections'), '--only', 'tcx_ingress', '--only', 'tcx_egress', '--iface', 'lo', '--duration', '60'], ns);
      await run.ready;
      const r = await run.stop();
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/^loaded 'sections': 2 programs, /m);
      expect(r.err).toMatch(/^attached tcx_ingress: tcx ingress on interface lo$/m);
      expect(r.err).toMatch(/^attached tcx_egress: tcx egress on interface lo$/m);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('--dry-run says which programs this kernel refuses, and why', async () => {
    const r = await runCli(['run', fixturePath('sections'), '--dry-run', '--iface', 'lo']);
    expect(r.code).toBe(0);
    // Trampoline programs under lockdown (this machine's kernel), kprobes missing: see the guide.
    expect(r.out).toMatch(/^ {2}fentry_unlink \(fentry\/do_unlinkat\) -> fentry do_unlinkat\n {6}this kernel refuses it: .*lockdown/m);
    expect(r.out).toMatch(/^ {2}kprobe_unlink \(kprobe\/do_unlinkat\) -> kprobe do_unlinkat\n {6}this kernel cannot: .*CONFIG_KPROBES/m);
    expect(r.out).toMatch(/^ {2}socket_filter \(socket\) -> not attached: 'socket' programs are not attached by tsbpf run$/m);
  });
});

describeKernel('tsbpf run with perf events', () => {
  it('profile: samples a process on every CPU and prints its symbolised kernel and user stacks', async () => {
    const dd = spawn('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1k']);
    try {
      for (const json of [false, true]) {
        const run = startRun([examplePath('profile'), '--targ_pid', String(dd.pid), '--freq', '199', ...(json ? ['--json'] : []), '--duration', '60']);
        await run.ready;
        await new Promise((r) => setTimeout(r, 1200));
        const r = await run.stop();
        expect(r.code, r.err).toBe(0);
        expect(r.err).toMatch(/^attached do_sample: perf_event cpu-clock at 199 Hz on every CPU$/m);
        if (!json) {
          expect(r.out).toMatch(new RegExp(`^ {4}- {16}dd \\(${dd.pid}\\)\\n {8}\\d+$`, 'm'));
          // dd lives in read(2)/write(2): kernel frames from kallsyms, `--`, then libc's from its ELF symbols.
          expect(r.out).toMatch(/^ {4}entry_SYSCALL_64_after_hwframe\n {4}--\n {4}\S+/m);
          // --targ_pid filters in the kernel: every sample is dd's.
          expect(new Set([...r.out.matchAll(/^ {4}- {16}\S+ \((\d+)\)$/gm)].map((m) => Number(m[1])))).toEqual(new Set([dd.pid]));
        } else {
          const [st] = jsonLines(r.out).filter((l) => l.type === 'stacks');
          expect(st!.samples.length).toBeGreaterThan(0);
          expect(st!.samples.every((x: { pid: number; comm: string }) => x.pid === dd.pid && x.comm === 'dd')).toBe(true);
          expect(st!.samples.flatMap((x: { kernel: string[] }) => x.kernel)).toContain('entry_SYSCALL_64_after_hwframe');
          expect(st!.samples.reduce((a: number, x: { count: number }) => a + x.count, 0)).toBeGreaterThan(0);
        }
      }
    } finally {
      dd.kill('SIGKILL');
      await exited(dd);
    }
  });
});

describeKernel('tsbpf run with uprobes', () => {
  describeWithTool('bashreadline (needs a terminal for bash)', ['python3', 'bash'], () => {
    it('prints the lines an interactive bash reads', async () => {
      const line = `echo tsbpf-readline-${process.pid}`;
      // bash calls readline() only on a terminal: python's pty gives it one.
      const py = `import os, pty, time
pid, fd = pty.fork()
if pid == 0:
    os.execv('/bin/bash', ['bash', '--norc', '--noprofile', '-i'])
os.write(fd, b${JSON.stringify(line + '\n')} + b'exit\\n')
try:
    while os.read(fd, 1024): pass
except OSError:
    pass
os.waitpid(pid, 0)`;
      for (const json of [false, true]) {
        const run = startRun([examplePath('bashreadline'), ...(json ? ['--json'] : []), '--duration', '60']);
        await run.ready;
        execFileSync('python3', ['-c', py], { stdio: 'ignore', timeout: 20_000 });
        const r = await run.stop();
        expect(r.code, r.err).toBe(0);
        expect(r.err).toMatch(/^attached bash_readline: uretprobe \/bin\/bash:readline$/m);
        if (!json) expect(r.out).toMatch(new RegExp(`^\\S+ +\\d+ +bash +${line}$`, 'm'));
        else expect(jsonLines(r.out).map((l) => l.data)).toContainEqual(expect.objectContaining({ comm: 'bash', line }));
      }
    });
  });
});
