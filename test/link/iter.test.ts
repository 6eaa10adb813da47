/** Iterator links on the real kernel: task and bpf_map iterators, read whole and as a stream. */
import { afterEach, expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { AttachType, ProgType, LinkType } from '../../src/syscall/index.js';
import { readdirSync } from 'node:fs';
import { AttachError, attachIter, IterLink, resolveAttachTarget } from '../../src/link/index.js';
import { counter, kernelBtf, type Counter } from './programs.js';

let open: Counter[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

function iterProgram(target: string): Counter {
  const t = resolveAttachTarget(kernelBtf(), 'iter', target);
  const c = counter({ type: ProgType.TRACING, name: `it_${target}`.slice(0, 15), expectedAttachType: AttachType.TRACE_ITER, attachBtfId: t.btfId, seqWrite: true });
  open.push(c);
  return c;
}

describeKernel('iterator links', () => {
  it('iter/task: one "x\\n" per task plus the final call, counted by the program', () => {
    const c = iterProgram('task');
    using link = attachIter(c.prog, { target: 'task' });
    expect(link).toBeInstanceOf(IterLink);
    expect(link.info().type).toBe(LinkType.ITER);
    const text = link.readText();
    expect(text.length).toBeGreaterThan(2);
    expect(/^(x\n)+$/.test(text)).toBe(true);
    // Every call of the program wrote "x\n" and bumped the counter.
    expect(c.count()).toBe(BigInt(text.length / 2));
    // Each read is a fresh pass.
    const again = link.readText();
    expect(again.length).toBeGreaterThan(2);
    expect(c.count()).toBe(BigInt((text.length + again.length) / 2));
  });

  it('iter/bpf_map: reads as a Node stream', async () => {
    const c = iterProgram('bpf_map');
    using link = attachIter(c.prog, { target: 'bpf_map' });
    const chunks: Buffer[] = [];
    for await (const chunk of link.stream()) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    // At least our own counter map exists, so at least one element call plus the final one.
    expect(text.length).toBeGreaterThanOrEqual(4);
    expect(c.count()).toBe(BigInt(text.length / 2));
  });

  it('iter/task narrowed to this process (bpf_iter_link_info.task.pid)', () => {
    const c = iterProgram('task');
    using all = attachIter(c.prog, { target: 'task' });
    const everyTask = all.read().length / 2;
    using mine = attachIter(c.prog, { target: 'task', pid: process.pid });
    const ours = mine.read().length / 2;
    const threads = readdirSync('/proc/self/task').length;
    // Our threads (a thread may come or go meanwhile) plus the final call, fewer than every task.
    expect(ours).toBeGreaterThanOrEqual(2);
    expect(ours).toBeLessThanOrEqual(threads + 3);
    expect(ours).toBeLessThan(everyTask);
  });

  it('refuses a program of another type and names unknown iterators', () => {
    const c = counter({ type: ProgType.RAW_TRACEPOINT, name: 'not_iter' });
    open.push(c);
    expect(() => attachIter(c.prog, { target: 'task' })).toThrow(AttachError);
    expect(() => resolveAttachTarget(kernelBtf(), 'iter', 'no_such_iter')).toThrow("iter 'no_such_iter': kernel BTF has no func 'bpf_iter_no_such_iter'");
  });
});
