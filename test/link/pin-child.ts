/**
 * Child process for the pin test: loads a raw_tp counter filtered on the parent's pid,
 * attaches it, pins the link and the counter map, and exits without cleaning up.
 * Usage: tsx pin-child.ts <parent-pid> <link-pin> <map-pin>
 */
import { ProgType } from '../../src/syscall/index.js';
import { attachRawTracepoint } from '../../src/link/index.js';
import { counter } from './programs.js';

const [parent, linkPin, mapPin] = process.argv.slice(2) as [string, string, string];
const c = counter({ type: ProgType.RAW_TRACEPOINT, name: 'pin_child', tgid: Number(parent) });
const link = attachRawTracepoint(c.prog, 'sys_enter');
link.pin(linkPin);
c.map.pin(mapPin);
link.close();
c.close();
