/** Shared by the check tests: the running kernel's BTF, and a copy with task_struct edited. */
import { decodeAll, encodeBtf, parseBtf, readKernelBtf, StringTable, type Btf, type BtfComposite, type BtfType } from '../../src/btf/index.js';
import { parseObject, type ObjectSpec } from '../../src/object/index.js';
import { readFixture } from '../helpers/fixtures.js';

export function loadSpec(name: string): ObjectSpec {
  return parseObject(readFixture(name), { fileName: `${name}.bpfel.o` });
}

let vmlinux: Btf | undefined;
export function kernelBtf(): Btf {
  return (vmlinux ??= readKernelBtf());
}

/** What {@link modifiedKernel} changed, for the tests to check against. */
export interface Modification {
  btf: Btf;
  bytes: Uint8Array;
  /** task_struct's id and the offsets (bytes) of the edited members in the original. */
  taskStruct: number;
  pidOffset: number;
  commOffset: number;
}

/**
 * vmlinux BTF with `struct task_struct` edited, as a kernel of another version might have it:
 * `tgid` removed, `pid` renamed to `__pid`, `comm` retyped from `char[16]` to `unsigned long`.
 * Built by editing the decoded types and marshalling them again (`encodeBtf`).
 */
export function modifiedKernel(): Modification {
  const base = kernelBtf();
  const types: BtfType[] = decodeAll(base);
  const strings = new StringTable(base.stringBytes);
  const id = base.findByName('task_struct', 'STRUCT')!;
  const ulong = base.findByName('long unsigned int', 'INT')!;
  const task = structuredClone(types[id - 1]) as BtfComposite;
  types[id - 1] = task;
  const idx = (name: string): number => task.members.findIndex((m) => m.name === name);
  const pid = task.members[idx('pid')]!;
  const comm = task.members[idx('comm')]!;
  const pidOffset = pid.bitsOffset / 8;
  const commOffset = comm.bitsOffset / 8;
  pid.name = '__pid';
  pid.nameOff = strings.add('__pid');
  comm.type = ulong;
  task.members.splice(idx('tgid'), 1);
  const bytes = encodeBtf(types, strings.bytes(), { littleEndian: base.littleEndian });
  return { btf: parseBtf(bytes, { section: 'modified-vmlinux' }), bytes, taskStruct: id, pidOffset, commOffset };
}
