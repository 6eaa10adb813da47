/**
 * `tsbpf link list|show`: the kernel's links, in bpftool's layout
 * (`3: raw_tracepoint  prog 12  ` / `\ttp 'sched_switch'  `).
 * @module
 */
import { parseArgs } from 'node:util';
import { attachTypeName, linkInfo, linkTypeName, objGet, objGetFdById, objIds, type Fd, type LinkInfo } from '../syscall/index.js';
import { TsbpfError } from '../errors.js';
import { parseSelector } from './map.js';
import type { CliCommand, CliIo } from './command.js';

/** One link in bpftool's plain layout (trailing double spaces included, as bpftool prints). */
export function formatLinkPlain(i: LinkInfo): string {
  let s = `${i.id}: ${linkTypeName[i.type] ?? `type ${i.type}`}  prog ${i.progId}  `;
  if (i.rawTracepoint !== undefined) s += `\n\ttp '${i.rawTracepoint}'  `;
  if (i.cgroupId !== undefined) s += `\n\tcgroup_id ${i.cgroupId}  attach_type ${attachTypeName[i.attachType!] ?? i.attachType}  `;
  else if (i.netnsIno !== undefined) s += `\n\tnetns_ino ${i.netnsIno}  attach_type ${attachTypeName[i.attachType!] ?? i.attachType}  `;
  else if (i.ifindex !== undefined) s += `\n\tifindex ${i.ifindex}  `;
  else if (i.targetBtfId !== undefined) s += `\n\tattach_type ${attachTypeName[i.attachType!] ?? i.attachType}  target_obj_id ${i.targetObjId}  target_btf_id ${i.targetBtfId}  `;
  return s;
}

/** One link in bpftool's JSON form. */
export function linkJson(i: LinkInfo): Record<string, unknown> {
  const j: Record<string, unknown> = { id: i.id, type: linkTypeName[i.type] ?? i.type, prog_id: i.progId };
  if (i.rawTracepoint !== undefined) j.tp_name = i.rawTracepoint;
  if (i.cgroupId !== undefined) j.cgroup_id = Number(i.cgroupId);
  if (i.netnsIno !== undefined) j.netns_ino = i.netnsIno;
  if (i.ifindex !== undefined) j.ifindex = i.ifindex;
  if (i.attachType !== undefined) j.attach_type = attachTypeName[i.attachType] ?? i.attachType;
  if (i.targetObjId !== undefined) j.target_obj_id = i.targetObjId;
  if (i.targetBtfId !== undefined) j.target_btf_id = i.targetBtfId;
  return j;
}

function show(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const sel = parseSelector(positionals, ['id', 'pinned']);
  const rows: LinkInfo[] = [];
  const take = (fd: Fd | undefined) => {
    if (!fd) return;
    try {
      rows.push(linkInfo(fd.raw));
    } finally {
      fd.close();
    }
  };
  if (sel?.kind === 'id') {
    const fd = objGetFdById('link', Number(sel.value));
    if (!fd) throw new TsbpfError(`no link with id ${sel.value}`);
    take(fd);
  } else if (sel?.kind === 'pinned') take(objGet(sel.value));
  else for (const id of objIds('link')) take(objGetFdById('link', id));
  if (values.json) io.out(JSON.stringify(sel ? linkJson(rows[0]!) : rows.map(linkJson)));
  else if (rows.length) io.out(rows.map(formatLinkPlain).join('\n'));
  return 0;
}

export const linkCommands: CliCommand[] = [
  { path: ['link', 'list'], summary: 'List every link in the system (needs CAP_SYS_ADMIN)', usage: '[--json]', run: show },
  { path: ['link', 'show'], summary: 'Show one link, or all links', usage: '[id ID | pinned PATH] [--json]', run: show },
];
