/**
 * Child process of unprivileged.test.ts: drops to uid/gid 65534 (nobody), then tries
 * BPF_MAP_CREATE and prints the error tsbpf raised.
 */
import { BpfMap, MapError } from '../../src/maps/index.js';
import { BpfError } from '../../src/syscall/index.js';

process.setgid!(65534);
process.setuid!(65534);
try {
  BpfMap.create({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 }).close();
  process.stdout.write(JSON.stringify({ ok: true }) + '\n');
} catch (e) {
  const cause = e instanceof MapError ? e.cause : e;
  process.stdout.write(
    JSON.stringify({
      ok: false,
      name: (e as Error).name,
      message: (e as Error).message,
      cause: cause instanceof BpfError ? { command: cause.command, errno: cause.errno, hint: cause.hint, message: cause.message } : String(cause),
    }) + '\n',
  );
}
