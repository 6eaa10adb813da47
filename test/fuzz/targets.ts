/**
 * What the fuzzer feeds: one target per parser, its seeds (every committed fixture, every
 * captured verifier log) and the code an input runs through.
 *
 * The invariant (cilium/ebpf's fuzz rule, bad-input-catalogue): a target either returns, or
 * throws a {@link TsbpfError}. Anything else escaping (`RangeError` from a DataView, a
 * `TypeError` on `undefined`, a stack overflow, an out-of-memory) is a bug, as is an input
 * that runs longer than a second.
 *
 * An input is `{ context, bytes }`: `bytes` are mutated, `context` names the fixed partner the
 * bytes are read with (the `.BTF` a mutated `.BTF.ext` refers to, the object whose CO-RE
 * relocations run against a mutated target BTF). Saved regressions store both, so they replay
 * without the seed list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkChains,
  dumpCString,
  marshalBtf,
  parseBtf,
  parseBtfExt,
  rawDump,
  resolveType,
  sizeOf,
  type Btf,
} from '../../src/btf/index.js';
import { applyFixups, computeFixups } from '../../src/core/index.js';
import { parseElf, type ElfFile } from '../../src/elf/index.js';
import { TsbpfError } from '../../src/errors.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { explain, formatExplanation, parseVerifierLog } from '../../src/verifier-log/index.js';
import { allFixtures, repoRoot } from '../helpers/fixtures.js';
import type { Region } from './mutate.js';

/** The parsers under fuzz. */
export const PARSERS = ['elf', 'btf', 'btf-ext', 'core', 'verifier-log', 'object'] as const;
export type ParserName = (typeof PARSERS)[number];

/** One input: the mutated bytes and the name of their fixed partner (see the module comment). */
export interface FuzzInput {
  context: string;
  bytes: Uint8Array;
}

/** A seed: an unmutated input and the regions of it worth mutating more often. */
export interface Seed extends FuzzInput {
  regions: Region[];
}

export interface Target {
  name: ParserName;
  /** Inputs are text (line mutations) rather than binary. */
  text: boolean;
  seeds(): Seed[];
  /** Runs one input through the parser and what consumes its result; throws what escapes. */
  run(input: FuzzInput): void;
}

/** Whether `e` is an error tsbpf throws on purpose (the only kind allowed to escape). */
export function isTyped(e: unknown): boolean {
  return e instanceof TsbpfError;
}

export const logsDir = join(repoRoot, 'test', 'fixtures', 'logs');

const fixtureBytes = new Map<string, Uint8Array>();
function fixture(file: string): Uint8Array {
  let b = fixtureBytes.get(file);
  if (!b) {
    b = new Uint8Array(readFileSync(join(repoRoot, 'test', 'fixtures', 'src', file)));
    fixtureBytes.set(file, b);
  }
  return b;
}

const elfCache = new Map<string, ElfFile>();
function fixtureElf(file: string): ElfFile {
  let e = elfCache.get(file);
  if (!e) {
    e = parseElf(fixture(file));
    elfCache.set(file, e);
  }
  return e;
}

function sectionCopy(file: string, name: string): Uint8Array | undefined {
  return fixtureElf(file).section(name)?.data.slice();
}

const btfCache = new Map<string, Btf>();
/** The parsed `.BTF` of fixture `file` (a context), or an error naming a context that is gone. */
function contextBtf(file: string): Btf {
  let b = btfCache.get(file);
  if (!b) {
    const bytes = sectionCopy(file, '.BTF');
    if (!bytes) throw new Error(`fuzz context '${file}' has no .BTF`);
    b = parseBtf(bytes, { section: '.BTF' });
    btfCache.set(file, b);
  }
  return b;
}

const specCache = new Map<string, ObjectSpec>();
function contextSpec(file: string): ObjectSpec {
  let s = specCache.get(file);
  if (!s) {
    s = parseObject(fixture(file), { fileName: file });
    specCache.set(file, s);
  }
  return s;
}

/** Regions of an ELF object worth mutating: headers, tables, BTF headers, map definitions. */
function elfRegions(elf: ElfFile): Region[] {
  const h = elf.header;
  const regions: Region[] = [{ offset: 0, length: 64 }, { offset: h.shoff, length: h.shnum * h.shentsize }];
  for (const s of elf.sections) {
    if (s.index === 0 || s.type === 8 /* SHT_NOBITS */) continue;
    if (s.type === 2 /* SHT_SYMTAB */ || s.type === 9 /* SHT_REL */ || s.name === '.maps' || s.name === 'license' || s.name === 'maps') {
      regions.push({ offset: s.offset, length: s.size });
    } else if (s.name === '.BTF' || s.name === '.BTF.ext') {
      regions.push({ offset: s.offset, length: Math.min(s.size, 256) });
    }
  }
  return regions;
}

/** BTF regions: the header and the start of the type section. */
function btfRegions(bytes: Uint8Array): Region[] {
  return [
    { offset: 0, length: 24 },
    { offset: 24, length: Math.min(512, Math.max(0, bytes.length - 24)) },
  ];
}

/** Fixture files with a given section. */
function fixturesWith(section: string): string[] {
  return allFixtures()
    .map((f) => f.file)
    .filter((file) => fixtureElf(file).section(section) !== undefined);
}

/** Everything a consumer of a Btf does with it: decode each type, resolve, size, dump. */
function exerciseBtf(btf: Btf): void {
  checkChains(btf);
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    const t = btf.type(id);
    if (t.name) btf.findByName(t.name);
    try {
      resolveType(btf, id);
      sizeOf(btf, id);
    } catch (e) {
      if (!isTyped(e)) throw e;
    }
  }
  rawDump(btf);
  dumpCString(btf);
  marshalBtf(btf);
}

const elfTarget: Target = {
  name: 'elf',
  text: false,
  seeds: () => allFixtures().map((f) => ({ context: f.file, bytes: fixture(f.file), regions: elfRegions(fixtureElf(f.file)) })),
  run: ({ bytes }) => {
    const elf = parseElf(bytes);
    for (const s of elf.sections) {
      void s.data.length;
      elf.relocations(s);
      elf.symbolsIn(s.index);
      elf.section(s.name);
    }
  },
};

const btfTarget: Target = {
  name: 'btf',
  text: false,
  seeds: () =>
    fixturesWith('.BTF').map((file) => {
      const bytes = sectionCopy(file, '.BTF')!;
      return { context: file, bytes, regions: btfRegions(bytes) };
    }),
  run: ({ bytes }) => exerciseBtf(parseBtf(bytes, { section: '.BTF' })),
};

const btfExtTarget: Target = {
  name: 'btf-ext',
  text: false,
  seeds: () =>
    fixturesWith('.BTF.ext')
      .filter((file) => fixtureElf(file).section('.BTF') !== undefined)
      .map((file) => ({ context: file, bytes: sectionCopy(file, '.BTF.ext')!, regions: [{ offset: 0, length: 32 }] })),
  run: ({ context, bytes }) => {
    const ext = parseBtfExt(bytes, contextBtf(context));
    for (const part of [ext.funcInfo, ext.lineInfo, ext.coreRelos]) for (const sec of part) void sec.records.length;
  },
};

/** Fixtures with CO-RE relocations (the objects), and the BTFs they are relocated against. */
function coreObjects(): string[] {
  return fixturesWith('.BTF.ext').filter((file) => {
    try {
      return (contextSpec(file).btfExt?.coreRelos.length ?? 0) > 0;
    } catch (e) {
      // A fixture that is meant not to parse (e.g. one half of a link test) is no context.
      if (isTyped(e)) return false;
      throw e;
    }
  });
}

const coreTarget: Target = {
  name: 'core',
  text: false,
  seeds: () => {
    const objects = coreObjects();
    const targets = allFixtures()
      .filter((f) => f.name.startsWith('core_target_'))
      .map((f) => f.file);
    const seeds: Seed[] = [];
    for (const object of objects) {
      for (const t of [...targets, object]) {
        const bytes = sectionCopy(t, '.BTF')!;
        seeds.push({ context: object, bytes, regions: btfRegions(bytes) });
      }
    }
    return seeds;
  },
  run: ({ context, bytes }) => {
    const spec = contextSpec(context);
    const target = parseBtf(bytes, { section: '.BTF' });
    const fixups = computeFixups(spec, target);
    for (const p of spec.programs.values()) applyFixups(p.instructions, fixups, p.name);
  },
};

const logTarget: Target = {
  name: 'verifier-log',
  text: true,
  seeds: () =>
    readdirSync(logsDir)
      .filter((f) => f.endsWith('.log') || f.endsWith('.txt'))
      .sort()
      .map((f) => ({ context: f, bytes: new Uint8Array(readFileSync(join(logsDir, f))), regions: [] })),
  run: ({ bytes }) => {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const parsed = parseVerifierLog(text);
    formatExplanation(explain(parsed));
  },
};

const objectTarget: Target = {
  name: 'object',
  text: false,
  seeds: () => elfTarget.seeds(),
  run: ({ context, bytes }) => {
    parseObject(bytes, { fileName: context });
  },
};

export const TARGETS: Record<ParserName, Target> = {
  elf: elfTarget,
  btf: btfTarget,
  'btf-ext': btfExtTarget,
  core: coreTarget,
  'verifier-log': logTarget,
  object: objectTarget,
};
