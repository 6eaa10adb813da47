/**
 * Generated skeletons are valid, strict TypeScript: the skeleton and types of every fixture
 * (both byte orders) and every example, plus the typed program of the kernel test, written to
 * test/gen/.out/typecheck and checked with `tsc --noEmit --strict` (and the repository's
 * stricter flags). Half the skeletons embed their object, half reference it by path.
 * Errors in files outside the generated folder (tsbpf's own sources, which `tsc -p .`
 * checks) are not this test's concern and are left out.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { ObjectError } from '../../src/object/index.js';
import { repoRoot } from '../helpers/fixtures.js';
import { allObjects, outDir, programSource, removeOutDir, writeSkeleton } from './skeleton-files.js';

it('every fixture and example gives a skeleton that passes tsc --strict', () => {
  const dir = outDir('typecheck');
  onTestFinished(({ task }) => void (task.result?.state === 'pass' && removeOutDir(dir))); // kept for a look when it fails
  const objects = allObjects();
  expect(objects.length).toBeGreaterThan(40);
  // Objects meant as static-linker inputs (calls and maps defined in another object) do not
  // parse alone, so they have no skeleton (bpftool refuses them too): they must be refused
  // with the object parser's typed error, and be the exception.
  const refused: string[] = [];
  objects.forEach((o, i) => {
    try {
      writeSkeleton(dir, o.id, o.path, { embed: i % 2 === 0 });
    } catch (e) {
      expect(e, o.id).toBeInstanceOf(ObjectError);
      refused.push(o.id);
    }
  });
  expect(refused.length).toBeLessThan(objects.length / 4);
  expect(refused).not.toContain('gen_skeleton.bpfel');
  writeFileSync(join(dir, 'program.ts'), programSource);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        noImplicitReturns: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node'],
      },
      include: ['*.ts'],
    }),
  );
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '-p', dir, '--pretty', 'false'], { encoding: 'utf8', cwd: repoRoot });
  expect(r.error).toBeUndefined();
  const rel = relative(repoRoot, dir);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  const ours = lines.filter((l) => l.startsWith(rel + '/') || l.startsWith(dir + '/'));
  expect(ours).toEqual([]);
  // tsc ran: it reports a line for each error, and the generated folder had none.
  expect(r.status === 0 || lines.length > 0).toBe(true);
}, 300_000);
