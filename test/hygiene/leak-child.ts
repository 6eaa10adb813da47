/**
 * Child process of leak-warning.test.ts, run outside vitest (so no creation stacks unless
 * TSBPF_TRACE_FDS=1): drops an open map fd, collects garbage, prints the warnings as JSON, and
 * closes the leaked fd itself.
 */
import { closeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mapCreate, MapType } from '../../src/syscall/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const raw = (() => mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1, map_name: 'hyg_child' }).raw)();
for (let i = 0; i < 5; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 20));
}
closeSync(raw);
process.stdout.write(JSON.stringify({ warnings }) + '\n');
