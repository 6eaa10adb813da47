/**
 * Loading struct_ops maps (see `src/object/struct-ops.ts` for how the object declares them).
 *
 * Three things happen at load, as in libbpf (`bpf_map__init_kern_struct_ops`,
 * `bpf_object_prepare_struct_ops`):
 * 1. each program a member points at is loaded with `attach_btf_id` = the kernel's ops struct
 *    and `expected_attach_type` = the member's index in it;
 * 2. the map is created with `btf_vmlinux_value_type_id` = the kernel's wrapper struct
 *    `bpf_struct_ops_<name>` (its value size);
 * 3. its value is built in the kernel's layout: plain members copied from the object by name
 *    (same size required; a member the kernel lacks must be zero), each function-pointer slot
 *    set to the program's fd.
 * Registration (writing that value, plus a link for `.struct_ops.link`) is attaching:
 * `collection.attachAll()` does it, like a libbpf skeleton's `bpf_map__attach_struct_ops`.
 * @module
 */
import { findMember, resolveType, sizeOf, skipModifiers, type Btf } from '../btf/index.js';
import { BpfMap } from '../maps/index.js';
import type { ObjectMapSpec, ObjectSpec } from '../object/index.js';
import { MapType } from '../uapi/bpf.js';
import { hostLittleEndian, type Fd } from '../syscall/index.js';
import { LoadError } from './errors.js';

/** What the loader needs to create, fill and register one struct_ops map. */
export interface StructOpsPlan {
  map: ObjectMapSpec;
  /** `bpf_struct_ops_<name>` in the kernel's BTF. */
  valueTypeId: number;
  /** The value in the kernel's layout, function-pointer slots still 0. */
  value: Uint8Array;
  /** Where each program's fd goes in {@link StructOpsPlan.value}. */
  slots: { program: string; offset: number }[];
}

/** The `attach_btf_id`/`expected_attach_type` of a struct_ops program. */
export interface StructOpsTarget {
  typeId: number;
  memberIndex: number;
  /** `tcp_congestion_ops.ssthresh`, for messages. */
  what: string;
}

const isFuncPtr = (btf: Btf, id: number): boolean => {
  const p = btf.type(skipModifiers(btf, id));
  return p.kind === 'PTR' && btf.type(skipModifiers(btf, p.type)).kind === 'FUNC_PROTO';
};

/**
 * Plans every struct_ops map of `spec` against `kernel`, and says where each of their
 * programs attaches. Throws {@link LoadError} naming the map and member that do not fit.
 */
export function planStructOps(spec: ObjectSpec, kernel: Btf): { plans: StructOpsPlan[]; targets: Map<string, StructOpsTarget> } {
  const plans: StructOpsPlan[] = [];
  const targets = new Map<string, StructOpsTarget>();
  const local = spec.btf;
  for (const map of spec.maps.values()) {
    const so = map.structOps;
    if (!so || !local) continue;
    const where = { map: map.name };
    const opsId = kernel.findByName(so.typeName, 'STRUCT');
    const valueTypeId = kernel.findByName(`bpf_struct_ops_${so.typeName}`, 'STRUCT');
    if (opsId === undefined || valueTypeId === undefined) {
      throw new LoadError(`'${so.typeName}' is not a struct_ops type of this kernel (no 'struct bpf_struct_ops_${so.typeName}' in its BTF)`, where);
    }
    const data = findMember(kernel, valueTypeId, 'data');
    if (!data) throw new LoadError(`kernel 'bpf_struct_ops_${so.typeName}' has no 'data' member`, where);
    const base = data.bitsOffset / 8;
    const kernelOps = kernel.type(opsId);
    const localOps = local.type(so.localTypeId);
    if (kernelOps.kind !== 'STRUCT' || localOps.kind !== 'STRUCT') throw new LoadError(`'${so.typeName}' is not a struct`, where);
    const value = new Uint8Array(sizeOf(kernel, valueTypeId));
    const slots: StructOpsPlan['slots'] = [];
    const bytes = map.data ?? new Uint8Array(localOps.size);
    for (const m of localOps.members) {
      const what = `${so.typeName}.${m.name}`;
      const localSize = m.bitfieldSize ? 0 : sizeOf(local, m.type);
      const localBytes = bytes.subarray(m.bitsOffset / 8, m.bitsOffset / 8 + localSize);
      const index = kernelOps.members.findIndex((k) => k.name === m.name);
      const k = kernelOps.members[index];
      if (!k) {
        // libbpf: a member the kernel does not have is fine only while it is zero / unset.
        if (so.programs.has(m.name) || localBytes.some((b) => b !== 0)) {
          throw new LoadError(`member '${m.name}' is set, but this kernel's '${so.typeName}' has no such member`, { ...where, symbol: what });
        }
        continue;
      }
      if (m.bitfieldSize || k.bitfieldSize) throw new LoadError(`bitfield member '${m.name}' cannot be copied`, { ...where, symbol: what });
      const offset = base + k.bitsOffset / 8;
      if (isFuncPtr(local, m.type)) {
        if (!isFuncPtr(kernel, k.type)) throw new LoadError(`member '${m.name}' is a function pointer here but not in the kernel`, { ...where, symbol: what });
        const program = so.programs.get(m.name);
        if (!program) continue;
        const prog = spec.programs.get(program);
        if (!prog) throw new LoadError(`member '${m.name}' points at '${program}', which is not a program`, { ...where, symbol: what });
        const target = { typeId: opsId, memberIndex: index, what };
        const seen = targets.get(program);
        if (seen && (seen.typeId !== opsId || seen.memberIndex !== index)) {
          throw new LoadError(`program '${program}' implements both '${seen.what}' and '${what}'`, { ...where, program, symbol: what });
        }
        targets.set(program, target);
        slots.push({ program, offset });
        continue;
      }
      const kernelSize = sizeOf(kernel, resolveType(kernel, k.type));
      if (kernelSize !== localSize) {
        throw new LoadError(`member '${m.name}' is ${localSize} bytes here, ${kernelSize} in the kernel`, { ...where, symbol: what });
      }
      value.set(localBytes, offset);
    }
    plans.push({ map, valueTypeId, value, slots });
  }
  return { plans, targets };
}

/** Creates the (empty) struct_ops map of `plan`; `btf` is the object's loaded BTF, which the kernel requires. */
export function createStructOpsMap(plan: StructOpsPlan, btf: Fd | undefined, name: string): BpfMap {
  if (!btf) throw new LoadError(`struct_ops map needs the object's BTF loaded, and the kernel refused it`, { map: plan.map.name });
  return BpfMap.create({
    name,
    type: MapType.STRUCT_OPS,
    keySize: 4,
    valueSize: plan.value.length,
    maxEntries: 1,
    flags: plan.map.flags,
    btf: { fd: btf.raw, keyTypeId: 0, valueTypeId: 0 },
    btfVmlinuxValueTypeId: plan.valueTypeId,
  });
}

/** The value to register: the plan's bytes with each program's fd in its slot (host order). */
export function structOpsValue(plan: StructOpsPlan, fdOf: (program: string) => number | undefined): Uint8Array {
  const value = plan.value.slice();
  const v = new DataView(value.buffer);
  for (const s of plan.slots) {
    const fd = fdOf(s.program);
    if (fd === undefined) throw new LoadError(`program '${s.program}' of struct_ops map '${plan.map.name}' was not loaded`, { map: plan.map.name, program: s.program });
    // bpf_struct_ops_map_update_elem reads each function-pointer slot as a program fd.
    v.setBigUint64(s.offset, BigInt(fd), hostLittleEndian);
  }
  return value;
}
