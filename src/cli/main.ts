#!/usr/bin/env node
/**
 * `tsbpf`: the command-line tool. Command names and text layout follow bpftool
 * (`tsbpf prog loadall`, `tsbpf btf dump file X format c`, `tsbpf map dump`), plus
 * `tsbpf run`; `--json` everywhere.
 * @module
 */
import { TsbpfError } from '../errors.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';
import { commands } from './registry.js';

const stdio: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

export function helpText(): string {
  const lines = ['Usage: tsbpf COMMAND [ARGS] [--json]', '', 'Commands:'];
  for (const c of commands) lines.push(`  tsbpf ${c.path.join(' ')} ${c.usage}`.trimEnd() + `\n      ${c.summary}`);
  lines.push('', 'Run `tsbpf COMMAND --help` for a command\'s usage.');
  return lines.join('\n');
}

/** Finds the command whose path is the longest prefix of `argv`. */
function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  let best: CliCommand | undefined;
  for (const c of commands) {
    if (c.path.length <= argv.length && c.path.every((w, i) => argv[i] === w)) {
      if (!best || c.path.length > best.path.length) best = c;
    }
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : undefined;
}

/** Runs the CLI with `argv` (without `node` and the script); returns the exit code. */
export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    io.out('tsbpf 0.1.0');
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.err(`tsbpf: unknown command '${argv.join(' ')}'\n\n${helpText()}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help?.(rest.filter((a) => a !== '--help' && a !== '-h')) ?? `Usage: tsbpf ${command.path.join(' ')} ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tsbpf ${command.path.join(' ')}: ${e.message}\nUsage: tsbpf ${command.path.join(' ')} ${command.usage}`);
      return 2;
    }
    if (e instanceof TsbpfError) {
      io.err(`Error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

// Run when executed directly (tsx src/cli/main.ts, node dist/cli.js), not when imported.
const invokedAs = process.argv[1] ?? '';
if (/(?:^|[\\/])(?:main\.ts|cli\.js|tsbpf)$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`tsbpf: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
