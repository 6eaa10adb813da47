/**
 * The pieces together, as `tsbpf run` will use them: the bundled example object is parsed,
 * loaded, attached by its section names (`collection.attachAll()`), and the event a process
 * start causes is read from its ring buffer; closing the links stops the events.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadCollection } from '../../src/collection/index.js';
import { parseObject } from '../../src/object/index.js';
import { RingbufReader, type RingRecord } from '../../src/ringbuf/index.js';
import { describeKernel } from '../helpers/env.js';
import { repoRoot } from '../helpers/fixtures.js';

const execsnoop = join(repoRoot, 'examples', 'bpf', 'execsnoop.bpfel.o');

/** `struct event` of execsnoop.bpf.c: pid, ppid, uid (u32 each), comm[16], filename[128]. */
function decode(r: RingRecord): { pid: number; comm: string; filename: string } {
  const b = r.bytes;
  const str = (from: number, len: number) => {
    const s = b.subarray(from, from + len);
    const end = s.indexOf(0);
    return new TextDecoder().decode(end < 0 ? s : s.subarray(0, end));
  };
  return { pid: r.view.getUint32(0, true), comm: str(12, 16), filename: str(28, 128) };
}

describeKernel('collection.attachAll', () => {
  it('attaches execsnoop by its section name; an exec shows up in the ring buffer; close stops it', async () => {
    using coll = loadCollection(parseObject(new Uint8Array(readFileSync(execsnoop)), { fileName: 'execsnoop.bpfel.o' }));
    using reader = RingbufReader.open(coll.maps.get('events')!);
    const links = coll.attachAll();
    expect(links.links.length).toBe(1);

    const seen: { pid: number; comm: string; filename: string }[] = [];
    const child = spawnSync('/bin/true');
    expect(child.status).toBe(0);
    for (let i = 0; i < 50 && !seen.some((e) => e.pid === child.pid); i++) {
      await reader.poll(100, (r) => void seen.push(decode(r)));
    }
    const mine = seen.find((e) => e.pid === child.pid);
    expect(mine).toMatchObject({ pid: child.pid, comm: 'true', filename: '/bin/true' });

    links.close();
    reader.consume(() => {});
    const after = spawnSync('/bin/true');
    let late = 0;
    await reader.poll(200, (r) => void (decode(r).pid === after.pid && late++));
    expect(late).toBe(0);
  });
});
