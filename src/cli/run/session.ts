/**
 * A live `tsbpf run`: load, attach as planned, read every event map, trace_pipe and the
 * table maps, and hand everything to the {@link Presenter} (and the recorder) until
 * Ctrl-C or `--duration`. Progress goes to standard error.
 *
 * Order at exit matters for "nothing lost at the end": the readers stop being driven by
 * the event loop, then whatever is still in the rings is consumed, then the maps are read
 * for the final histograms, then everything is closed (links first, so no program runs
 * against a closed reader's perf events).
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { loadCollection, type Collection } from '../../collection/index.js';
import type { BpfMap } from '../../maps/index.js';
import {
  attachBySection,
  attachCgroup,
  attachNetkit,
  attachPerfEvent,
  attachTcx,
  attachUprobe,
  attachXdp,
  IterLink,
  kprobesMissing,
  lockdownMode,
  lockdownSensitive,
  parseUprobeTarget,
  resolveBinaryPath,
  uprobeOffset,
  type Link,
} from '../../link/index.js';
import { findSectionDef } from '../../object/index.js';
import { probeProgType } from '../../features/index.js';
import { progTypeName } from '../../uapi/bpf.js';
import { PerfReader } from '../../perf/index.js';
import type { Program } from '../../programs/index.js';
import { RingbufReader } from '../../ringbuf/index.js';
import { TsbpfError } from '../../errors.js';
import type { CliIo } from '../command.js';
import { describeStep, PERF_EVENTS, type AttachStep, type PlannedAttach } from './attach-plan.js';
import type { HistStyle } from './hist.js';
import { readUint, type MapEntry } from './map-format.js';
import type { StackPlan } from './discover.js';
import { kernelSymbolKey, readStackSamples, referencedStackIds, stackAddresses, stacksById, userSymbolKey } from './stack-format.js';
import { KernelSymbols, UserSymbols } from './symbolize.js';
import { describeTarget } from './describe.js';
import type { Prepared } from './prepare.js';
import { Presenter } from './presenter.js';
import { encodeHeader, encodeItem, RECORD_FORMAT, RECORD_VERSION, type RecordItem } from './record-file.js';
import { TracePipe } from './trace-pipe.js';

/** How the run behaves. */
export interface SessionOptions {
  json: boolean;
  histStyle: HistStyle;
  /** Seconds; undefined: until Ctrl-C. */
  duration: number | undefined;
  /** Seconds between histogram/counter prints; undefined: only at exit. */
  interval: number | undefined;
  record: string | undefined;
  kernelBtf: import('../../btf/index.js').Btf | undefined;
  colorOut: boolean;
  colorErr: boolean;
}

const now = () => performance.timeOrigin + performance.now();
const green = (s: string, on: boolean) => (on ? `\x1b[32m${s}\x1b[0m` : s);
const yellow = (s: string, on: boolean) => (on ? `\x1b[33m${s}\x1b[0m` : s);

/** Extra facts for `--dry-run`: uprobe file offsets, and what this kernel refuses. */
export function dryRunNotes(p: Prepared, a: PlannedAttach): string[] {
  const notes: string[] = [];
  const prog = p.spec.programs.get(a.program)!;
  const s = a.step;
  let uprobe: { binary: string; symbol?: string; offset?: bigint } | undefined;
  if (s.how === 'uprobe') uprobe = parseUprobeTarget(s.target);
  else if (s.how === 'section' && findSectionDef(a.section)?.def.autoAttach === 'uprobe') uprobe = parseUprobeTarget(findSectionDef(a.section)!.target ?? '');
  if (uprobe) {
    try {
      const path = resolveBinaryPath(uprobe.binary);
      const off = (uprobe.symbol !== undefined ? uprobeOffset(path, uprobe.symbol) : 0n) + (uprobe.offset ?? 0n);
      notes.push(`${path} file offset 0x${off.toString(16)}`);
    } catch (e) {
      notes.push(`cannot resolve: ${(e as Error).message}`);
    }
  }
  if (s.how === 'uprobe' && !uprobe) notes.push(`'${s.target}' is not PATH:FUNCTION[+OFFSET] or PATH:OFFSET`);
  if (lockdownSensitive(prog.type, prog.expectedAttachType)) {
    const mode = lockdownMode();
    const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
    // Without securityfs the mode is unknown: a probe load tells (lockdown refuses it with EPERM).
    if (mode && mode !== 'none') notes.push(`this kernel refuses it: lockdown '${mode}' forbids trampoline and LSM programs`);
    else if (mode === undefined && root && !probeProgType(prog.type)) notes.push(`this kernel refuses it: loading ${progTypeName[prog.type] ?? prog.type} programs fails (kernel lockdown forbids trampoline and LSM programs)`);
  }
  const auto = findSectionDef(a.section)?.def.autoAttach;
  if (s.how === 'section' && (auto === 'kprobe' || auto === 'ksyscall' || auto === 'kprobe_multi')) {
    const missing = kprobesMissing(auto, findSectionDef(a.section)?.target ?? '');
    if (missing) notes.push(`this kernel cannot: ${missing.message}`);
  }
  if (s.how === 'perf_event' && !PERF_EVENTS[s.event]) notes.push(`unknown --event '${s.event}' (known: ${Object.keys(PERF_EVENTS).join(', ')})`);
  return notes;
}

/** `--dry-run`: the plan and what would be shown, without loading anything. */
export function dryRun(p: Prepared, json: boolean, io: CliIo): number {
  const programs = p.attach.map((a) => ({ program: a.program, section: a.section, attach: describeStep(a.step), notes: dryRunNotes(p, a) }));
  const shown = describeTarget(p);
  if (json) {
    io.out(JSON.stringify({ object: p.spec.name, programs, ...shown.json }));
    return 0;
  }
  const lines = [`object '${p.spec.name}': attach plan`];
  for (const x of programs) {
    lines.push(`  ${x.program} (${x.section}) -> ${x.attach}`);
    for (const n of x.notes) lines.push(`      ${n}`);
  }
  lines.push(...shown.text);
  io.out(lines.join('\n'));
  return 0;
}

function attachOne(step: AttachStep, prog: Program, coll: Collection, section: string): Link | undefined {
  switch (step.how) {
    case 'section': {
      const info = findSectionDef(section);
      if (!info) return undefined;
      const usdt = coll.maps.get('__bpf_usdt_specs');
      return attachBySection(prog, info, usdt ? { usdtSpecs: { update: (id, spec) => usdt.updateBytes(new Uint8Array(new Uint32Array([id]).buffer), spec) } } : {});
    }
    case 'xdp':
      return attachXdp(prog, step.iface);
    case 'tcx':
      return attachTcx(prog, step.iface, step.direction);
    case 'netkit':
      return attachNetkit(prog, step.iface, step.side);
    case 'cgroup':
      return attachCgroup(prog, step.path);
    case 'perf_event': {
      const ev = PERF_EVENTS[step.event];
      if (!ev) throw new TsbpfError(`unknown --event '${step.event}' (known: ${Object.keys(PERF_EVENTS).join(', ')})`);
      return attachPerfEvent(prog, { type: ev[0], config: ev[1], frequency: step.freq, ...(step.pid !== undefined ? { pid: step.pid } : {}) });
    }
    case 'uprobe': {
      const u = parseUprobeTarget(step.target);
      if (!u) throw new TsbpfError(`--binary '${step.target}' is not PATH:FUNCTION[+OFFSET] or PATH:OFFSET`);
      return attachUprobe(prog, u.binary, {
        retprobe: step.retprobe,
        ...(u.symbol !== undefined ? { symbol: u.symbol } : {}),
        ...(u.offset !== undefined ? { offset: u.offset } : {}),
        ...(step.pid !== undefined ? { pid: step.pid } : {}),
      });
    }
    case 'skip':
      return undefined;
  }
}

/** Reads a table map's entries, one value per CPU for per-CPU maps. */
function readEntries(m: BpfMap, perCpu: boolean): MapEntry[] {
  const out: MapEntry[] = [];
  if (perCpu) for (const [k, vs] of m.entriesPerCpu()) out.push({ key: k, values: vs });
  else for (const [k, v] of m.entries()) out.push({ key: k, values: [v] });
  return out;
}

/**
 * Reads the stacks a stack count map refers to into `maps` (under the stack map's name)
 * and names their addresses into `symbols` while the processes still exist.
 */
function readStackMap(
  stackMap: BpfMap,
  st: StackPlan,
  entries: readonly MapEntry[],
  maps: Map<string, MapEntry[]>,
  symbols: Record<string, string>,
  p: Prepared,
  kernel: KernelSymbols,
  user: UserSymbols,
): void {
  const le = p.spec.littleEndian;
  const samples = readStackSamples(st, entries, p.spec.btf, le);
  const out = maps.get(st.stackMap) ?? [];
  const have = new Set(out.map((e) => Number(readUint(e.key, 0, 4, le))));
  for (const id of referencedStackIds(samples)) {
    if (have.has(id)) continue;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, id, le);
    const v = stackMap.lookupBytes(key);
    if (v) out.push({ key, values: [v] });
    have.add(id);
  }
  maps.set(st.stackMap, out);
  const stacks = stacksById(out, le);
  for (const s of samples) {
    if (s.kernId !== undefined && s.kernId >= 0) {
      for (const a of stackAddresses(stacks, s.kernId, le)) {
        const name = kernel.name(a);
        if (name) symbols[kernelSymbolKey(a)] = name;
      }
    }
    if (s.userId !== undefined && s.userId >= 0 && s.pid !== undefined) {
      for (const a of stackAddresses(stacks, s.userId, le)) {
        const name = user.name(s.pid, a);
        if (name) symbols[userSymbolKey(s.pid, a)] = name;
      }
    }
  }
}

/** Runs until the duration ends or SIGINT/SIGTERM; returns the exit code. */
export async function runSession(p: Prepared, o: SessionOptions, io: CliIo): Promise<number> {
  const progress = (s: string) => io.err(s);
  let recordFd: number | undefined;
  const record = (item: RecordItem) => {
    if (recordFd !== undefined) writeSync(recordFd, encodeItem(item) + '\n');
  };
  const presenter = new Presenter(p.plan, p.spec.btf, p.spec.littleEndian, { json: o.json, histStyle: o.histStyle, tzOffsetMin: -new Date().getTimezoneOffset(), color: o.colorOut }, io);

  const only = p.attach.filter((a) => a.step.how !== 'skip').map((a) => a.program);
  const coll = loadCollection(p.spec, { constants: p.constants, programs: only, ...(o.kernelBtf ? { kernelBtf: o.kernelBtf } : {}) });
  const links: Link[] = [];
  const iters: { program: string; link: IterLink }[] = [];
  let ring: RingbufReader | undefined;
  const perf: { reader: PerfReader; onRecord: (rec: { bytes: Uint8Array }) => void }[] = [];
  let pipe: TracePipe | undefined;
  let timer: NodeJS.Timeout | undefined;
  const cleanup: (() => void)[] = [];
  let failure: unknown;
  try {
    // trace_pipe opened before attaching: its backlog is dropped, the programs' lines kept.
    if (p.plan.printk) {
      pipe = TracePipe.open((line) => {
        const t = now();
        presenter.printk(t, line);
        record({ kind: 'printk', t, line });
      });
    }
    progress(`loaded '${p.spec.name}': ${coll.programs.size} program${coll.programs.size === 1 ? '' : 's'}, ${coll.maps.size} map${coll.maps.size === 1 ? '' : 's'}`);
    // Event maps, read from before the programs run: a perf event array drops what a program
    // outputs while no reader's perf event is in the map. Records reach the callbacks only once
    // this synchronous setup returns to the event loop, after the recording's header.
    const ringMaps: string[] = [];
    for (const e of p.plan.events) {
      const map = coll.maps.get(e.map);
      if (!map) continue;
      if (!e.typeId) progress(yellow(`map '${e.map}': record type unknown (${e.note ?? 'no hint'}); printing bytes, use --event-type`, o.colorErr));
      if (e.kind === 'ringbuf') {
        ring ??= new RingbufReader();
        ring.add(map);
        ringMaps.push(e.map);
      } else {
        const name = e.map;
        const reader = PerfReader.open(map, {
          onLost: (_cpu, n) => {
            const t = now();
            presenter.lostRecords(name, t, n);
            record({ kind: 'lost', t, map: name, count: n });
          },
        });
        const onRecord = (rec: { bytes: Uint8Array }) => {
          const t = now();
          const bytes = rec.bytes;
          presenter.event(name, t, bytes);
          record({ kind: 'event', t, map: name, data: bytes });
        };
        perf.push({ reader, onRecord });
        reader.on(onRecord, (err) => (failure ??= err));
      }
    }
    const onRing = (rec: { source: number; bytes: Uint8Array }) => {
      const t = now();
      const name = ringMaps[rec.source]!;
      const bytes = rec.bytes;
      presenter.event(name, t, bytes);
      record({ kind: 'event', t, map: name, data: bytes });
    };
    ring?.on(onRing, (err) => (failure ??= err));
    for (const a of p.attach) {
      const prog = coll.programs.get(a.program);
      if (!prog || a.step.how === 'skip') {
        progress(yellow(`not attached ${a.program}: ${a.step.how === 'skip' ? a.step.reason : 'not loaded'}`, o.colorErr));
        continue;
      }
      try {
        const link = attachOne(a.step, prog, coll, a.section);
        if (!link) {
          progress(yellow(`not attached ${a.program}: its section names no target`, o.colorErr));
          continue;
        }
        links.push(link);
        if (link instanceof IterLink) iters.push({ program: a.program, link });
        progress(green(`attached ${a.program}: ${describeStep(a.step)}`, o.colorErr));
      } catch (e) {
        progress(yellow(`not attached ${a.program}: ${(e as Error).message}`, o.colorErr));
      }
    }
    if (!links.length) throw new TsbpfError(`no program of '${p.spec.name}' could be attached`);

    if (o.record) {
      try {
        recordFd = openSync(o.record, 'w');
      } catch (e) {
        throw new TsbpfError(`cannot write '${o.record}': ${(e as Error).message}`, { cause: e });
      }
      const btf = p.spec.btf;
      writeSync(
        recordFd,
        encodeHeader({
          format: RECORD_FORMAT,
          version: RECORD_VERSION,
          object: p.spec.name,
          littleEndian: p.spec.littleEndian,
          tzOffsetMin: -new Date().getTimezoneOffset(),
          btf: btf ? btf.bytes : undefined,
          plan: p.plan,
          options: { json: o.json, histStyle: o.histStyle, interval: o.interval ?? 0 },
        }) + '\n',
      );
    }

    const kernelSymbols = new KernelSymbols();
    const userSymbols = new UserSymbols();
    const snapshot = (final: boolean) => {
      const t = now();
      const maps = new Map<string, MapEntry[]>();
      for (const x of [...p.plan.histograms, ...p.plan.counters]) {
        const m = coll.maps.get(x.map);
        if (m) maps.set(x.map, readEntries(m, x.perCpu));
      }
      const symbols: Record<string, string> = {};
      for (const st of p.plan.stacks ?? []) {
        const m = coll.maps.get(st.map);
        const stackMap = coll.maps.get(st.stackMap);
        if (!m || !stackMap) continue;
        const entries = readEntries(m, st.perCpu);
        maps.set(st.map, entries);
        readStackMap(stackMap, st, entries, maps, symbols, p, kernelSymbols, userSymbols);
      }
      presenter.maps(t, final, maps, symbols);
      record({ kind: 'maps', t, final, maps, symbols });
      for (const it of iters) {
        const text = it.link.readText();
        presenter.iter(it.program, t, text);
        record({ kind: 'iter', t, program: it.program, text });
      }
    };

    const what = [p.plan.events.length ? 'events' : '', p.plan.histograms.length || p.plan.counters.length || p.plan.stacks?.length ? 'map updates' : '', p.plan.printk ? 'bpf_printk output' : '']
      .filter(Boolean)
      .join(', ');
    progress(`waiting for ${what || 'activity'}${o.duration !== undefined ? ` for ${o.duration}s` : ''}... (Ctrl-C to stop)`);

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      cleanup.push(() => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      });
      if (o.duration !== undefined) {
        const d = setTimeout(stop, o.duration * 1000);
        cleanup.push(() => clearTimeout(d));
      }
      if (o.interval !== undefined) timer = setInterval(() => snapshot(false), o.interval * 1000);
      const check = setInterval(() => {
        if (failure !== undefined) stop();
      }, 100);
      cleanup.push(() => clearInterval(check));
    });
    if (timer) clearInterval(timer);
    for (const c of cleanup) c();

    // Drain what is left, then the final state of the maps.
    ring?.off();
    if (ring) ring.consume(onRing);
    for (const { reader, onRecord } of perf) {
      reader.off();
      reader.consume(onRecord);
    }
    pipe?.drain();
    snapshot(true);
    record({ kind: 'end', t: now() });
    if (failure !== undefined) throw failure;
    progress(presenter.summary());
    return 0;
  } finally {
    if (timer) clearInterval(timer);
    for (const c of cleanup) c();
    for (const l of links.reverse()) {
      try {
        l.close();
      } catch {
        // keep closing
      }
    }
    pipe?.close();
    ring?.close();
    for (const { reader } of perf) reader.close();
    coll.close();
    if (recordFd !== undefined) closeSync(recordFd);
  }
}
