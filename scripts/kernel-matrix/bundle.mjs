// Bundles test files and the VM test runner (test/vm/harness/run.ts) into plain ES modules,
// so the VMs run JavaScript: under QEMU's software emulation TypeScript transpiling is ~20x
// slower than on the host, and vitest's startup alone takes a minute.
//
//   node scripts/kernel-matrix/bundle.mjs OUT_DIR test/a.test.ts test/b.test.ts ...
//
// Prints the runner's path, then each bundled test's path, one per line. `vitest` is aliased
// to test/vm/harness/vitest-shim.ts; code shared by the tests (src/, chai) goes into shared
// chunks loaded once. `import.meta.url` in the repository's own files is replaced by the
// source file's URL, so tests that find files next to themselves (`new URL('.', import.meta.url)`)
// and `repoRoot` still point into the checkout. koffi stays external (its native binaries).
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const [outDir, ...tests] = process.argv.slice(2);
if (!outDir || tests.length === 0) {
  console.error('usage: bundle.mjs OUT_DIR TEST_FILE...');
  process.exit(2);
}

const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/') || !args.path.startsWith(root + '/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

const runner = join(root, 'test/vm/harness/run.ts');
await rm(outDir, { recursive: true, force: true });
await build({
  entryPoints: [runner, ...tests.map((t) => resolve(root, t))],
  outdir: outDir,
  outbase: root,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  alias: { vitest: join(root, 'test/vm/harness/vitest-shim.ts') },
  // CommonJS dependencies bundled into ES modules call require() for node builtins.
  banner: { js: "import { createRequire as __tsbpfCreateRequire } from 'node:module'; const require = __tsbpfCreateRequire(import.meta.url);" },
  plugins: [ownImportMetaUrl],
  logLevel: 'warning',
});
const out = (f) => join(outDir, relative(root, f).replace(/\.ts$/, '.mjs'));
process.stdout.write([out(runner), ...tests.map((t) => out(resolve(root, t)))].join('\n') + '\n');
