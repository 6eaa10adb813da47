// Builds dist/: the library as ES modules with .d.ts files (tsc), and the CLI as one bundled
// file, dist/cli.js (esbuild), so `npx tsbpf` starts without loading hundreds of modules.
// koffi stays external: it carries its own prebuilt native binaries.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  sourcemap: true,
  // src/cli/main.ts carries the shebang line; esbuild keeps it.
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);
