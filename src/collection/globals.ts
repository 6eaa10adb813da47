/**
 * Global variables by name: the C globals a program keeps in its data sections.
 *
 * Before load, a variable's bytes live in the spec (`ObjectMapSpec.data`): `const volatile`
 * values in `.rodata` are set there and the verifier then sees them as constants (dead
 * branches are pruned). {@link setVariable} finds a variable by name through the section's
 * BTF `DATASEC` and checks the size, so a typo or a wrong width is an error, not a silent
 * write to the neighbour.
 *
 * After load, `.data` and `.bss` (and custom `.data.*` sections) are mmapable array maps:
 * {@link GlobalVariable} reads and writes a variable in place, shared with running programs.
 * `.rodata` is frozen after load, so its view is read-only.
 * @module
 */
import type { ObjectMapSpec, ObjectSpec } from '../object/index.js';
import type { DataVariable } from '../object/index.js';
import { LoadError } from './errors.js';

/** A value for a variable: raw bytes of its exact size, or an integer for a 1/2/4/8-byte one. */
export type VariableValue = Uint8Array | number | bigint | boolean;

/** Where a variable lives: its data map and its slot. */
export interface VariableLocation {
  /** The data map holding it (`obj.rodata`, `obj.bss`...). */
  map: ObjectMapSpec;
  /** The variable: offset, size and BTF type in that map's value. */
  variable: DataVariable;
}

/**
 * Finds the variable `name` in the data maps of `spec` (`.rodata*`, `.data*`, `.bss*`, in
 * that order of preference when several sections have one of that name; `section` picks one).
 * `.kconfig` externs are not variables the user sets.
 * @throws {@link LoadError} when no data section has a variable of that name.
 */
export function findVariable(spec: ObjectSpec, name: string, section?: string): VariableLocation {
  const found: VariableLocation[] = [];
  for (const map of spec.maps.values()) {
    if (!map.dataSection || !map.variables || map.dataSection === '.kconfig') continue;
    if (section !== undefined && map.dataSection !== section) continue;
    const variable = map.variables.find((v) => v.name === name);
    if (variable) found.push({ map, variable });
  }
  if (found.length === 0) {
    const where = section !== undefined ? `section '${section}'` : 'any data section';
    throw new LoadError(`no variable '${name}' in ${where} of object '${spec.name}'`, { symbol: name });
  }
  const rank = (s: string) => (s.startsWith('.rodata') ? 0 : s.startsWith('.data') ? 1 : 2);
  found.sort((a, b) => rank(a.map.dataSection!) - rank(b.map.dataSection!));
  return found[0]!;
}

/** Encodes `value` for a variable of `size` bytes in the given byte order. */
export function encodeVariable(name: string, size: number, value: VariableValue, littleEndian: boolean): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== size) throw new LoadError(`variable '${name}' is ${size} bytes, the value is ${value.length}`, { symbol: name });
    return value;
  }
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    throw new LoadError(`variable '${name}' is ${size} bytes: give its value as a Uint8Array, not a number`, { symbol: name });
  }
  let v: bigint;
  if (typeof value === 'boolean') v = value ? 1n : 0n;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new LoadError(`variable '${name}': ${value} is not an integer`, { symbol: name });
    v = BigInt(value);
  } else v = value;
  const bits = size * 8;
  if (BigInt.asUintN(bits, v) !== v && BigInt.asIntN(bits, v) !== v) {
    throw new LoadError(`variable '${name}': ${value} does not fit in ${size} bytes`, { symbol: name });
  }
  const u = BigInt.asUintN(bits, v);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[littleEndian ? i : size - 1 - i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * Sets a global variable in the spec, before load: `setVariable(spec, 'config_magic', 7n)`.
 * The size is checked against the variable's BTF type (through its DATASEC).
 * @throws {@link LoadError} for an unknown name or a value of the wrong size.
 */
export function setVariable(spec: ObjectSpec, name: string, value: VariableValue, section?: string): void {
  const { map, variable } = findVariable(spec, name, section);
  const bytes = encodeVariable(name, variable.size, value, spec.littleEndian);
  if (!map.data || variable.offset + variable.size > map.data.length) {
    throw new LoadError(`variable '${name}' [${variable.offset}, +${variable.size}) is outside the data of '${map.name}'`, { symbol: name, map: map.name });
  }
  map.data.set(bytes, variable.offset);
}

/**
 * A global variable of a loaded collection, read and written in place through the mmapped
 * data map (no syscall per access). Valid until the collection is closed.
 */
export class GlobalVariable {
  /** The variable's name. */
  readonly name: string;
  /** Its section (`.data`, `.bss`, `.rodata`...). */
  readonly section: string;
  /** Its size in bytes. */
  readonly size: number;
  readonly #bytes: () => Uint8Array;
  readonly #writable: boolean;
  readonly #littleEndian: boolean;

  /** @internal built by the collection. */
  constructor(name: string, section: string, size: number, bytes: () => Uint8Array, writable: boolean, littleEndian: boolean) {
    this.name = name;
    this.section = section;
    this.size = size;
    this.#bytes = bytes;
    this.#writable = writable;
    this.#littleEndian = littleEndian;
  }

  /** A copy of the variable's current bytes. */
  get(): Uint8Array {
    return this.#bytes().slice();
  }

  /** The value as an unsigned integer (1, 2, 4 or 8 bytes). */
  getBigUint(): bigint {
    const b = this.#bytes();
    let v = 0n;
    for (let i = 0; i < b.length; i++) v |= BigInt(b[this.#littleEndian ? i : b.length - 1 - i]!) << BigInt(8 * i);
    return v;
  }

  /** The value as a signed integer. */
  getBigInt(): bigint {
    return BigInt.asIntN(this.size * 8, this.getBigUint());
  }

  /** The value as a number (unsigned; exact up to 2^53). */
  getNumber(): number {
    return Number(this.getBigUint());
  }

  /**
   * Writes the variable (programs see the new value at once).
   * @throws {@link LoadError} for a read-only section or a value of the wrong size.
   */
  set(value: VariableValue): void {
    if (!this.#writable) throw new LoadError(`variable '${this.name}' is in '${this.section}', which is read-only after load`, { symbol: this.name });
    this.#bytes().set(encodeVariable(this.name, this.size, value, this.#littleEndian));
  }
}
