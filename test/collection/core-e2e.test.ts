/**
 * CO-RE end to end (issue 7): a program compiled against a hand-written, partial
 * `struct task_struct` is relocated against the running kernel, loaded, attached to a real
 * tracepoint, and reads pid, tgid, comm, real_parent->tgid and a bitfield of a process the
 * test starts; every value is checked against what /proc (and chrt) say of that process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { loadCollection } from '../../src/collection/index.js';
import { attachTracepoint } from '../../src/link/index.js';
import { parseObject } from '../../src/object/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { describeKernel, describeWithTool } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeKernel('CO-RE failures on the real kernel', () => {
  it('a reached poisoned relocation fails the load naming the relocation, the access, the reason and the C line', () => {
    // core.bpf.c reads 'struct bits', which the kernel does not have, without a guard.
    let err: unknown;
    try {
      loadCollection(parseObject(readFixture('core'), { fileName: 'core.bpfel.o' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    const [first, second] = (err as Error).message.split('\n');
    expect(first).toMatch(/^program 'core_reads': relocation #\d+ \(insn #\d+, core\.bpf\.c:\d+\): <byte_off> 'bits\.b': poisoned: .*no type named 'bits'/);
    expect(second).toMatch(/core\.bpf\.c:\d+:\d+: CO-RE relocation failed/);
  });
});

describeKernel('CO-RE end to end on a tracepoint', () => {
  describeWithTool('with chrt (util-linux)', ['chrt'], () => {
    for (const resetOnFork of [false, true]) {
      it(`reads pid, tgid, comm, real_parent->tgid and sched_reset_on_fork=${Number(resetOnFork)} as /proc shows them`, async () => {
        using coll = loadCollection(parseObject(readFixture('core_e2e'), { fileName: 'core_e2e.bpfel.o' }));
        // The child waits for a line, then becomes `sleep` (the same pid), whose
        // clock_nanosleep fires the tracepoint. chrt sets SCHED_RESET_ON_FORK, a bit that
        // lives in a task_struct bitfield.
        const sleep = resetOnFork ? 'exec chrt --reset-on-fork --other 0 sleep 3' : 'exec sleep 3';
        const child = spawn('sh', ['-c', `read x; ${sleep}`], { stdio: ['pipe', 'ignore', 'ignore'] });
        const exited = new Promise((r) => child.once('exit', r));
        try {
          const pid = child.pid!;
          coll.variable('target_tgid').set(pid);
          using _link = attachTracepoint(coll.programs.get('on_nanosleep')!, 'syscalls', 'sys_enter_clock_nanosleep');
          child.stdin!.write('\n');
          await until(() => coll.variable('hits').getNumber() > 0, 10_000);

          const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // field 4
          const policy = execFileSync('chrt', ['-p', String(pid)], { encoding: 'utf8' });
          expect(comm).toBe('sleep');
          expect(policy.includes('SCHED_RESET_ON_FORK')).toBe(resetOnFork);

          expect(coll.variable('seen_pid').getNumber()).toBe(pid);
          expect(coll.variable('seen_tgid').getNumber()).toBe(pid);
          expect(coll.variable('seen_ppid').getNumber()).toBe(ppid);
          expect(ppid).toBe(process.pid);
          const seenComm = coll.variable('seen_comm').get();
          expect(new TextDecoder().decode(seenComm.subarray(0, seenComm.indexOf(0)))).toBe(comm);
          expect(coll.variable('seen_reset_on_fork').getNumber()).toBe(resetOnFork ? 1 : 0);
        } finally {
          child.kill('SIGKILL');
          await exited;
        }
      });
    }
  });
});
