/**
 * Names in generated TypeScript: C identifiers made into type names (`stats_key` ->
 * `StatsKey`), property keys quoted only when they must be, and one allocator per module so
 * two C types never get the same TS name and no generated name hides a global the generated
 * code uses (`Map`, `Uint8Array`, `Promise`...).
 * @module
 */

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Whether `s` can be written as a bare property key or a declared name. */
export function isIdentifier(s: string): boolean {
  return IDENT.test(s);
}

/** `name` as an object/interface key: bare when it is an identifier, else a string literal. */
export function propertyKey(name: string): string {
  return isIdentifier(name) ? name : JSON.stringify(name);
}

/** `stats_key` -> `StatsKey`, `__u32` -> `U32`, `gen_skeleton` -> `GenSkeleton`; `''` -> `Anon`. */
export function pascalCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const out = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (out === '') return 'Anon';
  return /^[0-9]/.test(out) ? `T${out}` : out;
}

/**
 * `s` made safe inside a generated comment: names come from the object (untrusted), and a
 * `*\/` or a line terminator (including U+2028/U+2029) would end the comment early.
 */
export function commentSafe(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]/g, ' ').replace(/\*\//g, '*\\/');
}

/** A data section's property name, as bpftool names the skeleton member: `.rodata` -> `rodata`, `.data.slots` -> `data_slots`. */
export function sectionIdent(section: string): string {
  const s = section.replace(/^\./, '').replace(/[^A-Za-z0-9_$]/g, '_');
  return isIdentifier(s) ? s : `_${s}`;
}

/**
 * Globals and TypeScript words a generated module must not shadow or declare: the types its
 * own code names, and reserved words.
 */
const RESERVED = new Set([
  'Array', 'ArrayBuffer', 'BigInt', 'Boolean', 'DataView', 'Date', 'Error', 'Function', 'Map', 'Number',
  'Object', 'Promise', 'Readonly', 'Record', 'Set', 'String', 'Symbol', 'Uint8Array', 'URL', 'Partial',
  'Required', 'Pick', 'Omit', 'Exclude', 'Extract', 'NonNullable', 'ReturnType', 'Parameters', 'Awaited',
  'AsyncIterable', 'Iterable', 'any', 'unknown', 'never', 'number', 'bigint', 'string', 'boolean',
  'object', 'symbol', 'undefined', 'void', 'null', 'type', 'interface', 'enum', 'const', 'class',
]);

/** Hands out unique TS names for one generated module. */
export class NameAllocator {
  readonly #used = new Set<string>(RESERVED);

  /** Marks `name` as taken (the module's own exports). */
  reserve(name: string): void {
    this.#used.add(name);
  }

  /**
   * `base` if free, else `base` + `suffix` (`Map` -> `MapStruct`), else numbered
   * (`Event2`, `Event3`...).
   */
  take(base: string, suffix = ''): string {
    let name = base;
    if (this.#used.has(name) && suffix) name = base + suffix;
    for (let i = 2; this.#used.has(name); i++) name = `${base}${i}`;
    this.#used.add(name);
    return name;
  }
}
