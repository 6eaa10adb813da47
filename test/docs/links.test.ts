/**
 * The documentation's relative links point at files that exist, and docs/README.md indexes
 * every guide page. `api/` is built by `npm run docs` (not committed), so links into it are
 * only checked for their form.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/fixtures.js';

const docsDir = join(repoRoot, 'docs');

/** Every Markdown file under docs/, except the generated API site. */
function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== join(docsDir, 'api')) out.push(...markdownFiles(p));
    } else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** `[text](target)` links, without code spans and fenced blocks (which may show link-like text). */
function links(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('docs/', () => {
  const files = markdownFiles(docsDir);

  it('has the guide pages, the index and the CLI reference', () => {
    const names = files.map((f) => relative(docsDir, f));
    for (const n of ['README.md', 'cli.md', 'guide/getting-started.md', 'guide/loader.md', 'guide/coming-from.md', 'guide/troubleshooting.md']) {
      expect(names).toContain(n);
    }
  });

  it.each(files.map((f) => [relative(repoRoot, f), f]))('%s: relative links resolve', (_name, file) => {
    const broken: string[] = [];
    for (const target of links(readFileSync(file, 'utf8'))) {
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const path = join(dirname(file), decodeURI(target.split('#')[0]!));
      if (relative(docsDir, path).startsWith('api')) continue;
      if (!existsSync(path)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });

  it('docs/README.md links every guide page', () => {
    const index = links(readFileSync(join(docsDir, 'README.md'), 'utf8'));
    for (const page of readdirSync(join(docsDir, 'guide')).filter((n) => n.endsWith('.md'))) {
      expect(index).toContain(`guide/${page}`);
    }
  });
});
