/**
 * Verifier logs, explained: parse the kernel's `BPF_PROG_LOAD` log (levels 1 and 2, and
 * `BPF_LOG_STATS`) into records, explain the failure with a catalogue of known messages,
 * trace the offending register back through the failing path, and map instructions to C
 * source lines (`.BTF.ext` line_info when given, the log's own `;` comments otherwise);
 * names behind poisoned instructions come from the loader ({@link LoaderSymbols}). The
 * result renders as text, a source snippet with a caret, or a SARIF 2.1.0 log.
 *
 * Layer 1 (pure): no syscalls, no I/O. May import only `src/errors.ts`. The loader passes
 * the log (and line_info decoded by `src/btf`) in as plain values.
 * @module
 */
export {
  parseVerifierLog,
  extractVerifierLogs,
  splitLogLines,
  type ParsedLog,
  type ParseOptions,
  type LogRecord,
  type InsnRecord,
  type StateRecord,
  type SourceRecord,
  type SubprogRecord,
  type MarkerRecord,
  type LiveRegsRecord,
  type TraceRecord,
  type SummaryRecord,
  type StatRecord,
  type ReportRecord,
  type KernelReport,
  type BlankRecord,
  type MessageRecord,
} from './parse.js';
export {
  parseState,
  parseRegValue,
  parseLogNumber,
  type RegState,
  type RegBounds,
  type StackSlotState,
  type StateSnapshot,
  type Tnum,
} from './state.js';
export { catalogue, matchCatalogue, weakKfuncZeroCall, type CatalogueEntry, type CatalogueContext } from './catalogue.js';
export { POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE, type LoaderSymbols, type InsnSymbol } from './symbols.js';
export { traceRegister, failingPath, insnEffect, type CausalStep, type InsnEffect } from './causal.js';
export { SourceMap, formatLocation, type InsnLineInfo, type SourceLocation } from './source.js';
export {
  explain,
  formatExplanation,
  type Explanation,
  type ExplainOptions,
  type ExplainedStep,
  type FormatOptions,
} from './explain.js';
export { VerifierError, type VerifierErrorOptions } from './error.js';
export { formatSnippet, type SnippetOptions } from './snippet.js';
export { toSarif, SARIF_VERSION, SARIF_SCHEMA, type SarifInput, type SarifOptions, type SarifLog } from './sarif.js';
