/**
 * Test helper: writes generated skeletons (and a typed program that uses one) into
 * `test/gen/.out/<dir>` (gitignored), importing the runtime from this checkout's
 * `src/index.ts`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateSkeleton, generateTypes, type GenerateSkeletonOptions } from '../../src/gen/skeleton/index.js';
import { parseObject } from '../../src/object/index.js';
import { allFixtures, repoRoot } from '../helpers/fixtures.js';

export const outRoot = join(repoRoot, 'test', 'gen', '.out');

/**
 * A fresh `test/gen/.out/<name>-<pid>` folder: unique per test process, since several test
 * runs may share the checkout. Remove it with {@link removeOutDir} when the test ends.
 */
export function outDir(name: string): string {
  const dir = join(outRoot, `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes a folder made by {@link outDir}. */
export function removeOutDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every object the skeleton tests cover: each fixture (both byte orders) and each example. */
export function allObjects(): { id: string; path: string }[] {
  const examples = join(repoRoot, 'examples', 'bpf');
  return [
    ...allFixtures().map((f) => ({ id: `${f.name}.${f.endian}`, path: f.path })),
    ...readdirSync(examples)
      .filter((f) => f.endsWith('.o'))
      .sort()
      .map((f) => ({ id: `example_${f.replace(/\.o$/, '')}`, path: join(examples, f) })),
  ];
}

/** The extra options the fixture with a perf event array needs. */
export const eventOptions: Record<string, Record<string, string>> = {
  gen_skeleton: { perf_events: 'struct event' },
};

/**
 * Writes `<id>.skel.ts` (and `<id>.types.ts`) for `objectPath` into `dir`. `embed` false: the
 * module reads the object by a path relative to itself.
 */
export function writeSkeleton(dir: string, id: string, objectPath: string, opts: { embed?: boolean; types?: boolean } = {}): string {
  const bytes = new Uint8Array(readFileSync(objectPath));
  const fileName = objectPath.slice(objectPath.lastIndexOf('/') + 1);
  const spec = parseObject(bytes, { fileName });
  const events = eventOptions[spec.name];
  const options: GenerateSkeletonOptions = {
    object: opts.embed === false ? { path: relative(dir, objectPath) } : { embed: bytes },
    importFrom: relative(dir, join(repoRoot, 'src', 'index.js')),
    ...(events ? { events } : {}),
  };
  const file = join(dir, `${id}.skel.ts`);
  writeFileSync(file, generateSkeleton(spec, options));
  if (opts.types !== false) writeFileSync(join(dir, `${id}.types.ts`), generateTypes(spec, events ? { events } : {}));
  return file;
}

/**
 * A program written against the generated skeleton of `gen_skeleton.bpfel.o`, as a user
 * would: typechecked with the skeletons (`tsc --strict`) and run by the kernel test. The
 * `@ts-expect-error` lines are type errors that must stay errors.
 */
export const programSource = `
import { EventKind, open, type Event, type Stats } from './gen_skeleton.bpfel.skel.js';

export interface ProgramResult {
  attachKind: 'tracepoint';
  ringEvents: Event[];
  perfEvents: Event[];
  iterated: Event;
  stats: Stats | undefined;
  eventsSent: bigint;
  seenPid: number;
  rodata: { target_pid: number; magic: bigint; tag_name: string };
  readOnlyError: string;
  afterBssWrite: Event;
}

/** Sets the constants, loads, attaches, triggers with \`trigger\` (a getppid in process \`pid\`), reads. */
export async function run(pid: number, trigger: () => void): Promise<ProgramResult> {
  const skel = open();
  skel.rodata.target_pid = pid;
  skel.rodata.magic = 0x1234_5678_9abc_def0n;
  skel.rodata.tag_name = 'tsbpf';
  skel.data.seen_pid = 0;
  // @ts-expect-error a __u64 constant is a bigint
  if (false as boolean) skel.rodata.magic = 1;
  using live = skel.load();
  let readOnlyError = '';
  try {
    // @ts-expect-error .rodata is read-only after load
    live.rodata.target_pid = 1;
  } catch (e) {
    readOnlyError = (e as Error).message;
  }
  const attachKind: 'tracepoint' = live.progs.on_getppid.attachKind;
  live.attach();

  const ringEvents: Event[] = [];
  const perfEvents: Event[] = [];
  for (let i = 0; i < 50 && (ringEvents.length === 0 || perfEvents.length === 0); i++) {
    trigger();
    await live.events.events.poll(20, (e) => ringEvents.push(e));
    await live.events.perf_events.poll(20, (e) => perfEvents.push(e));
  }
  const stats: Stats | undefined = live.maps.stats.lookup({ pid, slot: 1 });
  const kind: EventKind = EventKind.EVENT_GETPPID;
  void kind;

  // Live .bss: the program's next event counts on from what we write.
  live.bss.events_sent = 1000n;
  live.events.perf_events.reader.close();
  trigger();
  // Closing the reader ends the loop: a missing event fails the test instead of hanging it.
  const guard = setTimeout(() => live.events.events.close(), 10_000);
  let iterated: Event | undefined;
  let afterBssWrite: Event | undefined;
  for await (const e of live.events.events) {
    iterated ??= e;
    if (e.seq > 1000n) {
      afterBssWrite = e;
      break;
    }
  }
  clearTimeout(guard);
  return {
    attachKind,
    ringEvents,
    perfEvents,
    iterated: iterated!,
    stats,
    eventsSent: live.bss.events_sent,
    seenPid: live.data.seen_pid,
    rodata: { ...live.rodata },
    readOnlyError,
    afterBssWrite: afterBssWrite!,
  };
}
`;
