/**
 * `explain(log)`: from a verifier log to one explanation: which C line, what went wrong in
 * plain words, which register, how it got there, and what usually fixes it.
 *
 * Steps:
 * 1. parse the log ({@link parseVerifierLog});
 * 2. find the error lines and match them against the {@link catalogue};
 * 3. the failing instruction is the last one printed before the error (or the one the
 *    message names, e.g. `alloc_insn=4` for a leaked reference);
 * 4. the register comes from the message (`R0 invalid mem access ...`), from an argument
 *    number (`arg#0` is R1), or from the failing instruction;
 * 5. its history on the failing path ({@link traceRegister}) is the causal path;
 * 6. instruction indexes become C locations through line_info when given, else through the
 *    log's own `;` source comments ({@link SourceMap}).
 * @module
 */
import { matchCatalogue, weakKfuncZeroCall, type CatalogueContext, type CatalogueEntry } from './catalogue.js';
import { failingPath, insnEffect, regStateAt, traceRegister, type CausalStep } from './causal.js';
import {
  parseVerifierLog,
  type InsnRecord,
  type KernelReport,
  type MessageRecord,
  type ParsedLog,
  type ParseOptions,
} from './parse.js';
import { formatLocation, SourceMap, type InsnLineInfo, type SourceLocation } from './source.js';
import type { LoaderSymbols } from './symbols.js';

/** Options of {@link explain}. */
export interface ExplainOptions extends ParseOptions {
  /**
   * The program's decoded `.BTF.ext` line_info, instruction indexes as the log prints them.
   * Preferred over the log's source comments when given.
   */
  lineInfo?: readonly InsnLineInfo[];
  /**
   * Names behind the log's numbers (poisoned kfunc calls and map loads), from the loader or
   * from the object file: the explanation then names the kfunc or map.
   */
  symbols?: LoaderSymbols;
}

/** A step of the causal path, with its C location. */
export interface ExplainedStep extends CausalStep {
  /** The step's C source location, when line info or the log gives one. */
  location?: SourceLocation;
}

/** The explanation of one verifier failure. */
export interface Explanation {
  /** Catalogue id (`null-deref`...), undefined when the message is not in the catalogue. */
  id?: string;
  /** Short title: `pointer may be NULL`. */
  title: string;
  /** The kernel's message line the explanation is based on. */
  kernelMessage: string;
  /** Every error line the kernel printed at the end of the log. */
  errorLines: string[];
  /** Plain-words explanation; names the register when one is involved. */
  text: string;
  /** What usually fixes it, in terms of the C code. */
  fix?: string;
  /** The register involved, as `R0`. */
  register?: string;
  /** The instruction the explanation points at. */
  insnIdx?: number;
  /** Its text as the kernel prints it. */
  insn?: string;
  /** Its C location, when known. */
  location?: SourceLocation;
  /** How the register got its type or bounds, oldest step first. */
  causalPath: ExplainedStep[];
  /** The few log lines worth showing (failing instruction and error). */
  keyLines: string[];
  /** A level-2 log would let tsbpf say more (the failing instruction is not in this log). */
  wantsLevel2: boolean;
  /** The log was cut; the explanation may be based on partial information. */
  truncated: boolean;
  /** The kernel's own report (Linux 7.3+: `Verification failed:`, `Reason:`, `Suggestion:`...), when printed. */
  kernelReport?: KernelReport;
}

/** Record index of the instruction the verifier was at when it failed. */
function failingRecordIndex(parsed: ParsedLog, firstError: MessageRecord | undefined): number | undefined {
  const stop = firstError ? firstError.line : parsed.records.length;
  for (let i = stop - 1; i >= 0; i--) {
    if (parsed.records[i]!.kind === 'insn') return i;
  }
  return undefined;
}

/** Record index of the latest record of instruction `idx` at or before record `before`. */
function recordOfInsn(parsed: ParsedLog, idx: number, before: number): number | undefined {
  for (let i = Math.min(before, parsed.records.length - 1); i >= 0; i--) {
    const r = parsed.records[i]!;
    if (r.kind === 'insn' && r.idx === idx) return i;
  }
  return undefined;
}

/**
 * Explains a verifier log. Pure; never throws on any text.
 * @param log the log text (as the kernel wrote it) or an already parsed log
 */
export function explain(log: string | ParsedLog, options: ExplainOptions = {}): Explanation {
  const parsed = typeof log === 'string' ? parseVerifierLog(log, options) : log;
  const sources = new SourceMap(parsed, options.lineInfo);

  // The catalogue is tried on the error lines first, then on any message line from the end
  // (a log cut at its end has no recognisable error block).
  let found: { entry: CatalogueEntry; match: RegExpExecArray; record: MessageRecord } | undefined;
  for (const r of parsed.error) {
    const m = matchCatalogue(r.text);
    if (m) {
      found = { ...m, record: r };
      break;
    }
  }
  if (!found) {
    for (let i = parsed.records.length - 1; i >= 0 && !found; i--) {
      const r = parsed.records[i]!;
      if (r.kind !== 'message') continue;
      const m = matchCatalogue(r.text);
      if (m) found = { ...m, record: r };
    }
  }

  const firstError = found?.record ?? parsed.error[0];
  const failingAt = failingRecordIndex(parsed, firstError);
  const failing = failingAt !== undefined ? (parsed.records[failingAt] as InsnRecord) : undefined;
  const path = failingAt !== undefined ? failingPath(parsed, failingAt) : [];
  const ctx: CatalogueContext = {
    parsed,
    path: path.slice(failing ? 1 : 0).map((i) => parsed.records[i] as InsnRecord),
    reg: 'the register',
    regState: (regno) => regStateAt(parsed, path, regno, undefined, failing ? 1 : 0),
  };
  if (failing) ctx.failing = failing;
  if (options.symbols) ctx.symbols = options.symbols;

  // `R0 !read_ok` right after `call #0`: an unresolved __weak kfunc left unpoisoned.
  if (found?.entry.id === 'reg-not-init' && found.match[0].startsWith('R0 ')) {
    const lastCall = ctx.path.find((r) => insnEffect(r.text, r.opcode).kind === 'call');
    if (lastCall?.text === 'call #0') found = { ...found, entry: weakKfuncZeroCall };
  }

  let regno: number | undefined;
  if (found) {
    regno = found.entry.register
      ? found.entry.register(found.match, ctx)
      : /^R(\d+) /.test(found.match[0])
        ? Number(/^R(\d+) /.exec(found.match[0])![1])
        : undefined;
  }
  if (regno !== undefined) ctx.reg = `R${regno}`;

  // The instruction to point at.
  let insnIdx = failing?.idx;
  let insnRecord = failingAt;
  const named = found?.entry.insn?.(found.match, ctx);
  if (named !== undefined) {
    insnIdx = named;
    insnRecord = recordOfInsn(parsed, named, failingAt ?? parsed.records.length - 1) ?? insnRecord;
  }

  const expl: Explanation = {
    title: found?.entry.title ?? 'the verifier rejected the program',
    kernelMessage: found?.record.text ?? parsed.error[0]?.text ?? '',
    errorLines: parsed.error.map((r) => r.text),
    text: '',
    causalPath: [],
    keyLines: [],
    wantsLevel2: false,
    truncated: parsed.truncated,
  };
  if (found) {
    expl.id = found.entry.id;
    expl.text = found.entry.explain(found.match, ctx);
    expl.fix = typeof found.entry.fix === 'string' ? found.entry.fix : found.entry.fix(found.match, ctx);
  } else if (parsed.report) {
    // Not in the catalogue, but the kernel explained itself.
    const r = parsed.report;
    expl.title = r.headline;
    expl.text = (r.sections.Reason ?? []).join(' ').trim() || `the verifier said: ${expl.errorLines.join('; ')}`;
    const suggestion = (r.sections.Suggestion ?? []).join(' ').trim();
    if (suggestion) expl.fix = suggestion;
  } else {
    expl.text = expl.errorLines.length
      ? `the verifier said: ${expl.errorLines.join('; ')}`
      : parsed.truncated
        ? 'the log was cut before the verifier printed its error: load again with a larger log buffer'
        : 'the log holds no error message';
  }
  if (parsed.report) expl.kernelReport = parsed.report;
  if (regno !== undefined) expl.register = `R${regno}`;
  if (insnIdx !== undefined) {
    expl.insnIdx = insnIdx;
    const rec = insnRecord !== undefined ? parsed.records[insnRecord] : undefined;
    if (rec?.kind === 'insn') expl.insn = rec.text;
    const loc = sources.locate(insnIdx);
    if (loc) expl.location = loc;
  }

  // Causal path of the register, up to the failing instruction.
  if (regno !== undefined && failingAt !== undefined && regno !== 10) {
    expl.causalPath = traceRegister(parsed, failingAt, regno).map((s) => {
      const loc = s.insn === '(program entry)' ? undefined : sources.locate(s.insnIdx);
      return loc ? { ...s, location: loc } : s;
    });
  }

  // Key lines: the source comment and instruction that failed, then the error lines.
  if (failing) {
    const src = sources.locate(failing.idx);
    if (src?.from === 'log' && src.text !== undefined) {
      expl.keyLines.push(`; ${src.text}${src.file ? ` @ ${src.file}:${src.line}` : ''}`);
    }
    expl.keyLines.push(failing.raw);
  }
  for (const r of parsed.error.slice(0, 4)) expl.keyLines.push(r.raw);
  if (!parsed.error.length && found) expl.keyLines.push(found.record.raw);

  expl.wantsLevel2 = parsed.level === 1 && (found?.entry.wantsLevel2 === true || failing === undefined);
  return expl;
}

/** Options of {@link formatExplanation}. */
export interface FormatOptions {
  /** Include the causal path (default true). */
  causalPath?: boolean;
  /** Include the key log lines (default true). */
  keyLines?: boolean;
  /**
   * Include the first lines: location and title, the C line and its caret (default true).
   * Off when the caller prints its own source snippet (`tsbpf prog load`).
   */
  header?: boolean;
}

/**
 * Text layout of an explanation, as `tsbpf verifier explain` prints it:
 *
 * ```
 * verifier_null_deref.bpf.c:17: pointer may be NULL
 *     *value += 1;
 * R0 may be NULL here: ...
 * fix: check the pointer before using it: ...
 * how R0 got here:
 *   insn 6 (verifier_null_deref.bpf.c:15): R0 is the return value of bpf_map_lookup_elem#1 (...)
 * verifier log:
 *   7: (79) r1 = *(u64 *)(r0 +0)
 *   R0 invalid mem access 'map_value_or_null'
 * ```
 */
export function formatExplanation(e: Explanation, options: FormatOptions = {}): string {
  const out: string[] = [];
  const where = e.location ? formatLocation(e.location) + (e.location.approximate ? ' (approximately)' : '') : undefined;
  if (options.header !== false) out.push(`${where ? where + ': ' : e.insnIdx !== undefined ? `insn ${e.insnIdx}: ` : ''}${e.title}`);
  if (options.header !== false && e.location?.text !== undefined) {
    const text = e.location.text;
    out.push(`    ${text.trim()}`);
    if (e.location.column !== undefined && e.location.column > 0) {
      const lead = text.length - text.trimStart().length;
      out.push(`    ${' '.repeat(Math.max(0, e.location.column - 1 - lead))}^`);
    }
  }
  out.push(e.text);
  if (e.fix) out.push(`fix: ${e.fix}`);
  if (options.causalPath !== false && e.causalPath.length) {
    out.push(`how ${e.register ?? 'the register'} got here:`);
    for (const s of e.causalPath) {
      const loc = s.location ? ` (${formatLocation(s.location)})` : '';
      out.push(`  insn ${s.insnIdx}${loc}: ${s.note}`);
    }
  }
  if (e.kernelReport && e.id !== undefined) {
    const reason = (e.kernelReport.sections.Reason ?? []).join(' ').trim();
    const suggestion = (e.kernelReport.sections.Suggestion ?? []).join(' ').trim();
    out.push(`kernel: ${e.kernelReport.headline}${reason ? `: ${reason}` : ''}`);
    if (suggestion) out.push(`kernel suggests: ${suggestion}`);
  }
  if (e.wantsLevel2) out.push('note: this is a level-1 log; a level-2 log (log_level 2) would show more');
  if (e.truncated) out.push('note: the log was truncated (ENOSPC): the explanation may be incomplete');
  if (options.keyLines !== false && e.keyLines.length) {
    out.push('verifier log:');
    for (const l of e.keyLines) out.push(`  ${l}`);
  }
  return out.join('\n');
}
