/**
 * TypeScript types for BTF types, written from the same compiled {@link ValueLayout} that
 * the runtime codec (`valueCodec` of `src/btf`) walks, so the declared type is what a decode
 * returns and what an encode takes:
 *
 * | layout                          | TypeScript                                       |
 * |---------------------------------|--------------------------------------------------|
 * | INT of 1, 2 or 4 bytes          | `number`                                         |
 * | INT of 8 or 16 bytes, PTR       | `bigint`                                         |
 * | `_Bool` (`BTF_INT_BOOL`)        | `boolean`                                        |
 * | ENUM                            | a union of its values (`1 \| 2`), with a `const` object of the names |
 * | FLOAT of 4 or 8 bytes           | `number`; other sizes `Uint8Array`               |
 * | `char[N]`                       | `string`                                         |
 * | other ARRAY of N                | a tuple when N <= 16, else `T[]`                 |
 * | named STRUCT / UNION            | an exported interface (`struct stats_key` -> `StatsKey`) |
 * | anonymous STRUCT / UNION        | an inline object type; anonymous members flattened into the parent, as C reads them |
 *
 * A `char[N]` is typed `string`; the codec decodes bytes that are not UTF-8 as a
 * `Uint8Array` of those bytes (lossless), which the type does not show.
 *
 * A union's members are all present on a decoded value (each read from the same bytes);
 * to encode one, give the member you mean and cast, or give them all.
 *
 * Worked example: `struct event { __u32 pid; enum kind k; char comm[16]; struct point at; }`
 * declares `Kind = 1 | 2` (+ `const Kind = { A: 1, B: 2 }`), `Point { x: number; y: number }`
 * and `Event { pid: number; k: Kind; comm: string; at: Point }`, in dependency order.
 * @module
 */
import type { CompositeLayout, IntLayout, ValueLayout } from '../../btf/index.js';
import { commentSafe, NameAllocator, pascalCase, propertyKey } from './naming.js';

/** Arrays up to this length become tuples (`[number, number, number]`). */
export const MAX_TUPLE = 16;
/** Enums with more distinct values than this are typed `number` (or `bigint`). */
const MAX_ENUM_UNION = 256;

interface Declared {
  name: string;
  /** The declaration text (or the body, for composites, to find identical ones). */
  body: string;
}

/** Collects named declarations while it turns layouts into type expressions. */
export class TsTypeEmitter {
  readonly #names: NameAllocator;
  /** By C type name (`struct event`, `event_t`), each distinct body once. */
  readonly #byCName = new Map<string, Declared[]>();
  /** Composite bodies already declared, for typedefs of the same struct. */
  readonly #byBody = new Map<string, string>();
  readonly #out: string[] = [];

  constructor(names: NameAllocator) {
    this.#names = names;
  }

  /** The declarations so far, in dependency order (a type before its users). */
  declarations(): string[] {
    return [...this.#out];
  }

  /** The TypeScript type of a value of `l`, declaring named types it needs. */
  typeOf(l: ValueLayout, depth = 0): string {
    switch (l.kind) {
      case 'int':
        if (l.enumerators) return this.#enumType(l);
        return intType(l);
      case 'float':
        return 'number';
      case 'ptr':
        return 'bigint';
      case 'bytes':
        return 'Uint8Array';
      case 'string':
        return 'string';
      case 'array': {
        const elem = this.typeOf(l.elem, depth + 1);
        if (l.length > 0 && l.length <= MAX_TUPLE) return `[${Array.from({ length: l.length }, () => elem).join(', ')}]`;
        return /^[\w$]+$/.test(elem) ? `${elem}[]` : `Array<${elem}>`;
      }
      case 'struct':
      case 'union': {
        // Anonymous types are written where they are used; named ones are declared at the top level.
        if (isAnonymous(l.typeName)) return this.#objectType(l, depth);
        const body = this.#objectType(l, 0);
        return this.#declare(l.typeName, body, (name) => `${docLine(l.typeName)}export interface ${name} ${body}`, kindSuffix(l.typeName));
      }
    }
  }

  /** `{ a: number; b: string }` (multi-line, indented by `depth`), anonymous members flattened. */
  #objectType(l: CompositeLayout, depth: number): string {
    const pad = '  '.repeat(depth + 1);
    const lines: string[] = [];
    this.#members(l, depth, pad, lines);
    if (lines.length === 0) return '{}';
    return `{\n${lines.join('\n')}\n${'  '.repeat(depth)}}`;
  }

  #members(l: CompositeLayout, depth: number, pad: string, lines: string[]): void {
    for (const f of l.fields) {
      if (f.name === '') {
        this.#members(f.layout as CompositeLayout, depth, pad, lines);
        continue;
      }
      const t = this.typeOf(f.layout, depth + 1);
      const c = f.bitfieldSize ? `${f.layout.typeName}:${f.bitfieldSize}` : f.layout.typeName;
      lines.push(`${pad}${propertyKey(f.name)}: ${t}; // ${commentSafe(c)}`);
    }
  }

  #enumType(l: IntLayout): string {
    const big = l.size > 4;
    const values = new Set<string>();
    for (const v of l.enumerators!.values()) values.add(literal(normalise(BigInt(v), l.size, l.signed), big));
    const base = big ? 'bigint' : 'number';
    const union = values.size === 0 || values.size > MAX_ENUM_UNION ? base : [...values].join(' | ');
    if (isAnonymous(l.typeName)) return union;
    const entries = [...l.enumerators!].map(([k, v]) => `${propertyKey(k)}: ${literal(normalise(BigInt(v), l.size, l.signed), big)}`);
    return this.#declare(l.typeName, union, (name) => {
      const doc = docLine(l.typeName);
      const consts = entries.length ? `\n/** The enumerators of \`${commentSafe(l.typeName)}\`. */\nexport const ${name} = { ${entries.join(', ')} } as const;` : '';
      return `${doc}export type ${name} = ${union};${consts}`;
    }, 'Enum');
  }

  /** Declares `cName` with `body` once (a second C type of the same shape aliases the first). */
  #declare(cName: string, body: string, text: (name: string) => string, suffix: string): string {
    const seen = this.#byCName.get(cName) ?? [];
    const same = seen.find((d) => d.body === body);
    if (same) return same.name;
    const name = this.#names.take(pascalCase(cName.replace(/^(struct|union|enum) /, '')), suffix);
    seen.push({ name, body });
    this.#byCName.set(cName, seen);
    const alias = body.startsWith('{') ? this.#byBody.get(body) : undefined;
    if (alias) {
      this.#out.push(`${docLine(cName)}export type ${name} = ${alias};`);
    } else {
      if (body.startsWith('{')) this.#byBody.set(body, name);
      this.#out.push(text(name));
    }
    return name;
  }
}

/** `number`, `bigint` or `boolean`: what the codec decodes an INT of this layout to. */
function intType(l: IntLayout): string {
  if (l.bool) return 'boolean';
  return l.size <= 4 ? 'number' : 'bigint';
}

function isAnonymous(typeName: string): boolean {
  return typeName.includes('(anon)');
}

function kindSuffix(typeName: string): string {
  return typeName.startsWith('union ') ? 'Union' : typeName.startsWith('struct ') ? 'Struct' : 'Type';
}

function docLine(cName: string): string {
  return `/** \`${commentSafe(cName)}\` */\n`;
}

/** An enumerator as the codec decodes it: in the range of its storage's signedness. */
function normalise(v: bigint, size: number, signed: boolean): bigint {
  const bits = size * 8;
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

function literal(v: bigint, big: boolean): string {
  return big ? `${v}n` : String(v);
}
