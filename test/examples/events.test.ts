/**
 * The event-printing examples (execsnoop, opensnoop, exitsnoop, sigsnoop, tcpconnect,
 * bashreadline, hello), each run as a child process while the test causes what it traces.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { runExample, sleep } from './run.js';

describeKernel('examples: event tracers', () => {
  let dir: string;
  let tag: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbpf-examples-'));
    tag = `tsbex${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A uniquely named command (a symlink to /bin/true): its comm and path are ours alone. */
  function uniqueCommand(): string {
    const p = join(dir, tag);
    try {
      symlinkSync('/bin/true', p);
    } catch {
      // made by an earlier test
    }
    return p;
  }

  it('execsnoop prints the exec of a command with its pid, parent and path', async () => {
    const cmd = uniqueCommand();
    let pid = 0;
    const run = await runExample('execsnoop.ts', {
      ready: /FILENAME/,
      trigger: () => (pid = spawnSync(cmd).pid!),
      until: new RegExp(`${tag}\\n`),
    });
    const line = run.stdout.split('\n').find((l) => l.endsWith(cmd));
    expect(line, run.stdout).toBeDefined();
    expect(line!.split(/\s+/).slice(1, 4)).toEqual([tag.slice(0, 15), String(pid), String(process.pid)]);
  });

  it('opensnoop prints our opens only (targ_pid) with fds and errors', async () => {
    const missing = join(dir, `${tag}-missing`);
    const run = await runExample('opensnoop.ts', {
      args: ['--pid', String(process.pid)],
      ready: /PATH/,
      trigger: () => {
        expect(() => readFileSync(missing)).toThrow();
        readFileSync('/etc/hostname');
      },
      until: /\/etc\/hostname\n/,
    });
    const lines = run.stdout.split('\n').slice(1).filter(Boolean);
    const failed = lines.find((l) => l.endsWith(missing));
    expect(failed, run.stdout).toMatch(new RegExp(`^\\S+\\s+${process.pid} .* -1 ENOENT\\s+${missing}$`));
    expect(lines.find((l) => l.endsWith(' /etc/hostname'))).toMatch(/ (\d+) 0\s+\/etc\/hostname$/);
    for (const l of lines) expect(l.split(/\s+/)[1]).toBe(String(process.pid));
  });

  it('exitsnoop prints exit codes and fatal signals', async () => {
    let codePid = 0;
    let killedPid = 0;
    const run = await runExample('exitsnoop.ts', {
      ready: /EXIT/,
      trigger: async () => {
        codePid = spawnSync('sh', ['-c', 'exit 3']).pid!;
        const child = spawn('sleep', ['30']);
        killedPid = child.pid!;
        await sleep(100);
        child.kill('SIGKILL');
      },
      until: /signal 9 \(SIGKILL\)/,
    });
    expect(run.stdout).toMatch(new RegExp(`\\ssh\\s+${codePid}\\s+${process.pid}\\s+[\\d.]+\\s+code 3\\n`));
    expect(run.stdout).toMatch(new RegExp(`\\ssleep\\s+${killedPid}\\s+${process.pid}\\s+[\\d.]+\\s+signal 9 \\(SIGKILL\\)\\n`));
  });

  it('sigsnoop prints a signal we send, filtered by sender and signal', async () => {
    let target = 0;
    const run = await runExample('sigsnoop.ts', {
      args: ['--pid', String(process.pid), '--sig', '10'],
      ready: /RESULT/,
      trigger: async () => {
        const child = spawn('sleep', ['30']);
        target = child.pid!;
        await sleep(100);
        child.kill('SIGTERM'); // filtered out: not signal 10
        const other = spawn('sleep', ['30']);
        await sleep(100);
        process.kill(other.pid!, 'SIGUSR1');
        target = other.pid!;
      },
      until: /SIGUSR1/,
    });
    const lines = run.stdout.split('\n').slice(1).filter(Boolean);
    expect(lines, run.stdout).toHaveLength(1);
    expect(lines[0]!.split(/\s+/).slice(1)).toEqual([String(process.pid), expect.any(String), 'SIGUSR1', String(target), 'sleep', 'delivered']);
  });

  it('tcpconnect prints IPv4 and IPv6 connects with addresses and ports', async () => {
    const listen = (host: string): Promise<Server> =>
      new Promise((resolve, reject) => {
        const s = createServer((c) => c.destroy()).listen(0, host, () => resolve(s));
        s.on('error', reject);
      });
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    const port = (s: Server): number => (s.address() as { port: number }).port;
    const dial = (host: string, p: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const c = connect(p, host, () => {
          c.destroy();
          resolve();
        });
        c.on('error', reject);
      });
    try {
      const run = await runExample('tcpconnect.ts', {
        args: ['--pid', String(process.pid)],
        ready: /DPORT/,
        trigger: async () => {
          await dial('127.0.0.1', port(v4));
          await dial('::1', port(v6));
        },
        until: /::1 .*\n/,
      });
      const pid = String(process.pid);
      expect(run.stdout).toMatch(new RegExp(`\\s${pid} \\S+\\s+4\\s+127\\.0\\.0\\.1\\s+127\\.0\\.0\\.1\\s+${port(v4)}\\n`));
      expect(run.stdout).toMatch(new RegExp(`\\s${pid} \\S+\\s+6\\s+::1\\s+::1\\s+${port(v6)}\\n`));
    } finally {
      v4.close();
      v6.close();
    }
  });

  it('bashreadline prints a line typed into an interactive bash', async () => {
    const marker = `echo ${tag}-readline`;
    let pid = 0;
    const run = await runExample('bashreadline.ts', {
      ready: /COMMAND/,
      // bash -i reads its commands with readline even from a pipe.
      trigger: () => (pid = spawnSync('/bin/bash', ['--norc', '--noprofile', '-i'], { input: `${marker}\nexit\n`, env: { PATH: process.env.PATH, HOME: dir, TERM: 'dumb' } }).pid!),
      until: new RegExp(`${marker}\\n`),
    });
    expect(run.stdout).toMatch(new RegExp(`\\s${pid}  ${marker}\\n`));
  });

  it('hello shows its bpf_printk lines from a tracing instance of its own', async () => {
    const cmd = uniqueCommand();
    const run = await runExample('hello.ts', {
      ready: /Attached 1 program/,
      trigger: () => spawnSync(cmd),
      until: new RegExp(`bpf_trace_printk: Hello, World! \\S+ runs ${cmd}\\n`),
    });
    expect(run.code).toBe(0);
    expect(spawnSync('ls', ['/sys/kernel/tracing/instances']).stdout.toString()).not.toMatch(/tsbpf-hello-/);
  });
});
