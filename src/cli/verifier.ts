/**
 * `tsbpf verifier explain LOGFILE [--object OBJ [--prog NAME]] [--json]`: explains a verifier
 * log captured elsewhere: the raw log (e.g. from `BPF_PROG_LOAD`'s log buffer) or a tool's
 * whole output (libbpf and bpftool print the log between `-- BEGIN PROG LOAD LOG --` and
 * `-- END PROG LOAD LOG --`; each program's log there is explained). `-` reads stdin.
 *
 * Without `--object`, locations come from the log's own source comments, which the kernel
 * prints when the program was loaded with line info (as libbpf and bpftool do). With
 * `--object OBJ`, they come from the object's `.BTF.ext` line_info (with columns, and for
 * every instruction, not only those the kernel annotated), and poisoned kfunc calls and map
 * loads are named (`verifier-object.ts`).
 * @module
 */
import { parseArgs } from 'node:util';
import { explain, extractVerifierLogs, formatExplanation, type Explanation } from '../verifier-log/index.js';
import { UsageError, type CliCommand } from './command.js';
import { readInputText } from './files.js';
import { objectExplainOptions, readObjectForLog } from './verifier-object.js';

/** JSON shape of one explained log (bigints in register states become strings). */
function toJson(program: string | undefined, e: Explanation): unknown {
  return { ...(program !== undefined ? { program } : {}), ...e };
}

/** The `verifier` commands (`verifier explain`). */
export const verifierCommands: CliCommand[] = [
  {
    path: ['verifier', 'explain'],
    summary: 'Explain a verifier log (raw, or libbpf/bpftool output): C line, cause, register history, fix',
    usage: 'LOGFILE [--object OBJ [--prog NAME]] [--truncated] [--json]',
    async run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv,
        options: {
          json: { type: 'boolean', short: 'j' },
          object: { type: 'string' },
          prog: { type: 'string' },
          truncated: { type: 'boolean' },
        },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError('expected exactly one log file');
      if (values.prog !== undefined && values.object === undefined) throw new UsageError("'--prog' needs '--object'");
      const text = readInputText(positionals[0]!);
      const logs = extractVerifierLogs(text);
      const spec = values.object !== undefined ? readObjectForLog(values.object) : undefined;
      const results = logs.map((l) => ({
        program: l.program,
        explanation: explain(l.log, {
          ...(values.truncated ? { truncated: true } : {}),
          ...(spec ? objectExplainOptions(spec, values.prog ?? l.program, logs.length) : {}),
        }),
      }));
      if (values.json) {
        const json = results.map((r) => toJson(r.program, r.explanation));
        io.out(JSON.stringify(json.length === 1 ? json[0] : json, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
      } else {
        io.out(
          results
            .map((r) => (r.program !== undefined ? `program '${r.program}':\n` : '') + formatExplanation(r.explanation))
            .join('\n\n'),
        );
      }
      return 0;
    },
  },
];
