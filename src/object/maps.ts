/**
 * Maps an object defines.
 *
 * **BTF-defined maps** (`SEC(".maps")`). libbpf's `bpf_helpers.h` macros encode each
 * attribute in the *type* of a struct member, so that BTF carries it without any data:
 * - `__uint(max_entries, 1024)` is `int (*max_entries)[1024]`: a PTR to an ARRAY whose
 *   `nelems` is the value;
 * - `__type(key, struct key)` is `struct key *key`: a PTR to the type (its size is the size);
 * - `__array(values, struct inner)` is `struct inner *values[]`: an ARRAY of 0 PTRs to the
 *   inner map's own definition (map-in-map) or to a FUNC_PROTO (prog_array); initial
 *   values are pointers written in `.maps` and found as relocations there.
 * The `.maps` DATASEC lists the map variables (libbpf's `bpf_object__init_user_btf_maps`).
 *
 * **Legacy maps** (`SEC("maps")`): `struct bpf_map_def { type, key_size, value_size,
 * max_entries, map_flags }` records, one per symbol (libbpf 1.0 dropped them; tsbpf reads them).
 *
 * **Data sections** (`.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*`, `.bss.*`): each
 * becomes a one-entry array map whose value is the section (libbpf's internal maps);
 * `.rodata` is read-only for programs (`BPF_F_RDONLY_PROG`) and frozen after its contents
 * are written. `.kconfig` externs get such a map too, filled by the loader.
 * @module
 */
import {
  alignOf,
  BTF_VAR_STATIC,
  compareExterns,
  sizeOf,
  skipModifiers,
  type Btf,
  type BtfComposite,
  type BtfDatasec,
} from '../btf/index.js';
import { ByteReader } from '../bytes/reader.js';
import { SHT_NOBITS, STT_SECTION, type ElfFile, type ElfSection } from '../elf/index.js';
import { MapFlags, MapType } from '../uapi/bpf.js';
import { ObjectError } from './errors.js';
import { PinType, type DataVariable, type ExternSpec, type ObjectMapSpec } from './spec.js';

/** `BPF_OBJ_NAME_LEN`: map and program names the kernel keeps, including the NUL. */
export const BPF_OBJ_NAME_LEN = 16;

function emptyMap(name: string, section: string): ObjectMapSpec {
  return {
    name,
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    numaNode: 0,
    mapExtra: 0n,
    pinning: PinType.NONE,
    keyTypeId: 0,
    valueTypeId: 0,
    section,
  };
}

/** A map defined in `.maps` or `maps`, with where its definition lies. */
export interface DefinedMap {
  spec: ObjectMapSpec;
  /** Byte offset of the definition in its section. */
  offset: number;
  /** Byte offset of the `values` member (`__array`) inside the definition, if any. */
  valuesOffset?: number;
}

/** `__uint(name, N)`: PTR -> ARRAY[N]; returns N. */
function uintAttr(btf: Btf, typeId: number, map: string, attr: string): number {
  const ptr = btf.type(skipModifiers(btf, typeId));
  if (ptr.kind !== 'PTR') throw new ObjectError(`map '${map}': attribute '${attr}' is not a pointer (use __uint)`, { section: '.maps', symbol: map });
  const arr = btf.type(skipModifiers(btf, ptr.type));
  if (arr.kind !== 'ARRAY') throw new ObjectError(`map '${map}': attribute '${attr}' is not a pointer to an array (use __uint)`, { section: '.maps', symbol: map });
  return arr.nelems;
}

/** `__type(name, T)`: PTR -> T; returns T's id. */
function typeAttr(btf: Btf, typeId: number, map: string, attr: string): number {
  const ptr = btf.type(skipModifiers(btf, typeId));
  if (ptr.kind !== 'PTR') throw new ObjectError(`map '${map}': attribute '${attr}' is not a pointer (use __type)`, { section: '.maps', symbol: map });
  return ptr.type;
}

/** Reads one BTF map definition struct (libbpf's `parse_btf_map_def`). */
function parseBtfMapDef(btf: Btf, def: BtfComposite, name: string, section: string, isInner: boolean): { spec: ObjectMapSpec; valuesBitOffset?: number } {
  const spec = emptyMap(name, section);
  let valuesBitOffset: number | undefined;
  for (const m of def.members) {
    switch (m.name) {
      case 'type':
        spec.type = uintAttr(btf, m.type, name, m.name);
        break;
      case 'max_entries':
        spec.maxEntries = uintAttr(btf, m.type, name, m.name);
        break;
      case 'map_flags':
        spec.flags = uintAttr(btf, m.type, name, m.name);
        break;
      case 'numa_node':
        spec.numaNode = uintAttr(btf, m.type, name, m.name);
        break;
      case 'key_size':
        spec.keySize = uintAttr(btf, m.type, name, m.name);
        break;
      case 'value_size':
        spec.valueSize = uintAttr(btf, m.type, name, m.name);
        break;
      case 'map_extra':
        spec.mapExtra = BigInt(uintAttr(btf, m.type, name, m.name));
        break;
      case 'pinning':
        if (isInner) throw new ObjectError(`inner map '${name}' cannot be pinned`, { section, symbol: name });
        spec.pinning = uintAttr(btf, m.type, name, m.name);
        if (spec.pinning !== PinType.NONE && spec.pinning !== PinType.BY_NAME) {
          throw new ObjectError(`map '${name}': pinning ${spec.pinning} is not LIBBPF_PIN_NONE or LIBBPF_PIN_BY_NAME`, { section, symbol: name });
        }
        break;
      case 'key': {
        spec.keyTypeId = typeAttr(btf, m.type, name, m.name);
        spec.keySize = sizeOf(btf, spec.keyTypeId);
        break;
      }
      case 'value': {
        spec.valueTypeId = typeAttr(btf, m.type, name, m.name);
        spec.valueSize = sizeOf(btf, spec.valueTypeId);
        break;
      }
      case 'values': {
        // __array(values, T): ARRAY (nelems 0) of PTR to T.
        const arr = btf.type(skipModifiers(btf, m.type));
        if (arr.kind !== 'ARRAY') throw new ObjectError(`map '${name}': 'values' is not an array (use __array)`, { section, symbol: name });
        const ptr = btf.type(skipModifiers(btf, arr.type));
        if (ptr.kind !== 'PTR') throw new ObjectError(`map '${name}': 'values' is not an array of pointers`, { section, symbol: name });
        const target = btf.type(skipModifiers(btf, ptr.type));
        valuesBitOffset = m.bitsOffset;
        // The values of prog_array and map-in-map maps are fds: 4 bytes.
        spec.valueSize = 4;
        if (target.kind === 'STRUCT') {
          if (isInner) throw new ObjectError(`map '${name}': an inner map cannot itself hold maps`, { section, symbol: name });
          spec.innerMap = parseBtfMapDef(btf, target, `${name}.inner`, section, true).spec;
        } else if (target.kind !== 'FUNC_PROTO') {
          throw new ObjectError(`map '${name}': 'values' must point to a map definition or a function prototype`, { section, symbol: name });
        }
        break;
      }
      default:
        // libbpf ignores unknown attributes only when told to; unknown names are mistakes.
        throw new ObjectError(`map '${name}': unknown attribute '${m.name}'`, { section, symbol: name });
    }
  }
  if (spec.type === MapType.RINGBUF || spec.type === MapType.USER_RINGBUF) {
    // Ring buffers have no keys or values for the kernel (ringbuf_map_alloc refuses sizes
    // other than 0). A `__type(value, struct event)` is kept only as a hint of the record
    // type, for decoding events; libbpf passes the size on and the kernel refuses the map.
    spec.keySize = 0;
    spec.valueSize = 0;
  }
  return valuesBitOffset === undefined ? { spec } : { spec, valuesBitOffset };
}

/** Maps of the `.maps` section, from its BTF DATASEC. */
export function readBtfMaps(elf: ElfFile, btf: Btf | undefined): DefinedMap[] {
  const section = elf.section('.maps');
  if (!section) return [];
  if (!btf) throw new ObjectError("section '.maps' needs BTF, and the object has no '.BTF' section (compile with -g)", { section: '.maps' });
  const datasecId = btf.findByName('.maps', 'DATASEC');
  if (datasecId === undefined) throw new ObjectError("no BTF DATASEC for '.maps'", { section: '.maps' });
  const datasec = btf.type(datasecId) as BtfDatasec;
  const symbols = elf.symbolsIn(section.index).filter((s) => s.type !== STT_SECTION && s.name !== '');
  if (symbols.length !== datasec.vars.length) {
    throw new ObjectError(`'.maps' has ${symbols.length} symbols but its BTF DATASEC has ${datasec.vars.length} variables`, {
      section: '.maps',
    });
  }
  return datasec.vars.map((v) => {
    const variable = btf.type(v.type);
    if (variable.kind !== 'VAR') throw new ObjectError(`'.maps' DATASEC entry [${v.type}] is a ${variable.kind}, not a VAR`, { section: '.maps' });
    const name = variable.name;
    const sym = symbols.find((s) => s.name === name);
    if (!sym) throw new ObjectError(`map '${name}' has no ELF symbol in '.maps'`, { section: '.maps', symbol: name });
    const def = btf.type(skipModifiers(btf, variable.type));
    if (def.kind !== 'STRUCT') throw new ObjectError(`map '${name}' is a ${def.kind}, not a struct`, { section: '.maps', symbol: name });
    const { spec, valuesBitOffset } = parseBtfMapDef(btf, def, name, '.maps', false);
    const offset = Number(sym.value);
    return valuesBitOffset === undefined ? { spec, offset } : { spec, offset, valuesOffset: valuesBitOffset / 8 };
  });
}

/** Size of the legacy `struct bpf_map_def` fields tsbpf reads: type .. map_flags. */
const LEGACY_MAP_DEF_SIZE = 20;

/** Maps of the legacy `maps` section (`struct bpf_map_def` records). */
export function readLegacyMaps(elf: ElfFile): DefinedMap[] {
  const section = elf.section('maps');
  if (!section) return [];
  const where = { section: 'maps', sectionIndex: section.index };
  const r = new ByteReader(section.data, elf.littleEndian, (what, offset) => new ObjectError(what, { ...where, offset }));
  const symbols = elf.symbolsIn(section.index).filter((s) => s.type !== STT_SECTION && s.name !== '');
  return symbols.map((sym) => {
    const offset = Number(sym.value);
    if (Number(sym.size) !== 0 && Number(sym.size) < LEGACY_MAP_DEF_SIZE) {
      throw new ObjectError(`map '${sym.name}': definition of ${sym.size} bytes is smaller than struct bpf_map_def`, { ...where, symbol: sym.name });
    }
    const spec = emptyMap(sym.name, 'maps');
    spec.type = r.u32(offset, 'bpf_map_def.type');
    spec.keySize = r.u32(offset + 4, 'bpf_map_def.key_size');
    spec.valueSize = r.u32(offset + 8, 'bpf_map_def.value_size');
    spec.maxEntries = r.u32(offset + 12, 'bpf_map_def.max_entries');
    spec.flags = r.u32(offset + 16, 'bpf_map_def.map_flags');
    return { spec, offset };
  });
}

const DATA_SECTION_BASES = ['.data', '.rodata', '.bss'];

/** Whether `name` is a data section libbpf turns into a map. */
export function isDataSection(name: string): boolean {
  // /^\.(data|rodata|bss)(\..+)?$/, spelled out: this runs for every section of every load.
  for (const base of DATA_SECTION_BASES) {
    if (!name.startsWith(base)) continue;
    if (name.length === base.length) return true;
    if (name.length > base.length + 1 && name.charCodeAt(base.length) === 0x2e /* . */) return true;
  }
  return false;
}

/** libbpf's `internal_map_name`: object-name prefix + section name, 15 characters at most. */
export function internalMapName(objectName: string, section: string): string {
  const max = BPF_OBJ_NAME_LEN - 1;
  const sfxLen = Math.min(Math.max(7, section.length), max);
  // A custom section (two dots, `.rodata.foo`) keeps its own name, without the prefix.
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.min(max - sfxLen, objectName.length);
  return (objectName.slice(0, pfxLen) + section).slice(0, max);
}

/**
 * The largest data section tsbpf accepts: 64 MiB. A `.bss` has no bytes in the file, so its
 * size alone would decide an allocation; BPF global data is kilobytes in practice.
 */
export const MAX_DATA_SECTION_SIZE = 64 << 20;

/** The one-entry array map of a data section, with its variables from BTF. */
export function readDataSection(elf: ElfFile, btf: Btf | undefined, section: ElfSection, objectName: string): ObjectMapSpec {
  if (section.size > MAX_DATA_SECTION_SIZE) {
    throw new ObjectError(`data section is ${section.size} bytes, more than tsbpf accepts (${MAX_DATA_SECTION_SIZE})`, {
      section: section.name,
      sectionIndex: section.index,
    });
  }
  const spec = emptyMap(internalMapName(objectName, section.name), section.name);
  spec.type = MapType.ARRAY;
  spec.keySize = 4;
  spec.valueSize = section.size;
  spec.maxEntries = 1;
  spec.flags = MapFlags.MMAPABLE | (section.name.startsWith('.rodata') ? MapFlags.RDONLY_PROG : 0);
  spec.dataSection = section.name;
  // A copy: the spec's data is editable and must not write through to the caller's file bytes.
  spec.data = section.type === SHT_NOBITS ? new Uint8Array(section.size) : section.data.slice();
  spec.variables = dataVariables(elf, btf, section);
  if (btf) {
    const id = btf.findByName(section.name, 'DATASEC');
    if (id !== undefined) spec.valueTypeId = id;
  }
  return spec;
}

function dataVariables(elf: ElfFile, btf: Btf | undefined, section: ElfSection): DataVariable[] {
  const symbols = elf.symbolsIn(section.index).filter((s) => s.type !== STT_SECTION && s.name !== '');
  const id = btf?.findByName(section.name, 'DATASEC');
  if (!btf || id === undefined) {
    return symbols.map((s) => ({ name: s.name, offset: Number(s.value), size: Number(s.size), typeId: undefined, isStatic: s.bind === 0 }));
  }
  // Clang leaves DATASEC offsets for the loader to fill from the ELF symbols (libbpf's
  // btf_fixup_datasec); sizes come from the VAR's type.
  const datasec = btf.type(id) as BtfDatasec;
  return datasec.vars.map((v) => {
    const variable = btf.type(v.type);
    if (variable.kind !== 'VAR') throw new ObjectError(`DATASEC '${section.name}' entry [${v.type}] is a ${variable.kind}, not a VAR`, { section: section.name });
    const sym = symbols.find((s) => s.name === variable.name);
    const offset = sym ? Number(sym.value) : v.offset;
    const size = sizeOf(btf, variable.type);
    if (offset + size > section.size) {
      throw new ObjectError(`variable '${variable.name}' [${offset}, +${size}) runs past the end of '${section.name}' (${section.size} bytes)`, {
        section: section.name,
        symbol: variable.name,
      });
    }
    return { name: variable.name, offset, size, typeId: v.type, isStatic: variable.linkage === BTF_VAR_STATIC };
  });
}

/**
 * `extern` declarations: `.kconfig` values and `__ksym` kernel symbols, from the DATASECs
 * of those names (clang records externs there). `.kconfig` externs get a slot each in a
 * `.kconfig` data map, in libbpf's order ({@link compareExterns}), the same layout
 * `sanitizeBtf` gives the DATASEC the kernel sees.
 */
export function readExterns(elf: ElfFile, btf: Btf | undefined): { externs: ExternSpec[]; kconfigSize: number } {
  const externs: ExternSpec[] = [];
  if (!btf) return { externs, kconfigSize: 0 };
  // Undefined symbols by name, whether weak: made when an extern DATASEC is found.
  let weakByName: Map<string, boolean> | undefined;
  const kconfig: { ext: ExternSpec; align: number; size: number; name: string }[] = [];
  for (const [sec, kind] of [
    ['.kconfig', 'kconfig'],
    ['.ksyms', 'ksym'],
  ] as const) {
    const id = btf.findByName(sec, 'DATASEC');
    if (id === undefined) continue;
    for (const v of (btf.type(id) as BtfDatasec).vars) {
      const t = btf.type(v.type);
      if (t.kind !== 'VAR' && t.kind !== 'FUNC') {
        throw new ObjectError(`DATASEC '${sec}' entry [${v.type}] is a ${t.kind}, not a VAR or FUNC`, { section: '.BTF' });
      }
      weakByName ??= new Map(elf.symbols.filter((s) => s.sectionIndex === 0 && s.name !== '').map((s) => [s.name, s.bind === 2]));
      const ext: ExternSpec = { name: t.name, kind, weak: weakByName.get(t.name) ?? false, typeId: v.type };
      if (kind === 'kconfig') {
        if (t.kind !== 'VAR') throw new ObjectError(`.kconfig extern '${t.name}' is not a variable`, { section: '.BTF', symbol: t.name });
        kconfig.push({ ext, align: Math.max(1, alignOf(btf, t.type)), size: sizeOf(btf, t.type), name: t.name });
      }
      externs.push(ext);
    }
  }
  let offset = 0;
  for (const k of kconfig.sort(compareExterns)) {
    offset = Math.ceil(offset / k.align) * k.align;
    k.ext.offset = offset;
    k.ext.size = k.size;
    offset += k.size;
  }
  return { externs, kconfigSize: Math.ceil(offset / 8) * 8 };
}
