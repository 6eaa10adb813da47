/**
 * `parseObject`: from the bytes of a `.bpf.o` to an {@link ObjectSpec}. Pure: no kernel.
 *
 * The order matters, because each step names what the next refers to:
 * 1. ELF and BTF;
 * 2. maps (`.maps`, `maps`), data sections and externs: the things instructions point at;
 * 3. functions, with each relocation turned into a named reference;
 * 4. programs: every function outside `.text`, linked with the subprograms it reaches.
 * @module
 */
import { btfFromElf, skipModifiers } from '../btf/index.js';
import { ByteReader } from '../bytes/reader.js';
import { parseElf, STT_SECTION, type ElfFile } from '../elf/index.js';
import { MapFlags, MapType, ProgFlags } from '../uapi/bpf.js';
import { ObjectError } from './errors.js';
import { readFunctions, type ExternLookup } from './functions.js';
import { linkProgram } from './link.js';
import { readStructOpsMaps } from './struct-ops.js';
import { internalMapName, isDataSection, readBtfMaps, readDataSection, readExterns, readLegacyMaps, type DefinedMap } from './maps.js';
import { findSectionDef } from './section-defs.js';
import type { ObjectMapSpec, ObjectSpec, ProgramSpec } from './spec.js';

/** Options of {@link parseObject}. */
export interface ParseObjectOptions {
  /**
   * The object's name, used in data map names (`<name>.rodata`) as libbpf does. Default:
   * `fileName` up to its first `.`, or `'obj'`.
   */
  name?: string;
  /** The file's name, for the default `name`. */
  fileName?: string;
}

/** The object name libbpf derives from a path: the base name up to its first `.`. */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base) || 'obj';
}

function readLicense(elf: ElfFile): string {
  const s = elf.section('license');
  if (!s) return '';
  const r = new ByteReader(s.data, elf.littleEndian, (what, offset) => new ObjectError(what, { section: 'license', sectionIndex: s.index, offset }));
  return r.cstring(0, 'license');
}

function readVersion(elf: ElfFile): number {
  const s = elf.section('version');
  if (!s) return 0;
  if (s.size !== 4) throw new ObjectError(`section is ${s.size} bytes, expected 4 (a u32 kernel version)`, { section: 'version', sectionIndex: s.index });
  return new ByteReader(s.data, elf.littleEndian).u32(0, 'version');
}

/** Fills `initialValues` of prog_array and map-in-map maps from the relocations in `.maps`. */
function readInitialValues(elf: ElfFile, defined: DefinedMap[]): void {
  const section = elf.section('.maps');
  if (!section) return;
  for (const rel of elf.relocations(section)) {
    const sym = elf.symbols[rel.symbolIndex]!;
    const owner = defined.find((d) => {
      const mapSym = elf.symbolsIn(section.index).find((s) => s.name === d.spec.name);
      const size = mapSym ? Number(mapSym.size) : 0;
      return rel.offset >= d.offset && rel.offset < d.offset + size;
    });
    const where = { section: '.maps', sectionIndex: section.index, offset: rel.offset, symbol: sym.name };
    if (!owner || owner.valuesOffset === undefined) {
      throw new ObjectError(`relocation at offset ${rel.offset} is not inside the 'values' of a map`, where);
    }
    const index = (rel.offset - owner.offset - owner.valuesOffset) / 8;
    if (!Number.isInteger(index) || index < 0) {
      throw new ObjectError(`map '${owner.spec.name}': initial value at offset ${rel.offset} is not a pointer slot`, where);
    }
    if (index >= owner.spec.maxEntries) {
      throw new ObjectError(`map '${owner.spec.name}': initial value #${index} is beyond max_entries ${owner.spec.maxEntries}`, where);
    }
    if (sym.type === STT_SECTION || sym.name === '') {
      throw new ObjectError(`map '${owner.spec.name}': initial value #${index} refers to a section, not a named map or program`, where);
    }
    (owner.spec.initialValues ??= new Map()).set(index, sym.name);
  }
}

/**
 * Reads a BPF object file.
 * @param bytes the whole `.bpf.o`; kept as the backing store of the ELF views, not modified.
 * @throws {@link ParseError} subclasses (`ElfError`, `BtfError`, `AsmError`, `ObjectError`)
 *   naming the section, offset, program, instruction and symbol of the first problem.
 */
export function parseObject(bytes: Uint8Array, options: ParseObjectOptions = {}): ObjectSpec {
  const elf = parseElf(bytes);
  const objectBtf = btfFromElf(elf);
  const btf = objectBtf?.btf;
  const btfExt = objectBtf?.ext;
  const name = options.name ?? (options.fileName ? objectNameFromPath(options.fileName) : 'obj');
  const license = readLicense(elf);
  const kernelVersion = readVersion(elf);

  // Maps defined in .maps / maps, addressable by (section, offset) for relocations.
  const defined = [...readBtfMaps(elf, btf), ...readLegacyMaps(elf)];
  readInitialValues(elf, defined);
  const maps = new Map<string, ObjectMapSpec>();
  const mapAtOffset = new Map<string, string>();
  for (const d of defined) {
    if (maps.has(d.spec.name)) throw new ObjectError(`map '${d.spec.name}' is defined twice`, { section: d.spec.section, symbol: d.spec.name });
    maps.set(d.spec.name, d.spec);
    mapAtOffset.set(`${elf.section(d.spec.section)!.index}:${d.offset}`, d.spec.name);
  }

  // struct_ops maps (.struct_ops, .struct_ops.link).
  for (const m of readStructOpsMaps(elf, btf)) {
    if (maps.has(m.name)) throw new ObjectError(`struct_ops map '${m.name}' clashes with a map of the same name`, { section: m.section, symbol: m.name });
    maps.set(m.name, m);
  }

  // Data sections.
  const dataMapBySection = new Map<number, string>();
  for (const s of elf.sections) {
    if (s.index === 0 || !isDataSection(s.name) || s.size === 0) continue;
    const spec = readDataSection(elf, btf, s, name);
    if (maps.has(spec.name)) throw new ObjectError(`data map '${spec.name}' clashes with a map of the same name`, { section: s.name });
    maps.set(spec.name, spec);
    dataMapBySection.set(s.index, spec.name);
  }

  // Externs, and the .kconfig map that holds the values of kconfig externs.
  const { externs, kconfigSize } = readExterns(elf, btf);
  const kconfigMap = internalMapName(name, '.kconfig');
  if (kconfigSize > 0) {
    maps.set(kconfigMap, {
      name: kconfigMap,
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: kconfigSize,
      maxEntries: 1,
      flags: MapFlags.MMAPABLE | MapFlags.RDONLY_PROG,
      numaNode: 0,
      mapExtra: 0n,
      pinning: 0,
      keyTypeId: 0,
      valueTypeId: btf?.findByName('.kconfig', 'DATASEC') ?? 0,
      section: '.kconfig',
      dataSection: '.kconfig',
      data: new Uint8Array(kconfigSize),
      variables: externs
        .filter((e) => e.kind === 'kconfig')
        .map((e) => ({ name: e.name, offset: e.offset!, size: e.size!, typeId: e.typeId, isStatic: false })),
    });
  }
  const externByName = new Map(externs.map((e) => [e.name, e]));
  const externLookup: ExternLookup = {
    kindOf: (n) => externByName.get(n)?.kind,
    kconfigRef: (n) => {
      const e = externByName.get(n);
      return e?.kind === 'kconfig' ? { kind: 'data', map: kconfigMap, offset: e.offset! } : undefined;
    },
    ksymTyped: (n) => {
      const e = externByName.get(n);
      if (!e || e.typeId === undefined || !btf) return false;
      // A typed ksym is a VAR whose type is not void (`extern const int x __ksym` vs
      // `extern const void x __ksym`, whose type is CONST -> void).
      const t = btf.type(e.typeId);
      return t.kind === 'VAR' && skipModifiers(btf, t.type) !== 0;
    },
  };

  const functions = readFunctions({
    elf,
    btfExt,
    mapAt: (sectionIndex, offset) => mapAtOffset.get(`${sectionIndex}:${offset}`),
    dataMapOf: (sectionIndex) => dataMapBySection.get(sectionIndex),
    externs: externLookup,
  });

  const programs = new Map<string, ProgramSpec>();
  for (const f of functions.values()) {
    if (!f.isProgram) continue;
    const info = findSectionDef(f.section.name);
    programs.set(f.name, {
      name: f.name,
      section: f.section.name,
      // An unknown section name gives BPF_PROG_TYPE_UNSPEC: the spec can still be inspected
      // and the type set by hand; loading it as is fails with a clear error.
      type: info?.def.progType ?? 0,
      expectedAttachType: info?.def.expectedAttachType ?? 0,
      attachTarget: info?.target,
      flags: (info?.sleepable ? ProgFlags.SLEEPABLE : 0) | (info?.frags ? ProgFlags.XDP_HAS_FRAGS : 0),
      autoAttach: info?.def.autoAttach,
      license,
      kernelVersion,
      instructions: linkProgram(f, functions),
    });
  }

  // Every map a program names must exist (initial values of prog_array name programs).
  for (const m of maps.values()) {
    for (const [index, target] of m.initialValues ?? []) {
      const ok = m.type === MapType.PROG_ARRAY ? programs.has(target) : maps.has(target);
      if (!ok) {
        throw new ObjectError(`map '${m.name}': initial value #${index} names '${target}', which is not a ${m.type === MapType.PROG_ARRAY ? 'program' : 'map'}`, {
          section: m.section,
          symbol: target,
        });
      }
    }
  }

  return { name, littleEndian: elf.littleEndian, license, kernelVersion, programs, maps, externs, btf, btfExt, elf };
}
