/**
 * Reports as text and JSON. The text follows bpftool's habits: one block per kernel, one line
 * per finding, columns padded, and a closing table with one row per kernel:
 *
 * ```
 * kernel /sys/kernel/btf/vmlinux: ok (17 checks: 16 ok, 1 note)
 *   note  btf      BTF_KIND_DECL_TAG  kernel lacks it: the loader rewrites 2 types as INT
 *
 * KERNEL                     VERDICT  OK  NOTE  WARN  FAIL
 * /sys/kernel/btf/vmlinux    ok       16     1     0     0
 * ```
 * @module
 */
import type { CheckItem, CheckReport, Verdict } from './check.js';
import { VERDICTS } from './check.js';

function counts(items: readonly CheckItem[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { ok: 0, note: 0, warn: 0, fail: 0 };
  for (const i of items) c[i.verdict]++;
  return c;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
}

/** One line of a finding. */
export function formatItem(i: CheckItem): string {
  const label = i.verdict === 'fail' ? 'FAIL' : i.verdict;
  const who = i.program ? `${i.program}: ` : '';
  const src = i.source === 'probe' ? ' [probe]' : '';
  return `  ${label.padEnd(5)} ${i.area.padEnd(8)} ${who}${i.subject}: ${i.detail}${src}`;
}

/**
 * The text report of one or more kernels. Findings that are `ok` are listed only with
 * `verbose`; the rest always.
 */
export function formatReports(reports: readonly CheckReport[], options: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  for (const r of reports) {
    const c = counts(r.items);
    const parts = VERDICTS.filter((v) => c[v] > 0).map((v) => (v === 'fail' ? `${c[v]} failed` : v === 'ok' ? `${c[v]} ok` : plural(c[v], v === 'warn' ? 'warning' : v)));
    out.push(`kernel ${r.kernel}: ${r.verdict} (${plural(r.items.length, 'check')}${parts.length ? `: ${parts.join(', ')}` : ''})`);
    const shown = r.items.filter((i) => options.verbose || i.verdict !== 'ok');
    // Worst first, then in check order.
    shown.sort((a, b) => VERDICTS.indexOf(b.verdict) - VERDICTS.indexOf(a.verdict));
    for (const i of shown) out.push(formatItem(i));
    out.push('');
  }
  const width = Math.max(6, ...reports.map((r) => r.kernel.length)) + 2;
  out.push(`${'KERNEL'.padEnd(width)}VERDICT  ${['OK', 'NOTE', 'WARN', 'FAIL'].map((h) => h.padStart(5)).join(' ')}`);
  for (const r of reports) {
    const c = counts(r.items);
    out.push(`${r.kernel.padEnd(width)}${r.verdict.padEnd(9)}${VERDICTS.map((v) => String(c[v]).padStart(5)).join(' ')}`);
  }
  return out.join('\n');
}

/** A report as JSON-ready data (bigints as numbers when exact, else decimal strings). */
export function reportJson(r: CheckReport): Record<string, unknown> {
  const num = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
  return {
    kernel: r.kernel,
    verdict: r.verdict,
    counts: counts(r.items),
    items: r.items.map((i) => ({
      area: i.area,
      program: i.program ?? null,
      subject: i.subject,
      verdict: i.verdict,
      detail: i.detail,
      source: i.source,
      closest: i.closest ?? null,
      relocation: i.fixup
        ? {
            relocation: i.fixup.relocation,
            insn: i.fixup.insn,
            kind: i.fixup.kindName,
            access: i.fixup.access,
            local: num(i.fixup.local),
            target: i.fixup.poison === undefined ? num(i.fixup.target) : null,
            poison: i.fixup.poison ?? null,
          }
        : null,
    })),
  };
}
