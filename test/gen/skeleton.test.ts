/**
 * `tsbpf gen skeleton` / `gen types`, without the kernel: the TypeScript each BTF type
 * becomes (and that it is what the runtime codec decodes), the layout checks that refuse an
 * object the skeleton was not generated from, `.rodata` set on the open skeleton, the CLI,
 * and mutated objects (typed errors, or output that still parses as TypeScript).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { valueCodec, BtfValueError } from '../../src/btf/index.js';
import { openSkeleton, type SkeletonTypes } from '../../src/collection/skeleton.js';
import { TsbpfError } from '../../src/errors.js';
import { generateSkeleton, generateTypes, planSkeleton, SkeletonError, type SkeletonLayout } from '../../src/gen/skeleton/index.js';
import { encodeBase64 } from '../../src/gen/skeleton/base64.js';
import { commentSafe, pascalCase, propertyKey, sectionIdent } from '../../src/gen/skeleton/naming.js';
import { parseElf } from '../../src/elf/index.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { runCli } from '../helpers/cli.js';
import { fixturePath, readFixture, repoRoot } from '../helpers/fixtures.js';
import { applyMutations, mutations } from '../helpers/mutate.js';

const spec = (name: string, endian: 'bpfel' | 'bpfeb' = 'bpfel'): ObjectSpec => parseObject(readFixture(name, endian), { fileName: `${name}.${endian}.o` });
const events = { perf_events: 'struct event' };

/** Syntax errors of `text` as TypeScript (the full typecheck is in skeleton-typecheck.test.ts). */
function syntaxErrors(text: string): string[] {
  const out = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('gen types', () => {
  it('types every part of gen_skeleton as the codec decodes it', () => {
    const text = generateTypes(spec('gen_skeleton'), { events });
    expect(text).toContain(
      [
        '/** `struct event` */',
        'export interface Event {',
        '  pid: number; // __u32',
        '  kind: EventKind; // enum event_kind',
        '  seq: bigint; // __u64',
        '  comm: string; // char[16]',
        '  where: Point; // struct point',
        '  flags: [number, number, number]; // __u8[3]',
        '  ok: boolean; // _Bool',
        '  tag: {',
        '    as_u32: number; // __u32',
        '    as_bytes: [number, number, number, number]; // __u8[4]',
        '  }; // union (anon)',
        '  low: number; // unsigned int:4',
        '  high: number; // unsigned int:4',
        '  ret: number; // __s32',
        '  cpu: number; // __u32',
        '}',
      ].join('\n'),
    );
    expect(text).toContain('export type EventKind = 1 | 2;\n/** The enumerators of `enum event_kind`. */\nexport const EventKind = { EVENT_GETPPID: 1, EVENT_OTHER: 2 } as const;');
    expect(text).toContain('export interface StatsKey {\n  pid: number; // __u32\n  slot: number; // __u32\n}');
    expect(text).toContain('export interface GenSkeletonRodata {\n  target_pid: number; // __u32\n  magic: bigint; // __u64\n  tag_name: string; // char[8]\n}');
    expect(text).toContain('export interface GenSkeletonBss {\n  events_sent: bigint; // __u64\n}');
    // Each type declared once, though used by two event maps.
    expect(text.match(/export interface Event \{/g)).toHaveLength(1);
    expect(text).not.toContain('import ');
    expect(syntaxErrors(text)).toEqual([]);
  });

  it('maps bitfields, 64-bit and signed enums, floats, pointers, flexible arrays and anonymous members', () => {
    const text = generateTypes(spec('btf_types'));
    expect(text).toContain('export interface Bits {\n  a: number; // unsigned int:3\n  b: number; // unsigned int:5\n  c: number; // int:7\n  d: bigint; // unsigned long long:40');
    expect(text).toContain('export type BigEnum = 1n | 1099511627775n | 9223372036854775808n;');
    expect(text).toContain('export type SmallEnum = 1 | 2 | -3;');
    expect(text).toMatch(/ratio: number; \/\/ float\n  precise: number; \/\/ double/);
    expect(text).toContain('next: bigint; // struct with_anon *');
    expect(text).toContain('flex: number[]; // int[0]');
    // Anonymous struct members flattened, as C (and the codec) read them.
    expect(text).toMatch(/export interface WithAnon \{\n  kind: number; \/\/ int\n  lo: number; \/\/ __u32\n  hi: number; \/\/ __u32\n  both: bigint;/);
  });

  it('agrees with the runtime codec: a decoded value has exactly the declared members and JS types', () => {
    const s = spec('gen_skeleton');
    const plan = planSkeleton(s, { events });
    const ev = plan.events.events!;
    const bytes = new Uint8Array(ev.ref.size).fill(0x41);
    const v = valueCodec(s.btf!, ev.ref.id).decode(bytes) as Record<string, unknown>;
    const declared = [...generateTypes(s, { events }).matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]);
    for (const k of Object.keys(v)) expect(declared).toContain(k);
    expect(typeof v.pid).toBe('number');
    expect(typeof v.seq).toBe('bigint');
    expect(typeof v.comm).toBe('string');
    expect(typeof v.ok).toBe('boolean');
    expect(v.flags).toHaveLength(3);
    expect(Object.keys(v.tag as object)).toEqual(['as_u32', 'as_bytes']);
  });
});

describe('gen skeleton', () => {
  it('plans programs with attach kinds, typed maps, sections without statics, and event maps', () => {
    const g = planSkeleton(spec('globals'));
    expect(Object.keys(g.layout.sections)).toEqual(['rodata', 'data', 'data_slots', 'bss']);
    expect(Object.keys(g.layout.sections.bss!.variables)).toEqual(['misses']); // internal_counter is static
    expect(g.attachKinds).toEqual({ count_getpid: 'tracepoint' });

    const p = planSkeleton(spec('gen_skeleton'), { events });
    expect(p.layout.maps.stats).toMatchObject({ map: 'stats', key: { name: 'struct stats_key', size: 8 }, value: { name: 'struct stats', size: 24 } });
    expect(p.layout.maps.events).toEqual({ map: 'events' }); // a ring buffer has no key or value for the kernel
    expect(p.layout.events).toMatchObject({ events: { reader: 'ringbuf', type: { name: 'struct event' } }, perf_events: { reader: 'perf', type: { name: 'struct event' } } });
    // Without --event a perf buffer's records are bytes; a ring buffer without a hint too.
    expect(planSkeleton(spec('gen_skeleton')).layout.events.perf_events).toEqual({ map: 'perf_events', reader: 'perf' });
    expect(planSkeleton(spec('ringbuf')).layout.events.events).toEqual({ map: 'events', reader: 'ringbuf' });
  });

  it('refuses --event options naming what the object lacks', () => {
    expect(() => planSkeleton(spec('gen_skeleton'), { events: { nope: 'struct event' } })).toThrow(new SkeletonError("event map 'nope' is not a map of object 'gen_skeleton'"));
    expect(() => planSkeleton(spec('gen_skeleton'), { events: { stats: 'struct event' } })).toThrow("event map 'stats' is not a ring buffer or perf event array");
    expect(() => planSkeleton(spec('ringbuf'), { events: { events: 'struct event' } })).toThrow("event type 'struct event' of map 'events' is not in the BTF of object 'ringbuf'");
    expect(planSkeleton(spec('gen_skeleton'), { events: { perf_events: 'point' } }).layout.events.perf_events!.type!.name).toBe('struct point');
  });

  it('embeds the object as base64, or references it by a path relative to the module', () => {
    const bytes = readFixture('minimal');
    const embedded = generateSkeleton(spec('minimal'), { object: { embed: bytes } });
    const b64 = [...embedded.matchAll(/^ {4}'([A-Za-z0-9+/=]+)',$/gm)].map((m) => m[1]).join('');
    expect(Buffer.from(b64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    expect(embedded).toContain("from \"tsbpf\";");
    const byPath = generateSkeleton(spec('minimal'), { object: { path: '../obj/minimal.bpfel.o' }, importFrom: '../src/index.js' });
    expect(byPath).toContain('const object = { path: new URL("../obj/minimal.bpfel.o", import.meta.url) };');
    expect(byPath).toContain('from "../src/index.js";');
    expect(generateSkeleton(spec('minimal'), { object: { path: '/opt/x.o' } })).toContain('const object = { path: "/opt/x.o" };');
    expect(syntaxErrors(embedded)).toEqual([]);
  });

  it('encodes base64 like Buffer for every length mod 3', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => encodeBase64(b) === Buffer.from(b).toString('base64')));
  });

  it('keeps names from the object out of comments and code syntax', () => {
    expect(commentSafe('a */ b\nc\u2028d')).toBe('a *\\/ b c d');
    expect(propertyKey('ok_name')).toBe('ok_name');
    expect(propertyKey('not-ok')).toBe('"not-ok"');
    expect(pascalCase('stats_key')).toBe('StatsKey');
    expect(pascalCase('__u32')).toBe('U32');
    expect(pascalCase('9lives')).toBe('T9lives');
    expect(sectionIdent('.data.slots')).toBe('data_slots');
    expect(sectionIdent('.rodata')).toBe('rodata');
  });

  it('gives a C type named like a global the generated code uses another name', () => {
    const s = spec('gen_skeleton');
    // Rename `struct point` to `struct Map` in a copy of the BTF strings: `Map` is reserved.
    const bytes = readFixture('gen_skeleton').slice();
    const btf = parseElf(bytes).section('.BTF')!;
    const at = Buffer.from(bytes).indexOf(Buffer.from('\0point\0'), btf.offset);
    expect(at).toBeLessThan(btf.offset + btf.size);
    expect(at).toBeGreaterThan(0);
    bytes.set(Buffer.from('\0Map\0\0\0\0'), at);
    const text = generateTypes(parseObject(bytes, { fileName: 'gen_skeleton.bpfel.o' }));
    expect(text).toContain('export interface MapStruct {');
    expect(text).toContain('where: MapStruct; // struct Map');
    expect(s.name).toBe('gen_skeleton');
  });
});

describe('openSkeleton', () => {
  const layoutOf = (s: ObjectSpec): SkeletonLayout => planSkeleton(s, { events }).layout;

  it('sets .rodata, .data and .bss before load through typed properties', () => {
    const s = spec('gen_skeleton');
    const skel = openSkeleton<SkeletonTypes & { sections: { rodata: { target_pid: number; magic: bigint; tag_name: string } } }>(
      { bytes: readFixture('gen_skeleton') },
      layoutOf(s),
    );
    expect(skel.rodata).toEqual({ target_pid: 0, magic: 0n, tag_name: 'none' });
    skel.rodata.target_pid = 4242;
    skel.rodata.magic = 0xfedc_ba98_7654_3210n;
    skel.rodata.tag_name = 'abcdefgh'; // fills char[8] with no NUL, as C allows
    expect(skel.rodata).toEqual({ target_pid: 4242, magic: 0xfedc_ba98_7654_3210n, tag_name: 'abcdefgh' });
    const ro = [...skel.spec.maps.values()].find((m) => m.dataSection === '.rodata')!;
    const target = ro.variables!.find((v) => v.name === 'target_pid')!;
    expect(new DataView(ro.data!.buffer, ro.data!.byteOffset).getUint32(target.offset, true)).toBe(4242);
    expect(() => (skel.rodata.tag_name = 'nine chars')).toThrow(BtfValueError);
    expect(() => ((skel.rodata as { magic: unknown }).magic = 1.5)).toThrow(BtfValueError);
    expect(() => ((skel.rodata as Record<string, unknown>).nope = 1)).toThrow(TypeError); // sealed: no new names
  });

  it('refuses an object that does not match the skeleton, naming every difference', () => {
    const layout = layoutOf(spec('gen_skeleton'));
    let err: unknown;
    try {
      openSkeleton({ bytes: readFixture('globals') }, layout);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SkeletonError);
    expect((err as Error).message).toMatch(/^object 'gen_skeleton' does not match its skeleton \(regenerate it with tsbpf gen skeleton\): no program 'on_getppid'; .*no map 'stats'/);

    // Same names, a type whose layout changed: caught by the shape digest.
    const changed = structuredClone(layout);
    changed.events.events!.type!.shape = '00000000';
    expect(() => openSkeleton({ bytes: readFixture('gen_skeleton') }, changed)).toThrow("events 'events': struct event has other members or offsets than when the skeleton was generated");
    const renamed = structuredClone(layout);
    renamed.maps.stats!.key!.name = 'struct other';
    expect(() => openSkeleton({ bytes: readFixture('gen_skeleton') }, renamed)).toThrow("map 'stats' key: type [8] is struct stats_key, the skeleton expects struct other");
    expect(() => openSkeleton({ path: join(repoRoot, 'no', 'such.o') }, layout)).toThrow(/^cannot read the skeleton's object '.*no\/such.o': ENOENT/);
  });

  it('reads the object from base64 or a path', () => {
    const layout = layoutOf(spec('gen_skeleton'));
    const b64 = openSkeleton({ base64: Buffer.from(readFixture('gen_skeleton')).toString('base64') }, layout);
    const byPath = openSkeleton({ path: fixturePath('gen_skeleton') }, layout);
    expect(b64.spec.programs.get('on_getppid')!.instructions).toEqual(byPath.spec.programs.get('on_getppid')!.instructions);
  });
});

describe('tsbpf gen skeleton / gen types', () => {
  it('prints the skeleton and the types of an object', async () => {
    const file = fixturePath('gen_skeleton');
    const r = await runCli(['gen', 'skeleton', file, '--name', 'probe', '--event', 'perf_events=struct event']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('export interface ProbeTypes {');
    expect(r.out).toContain('export type Probe = OpenSkeleton<ProbeTypes>;');
    expect(r.out).toContain('    perf_events: Event;');
    expect(r.out).toContain(`// Code generated by \`tsbpf gen skeleton ${file} --name probe --event perf_events=struct event\`. DO NOT EDIT.`);
    expect(r.out).toContain(`(${readFileSync(file).length} bytes), embedded as base64`);
    const t = await runCli(['gen', 'types', file]);
    expect(t.code).toBe(0);
    expect(t.out).toBe(generateTypes(spec('gen_skeleton'), { command: `tsbpf gen types ${file}` }));
    const p = await runCli(['gen', 'skeleton', file, '--object-path', 'gen_skeleton.bpfel.o']);
    expect(p.out).toContain('const object = { path: new URL("./gen_skeleton.bpfel.o", import.meta.url) };');
  });

  it('reports usage errors and bad objects', async () => {
    expect((await runCli(['gen', 'skeleton'])).code).toBe(2);
    const bad = await runCli(['gen', 'skeleton', fixturePath('gen_skeleton'), '--event', 'events']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--event 'events': expected MAP=TYPE");
    const missing = await runCli(['gen', 'types', fixturePath('gen_skeleton'), '--event', 'nope=struct event']);
    expect(missing).toMatchObject({ code: 1, err: "Error: event map 'nope' is not a map of object 'gen_skeleton'\n" });
    const notElf = await runCli(['gen', 'skeleton', join(repoRoot, 'package.json')]);
    expect(notElf.code).toBe(1);
  });
});

describe('mutated objects', () => {
  it('give typed errors or TypeScript that parses, never a crash (200 mutations)', () => {
    const base = readFixture('gen_skeleton');
    let generated = 0;
    fc.assert(
      fc.property(mutations(base.length), (ms) => {
        const bytes = applyMutations(base, ms);
        let s: ObjectSpec;
        try {
          s = parseObject(bytes, { fileName: 'gen_skeleton.bpfel.o' });
        } catch (e) {
          if (!(e instanceof TsbpfError)) throw e;
          return;
        }
        try {
          expect(syntaxErrors(generateSkeleton(s, { object: { path: 'x.o' } }))).toEqual([]);
          expect(syntaxErrors(generateTypes(s))).toEqual([]);
          generated++;
        } catch (e) {
          if (!(e instanceof TsbpfError)) throw e;
        }
      }),
      { numRuns: 200 },
    );
    // Most damage is refused by the parser; enough must get through to test the generator.
    expect(generated).toBeGreaterThan(20);
  });
});
