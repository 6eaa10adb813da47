/**
 * docs/cli.md is generated from the command registry; this test fails when a command was
 * added, renamed or reworded without regenerating the page.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/registry.js';
import { cliDocsPath, regenerateCommand, renderCliDocs } from '../../scripts/gen-cli-docs.js';

describe('docs/cli.md', () => {
  it('is up to date with src/cli/registry.ts', async () => {
    let committed = '';
    try {
      committed = readFileSync(cliDocsPath, 'utf8');
    } catch {
      // Missing: the comparison below fails with the command to run.
    }
    const fresh = await renderCliDocs();
    expect(committed === fresh, `docs/cli.md is stale: run \`${regenerateCommand}\``).toBe(true);
  });

  it('has a section and a contents entry for every command', async () => {
    const text = await renderCliDocs();
    for (const c of commands) {
      const name = `tsbpf ${c.path.join(' ')}`;
      expect(text).toContain(`\n### ${name}\n`);
      expect(text).toContain(`[\`${name}\`](#`);
      expect(text).toContain(c.summary);
    }
  });

  it('spots a stale page', async () => {
    // A registry with one command more renders differently: the staleness check can fail.
    const extra = { path: ['zz-docs-test'], summary: 'not a real command', usage: '', run: () => 0 };
    expect(await renderCliDocs([...commands, extra])).not.toBe(await renderCliDocs());
  });
});
