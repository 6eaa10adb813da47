/**
 * What a run will show, in words: event maps with their record types (and how each was
 * found), histogram and counter maps, parameters, and trace_pipe. Printed by `--dry-run`
 * and as the tail of `tsbpf run OBJ --help`.
 * @module
 */
import { cTypeName, sizeOf } from '../../btf/index.js';
import type { ObjectSpec } from '../../object/index.js';
import type { RunPlan } from './discover.js';
import { paramHelp, type Param } from './params.js';

/** Text lines and a JSON object describing `plan`. */
export function describeTarget(p: { spec: ObjectSpec; plan: RunPlan; params: readonly Param[] }): { text: string[]; json: Record<string, unknown> } {
  const btf = p.spec.btf;
  const text: string[] = [];
  const events = p.plan.events.map((e) => ({
    map: e.map,
    kind: e.kind,
    type: e.typeId && btf ? cTypeName(btf, e.typeId) : null,
    size: e.typeId && btf ? sizeOf(btf, e.typeId) : null,
    found: e.source,
    ...(e.note ? { note: e.note } : {}),
  }));
  if (events.length) {
    text.push('events:');
    for (const e of events) {
      text.push(
        e.type
          ? `  ${e.map} (${e.kind}): ${e.type}, ${e.size} bytes (from the ${e.found}${e.note ? `: ${e.note}` : ''})`
          : `  ${e.map} (${e.kind}): record type unknown${e.note ? ` (${e.note})` : ''}; printed as bytes, use --event-type`,
      );
    }
  }
  if (p.plan.histograms.length) {
    text.push('histograms:');
    for (const h of p.plan.histograms) {
      const scale = h.scale.kind === 'log2' ? 'log2' : `linear from ${h.scale.base} step ${h.scale.step}`;
      text.push(`  ${h.map}: ${scale}, ${h.slotCount} slots of ${h.slotSize * 8} bits${h.layout === 'struct' ? ' in struct' : ' by index'}, unit ${h.unit}${h.perCpu ? ', per-CPU' : ''}`);
    }
  }
  if (p.plan.counters.length) text.push(`counters: ${p.plan.counters.map((c) => c.map).join(', ')}`);
  for (const st of p.plan.stacks ?? []) text.push(`stacks: ${st.map} (counts by ${[st.kernField, st.userField].filter(Boolean).join(' and ')} in '${st.stackMap}'), symbolised`);
  if (p.params.length) text.push('parameters:', ...paramHelp(p.spec, p.params));
  if (p.plan.printk) text.push('bpf_printk output: shown from trace_pipe');
  return {
    text,
    json: {
      events,
      histograms: p.plan.histograms.map((h) => ({ map: h.map, scale: h.scale, unit: h.unit, slots: h.slotCount })),
      counters: p.plan.counters.map((c) => c.map),
      stacks: (p.plan.stacks ?? []).map((s) => ({ map: s.map, stackMap: s.stackMap })),
      parameters: p.params.map((x) => ({ name: x.name, type: x.typeName, default: x.defaultText })),
      printk: p.plan.printk,
    },
  };
}
