/**
 * `tsbpf link pin LINK FILE` and `tsbpf link detach LINK`, as bpftool spells them; LINK is
 * `id ID` or `pinned PATH`.
 * @module
 */
import { parseArgs } from 'node:util';
import { BpfError, linkDetach, linkInfo, linkTypeName, objGet, objGetFdById, objPin, type Fd } from '../syscall/index.js';
import { TsbpfError } from '../errors.js';
import { parseSelector } from './map.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';

/** Opens the link named by `id ID` or `pinned PATH`; the caller closes it. */
function openLink(words: string[]): Fd {
  const sel = parseSelector(words, ['id', 'pinned']);
  if (!sel) throw new UsageError("expected 'id ID' or 'pinned PATH'");
  if (sel.kind === 'pinned') return objGet(sel.value);
  const fd = objGetFdById('link', Number(sel.value));
  if (!fd) throw new TsbpfError(`no link with id ${sel.value}`);
  return fd;
}

function pin(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 3) throw new UsageError('expected LINK FILE');
  const file = positionals[2]!;
  using fd = openLink(positionals.slice(0, 2));
  objPin(fd.raw, file);
  if (values.json) io.out('null');
  return 0;
}

function detach(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  using fd = openLink(positionals);
  // BPF_LINK_DETACH: the link stays (pins and fds still hold it) but no longer runs its program.
  try {
    linkDetach(fd.raw);
  } catch (e) {
    if (!(e instanceof BpfError) || e.errno !== 'EOPNOTSUPP') throw e;
    const type = linkTypeName[linkInfo(fd.raw).type] ?? 'this';
    throw new TsbpfError(`${type} links cannot be detached (BPF_LINK_DETACH: EOPNOTSUPP); remove their pins and close their fds instead`, { cause: e });
  }
  if (values.json) io.out('null');
  return 0;
}

/** The `link pin` and `link detach` commands, registered in `registry.ts`. */
export const linkAttachCommands: CliCommand[] = [
  { path: ['link', 'pin'], summary: 'Pin a link on a bpffs', usage: '(id ID | pinned PATH) FILE [--json]', run: pin },
  { path: ['link', 'detach'], summary: 'Detach a link (BPF_LINK_DETACH); pins and fds keep the defunct link', usage: '(id ID | pinned PATH) [--json]', run: detach },
];
