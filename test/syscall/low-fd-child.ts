/**
 * Child process of fd-low.test.ts: closes stdin so the kernel's next fd is 0, creates a
 * map, and prints the fd tsbpf ended up with (it must be >= 3) and whether fd 0 is free.
 */
import { closeSync, fstatSync } from 'node:fs';
import { mapCreate, MapType, mapInfo } from '../../src/syscall/index.js';

closeSync(0);
const fd = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
let zeroOpen = true;
try {
  fstatSync(0);
} catch {
  zeroOpen = false;
}
process.stdout.write(JSON.stringify({ fd: fd.raw, zeroOpen, maxEntries: mapInfo(fd.raw).maxEntries }) + '\n');
fd.close();
