/**
 * Verifier failures as a SARIF 2.1.0 log (OASIS Static Analysis Results Interchange
 * Format), the format editors (VS Code's SARIF viewer) and CI (GitHub code scanning) read to
 * annotate a source line.
 *
 * One run, tool `tsbpf`; one rule per catalogue entry that fired (`ruleId` is the entry's id,
 * `help` its fix); one result per failed program: its `message` is the explanation, its
 * `locations[0]` the C line and column, and the register's history is a `codeFlow` (each step
 * a location with the step's note), so a viewer can walk from where the value came from to
 * where it failed. Pure: file names come in already resolved ({@link SarifInput.uri}).
 * @module
 */
import type { Explanation } from './explain.js';
import type { SourceLocation } from './source.js';

/** The SARIF version written. */
export const SARIF_VERSION = '2.1.0';
/** The schema the log names. */
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** One failure to report. */
export interface SarifInput {
  /** The program that failed. */
  program?: string;
  /** The explanation to report (from `explainVerifierLog` or a `VerifierError`). */
  explanation: Explanation;
  /** errno name of the failed load. */
  errno?: string;
  /**
   * The artifact URI of a C file name as line_info records it (relative to
   * `originalUriBaseIds.SRCROOT`, or absolute); default: the name without a leading `./`.
   */
  uri?(file: string): string;
}

/** Options of {@link toSarif}. */
export interface SarifOptions {
  /** `tool.driver.version`; omitted when not given. */
  toolVersion?: string;
  /** `file://` URI of the directory relative URIs are relative to (`SRCROOT`). */
  srcRoot?: string;
}

/** A SARIF log: plain JSON. */
export type SarifLog = {
  /** The SARIF 2.1.0 JSON schema URI. */
  $schema: string;
  /** `2.1.0`. */
  version: string;
  /** One run: tool `tsbpf`, one result per explained failure. */
  runs: SarifRun[];
};

interface SarifRun {
  tool: { driver: { name: string; version?: string; rules: SarifRule[] } };
  originalUriBaseIds?: Record<string, { uri: string }>;
  results: SarifResult[];
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  help?: { text: string };
}

interface SarifPhysicalLocation {
  artifactLocation: { uri: string; uriBaseId?: string };
  region: { startLine: number; startColumn?: number; snippet?: { text: string } };
}

interface SarifLocation {
  physicalLocation?: SarifPhysicalLocation;
  message?: { text: string };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error';
  message: { text: string };
  locations: SarifLocation[];
  codeFlows?: { threadFlows: { locations: { location: SarifLocation }[] }[] }[];
  properties: Record<string, unknown>;
}

const UNKNOWN_RULE = 'verifier-rejected';

function defaultUri(file: string): string {
  return file.replace(/^(?:\.\/)+/, '');
}

/** `verifier_null_deref` -> `VerifierNullDeref`-style rule names SARIF asks for (PascalCase). */
function ruleName(id: string): string {
  return id.replace(/(?:^|[-_])(\w)/g, (_m, c: string) => c.toUpperCase());
}

function physical(loc: SourceLocation | undefined, input: SarifInput, uriBaseId: string | undefined): SarifPhysicalLocation | undefined {
  if (!loc?.file || loc.line === undefined || loc.line < 1) return undefined;
  const uri = (input.uri ?? defaultUri)(loc.file);
  const region: SarifPhysicalLocation['region'] = { startLine: loc.line };
  if (loc.column !== undefined && loc.column > 0) region.startColumn = loc.column;
  if (loc.text !== undefined) region.snippet = { text: loc.text };
  const artifactLocation: SarifPhysicalLocation['artifactLocation'] = { uri };
  if (uriBaseId && !/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('/')) artifactLocation.uriBaseId = uriBaseId;
  return { artifactLocation, region };
}

/**
 * The SARIF 2.1.0 log of `inputs` (an empty `results` array when nothing failed: CI uploads a
 * log either way).
 */
export function toSarif(inputs: readonly SarifInput[], options: SarifOptions = {}): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const baseId = options.srcRoot !== undefined ? 'SRCROOT' : undefined;
  const results = inputs.map((input): SarifResult => {
    const e = input.explanation;
    const id = e.id ?? UNKNOWN_RULE;
    let index = ruleIndex.get(id);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(id, index);
      const rule: SarifRule = { id, name: ruleName(id), shortDescription: { text: e.id ? e.title : 'the verifier rejected the program' } };
      if (e.fix && e.id) rule.help = { text: e.fix };
      rules.push(rule);
    }
    const text = [
      `${input.program !== undefined ? `program '${input.program}': ` : ''}${e.title}: ${e.text}`,
      ...(e.fix ? [`fix: ${e.fix}`] : []),
      `kernel: ${e.kernelMessage || e.errorLines.join('; ') || '(no message)'}`,
    ].join('\n');
    const where = physical(e.location, input, baseId);
    const result: SarifResult = {
      ruleId: id,
      ruleIndex: index,
      level: 'error',
      message: { text },
      // A result without a C location still needs a location entry to be shown; an empty
      // location object is valid SARIF.
      locations: [where ? { physicalLocation: where } : {}],
      properties: {
        ...(input.program !== undefined ? { program: input.program } : {}),
        ...(input.errno !== undefined ? { errno: input.errno } : {}),
        ...(e.register !== undefined ? { register: e.register } : {}),
        ...(e.insnIdx !== undefined ? { insn: e.insnIdx } : {}),
        ...(e.insn !== undefined ? { insnText: e.insn } : {}),
        kernelMessage: e.kernelMessage,
        truncatedLog: e.truncated,
      },
    };
    const steps = e.causalPath
      .map((s) => ({ s, where: physical(s.location, input, baseId) }))
      .filter((x) => x.where !== undefined)
      .map(({ s, where: w }) => ({ location: { physicalLocation: w!, message: { text: `insn ${s.insnIdx}: ${s.note}` } } }));
    if (steps.length) {
      if (where) steps.push({ location: { physicalLocation: where, message: { text: `insn ${e.insnIdx ?? '?'}: ${e.kernelMessage}` } } });
      result.codeFlows = [{ threadFlows: [{ locations: steps }] }];
    }
    return result;
  });
  const run: SarifRun = {
    tool: {
      driver: {
        name: 'tsbpf',
        ...(options.toolVersion !== undefined ? { version: options.toolVersion } : {}),
        rules,
      },
    },
    results,
  };
  if (options.srcRoot !== undefined) run.originalUriBaseIds = { SRCROOT: { uri: options.srcRoot } };
  return { $schema: SARIF_SCHEMA, version: SARIF_VERSION, runs: [run] };
}
