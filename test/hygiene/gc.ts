/**
 * A real garbage collection inside a vitest worker, which runs without `--expose-gc`: the flag
 * can be set at run time, and a new V8 context then gets the `gc` global.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (options?: { type: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

/** Runs full collections and lets FinalizationRegistry callbacks (queued as tasks) run. */
export async function collectGarbage(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    collect();
    await new Promise((r) => setTimeout(r, 10));
  }
}
