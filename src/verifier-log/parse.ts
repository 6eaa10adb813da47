/**
 * The verifier log, line by line, into records.
 *
 * What the kernel writes (kernel/bpf/verifier.c `do_check`, kernel/bpf/log.c), for a program
 * loaded with `log_level` 1 (`BPF_LOG_LEVEL1`), 2 (`BPF_LOG_LEVEL2`) and/or 4 (`BPF_LOG_STATS`):
 *
 * ```
 * func#0 @0                                     subprogram start (level 2)
 * Live regs before insn:                        liveness table (level 2, 6.15+)
 *       0: .1........ (61) r1 = *(u32 *)(r1 +12)
 * 0: R1=ctx() R10=fp0                           state before an instruction
 * ; __u32 key = ctx->ingress_ifindex; @ x.bpf.c:14   source line (from BTF line_info)
 * 0: (61) r1 = *(u32 *)(r1 +12)   ; R1=scalar(...)   instruction and the registers it changed
 * 3: (56) if w1 != 0x0 goto pc-2 2: R1=...       a jump and the state at its target (level 1)
 * from 18 to 22: R0=1 ...                       a branch popped from the stack (level 2)
 * mark_precise: frame0: regs=r6 stack= before 12: (c7) r6 s>>= 32    precision tracking
 * caller: / callee: / returning from callee: / to caller at 11:     bpf-to-bpf calls
 * R0 invalid mem access 'map_value_or_null'     the error (one or more lines)
 * verification time 109 usec / stack depth 8    BPF_LOG_STATS
 * processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
 * ```
 *
 * At level 1 the kernel rewinds the log when a path ends without error (`pop_stack` resets
 * the log position), so a level-1 log is the failing path alone. At level 2 every explored
 * path is kept and each popped branch starts with `from X to Y:`.
 *
 * Every input line becomes exactly one record, in order; lines this parser does not
 * recognise become `message` records (the error text is made of these). Parsing never throws.
 * The register/stack states of records (`after`, `state`) are decoded on first read, so a
 * large level-2 log costs little more than splitting it into lines.
 * @module
 */
import { looksLikeState, parseState, type StateSnapshot } from './state.js';

/** Fields every record has. */
interface RecordBase {
  /** 0-based line number in the log text. */
  line: number;
  /** The line exactly as in the log (without the newline). */
  raw: string;
}

/** `N: (op) text ; state`: one instruction the verifier processed. */
export interface InsnRecord extends RecordBase {
  /** Discriminant: a `insn` line. */
  kind: 'insn';
  /** Instruction index in the loaded program (8-byte slots; ld_imm64 takes two). */
  idx: number;
  /** Opcode byte, e.g. `0x61`. */
  opcode: number;
  /** Instruction as the kernel disassembles it: `r1 = *(u32 *)(r1 +12)`. */
  text: string;
  /** State printed after `;` (the registers the instruction changed), if any. */
  after?: StateSnapshot;
  /** `goto pc+3 22: R0=...`: the state at the jump target printed on the same line. */
  target?: {
    /** The jump target's instruction index. */
    idx: number;
    /** The registers and stack at the target. */
    state: StateSnapshot;
  };
}

/** `N: state` (state at the start of instruction N) or `from X to Y: state` or a labelled state. */
export interface StateRecord extends RecordBase {
  /** Discriminant: a `state` line. */
  kind: 'state';
  /** Instruction the state belongs to, when the line names it. */
  idx?: number;
  /** For `from X to Y:`: the branch instruction X. */
  from?: number;
  /**
   * Where the line came from: `insn` (`N: ...`), `branch` (`from X to Y:`), `caller`,
   * `callee`, `return` (lines after `returning from callee:`/`to caller at N:`), `cur`/`old`
   * (after an infinite loop report), `precision` (`mark_precise: ... parent state`).
   */
  label: 'insn' | 'branch' | 'caller' | 'callee' | 'return' | 'cur' | 'old' | 'precision';
  /** Speculative-execution path (`from X to Y (speculative execution):`). */
  speculative?: boolean;
  /** The registers and stack the line prints. */
  state: StateSnapshot;
}

/** `; int x = ...` or `; int x = ... @ file.c:12`: the C line of the instructions that follow. */
export interface SourceRecord extends RecordBase {
  /** Discriminant: a `source` line. */
  kind: 'source';
  /** The C source text. */
  text: string;
  /** File name (6.10+ kernels append ` @ file:line`). */
  file?: string;
  /** Line number in `file` (6.10+ kernels). */
  lineNo?: number;
}

/** `func#1 @7`: subprogram 1 starts at instruction 7. */
export interface SubprogRecord extends RecordBase {
  /** Discriminant: a `subprog` line. */
  kind: 'subprog';
  /** Subprogram number (`func#N`; 0 is the main program). */
  func: number;
  /** Its first instruction. */
  start: number;
}

/** `caller:`, `callee:`, `returning from callee:`, `to caller at 11:`, `Live regs before insn:`. */
export interface MarkerRecord extends RecordBase {
  /** Discriminant: a `marker` line. */
  kind: 'marker';
  /** Which marker line it is. */
  marker: 'caller' | 'callee' | 'return' | 'to-caller' | 'live-regs';
  /** For `to caller at N:`. */
  idx?: number;
}

/** A row of the `Live regs before insn:` table: which registers are live before insn `idx`. */
export interface LiveRegsRecord extends RecordBase {
  /** Discriminant: a `live-regs` line. */
  kind: 'live-regs';
  /** The instruction. */
  idx: number;
  /** Register numbers live before the instruction. */
  live: number[];
  /** Opcode byte. */
  opcode: number;
  /** The instruction disassembled. */
  text: string;
  /** Loop (strongly connected component) number printed before instructions inside a loop. */
  scc?: number;
}

/**
 * `mark_precise: frame0: ...`, the stack liveness lines `(0) frame 0 insn 7 +live -320` and
 * the loop markers `SCC enter (1)` (6.17+).
 */
export interface TraceRecord extends RecordBase {
  /** Discriminant: a `trace` line. */
  kind: 'trace';
  /** `precision` (`mark_precise:`), `liveness` (stack liveness) or `scc` (loop markers). */
  what: 'precision' | 'liveness' | 'scc';
  /** Instruction named by `before N:` / `insn N`, when there is one. */
  idx?: number;
  /** The line after its prefix. */
  text: string;
}

/** `processed N insns (limit L) max_states_per_insn ... mark_read ...`. */
export interface SummaryRecord extends RecordBase {
  /** Discriminant: a `summary` line. */
  kind: 'summary';
  /** `processed N insns`: instructions the verifier walked, counting every path. */
  processedInsns: number;
  /** `(limit L)`: `BPF_COMPLEXITY_LIMIT_INSNS`, 1 000 000 for privileged loads. */
  insnLimit: number;
  /** `max_states_per_insn`: most states kept for one instruction. */
  maxStatesPerInsn: number;
  /** `total_states`: states stored for pruning. */
  totalStates: number;
  /** `peak_states`: most states alive at once. */
  peakStates: number;
  /** `mark_read`: register read marks propagated. */
  markRead: number;
}

/** `verification time 109 usec`, `stack depth 320+320` (BPF_LOG_STATS). */
export interface StatRecord extends RecordBase {
  /** Discriminant: a `stat` line. */
  kind: 'stat';
  /** Which statistic. */
  name: 'verification time' | 'stack depth';
  /** Microseconds for the time; per-subprogram depths for the stack. */
  values: number[];
}

/**
 * A line of the kernel's own failure report (Linux 7.3+, kernel commit ce7c9f6c599b), printed
 * after the error line:
 *
 * ```
 * Verification failed: Register Type Safety: Unreadable register
 *
 * Reason:
 *   R0 has never been initialized on this path, so the verifier cannot use it as an input.
 *
 * At:
 *   insn 0
 *   ...
 * Suggestion:
 *   Initialize R0 on every path before this instruction.
 * ```
 *
 * The format is taken from that commit's example output as quoted in cilium/ebpf PR #2111;
 * this machine's 6.18 kernel does not print it. Section names are kept as printed.
 */
export interface ReportRecord extends RecordBase {
  /** Discriminant: a `report` line. */
  kind: 'report';
  /** `headline` for `Verification failed: ...`, else the section name (`Reason`, `At`, `Suggestion`...). */
  section: string;
  /** True for the `Reason:` line itself, false for its body lines. */
  header: boolean;
  /** The text: the headline after `Verification failed: `, or a body line without its indent. */
  text: string;
}

/** The kernel's report (see {@link ReportRecord}), assembled. */
export interface KernelReport {
  /** `Register Type Safety: Unreadable register`. */
  headline: string;
  /** Section name -> body lines (indent removed), in order: `Reason`, `At`, `Causal path`, `Suggestion`... */
  sections: Record<string, string[]>;
}

/** An empty line. */
export interface BlankRecord extends RecordBase {
  /** Discriminant: a `blank` line. */
  kind: 'blank';
}

/** Any other line: error messages and everything this parser does not know. */
export interface MessageRecord extends RecordBase {
  /** Discriminant: a `message` line. */
  kind: 'message';
  /** The line as printed. */
  text: string;
}

/** One line of the log. */
export type LogRecord =
  | InsnRecord
  | StateRecord
  | SourceRecord
  | SubprogRecord
  | MarkerRecord
  | LiveRegsRecord
  | TraceRecord
  | SummaryRecord
  | StatRecord
  | ReportRecord
  | BlankRecord
  | MessageRecord;

/** What the caller knows about how the log was obtained. */
export interface ParseOptions {
  /** The kernel returned ENOSPC: the buffer was too small and the log was cut. */
  truncated?: boolean;
  /** `log_true_size` from `BPF_PROG_LOAD` (6.4+): the full log's size in bytes, with the NUL. */
  logTrueSize?: number;
  /**
   * The text starts in the middle of a line (the kernel's rotating log keeps the tail when
   * it overflows, since 6.4). The first record is then marked `partial`.
   */
  startsMidLine?: boolean;
}

/** The parsed log. */
export interface ParsedLog {
  /** One record per line, in order (`records[i].line === i`). */
  records: LogRecord[];
  /** Log lines (the text split at `\n`; a trailing newline gives no extra line). */
  lines: string[];
  /** The log was cut (told by the caller, or `logTrueSize` exceeds the text). */
  truncated: boolean;
  /** The first line is a fragment (the caller said so, or a truncated log's first line is not understood). */
  firstLinePartial: boolean;
  /** `log_true_size` when known. */
  logTrueSize?: number;
  /** Instruction records, in log order. */
  insns: InsnRecord[];
  /** Subprogram starts (`func#N @I`), level 2 only. */
  subprogs: {
    /** Subprogram number. */
    func: number;
    /** Its first instruction. */
    start: number;
  }[];
  /** The error: the message lines after the last instruction, before the stats and summary. */
  error: MessageRecord[];
  /** The summary line, when present (absent when the end of the log was lost). */
  summary?: SummaryRecord;
  /** `BPF_LOG_STATS` values, when present. */
  stats: {
    /** `verification time N usec`. */
    verificationTimeUsec?: number;
    /** `stack depth A+B...`: bytes per subprogram. */
    stackDepth?: number[];
  };
  /** The kernel's own failure report (7.3+), when it printed one. */
  report?: KernelReport;
  /** Guess of the log level from what the text contains: 2 when per-path markers are present. */
  level: 1 | 2;
}

const INSN = /^(\d+): \(([0-9a-f]{2})\) (.*)$/s;
const STATE_AT = /^(\d+): (.*)$/s;
const FROM = /^from (\d+) to (\d+)( \(speculative execution\))?: ?(.*)$/s;
const SOURCE = /^; (.*?)(?: @ (\S+):(\d+))?$/s;
const SUBPROG = /^func#(\d+) @(\d+)$/;
const LIVE_ROW = /^\s+(?:(\d+)\s+)?(\d+): ([.0-9]{10,11}) \(([0-9a-f]{2})\) (.*)$/s;
const SUMMARY =
  /^processed (\d+) insns \(limit (\d+)\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)/;
// A jump's target state appended to the instruction: `goto pc+3 22: R0=1 ...`.
const INLINE_TARGET = / (\d+): (?=(?:frame\d+: )?(?:R\d+(?:_[rwD]+)?=|fp-\d+=|refs=))/;

function topLevelSemicolon(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (c === ';' && depth === 0) return i;
  }
  return -1;
}

/**
 * Splits the log text into lines at `\n`; a final newline gives no extra empty line. Nothing
 * else is removed: the caller cuts the kernel's buffer at its NUL before decoding it.
 */
export function splitLogLines(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

/**
 * Sets `obj[key]` to the decoded state of `text`, decoded on first read: a level-2 log of a
 * large program has millions of states and a caller usually reads a few of them (those on
 * the failing path). The property is an ordinary enumerable one to every reader
 * (`JSON.stringify`, spreading, test matchers).
 */
function lazyState<T extends object, K extends string>(obj: T, key: K, text: string): T & Record<K, StateSnapshot> {
  let cached: StateSnapshot | undefined;
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get: () => (cached ??= parseState(text)),
    set: (v: StateSnapshot) => {
      cached = v;
    },
  });
  return obj as T & Record<K, StateSnapshot>;
}

function stateRecord(base: Omit<StateRecord, 'state'>, text: string): StateRecord {
  return lazyState(base, 'state', text);
}

/** Classifies one line. `context` carries the label for indented state lines after a marker. */
function parseLine(raw: string, line: number, context: StateRecord['label'] | undefined): LogRecord {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (text.trim() === '') return { kind: 'blank', line, raw };

  let m = INSN.exec(text);
  if (m) {
    const rec: InsnRecord = { kind: 'insn', line, raw, idx: Number(m[1]), opcode: parseInt(m[2]!, 16), text: m[3]! };
    let rest = m[3]!;
    // The instruction text never contains ';' (print_bpf_insn), so the first ';' outside
    // parentheses starts the state (`var_off=(0x0; 0xff)` in a jump-target state has one inside).
    const semi = topLevelSemicolon(rest);
    if (semi >= 0) {
      lazyState(rec, 'after', rest.slice(semi + 1));
      rest = rest.slice(0, semi);
    } else {
      const t = INLINE_TARGET.exec(rest);
      if (t) {
        rec.target = lazyState({ idx: Number(t[1]) }, 'state', rest.slice(t.index + t[0].length));
        rest = rest.slice(0, t.index);
      }
    }
    rec.text = rest.trimEnd();
    return rec;
  }
  m = FROM.exec(text);
  if (m) {
    const rec = stateRecord({ kind: 'state', line, raw, label: 'branch', from: Number(m[1]), idx: Number(m[2]) }, m[4]!);
    if (m[3]) rec.speculative = true;
    return rec;
  }
  m = STATE_AT.exec(text);
  if (m && looksLikeState(m[2]!)) {
    return stateRecord({ kind: 'state', line, raw, label: 'insn', idx: Number(m[1]) }, m[2]!);
  }
  if (text.startsWith('; ') || text === ';') {
    const s = SOURCE.exec(text);
    const rec: SourceRecord = { kind: 'source', line, raw, text: s ? s[1]! : '' };
    if (s?.[2] !== undefined) {
      rec.file = s[2];
      rec.lineNo = Number(s[3]);
    }
    return rec;
  }
  m = SUBPROG.exec(text);
  if (m) return { kind: 'subprog', line, raw, func: Number(m[1]), start: Number(m[2]) };
  if (text === 'caller:') return { kind: 'marker', line, raw, marker: 'caller' };
  if (text === 'callee:') return { kind: 'marker', line, raw, marker: 'callee' };
  if (text === 'returning from callee:') return { kind: 'marker', line, raw, marker: 'return' };
  if (text === 'Live regs before insn:') return { kind: 'marker', line, raw, marker: 'live-regs' };
  m = /^to caller at (\d+):$/.exec(text);
  if (m) return { kind: 'marker', line, raw, marker: 'to-caller', idx: Number(m[1]) };
  m = LIVE_ROW.exec(text);
  if (m) {
    const live: number[] = [];
    for (let i = 0; i < m[3]!.length; i++) if (m[3]![i] !== '.') live.push(i);
    const rec: LiveRegsRecord = { kind: 'live-regs', line, raw, idx: Number(m[2]), live, opcode: parseInt(m[4]!, 16), text: m[5]! };
    if (m[1] !== undefined) rec.scc = Number(m[1]);
    return rec;
  }
  // Indented state lines after caller:/callee:/returning from callee:/to caller at N:.
  if (text.startsWith(' ') && looksLikeState(text)) {
    return stateRecord({ kind: 'state', line, raw, label: context ?? 'caller' }, text);
  }
  m = /^(cur|old) state: ?(.*)$/s.exec(text);
  if (m) return stateRecord({ kind: 'state', line, raw, label: m[1] as 'cur' | 'old' }, m[2]!);
  if (text.startsWith('mark_precise: ')) {
    const parent = /parent state regs=\S* stack=\S*: ?(.*)$/s.exec(text);
    if (parent) return stateRecord({ kind: 'state', line, raw, label: 'precision' }, parent[1]!);
    const before = / before (\d+): /.exec(text);
    const rec: TraceRecord = { kind: 'trace', line, raw, what: 'precision', text: text.slice(14) };
    if (before) rec.idx = Number(before[1]);
    return rec;
  }
  m = /^\([\d,]+\) (?:frame \d+ insn (\d+) [+-]live|live stack update)/.exec(text);
  if (m) {
    const rec: TraceRecord = { kind: 'trace', line, raw, what: 'liveness', text };
    if (m[1] !== undefined) rec.idx = Number(m[1]);
    return rec;
  }
  if (/^SCC (?:enter|exit|backedge)\b/.test(text)) return { kind: 'trace', line, raw, what: 'scc', text };
  m = SUMMARY.exec(text);
  if (m) {
    return {
      kind: 'summary',
      line,
      raw,
      processedInsns: Number(m[1]),
      insnLimit: Number(m[2]),
      maxStatesPerInsn: Number(m[3]),
      totalStates: Number(m[4]),
      peakStates: Number(m[5]),
      markRead: Number(m[6]),
    };
  }
  m = /^verification time (\d+) usec$/.exec(text);
  if (m) return { kind: 'stat', line, raw, name: 'verification time', values: [Number(m[1])] };
  m = /^stack depth (\d+(?:\+\d+)*)$/.exec(text);
  if (m) return { kind: 'stat', line, raw, name: 'stack depth', values: m[1]!.split('+').map(Number) };
  return { kind: 'message', line, raw, text };
}

/** Parses a verifier log. Never throws; every line becomes one record. */
export function parseVerifierLog(text: string, options: ParseOptions = {}): ParsedLog {
  const lines = splitLogLines(typeof text === 'string' ? text : String(text));
  const records: LogRecord[] = [];
  let context: StateRecord['label'] | undefined;
  // Inside the kernel's report, indented and blank lines belong to the current section.
  let reportSection: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const headline = /^Verification failed: (.*)$/.exec(raw);
    const sectionHead = reportSection !== undefined ? /^([A-Z][A-Za-z ]*):\s*$/.exec(raw) : null;
    if (headline) {
      reportSection = 'headline';
      records.push({ kind: 'report', line: i, raw, section: 'headline', header: true, text: headline[1]!.trim() });
      continue;
    }
    if (sectionHead) {
      reportSection = sectionHead[1]!;
      records.push({ kind: 'report', line: i, raw, section: reportSection, header: true, text: '' });
      continue;
    }
    if (reportSection !== undefined && raw.trim() === '') {
      records.push({ kind: 'blank', line: i, raw });
      continue;
    }
    if (reportSection !== undefined && reportSection !== 'headline' && /^\s/.test(raw)) {
      records.push({ kind: 'report', line: i, raw, section: reportSection, header: false, text: raw.replace(/^ {1,2}/, '') });
      continue;
    }
    reportSection = undefined;
    const rec = parseLine(raw, i, context);
    if (rec.kind === 'marker') {
      context =
        rec.marker === 'caller' ? 'caller' : rec.marker === 'callee' ? 'callee' : rec.marker === 'live-regs' ? undefined : 'return';
    } else if (rec.kind !== 'state') {
      context = undefined;
    }
    records.push(rec);
  }

  const byteLength = new TextEncoder().encode(text).length;
  const truncated =
    options.truncated === true || (options.logTrueSize !== undefined && options.logTrueSize > byteLength + 1);
  const first = records[0];
  const firstLinePartial =
    options.startsMidLine === true || (truncated && first !== undefined && first.kind === 'message');

  const insns = records.filter((r): r is InsnRecord => r.kind === 'insn');
  const subprogs = records.filter((r): r is SubprogRecord => r.kind === 'subprog').map((r) => ({ func: r.func, start: r.start }));
  const summary = records.find((r): r is SummaryRecord => r.kind === 'summary');
  const stats: ParsedLog['stats'] = {};
  for (const r of records) {
    if (r.kind !== 'stat') continue;
    if (r.name === 'verification time') stats.verificationTimeUsec = r.values[0];
    else stats.stackDepth = r.values;
  }
  let report: KernelReport | undefined;
  for (const r of records) {
    if (r.kind !== 'report') continue;
    if (r.section === 'headline') report = { headline: r.text, sections: {} };
    else if (report) (report.sections[r.section] ??= []).push(...(r.header ? [] : [r.text]));
  }

  // The error follows the last instruction (or the last state printed for it) and ends at
  // the stats/summary. A level-1 log that failed outside do_check (e.g. the stack depth check)
  // has no instructions; then every message line before the summary counts.
  let end = records.length;
  for (let i = 0; i < records.length; i++) {
    const k = records[i]!.kind;
    if (k === 'summary' || k === 'stat') {
      end = i;
      break;
    }
  }
  let start = 0;
  for (let i = end - 1; i >= 0; i--) {
    const k = records[i]!.kind;
    if (k === 'insn' || k === 'live-regs' || k === 'subprog') {
      start = i + 1;
      break;
    }
  }
  const error: MessageRecord[] = [];
  for (let i = start; i < end; i++) {
    const r = records[i]!;
    if (r.kind === 'message' && !(i === 0 && firstLinePartial)) error.push(r);
  }

  const level: 1 | 2 = records.some(
    (r) => r.kind === 'subprog' || (r.kind === 'state' && r.label === 'branch') || r.kind === 'live-regs' || r.kind === 'trace',
  )
    ? 2
    : 1;

  const parsed: ParsedLog = { records, lines, truncated, firstLinePartial, insns, subprogs, error, stats, level };
  if (report) parsed.report = report;
  if (summary) parsed.summary = summary;
  if (options.logTrueSize !== undefined) parsed.logTrueSize = options.logTrueSize;
  return parsed;
}

/**
 * The verifier logs inside a tool's output: libbpf (and so bpftool) prints a failed load's
 * log between `-- BEGIN PROG LOAD LOG --` and `-- END PROG LOAD LOG --`; the program name is
 * on the BEGIN line (`libbpf: prog 'x': -- BEGIN PROG LOAD LOG --`). Text without these
 * markers is returned whole, as one log.
 */
export function extractVerifierLogs(text: string): {
  /** The program named on the BEGIN line, when there is one. */
  program?: string;
  /** The log text. */
  log: string;
}[] {
  const lines = text.split('\n');
  const out: { program?: string; log: string }[] = [];
  let current: { program?: string; lines: string[] } | undefined;
  for (const l of lines) {
    const begin = /(?:prog '([^']*)': )?-- BEGIN PROG LOAD LOG --\s*$/.exec(l);
    if (begin) {
      current = { lines: [] };
      if (begin[1] !== undefined) current.program = begin[1];
      continue;
    }
    if (current && /-- END PROG LOAD LOG --\s*$/.test(l)) {
      // libbpf prints the log with "%s" right before the END marker: a log without its final
      // newline leaves its last line glued to the marker.
      const glued = l.replace(/-- END PROG LOAD LOG --\s*$/, '');
      if (glued.trim() !== '') current.lines.push(glued);
      const entry: { program?: string; log: string } = { log: current.lines.join('\n') + '\n' };
      if (current.program !== undefined) entry.program = current.program;
      out.push(entry);
      current = undefined;
      continue;
    }
    if (current) current.lines.push(l);
  }
  if (current) {
    // BEGIN without END: the tool's output was cut; keep what there is.
    const entry: { program?: string; log: string } = { log: current.lines.join('\n') };
    if (current.program !== undefined) entry.program = current.program;
    out.push(entry);
  }
  return out.length ? out : [{ log: text }];
}
