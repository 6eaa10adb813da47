/**
 * A source snippet for a C location, in the layout compilers use:
 *
 * ```
 *   --> verifier_null_deref.bpf.c:17:9
 *    |
 * 16 |
 * 17 |     *value += 1; /* FAIL: value may be NULL *\/
 *    |            ^
 * 18 |     return XDP_PASS;
 * ```
 *
 * The column in line_info counts bytes from 1, a tab being one column (clang's rule). Tabs
 * are shown as four spaces, so the caret's position is the display width of what precedes
 * the column. Pure: the caller reads the file, when it has it.
 * @module
 */
import { formatLocation, type SourceLocation } from './source.js';

/** Options of {@link formatSnippet}. */
export interface SnippetOptions {
  /** The whole source file's lines, when it could be read: then neighbours are shown too. */
  sourceLines?: readonly string[];
  /** Lines shown before and after the located one (default 1), with `sourceLines`. */
  context?: number;
  /** Shown as the path in the `-->` line instead of the location's file name. */
  path?: string;
}

const TAB = '    ';

const expand = (s: string): string => s.replace(/\t/g, TAB);

/**
 * The snippet lines for `loc`, or an empty array when the location has no line. Uses the
 * file's text from `sourceLines` when given and it matches, else the line text line_info
 * carries.
 */
export function formatSnippet(loc: SourceLocation | undefined, options: SnippetOptions = {}): string[] {
  if (!loc || loc.line === undefined) return [];
  const line = loc.line;
  const file = options.sourceLines;
  // A file that no longer matches the object (edited since the build) is not used.
  const fromFile = file && file[line - 1] !== undefined && (loc.text === undefined || file[line - 1]!.trim() === loc.text.trim());
  const text = fromFile ? file[line - 1]! : loc.text;
  const head = `--> ${options.path !== undefined ? `${options.path}:${line}${loc.column ? `:${loc.column}` : ''}` : formatLocation(loc)}`;
  if (text === undefined) return [head];
  const ctx = fromFile ? Math.max(0, options.context ?? 1) : 0;
  const first = Math.max(1, line - ctx);
  const last = fromFile ? Math.min(file.length, line + ctx) : line;
  const width = String(last).length;
  const gutter = (n?: number) => `${n === undefined ? ' '.repeat(width) : String(n).padStart(width)} |`;
  const out = [`${' '.repeat(width)}${head}`, gutter()];
  for (let n = first; n <= last; n++) {
    const t = n === line ? text : file![n - 1]!;
    out.push(`${gutter(n)}${t ? ' ' + expand(t) : ''}`.trimEnd());
    if (n === line && loc.column !== undefined && loc.column > 0) {
      const before = expand(t.slice(0, loc.column - 1));
      out.push(`${gutter()} ${' '.repeat(before.length)}^`);
    }
  }
  return out;
}
