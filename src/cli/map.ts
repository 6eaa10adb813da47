/**
 * `tsbpf map list|show|dump`: the kernel's maps, in bpftool's layout
 * (`21478: hash  name counts  flags 0x0` / `\tkey 4B  value 8B  max_entries 4  memlock 1360B`).
 * Listing every map walks ids, which needs CAP_SYS_ADMIN.
 *
 * `map dump` of a map with BTF prints keys and values by their types, as bpftool does: the
 * text form is bpftool's pretty JSON (`[{ "key": 1, "value": { ... } }]`), and `--json` adds
 * a `"formatted"` object next to the hex bytes of each entry.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dumpBtfData, JsonWriter, readKernelBtf, type Btf } from '../btf/index.js';
import { BpfMap } from '../maps/index.js';
import { loadBtfById } from '../maps/kernel-btf.js';
import { align8, hostLittleEndian, mapInfo, mapTypeName, MapType, objGetFdById, objIds, possibleCpus, progTypeName, type Fd, type MapInfo } from '../syscall/index.js';
import { TsbpfError } from '../errors.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';

/** A field of `/proc/self/fdinfo/<fd>` (`memlock`, `frozen`...), as bpftool's `get_fdinfo`. */
export function fdinfoField(fd: number, field: string): string | undefined {
  try {
    const m = new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** Bytes as bpftool's `fprint_hex`: `01 02 ..`, two spaces every 8 bytes, a newline every 16. */
export function hexBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i) s += i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : ' ';
    s += b[i]!.toString(16).padStart(2, '0');
  }
  return s;
}

const jsonHex = (b: Uint8Array) => Array.from(b, (x) => '0x' + x.toString(16).padStart(2, '0'));

/** Parses bpftool's object selector: `id N`, `pinned PATH` or `name NAME`. */
export function parseSelector(words: string[], kinds: string[] = ['id', 'pinned', 'name']): { kind: string; value: string } | undefined {
  if (words.length === 0) return undefined;
  const [kind, value, ...rest] = words;
  if (!kind || !kinds.includes(kind) || value === undefined || rest.length) {
    throw new UsageError(`expected ${kinds.map((k) => `'${k} ...'`).join(' or ')}, got '${words.join(' ')}'`);
  }
  if (kind === 'id' && !/^\d+$/.test(value)) throw new UsageError(`'${value}' is not an id`);
  return { kind, value };
}

interface MapRow {
  info: MapInfo;
  memlock: string | undefined;
  frozen: boolean;
  /** prog_array only: the program type and JIT state of the first program that used it. */
  ownerProgType: string | undefined;
  ownerJited: string | undefined;
}

function mapRow(fd: number): MapRow {
  const info = mapInfo(fd);
  const prog = info.type === MapType.PROG_ARRAY;
  return {
    info,
    memlock: fdinfoField(fd, 'memlock'),
    frozen: fdinfoField(fd, 'frozen') === '1',
    ownerProgType: prog ? fdinfoField(fd, 'owner_prog_type') : undefined,
    ownerJited: prog ? fdinfoField(fd, 'owner_jited') : undefined,
  };
}

/** One map in bpftool's plain layout. */
export function formatMapPlain(r: MapRow): string {
  const i = r.info;
  let s = `${i.id}: ${mapTypeName[i.type] ?? `type ${i.type}`}  `;
  if (i.name) s += `name ${i.name}  `;
  s += `flags 0x${i.flags.toString(16)}\n`;
  s += `\tkey ${i.keySize}B  value ${i.valueSize}B  max_entries ${i.maxEntries}`;
  if (r.memlock) s += `  memlock ${r.memlock}B`;
  if (r.ownerProgType !== undefined || r.ownerJited !== undefined) s += '\n\t';
  if (r.ownerProgType !== undefined) s += `owner_prog_type ${progTypeName[Number(r.ownerProgType)] ?? r.ownerProgType}  `;
  if (r.ownerJited !== undefined) s += `owner${Number(r.ownerJited) ? '' : ' not'} jited`;
  if (r.frozen) s += '\n\tfrozen';
  if (i.btfId) s += `\n\tbtf_id ${i.btfId}`;
  return s;
}

/** One map in bpftool's JSON form. */
export function mapJson(r: MapRow): Record<string, unknown> {
  const i = r.info;
  const j: Record<string, unknown> = {
    id: i.id,
    type: mapTypeName[i.type] ?? i.type,
    ...(i.name ? { name: i.name } : {}),
    flags: i.flags,
    bytes_key: i.keySize,
    bytes_value: i.valueSize,
    max_entries: i.maxEntries,
  };
  if (r.memlock) j.bytes_memlock = Number(r.memlock);
  if (r.ownerProgType !== undefined) j.owner_prog_type = progTypeName[Number(r.ownerProgType)] ?? Number(r.ownerProgType);
  if (r.ownerJited !== undefined) j.owner_jited = Number(r.ownerJited) !== 0;
  j.frozen = r.frozen ? 1 : 0;
  if (i.btfId) j.btf_id = i.btfId;
  return j;
}

/** Every map's fd in id order (each closed after `fn`), skipping maps that vanish meanwhile. */
function forEachMap(fn: (fd: Fd) => void): void {
  for (const id of objIds('map')) {
    const fd = objGetFdById('map', id);
    if (!fd) continue;
    try {
      fn(fd);
    } finally {
      fd.close();
    }
  }
}

/** Opens the selected maps (several may share a name). */
function selectMaps(sel: { kind: string; value: string }): BpfMap[] {
  if (sel.kind === 'id') return [BpfMap.fromId(Number(sel.value))];
  if (sel.kind === 'pinned') return [BpfMap.fromPin(sel.value)];
  const out: BpfMap[] = [];
  forEachMap((fd) => {
    if (mapInfo(fd.raw).name === sel.value) out.push(BpfMap.fromFd(fd.dup()));
  });
  if (!out.length) throw new TsbpfError(`no map named '${sel.value}'`);
  return out;
}

function show(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const sel = parseSelector(positionals);
  const rows: MapRow[] = [];
  if (!sel) forEachMap((fd) => rows.push(mapRow(fd.raw)));
  else
    for (const m of selectMaps(sel)) {
      try {
        rows.push(mapRow(m.fd));
      } finally {
        m.close();
      }
    }
  if (values.json) io.out(JSON.stringify(sel && sel.kind !== 'name' ? mapJson(rows[0]!) : rows.map(mapJson)));
  else if (rows.length) io.out(rows.map(formatMapPlain).join('\n'));
  return 0;
}

/** The BTF to print a map's entries with (bpftool `get_map_kv_btf`), or undefined. */
function mapKvBtf(info: MapInfo): Btf | undefined {
  if (info.btfVmlinuxValueTypeId) return readKernelBtf();
  if (info.btfValueTypeId) return loadBtfById(info.btfId).btf;
  return undefined;
}

/** bpftool's `do_dump_btf`: one `{ "key": ..., "value": ... }` object. */
function dumpBtfEntry(w: JsonWriter, btf: Btf, info: MapInfo, perCpu: boolean, key: Uint8Array, value: Uint8Array, plainText: boolean): void {
  const o = { plainText, littleEndian: hostLittleEndian };
  w.startObject();
  let ok = true;
  if (info.btfKeyTypeId) {
    w.name('key');
    ok = dumpBtfData(w, btf, info.btfKeyTypeId, key, o);
  }
  const valueId = info.btfVmlinuxValueTypeId || info.btfValueTypeId;
  if (ok && !perCpu) {
    w.name('value');
    dumpBtfData(w, btf, valueId, value, o);
  } else if (ok) {
    w.name('values');
    w.startArray();
    const step = align8(info.valueSize);
    for (let cpu = 0; cpu < possibleCpus(); cpu++) {
      w.startObject();
      w.name('cpu');
      w.raw(String(cpu));
      w.name('value');
      ok = dumpBtfData(w, btf, valueId, value.subarray(cpu * step, cpu * step + info.valueSize), o);
      w.endObject();
      if (!ok) break;
    }
    w.endArray();
  }
  w.endObject();
}

function hexJson(w: JsonWriter, b: Uint8Array): void {
  w.startArray();
  for (const x of b) w.raw(`"0x${x.toString(16).padStart(2, '0')}"`);
  w.endArray();
}

/**
 * The dump of a map with BTF (bpftool `map_dump` with a writer): entries in
 * `BPF_MAP_GET_NEXT_KEY` order, each printed by its BTF types.
 */
function formatBtfDump(m: BpfMap, info: MapInfo, json: boolean): string {
  const btf = mapKvBtf(info);
  const perCpu = m.traits.perCpu;
  const w = new JsonWriter(!json);
  let plain = '';
  w.startArray();
  for (const k of m.keys()) {
    const v = m.lookupBytes(k);
    if (v === undefined) continue; // deleted meanwhile, or an empty fd-array slot
    if (!json) {
      if (btf) dumpBtfEntry(w, btf, info, perCpu, k, v, true);
      else plain += plainEntry(m, k, v).join('\n') + '\n';
      continue;
    }
    // print_entry_json
    w.startObject();
    w.name('key');
    hexJson(w, k);
    if (!perCpu) {
      w.name('value');
      hexJson(w, v.subarray(0, info.valueSize));
      if (m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS) {
        w.name('inner_map_id');
        w.raw(String(new DataView(v.buffer, v.byteOffset, 4).getUint32(0, hostLittleEndian)));
      }
    } else {
      w.name('values');
      w.startArray();
      const step = align8(info.valueSize);
      for (let cpu = 0; cpu < possibleCpus(); cpu++) {
        w.startObject();
        w.name('cpu');
        w.raw(String(cpu));
        w.name('value');
        hexJson(w, v.subarray(cpu * step, cpu * step + info.valueSize));
        w.endObject();
      }
      w.endArray();
    }
    if (btf) {
      w.name('formatted');
      dumpBtfEntry(w, btf, info, perCpu, k, v, false);
    }
    w.endObject();
  }
  // A map with a BTF object but no value type prints plain entries inside the brackets, as bpftool does.
  if (plain) return '[' + plain + w.text().slice(1) + ']';
  w.endArray();
  return w.text();
}

/** bpftool's `print_entry_plain` lines for one entry. */
function plainEntry(m: BpfMap, k: Uint8Array, v: Uint8Array): string[] {
  const lines: string[] = [];
  if (!m.traits.perCpu) {
    const breakNames = m.keySize > 16 || m.valueSize > 16;
    const single = m.keySize + m.valueSize <= 24 && !breakNames;
    lines.push(`key:${breakNames ? '\n' : ' '}${hexBytes(k)}${single ? '  ' : '\n'}value:${breakNames ? '\n' : ' '}${hexBytes(v)}`);
  } else {
    const stride = align8(m.valueSize);
    lines.push(`key:\n${hexBytes(k)}`);
    for (let c = 0; c < possibleCpus(); c++) {
      lines.push(`value (CPU ${String(c).padStart(2, '0')}):${m.valueSize > 16 ? '\n' : ' '}${hexBytes(v.subarray(c * stride, c * stride + m.valueSize))}`);
    }
  }
  return lines;
}

/**
 * The dump of one map: bpftool's plain layout or JSON, from raw key/value bytes; for a map
 * with BTF (and an iterable key), the BTF-formatted dump bpftool prints.
 */
export function formatDump(m: BpfMap, json: boolean): string {
  if (m.traits.iterable && !m.traits.keyless) {
    const info = m.info();
    // bpftool takes the BTF path in text mode whenever the map has a BTF object, and in JSON
    // mode adds "formatted" when there is a value type.
    if (json ? info.btfValueTypeId || info.btfVmlinuxValueTypeId : info.btfId) return formatBtfDump(m, info, json);
  }
  const perCpu = m.traits.perCpu;
  const n = perCpu ? possibleCpus() : 1;
  const stride = align8(m.valueSize);
  const entries: [Uint8Array, Uint8Array][] = [];
  if (m.traits.iterable && !m.traits.keyless) {
    const { keys, values } = m.batchLookupBytes();
    keys.forEach((k, i) => entries.push([k, values[i]!]));
  } else if (m.type === MapType.QUEUE || m.type === MapType.STACK) {
    const v = m.lookupBytes(null);
    if (v) entries.push([new Uint8Array(0), v]);
  } else {
    throw new TsbpfError(`map '${m.name}': ${m.traits.name} maps cannot be dumped`);
  }
  const cpuValues = (v: Uint8Array) => Array.from({ length: n }, (_, c) => v.subarray(c * stride, c * stride + m.valueSize));
  if (json) {
    return JSON.stringify(
      entries.map(([k, v]) =>
        perCpu
          ? { key: jsonHex(k), values: cpuValues(v).map((x, cpu) => ({ cpu, value: jsonHex(x) })) }
          : { key: jsonHex(k), value: jsonHex(v) },
      ),
    );
  }
  const lines: string[] = [];
  for (const [k, v] of entries) {
    if (!perCpu) {
      const breakNames = m.keySize > 16 || m.valueSize > 16;
      const single = m.keySize + m.valueSize <= 24 && !breakNames;
      lines.push(`key:${breakNames ? '\n' : ' '}${hexBytes(k)}${single ? '  ' : '\n'}value:${breakNames ? '\n' : ' '}${hexBytes(v)}`);
    } else {
      lines.push(`key:\n${hexBytes(k)}`);
      cpuValues(v).forEach((x, c) => lines.push(`value (CPU ${String(c).padStart(2, '0')}):${m.valueSize > 16 ? '\n' : ' '}${hexBytes(x)}`));
    }
  }
  lines.push(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function dump(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const sel = parseSelector(positionals);
  if (!sel) throw new UsageError("which map? give 'id N', 'pinned PATH' or 'name NAME'");
  const maps = selectMaps(sel);
  try {
    for (const m of maps) io.out(formatDump(m, values.json ?? false));
  } finally {
    for (const m of maps) m.close();
  }
  return 0;
}

export const mapCommands: CliCommand[] = [
  { path: ['map', 'list'], summary: 'List every map in the system (needs CAP_SYS_ADMIN)', usage: '[--json]', run: show },
  { path: ['map', 'show'], summary: 'Show one map, or all maps', usage: '[id ID | pinned PATH | name NAME] [--json]', run: show },
  { path: ['map', 'dump'], summary: 'Print every entry of a map', usage: 'id ID | pinned PATH | name NAME [--json]', run: dump },
];
