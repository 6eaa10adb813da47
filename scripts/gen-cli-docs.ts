/**
 * `npm run docs:cli`: writes `docs/cli.md`, the CLI reference, from the command registry
 * (`src/cli/registry.ts`). Each command's section is exactly what `tsbpf <path> --help`
 * prints, taken by running the CLI in-process, so the page cannot drift from the tool;
 * `test/docs/cli-docs.test.ts` fails when the committed page is stale.
 *
 * `npm run docs:cli -- --check` writes nothing and exits 1 if `docs/cli.md` differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliCommand, CliIo } from '../src/cli/command.js';
import { main } from '../src/cli/main.js';
import { commands } from '../src/cli/registry.js';

/** The repository root (this file sits in `scripts/`). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the page is written, relative to the repository root. */
export const cliDocsPath = join(root, 'docs', 'cli.md');

/** The command that regenerates the page, quoted in its header and in the staleness test. */
export const regenerateCommand = 'npm run docs:cli';

/** Runs the CLI in-process and returns what it wrote to stdout, with main.ts's newline rule. */
async function captureOut(argv: string[]): Promise<string> {
  const out: string[] = [];
  const line = (t: string) => (t.endsWith('\n') ? t : t + '\n');
  const io: CliIo = { out: (t) => out.push(line(t)), err: () => {} };
  await main(argv, io);
  return out.join('').trimEnd();
}

/** `tsbpf object show` -> `tsbpf-object-show`: GitHub's heading anchor (lowercase, punctuation dropped, spaces to dashes). */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

/** A fenced block that no line of `text` can close early. */
function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return `${ticks}text\n${text}\n${ticks}`;
}

/** Commands grouped by their first word (`object`, `btf`, `map`...), in registry order. */
function groups(list: CliCommand[]): Map<string, CliCommand[]> {
  const byWord = new Map<string, CliCommand[]>();
  for (const c of list) {
    const word = c.path[0] ?? '';
    const group = byWord.get(word) ?? [];
    group.push(c);
    byWord.set(word, group);
  }
  return byWord;
}

/** The whole of `docs/cli.md`. */
export async function renderCliDocs(list: CliCommand[] = commands): Promise<string> {
  const out: string[] = [
    '# `tsbpf` command reference',
    '',
    `<!-- Generated from src/cli/registry.ts by scripts/gen-cli-docs.ts: do not edit, run \`${regenerateCommand}\`. -->`,
    '',
    "Command names and text layout follow bpftool's (`tsbpf prog loadall`, `tsbpf btf dump file X format c`),",
    'so a bpftool user finds each command where they expect it. Every command takes `--json`.',
    'Each section below gives what `tsbpf COMMAND --help` prints. See the [guide](guide/getting-started.md)',
    'for a walk-through and [run.md](run.md) for `tsbpf run` in depth.',
    '',
    '## Commands',
    '',
  ];
  const byWord = groups(list);
  for (const [word, group] of byWord) {
    out.push(`- **${word}**`);
    for (const c of group) {
      const name = `tsbpf ${c.path.join(' ')}`;
      out.push(`  - [\`${name}\`](#${anchor(name)}): ${c.summary}`);
    }
  }
  out.push('', '## `tsbpf --help`', '', fence(await captureOut(['--help'])), '');
  for (const [word, group] of byWord) {
    out.push(`## ${word}`, '');
    for (const c of group) {
      const name = `tsbpf ${c.path.join(' ')}`;
      // Without its own help() a command's --help is its usage line and its summary; the
      // summary already heads the section, so print the usage alone.
      const help = c.help ? await captureOut([...c.path, '--help']) : `Usage: ${name} ${c.usage}`.trimEnd();
      out.push(`### ${name}`, '', c.summary, '', fence(help), '');
    }
  }
  return out.join('\n');
}

// Run as a script (`tsx scripts/gen-cli-docs.ts [--check]`), not when imported by the test.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const text = await renderCliDocs();
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(cliDocsPath, 'utf8');
    } catch {
      // A missing page is stale too.
    }
    if (old !== text) {
      process.stderr.write(`docs/cli.md is stale: run \`${regenerateCommand}\`\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(cliDocsPath, text);
    process.stdout.write(`wrote ${cliDocsPath} (${commands.length} commands)\n`);
  }
}
