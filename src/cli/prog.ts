/**
 * `tsbpf prog list|show`: the kernel's programs, in bpftool's layout
 * (`12: tracepoint  name handle_exec  tag 6deef7357e7b4530  gpl` /
 * `\tloaded_at 2026-11-26T10:00:00+0000  uid 0` / `\txlated 16B  jited 18B  memlock 4096B`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { objGet, objGetFdById, objIds, progInfo, progTypeName, type Fd, type ProgInfo } from '../syscall/index.js';
import { TsbpfError } from '../errors.js';
import { fdinfoField, parseSelector } from './map.js';
import type { CliCommand, CliIo } from './command.js';

interface ProgRow {
  info: ProgInfo;
  memlock: string | undefined;
}

/** Seconds since boot from /proc/uptime (the clock `load_time` counts from, CLOCK_BOOTTIME). */
function uptimeSeconds(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

/** `load_time` (ns since boot) as wall-clock time, bpftool's `%FT%T%z` in local time. */
export function bootTime(loadTimeNs: bigint): Date {
  const bootMs = Date.now() - uptimeSeconds() * 1000;
  return new Date(bootMs + Number(loadTimeNs / 1_000_000n));
}

function strftimeFT(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const z = `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${z}`;
}

/** One program in bpftool's plain layout. */
export function formatProgPlain(r: ProgRow): string {
  const i = r.info;
  let s = `${i.id}: ${progTypeName[i.type] ?? `type ${i.type}`}  `;
  if (i.name) s += `name ${i.name}  `;
  s += `tag ${i.tag}`;
  if (i.gplCompatible) s += '  gpl';
  if (i.runTimeNs) s += ` run_time_ns ${i.runTimeNs} run_cnt ${i.runCnt}`;
  if (i.recursionMisses) s += ` recursion_misses ${i.recursionMisses}`;
  s += '\n';
  if (i.loadTime) s += `\tloaded_at ${strftimeFT(bootTime(i.loadTime))}  uid ${i.createdByUid}\n`;
  s += `\txlated ${i.xlatedProgLen}B`;
  s += i.jitedProgLen ? `  jited ${i.jitedProgLen}B` : '  not jited';
  if (r.memlock) s += `  memlock ${r.memlock}B`;
  if (i.mapIds.length) s += `  map_ids ${i.mapIds.join(',')}`;
  if (i.btfId) s += `\n\tbtf_id ${i.btfId}`;
  return s;
}

/** One program in bpftool's JSON form. */
export function progJson(r: ProgRow): Record<string, unknown> {
  const i = r.info;
  const j: Record<string, unknown> = {
    id: i.id,
    type: progTypeName[i.type] ?? i.type,
    ...(i.name ? { name: i.name } : {}),
    tag: i.tag,
    gpl_compatible: i.gplCompatible,
  };
  if (i.runTimeNs) {
    j.run_time_ns = Number(i.runTimeNs);
    j.run_cnt = Number(i.runCnt);
  }
  if (i.recursionMisses) j.recursion_misses = Number(i.recursionMisses);
  if (i.loadTime) {
    j.loaded_at = Math.floor(bootTime(i.loadTime).getTime() / 1000);
    j.uid = i.createdByUid;
  }
  j.bytes_xlated = i.xlatedProgLen;
  j.jited = i.jitedProgLen > 0;
  if (i.jitedProgLen) j.bytes_jited = i.jitedProgLen;
  if (r.memlock) j.bytes_memlock = Number(r.memlock);
  if (i.mapIds.length) j.map_ids = i.mapIds;
  if (i.btfId) j.btf_id = i.btfId;
  return j;
}

function row(fd: Fd): ProgRow {
  return { info: progInfo(fd.raw), memlock: fdinfoField(fd.raw, 'memlock') };
}

function show(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const sel = parseSelector(positionals, ['id', 'pinned', 'tag', 'name']);
  const rows: ProgRow[] = [];
  const take = (fd: Fd | undefined) => {
    if (!fd) return;
    try {
      rows.push(row(fd));
    } finally {
      fd.close();
    }
  };
  if (sel?.kind === 'id') {
    const fd = objGetFdById('prog', Number(sel.value));
    if (!fd) throw new TsbpfError(`no program with id ${sel.value}`);
    take(fd);
  } else if (sel?.kind === 'pinned') {
    take(objGet(sel.value));
  } else {
    for (const id of objIds('prog')) take(objGetFdById('prog', id));
    if (sel) {
      const keep = rows.filter((r) => (sel.kind === 'tag' ? r.info.tag === sel.value.toLowerCase() : r.info.name === sel.value));
      if (!keep.length) throw new TsbpfError(`no program with ${sel.kind} '${sel.value}'`);
      rows.splice(0, rows.length, ...keep);
    }
  }
  if (values.json) io.out(JSON.stringify(sel && (sel.kind === 'id' || sel.kind === 'pinned') ? progJson(rows[0]!) : rows.map(progJson)));
  else if (rows.length) io.out(rows.map(formatProgPlain).join('\n'));
  return 0;
}

export const progCommands: CliCommand[] = [
  { path: ['prog', 'list'], summary: 'List every program in the system (needs CAP_SYS_ADMIN)', usage: '[--json]', run: show },
  { path: ['prog', 'show'], summary: 'Show one program, or all programs', usage: '[id ID | pinned PATH | tag TAG | name NAME] [--json]', run: show },
];
