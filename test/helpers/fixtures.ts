/**
 * The committed fixture objects: `test/fixtures/src/NAME.bpfel.o` (every fixture) and
 * `NAME.bpfeb.o` (those marked `// tsbpf-fixture: bpfeb`), built by `test/fixtures/build.sh`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file (or a bundle of it) with package.json. */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

export const fixturesDir = join(repoRoot, 'test', 'fixtures', 'src');

export interface Fixture {
  /** `maps`, `core`, ... */
  name: string;
  /** `bpfel` or `bpfeb` */
  endian: 'bpfel' | 'bpfeb';
  /** Absolute path of the object. */
  path: string;
  /** File name, e.g. `maps.bpfel.o`. */
  file: string;
  /**
   * An input of the static linker (`// tsbpf-fixture: link-input` in its source): alone it has
   * unresolved externs, so neither libbpf nor tsbpf loads it.
   */
  linkInput: boolean;
}

/** Every committed fixture object, sorted by file name. */
export function allFixtures(): Fixture[] {
  return readdirSync(fixturesDir)
    .filter((f) => /\.bpfe[lb]\.o$/.test(f))
    .sort()
    .map((file) => {
      const m = /^(.*)\.(bpfel|bpfeb)\.o$/.exec(file)!;
      const source = join(fixturesDir, `${m[1]}.bpf.c`);
      const linkInput = existsSync(source) && /^\/\/ tsbpf-fixture: link-input/m.test(readFileSync(source, 'utf8'));
      return { name: m[1]!, endian: m[2] as 'bpfel' | 'bpfeb', path: join(fixturesDir, file), file, linkInput };
    });
}

/** Every fixture that is a whole object (not a static linker input). */
export function standaloneFixtures(): Fixture[] {
  return allFixtures().filter((f) => !f.linkInput);
}

/** Path of fixture `name` (default little-endian). */
export function fixturePath(name: string, endian: 'bpfel' | 'bpfeb' = 'bpfel'): string {
  return join(fixturesDir, `${name}.${endian}.o`);
}

/** Bytes of fixture `name`. */
export function readFixture(name: string, endian: 'bpfel' | 'bpfeb' = 'bpfel'): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name, endian)));
}
