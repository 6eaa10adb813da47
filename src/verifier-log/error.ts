/**
 * `VerifierError`: what a program load throws when the verifier rejects the program.
 * @module
 */
import { TsbpfError } from '../errors.js';
import { explain, type Explanation, type ExplainOptions } from './explain.js';
import { parseVerifierLog, type ParsedLog } from './parse.js';
import { formatLocation, type SourceLocation } from './source.js';

/** Options of {@link VerifierError}. */
export interface VerifierErrorOptions extends ExplainOptions {
  /** Program name, for the message. */
  program?: string;
  /** errno name of the failed `BPF_PROG_LOAD` (`EACCES`, `EINVAL`...). */
  errno?: string;
  /** The underlying error (the `BpfError` of the load), kept as `error.cause`. */
  cause?: unknown;
}

/**
 * The verifier rejected a program. Its `message` is short: the C location and the
 * explanation, then the key log lines; the whole log and its parse are on the error.
 *
 * ```
 * program 'null_deref': verifier_null_deref.bpf.c:17: pointer may be NULL: R0 may be NULL here: ...
 *   ; *value += 1; @ verifier_null_deref.bpf.c:17
 *   7: (79) r1 = *(u64 *)(r0 +0)
 *   R0 invalid mem access 'map_value_or_null'
 * ```
 */
export class VerifierError extends TsbpfError {
  /** The log as the kernel wrote it. */
  readonly log: string;
  /** The parsed log. */
  readonly parsed: ParsedLog;
  /** The explanation. */
  readonly explanation: Explanation;
  /** C location of the failure, when known. */
  readonly location: SourceLocation | undefined;
  /** The log was cut (ENOSPC, or `logTrueSize` larger than the buffer). */
  readonly truncated: boolean;
  /** `log_true_size` reported by the kernel (6.4+), when known. */
  readonly logTrueSize: number | undefined;
  /** Program name, when known. */
  readonly program: string | undefined;
  /** errno name of the failed load, when known. */
  readonly errno: string | undefined;

  constructor(log: string, options: VerifierErrorOptions = {}) {
    const parsed = parseVerifierLog(log, options);
    const explanation = explain(parsed, options);
    super(verifierMessage(explanation, options), options.cause !== undefined ? { cause: options.cause } : undefined);
    this.log = log;
    this.parsed = parsed;
    this.explanation = explanation;
    this.location = explanation.location;
    this.truncated = parsed.truncated;
    this.logTrueSize = options.logTrueSize;
    this.program = options.program;
    this.errno = options.errno;
  }
}

function verifierMessage(e: Explanation, options: VerifierErrorOptions): string {
  const head: string[] = [];
  if (options.program !== undefined) head.push(`program '${options.program}'`);
  if (e.location) head.push(formatLocation(e.location));
  else if (e.insnIdx !== undefined) head.push(`insn ${e.insnIdx}`);
  head.push(e.title);
  let first = `${head.join(': ')}: ${e.text}`;
  if (options.errno !== undefined) first += ` (${options.errno})`;
  if (e.truncated) first += ' (log truncated)';
  const lines = [first];
  // The steps that matter of the register's history, without the states (the explanation
  // object has them all).
  const origin = e.causalPath[0]?.event === 'origin' ? [e.causalPath[0]] : [];
  const changes = e.causalPath.filter((s) => s.event === 'type' || s.event === 'bounds-lost').slice(0, 2);
  const notable = [...origin, ...changes];
  if (notable.length && e.register) {
    const steps = notable.map((s) => {
      const at = s.location?.line !== undefined ? ` (line ${s.location.line})` : '';
      return `insn ${s.insnIdx}${at}: ${s.note.replace(/ \(R\d+=.*\)$/s, '')}`;
    });
    lines.push(`  ${e.register} history: ${steps.join('; ')}`);
  }
  lines.push(...e.keyLines.map((l) => `  ${l}`));
  return lines.join('\n');
}
