/**
 * The committed BPF objects (fixtures and examples) must be what test/fixtures/build.sh
 * makes from their sources today: rebuild into a temporary folder and compare bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithTool } from '../helpers/env.js';
import { fixturesDir, repoRoot as root } from '../helpers/fixtures.js';

const dirs = { fixtures: fixturesDir, examples: join(root, 'examples', 'bpf') };

describeWithTool('committed BPF objects are up to date', ['clang-19'], () => {
  const out = mkdtempSync(join(tmpdir(), 'tsbpf-fixtures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('was built by the clang-19 installed here', () => {
    execFileSync('bash', [join(root, 'test', 'fixtures', 'build.sh'), out], { stdio: 'pipe' });
    const committed = readFileSync(join(fixturesDir, '..', 'CLANG_VERSION'), 'utf8');
    const here = readFileSync(join(out, 'CLANG_VERSION'), 'utf8');
    expect(here, 'fixtures were built by another clang: run `bash test/fixtures/build.sh` and commit').toBe(committed);
  }, 300_000); // ~90 objects: about 30 s on 2 idle cores, several minutes on a loaded machine

  for (const [kind, dir] of Object.entries(dirs)) {
    it(`${kind}: every object matches a fresh build of its source`, () => {
      const objects = (d: string) => readdirSync(d).filter((f) => f.endsWith('.o')).sort();
      const built = objects(join(out, kind));
      expect(built.length).toBeGreaterThan(0);
      expect(objects(dir), 'objects without a source, or sources whose object is not committed').toEqual(built);
      const stale = built.filter((f) => !readFileSync(join(dir, f)).equals(readFileSync(join(out, kind, f))));
      expect(stale, 'stale objects: run `bash test/fixtures/build.sh` and commit').toEqual([]);
    });
  }
});
