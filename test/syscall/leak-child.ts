/**
 * Child process of fd-low.test.ts (run with --expose-gc and TSBPF_TRACE_FDS=1): drops an
 * open Fd, collects garbage, and prints the leak warnings tsbpf emitted.
 */
import { mapCreate, MapType } from '../../src/syscall/index.js';

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
(() => {
  mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
})();
const closed = mapCreate({ map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
closed.close();
for (let i = 0; i < 5; i++) {
  (globalThis as { gc?: () => void }).gc!();
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(JSON.stringify({ warnings }) + '\n');
