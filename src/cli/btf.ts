/**
 * `tsbpf btf dump file PATH | id N [format raw|c] [--json]`, as bpftool's `btf dump`.
 *
 * `id N` reads a BTF object the kernel holds (`BPF_BTF_GET_FD_BY_ID`, needs CAP_SYS_ADMIN):
 * vmlinux, a module's (split on vmlinux, as bpftool does) or one loaded by a program.
 *
 * PATH is raw BTF (`/sys/kernel/btf/vmlinux`, starts with the BTF magic) or an ELF object
 * whose `.BTF` section is dumped. A module's BTF under `/sys/kernel/btf/` is split BTF and is
 * parsed on top of vmlinux, as bpftool does; `--base-btf FILE` names the base explicitly.
 * @module
 */
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { btfFromElf, dumpC, parseBtf, rawDumpChunks, rawJsonChunks, type Btf } from '../btf/index.js';
import { BtfError } from '../btf/errors.js';
import { parseElf } from '../elf/index.js';
import { loadBtfById } from '../maps/kernel-btf.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputFile } from './files.js';

function isRawBtf(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0x9f && bytes[1] === 0xeb) || (bytes[0] === 0xeb && bytes[1] === 0x9f));
}

/**
 * Loads the BTF in `path` (raw or ELF). `basePath` is the base for split BTF; when not given,
 * a file in `/sys/kernel/btf/` other than `vmlinux` gets `/sys/kernel/btf/vmlinux`.
 */
export async function loadBtfFile(path: string, basePath?: string): Promise<Btf> {
  const bytes = readInputFile(path);
  if (basePath === undefined && dirname(path) === '/sys/kernel/btf' && basename(path) !== 'vmlinux') {
    basePath = '/sys/kernel/btf/vmlinux';
  }
  const base = basePath !== undefined ? await loadBtfFile(basePath) : undefined;
  if (isRawBtf(bytes)) return parseBtf(bytes, { base, section: path });
  const found = btfFromElf(parseElf(bytes), { base });
  if (!found) throw new BtfError(`'${path}' has no .BTF section`, { section: '.BTF' });
  return found.btf;
}

export const btfCommands: CliCommand[] = [
  {
    path: ['btf', 'dump'],
    summary: 'Dump BTF from a raw BTF file or an object file, as bpftool does (raw text, JSON, or a C header)',
    usage: 'file PATH | id N [format raw|c] [--base-btf FILE] [--json]',
    async run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { json: { type: 'boolean', short: 'j' }, 'base-btf': { type: 'string', short: 'B' } },
        allowPositionals: true,
      });
      const source = positionals[0];
      if (source !== 'file' && source !== 'id') throw new UsageError(`unrecognized BTF source specifier: '${source ?? ''}' (expected 'file' or 'id')`);
      const path = positionals[1];
      if (path === undefined) throw new UsageError(source === 'id' ? 'expected a BTF id' : 'expected a file path');
      if (source === 'id' && !/^\d+$/.test(path)) throw new UsageError(`'${path}' is not an id`);
      let format = 'raw';
      for (let i = 2; i < positionals.length; i += 2) {
        if (positionals[i] !== 'format') throw new UsageError(`unrecognized option: '${positionals[i]}'`);
        const f = positionals[i + 1];
        if (f !== 'raw' && f !== 'c') throw new UsageError(`unrecognized format specifier: '${f ?? ''}', possible values: raw, c`);
        format = f;
      }
      const btf =
        source === 'id'
          ? loadBtfById(Number(path), { base: values['base-btf'] !== undefined ? await loadBtfFile(values['base-btf']) : undefined }).btf
          : await loadBtfFile(path, values['base-btf']);
      if (format === 'c') {
        if (values.json) throw new UsageError('JSON output for C-syntax dump is not supported');
        for (const chunk of dumpC(btf)) io.out(chunk);
        return 0;
      }
      if (values.json) {
        let s = '';
        for (const chunk of rawJsonChunks(btf)) s += chunk;
        io.out(s);
      } else {
        for (const chunk of rawDumpChunks(btf)) io.out(chunk);
      }
      return 0;
    },
  },
];
