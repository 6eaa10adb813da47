/**
 * struct_ops maps: a kernel ops table (`tcp_congestion_ops`, `sched_ext_ops`, ...) written as a
 * C global in `SEC(".struct_ops")` or `SEC(".struct_ops.link")`:
 *
 *     SEC(".struct_ops.link")
 *     struct tcp_congestion_ops my_cc = {
 *         .ssthresh = (void *)my_ssthresh,     // a SEC("struct_ops/...") program
 *         .name     = "my_cc",
 *     };
 *
 * Each variable of those sections (listed by their BTF DATASEC) is one
 * `BPF_MAP_TYPE_STRUCT_OPS` map. Its bytes are the initial value in the object's own layout of
 * the struct; each function-pointer member that names a program carries an `R_BPF_64_ABS64`
 * relocation against the program's symbol, which is how the program is found (libbpf's
 * `bpf_object__collect_st_ops_relos`). `.struct_ops.link` maps get `BPF_F_LINK`: they are
 * registered through a link, unregistered when it closes.
 *
 * The kernel's layout may differ from the object's; the loader copies members by name.
 * @module
 */
import type { Btf, BtfComposite } from '../btf/index.js';
import { resolveType, skipModifiers } from '../btf/index.js';
import { STT_FUNC, type ElfFile } from '../elf/index.js';
import { MapFlags, MapType } from '../uapi/bpf.js';
import { ObjectError } from './errors.js';
import type { ObjectMapSpec } from './spec.js';

/** What makes an {@link ObjectMapSpec} a struct_ops map. */
export interface StructOpsSpec {
  /** The ops struct's name without a `___flavour` suffix: the kernel type to look up. */
  typeName: string;
  /** The struct in the object's BTF. */
  localTypeId: number;
  /** Function-pointer member -> the program that implements it. */
  programs: Map<string, string>;
}

/** Whether `name` is a struct_ops section (libbpf: `.struct_ops` and `.struct_ops.link`). */
export function isStructOpsSection(name: string): boolean {
  return name === '.struct_ops' || name === '.struct_ops.link';
}

/** The struct_ops maps of every struct_ops section of `elf`. */
export function readStructOpsMaps(elf: ElfFile, btf: Btf | undefined): ObjectMapSpec[] {
  const out: ObjectMapSpec[] = [];
  for (const section of elf.sections) {
    if (!isStructOpsSection(section.name) || section.size === 0) continue;
    const where = { section: section.name };
    if (!btf) throw new ObjectError(`section '${section.name}' needs BTF, and the object has none (compile with -g)`, where);
    const datasecId = btf.findByName(section.name, 'DATASEC');
    if (datasecId === undefined) throw new ObjectError(`no BTF DATASEC for '${section.name}'`, where);
    const datasec = btf.type(datasecId);
    if (datasec.kind !== 'DATASEC') throw new ObjectError(`BTF type '${section.name}' is not a DATASEC`, where);
    const bytes = section.data;
    const relocs = elf.relocations(section);
    for (const vs of datasec.vars) {
      const v = btf.type(vs.type);
      if (v.kind !== 'VAR') throw new ObjectError(`DATASEC '${section.name}' holds a ${v.kind}, not a VAR`, where);
      const at = { ...where, symbol: v.name };
      const typeId = resolveType(btf, v.type);
      const t = btf.type(typeId);
      if (t.kind !== 'STRUCT') throw new ObjectError(`struct_ops variable '${v.name}' is a ${t.kind}, not a struct`, at);
      if (vs.offset + vs.size > bytes.length || vs.size < t.size) {
        throw new ObjectError(`struct_ops variable '${v.name}' (${vs.size} bytes at ${vs.offset}) does not fit its section (${bytes.length} bytes)`, at);
      }
      const programs = new Map<string, string>();
      for (const r of relocs) {
        if (r.offset < vs.offset || r.offset >= vs.offset + vs.size) continue;
        const member = memberAt(t, (r.offset - vs.offset) * 8);
        if (!member || !isFuncPointer(btf, member.type)) {
          throw new ObjectError(`relocation at offset ${r.offset - vs.offset} of '${v.name}' is not at a function-pointer member`, at);
        }
        programs.set(member.name, programAt(elf, r.symbolIndex, `${v.name}.${member.name}`, section.name));
      }
      out.push({
        name: v.name,
        type: MapType.STRUCT_OPS,
        keySize: 4,
        valueSize: t.size,
        maxEntries: 1,
        flags: section.name === '.struct_ops.link' ? MapFlags.LINK : 0,
        numaNode: 0,
        mapExtra: 0n,
        pinning: 0,
        keyTypeId: 0,
        valueTypeId: typeId,
        section: section.name,
        data: bytes.slice(vs.offset, vs.offset + t.size),
        structOps: { typeName: t.name.replace(/___.*$/, ''), localTypeId: typeId, programs },
      });
    }
  }
  return out;
}

function memberAt(t: BtfComposite, bitsOffset: number): BtfComposite['members'][number] | undefined {
  return t.members.find((m) => m.bitsOffset === bitsOffset);
}

function isFuncPointer(btf: Btf, id: number): boolean {
  const p = btf.type(skipModifiers(btf, id));
  return p.kind === 'PTR' && btf.type(skipModifiers(btf, p.type)).kind === 'FUNC_PROTO';
}

/** The program a relocation's symbol names: the function at that section and offset. */
function programAt(elf: ElfFile, symbolIndex: number, what: string, section: string): string {
  const sym = elf.symbols[symbolIndex];
  if (!sym) throw new ObjectError(`'${what}' refers to symbol #${symbolIndex}, which does not exist`, { section, symbol: what });
  if (sym.type === STT_FUNC && sym.name) return sym.name;
  // A section symbol: the function starting at its value (libbpf's find_prog_by_sec_insn).
  const fn = elf.symbols.find((s) => s.type === STT_FUNC && s.sectionIndex === sym.sectionIndex && s.value === sym.value);
  if (!fn) throw new ObjectError(`'${what}' does not point at a function`, { section, symbol: what });
  return fn.name;
}
