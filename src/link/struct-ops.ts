/**
 * struct_ops: BPF programs as the function pointers of a kernel ops table
 * (`tcp_congestion_ops`, `sched_ext_ops`, ...).
 *
 * Each program is loaded as `BPF_PROG_TYPE_STRUCT_OPS` with `attach_btf_id` = the ops
 * struct's BTF id and `expected_attach_type` = the member's index
 * ({@link structOpsMember}). Registration creates a `BPF_MAP_TYPE_STRUCT_OPS` map whose value
 * type is the kernel's wrapper `struct bpf_struct_ops_<name>` (`btf_vmlinux_value_type_id`),
 * writes one value -- the ops struct inside the wrapper's `data` member, with each function
 * pointer slot holding a program fd and plain members (such as `name`) their bytes -- and,
 * with `BPF_F_LINK` on the map, creates a struct_ops link (5.20+/6.0) from the map: the ops
 * are registered while the link lives (`bpf_struct_ops_map_link_attach`).
 * @module
 */
import type { Btf } from '../btf/index.js';
import { findMember, resolveType, sizeOf } from '../btf/index.js';
import { AttachType, MapType, MapFlags } from '../uapi/bpf.js';
import { btfLoad, Fd, hostLittleEndian, linkCreate, mapCreate, mapDeleteElem, mapUpdateElem } from '../syscall/index.js';
import { AttachError } from './errors.js';
import { FdLink, LegacyAttachment, type AttachableProgram } from './link.js';

/** Where program `member` of ops struct `type` attaches: the values to load it with. */
export interface StructOpsMember {
  /** `attach_btf_id`: the ops struct. */
  typeId: number;
  /** `expected_attach_type`: the member's index. */
  index: number;
}

function opsStruct(btf: Btf, type: string): number {
  const id = btf.findByName(type, 'STRUCT');
  if (id === undefined) throw new AttachError('struct_ops', type, `kernel BTF has no struct '${type}'`);
  if (btf.findByName(`bpf_struct_ops_${type}`, 'STRUCT') === undefined) {
    throw new AttachError('struct_ops', type, `'${type}' is not a struct_ops type of this kernel (no 'bpf_struct_ops_${type}')`);
  }
  return id;
}

/** The `attach_btf_id`/`expected_attach_type` pair for loading the program of `type.member`. */
export function structOpsMember(btf: Btf, type: string, member: string): StructOpsMember {
  const typeId = opsStruct(btf, type);
  const t = btf.type(typeId);
  const index = t.kind === 'STRUCT' ? t.members.findIndex((m) => m.name === member) : -1;
  if (index < 0) throw new AttachError('struct_ops', `${type}.${member}`, `struct '${type}' has no member '${member}'`);
  return { typeId, index };
}

/** What {@link attachStructOps} registers. */
export interface StructOpsOptions {
  /** vmlinux BTF. */
  btf: Btf;
  /** The ops struct, e.g. `tcp_congestion_ops`. */
  type: string;
  /** Function-pointer members -> loaded struct_ops programs. */
  programs: Record<string, AttachableProgram>;
  /** Other members: strings for `char[]` (e.g. `name`), numbers for integers. */
  data?: Record<string, string | number | bigint>;
}

/**
 * Builds the struct_ops map value for `o` (host byte order): the wrapper struct with
 * `data` filled in. Returns it with the wrapper's BTF id.
 */
export function encodeStructOps(o: StructOpsOptions): {
  /** The id of `struct bpf_struct_ops_<type>` in `o.btf`: the map's `btf_vmlinux_value_type_id`. */
  valueTypeId: number;
  /** The map value (`value_size` bytes) to write at key 0: the wrapper, its `data` member filled in. */
  value: Uint8Array;
} {
  const { btf, type } = o;
  const opsId = opsStruct(btf, type);
  const valueTypeId = btf.findByName(`bpf_struct_ops_${type}`, 'STRUCT')!;
  const value = new Uint8Array(sizeOf(btf, valueTypeId));
  const v = new DataView(value.buffer);
  const data = findMember(btf, valueTypeId, 'data');
  if (!data) throw new AttachError('struct_ops', type, `'bpf_struct_ops_${type}' has no 'data' member`);
  const base = data.bitsOffset / 8;
  const at = (name: string) => {
    const m = findMember(btf, opsId, name);
    if (!m) throw new AttachError('struct_ops', `${type}.${name}`, `struct '${type}' has no member '${name}'`);
    return { off: base + m.bitsOffset / 8, type: m.member.type };
  };
  for (const [name, prog] of Object.entries(o.programs)) {
    // bpf_struct_ops_map_update_elem reads each function pointer slot as a prog fd.
    v.setBigUint64(at(name).off, BigInt(prog.fd), hostLittleEndian);
  }
  for (const [name, val] of Object.entries(o.data ?? {})) {
    const { off, type: t } = at(name);
    const size = sizeOf(btf, resolveType(btf, t));
    if (typeof val === 'string') {
      const b = new TextEncoder().encode(val);
      if (b.length >= size) throw new AttachError('struct_ops', `${type}.${name}`, `'${val}' does not fit in ${size} bytes`);
      value.set(b, off);
    } else if (size === 8) v.setBigUint64(off, BigInt(val), hostLittleEndian);
    else if (size === 4) v.setUint32(off, Number(val), hostLittleEndian);
    else if (size === 2) v.setUint16(off, Number(val), hostLittleEndian);
    else if (size === 1) v.setUint8(off, Number(val));
    else throw new AttachError('struct_ops', `${type}.${name}`, `cannot set a ${size}-byte member from a number`);
  }
  return { valueTypeId, value };
}

/**
 * A one-type BTF blob (`int`), host byte order. `map_create` demands a valid `btf_fd` with
 * `btf_vmlinux_value_type_id` although the value type comes from vmlinux ("the bpf_prog.o
 * must have BTF to begin with"); any BTF will do.
 */
function placeholderBtf(): Uint8Array {
  const b = new Uint8Array(24 + 16 + 5);
  const v = new DataView(b.buffer);
  const le = hostLittleEndian;
  v.setUint16(0, 0xeb9f, le); // magic
  b[2] = 1; // version
  v.setUint32(4, 24, le); // hdr_len
  v.setUint32(8, 0, le); // type_off
  v.setUint32(12, 16, le); // type_len
  v.setUint32(16, 16, le); // str_off
  v.setUint32(20, 5, le); // str_len
  v.setUint32(24, 1, le); // name_off -> "int"
  v.setUint32(28, 1 << 24, le); // info: BTF_KIND_INT
  v.setUint32(32, 4, le); // size
  v.setUint32(36, (1 << 24) | 32, le); // BTF_INT_SIGNED, 32 bits
  b.set(new TextEncoder().encode('\0int\0'), 40);
  return b;
}

/**
 * Registers a struct_ops table (e.g. a TCP congestion control) and returns its link; the
 * link owns the struct_ops map. Closing it unregisters the ops.
 */
export function attachStructOps(o: StructOpsOptions): FdLink {
  const { valueTypeId, value } = encodeStructOps(o);
  let map: Fd | undefined;
  let btf: Fd | undefined;
  try {
    btf = btfLoad(placeholderBtf());
    map = mapCreate({
      btf_fd: btf.raw,
      map_type: MapType.STRUCT_OPS,
      key_size: 4,
      value_size: value.length,
      max_entries: 1,
      map_flags: MapFlags.LINK,
      map_name: o.type.slice(0, 15),
      btf_vmlinux_value_type_id: valueTypeId,
    });
    mapUpdateElem(map.raw, new Uint8Array(4), value, 0);
    const link = linkCreate({ prog_fd: map.raw, target_fd: 0, attach_type: AttachType.STRUCT_OPS });
    return new FdLink('struct_ops', o.type, link, [map]);
  } catch (e) {
    map?.close();
    throw new AttachError('struct_ops', o.type, `registering failed: ${(e as Error).message}`, { cause: e });
  } finally {
    btf?.close();
  }
}

/** A struct_ops map to register: what {@link attachStructOpsMap} needs of a `BpfMap`. */
export interface StructOpsMapLike {
  /** The map fd (borrowed): the value is written through it, and a struct_ops link is created from it (`link_create.map_fd`). */
  readonly fd: number;
  /** The map's name: {@link Link.target} of the result, and in errors. */
  readonly name: string;
  /** `map_flags`: `BPF_F_LINK` makes the registration a link. */
  readonly flags: number;
}

/**
 * Registers a loaded struct_ops map (an object's `SEC(".struct_ops")` variable) with its value
 * (built by the loader): writes the value, which registers the ops; for a `BPF_F_LINK` map
 * (`.struct_ops.link`), also creates the struct_ops link, which registers them instead and
 * unregisters them on close. Without `BPF_F_LINK`, closing the attachment deletes the value
 * (libbpf's `bpf_link__detach_struct_ops`). The caller keeps owning the map.
 */
export function attachStructOpsMap(map: StructOpsMapLike, value: Uint8Array): FdLink | LegacyAttachment {
  const key = new Uint8Array(4);
  try {
    mapUpdateElem(map.fd, key, value, 0);
    if ((map.flags & MapFlags.LINK) === 0) {
      return new LegacyAttachment('struct_ops', map.name, map.name, () => void mapDeleteElem(map.fd, key));
    }
    const link = linkCreate({ prog_fd: map.fd, target_fd: 0, attach_type: AttachType.STRUCT_OPS });
    return new FdLink('struct_ops', map.name, link);
  } catch (e) {
    throw new AttachError('struct_ops', map.name, `registering failed: ${(e as Error).message}`, { cause: e });
  }
}
