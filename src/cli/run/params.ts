/**
 * Parameters: every `const volatile` global in `.rodata` is a command-line option of
 * `tsbpf run` (`--set min_us=1000` or `--min_us 1000`), parsed by its BTF type and written
 * into the spec before load, so the verifier sees the value as a constant and prunes the
 * branches it disables (libbpf skeletons do the same through `skel->rodata->min_us`).
 *
 * A `.rodata` variable is a parameter when its BTF `VAR` type carries `volatile`: a plain
 * `const` table is data, not a knob. Values by type:
 * - integers (and typedefs of them: `pid_t`, `__u64`): decimal, `0x` hex, `0o` octal,
 *   negative only when signed, checked against the width;
 * - `bool`: `true`/`false`/`1`/`0`/`yes`/`no`;
 * - enums: an enumerator name or a number;
 * - `char[N]`: a string of at most N - 1 bytes.
 * @module
 */
import { cTypeName, valueCodec, type Btf, type BtfValue, type ValueLayout } from '../../btf/index.js';
import type { ObjectSpec } from '../../object/index.js';
import { TsbpfError } from '../../errors.js';
import { plainText } from './fields.js';

/** One settable parameter. */
export interface Param {
  name: string;
  /** The data section (`.rodata`). */
  section: string;
  /** C type for `--help` (`pid_t`, `char[16]`). */
  typeName: string;
  /** BTF type id of the VAR's type. */
  typeId: number;
  size: number;
  /** The value compiled into the object, as text. */
  defaultText: string;
}

/** Whether the type chain of a VAR (before typedefs are resolved) has `volatile`. */
function isVolatile(btf: Btf, id: number): boolean {
  for (let i = 0; i < 16 && id; i++) {
    const t = btf.type(id);
    if (t.kind === 'VOLATILE') return true;
    if (t.kind !== 'CONST' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return false;
    id = t.type;
  }
  return false;
}

/** The parameters of `spec`, in section and offset order. */
export function listParams(spec: ObjectSpec): Param[] {
  const btf = spec.btf;
  if (!btf) return [];
  const out: Param[] = [];
  for (const m of spec.maps.values()) {
    if (!m.dataSection?.startsWith('.rodata') || !m.variables || !m.data) continue;
    for (const v of m.variables) {
      if (!v.typeId || v.name.startsWith('__tsbpf')) continue;
      const varType = btf.type(v.typeId);
      if (varType.kind !== 'VAR' || !isVolatile(btf, varType.type)) continue;
      let defaultText = '?';
      try {
        defaultText = plainText(valueCodec(btf, varType.type, { littleEndian: spec.littleEndian }).decode(m.data.subarray(v.offset, v.offset + v.size)));
      } catch {
        // A type the codec cannot read: no default shown.
      }
      out.push({ name: v.name, section: m.dataSection, typeName: cTypeName(btf, varType.type), typeId: varType.type, size: v.size, defaultText });
    }
  }
  return out;
}

/** What kind of text a layout takes, for messages and help. */
function expected(l: ValueLayout): string {
  if (l.kind === 'int') {
    if (l.bool) return 'true or false';
    if (l.enumerators) return `one of ${[...l.enumerators.keys()].join(', ')} or a number`;
    return `${l.signed ? 'a signed' : 'an unsigned'} ${l.size * 8}-bit integer`;
  }
  if (l.kind === 'string') return `a string of at most ${l.size - 1} bytes`;
  return `${l.typeName} (not settable from the command line)`;
}

/** `--help` lines for the parameters: `  --min_us VALUE  __u64, default 0 (an unsigned 64-bit integer)`. */
export function paramHelp(spec: ObjectSpec, params: readonly Param[]): string[] {
  if (!params.length) return [];
  const btf = spec.btf!;
  const left = params.map((p) => `  --${p.name} VALUE`);
  const w = Math.max(...left.map((s) => s.length)) + 2;
  return params.map((p, i) => {
    let what: string;
    try {
      what = expected(valueCodec(btf, p.typeId).layout);
    } catch {
      what = 'not settable';
    }
    return `${left[i]!.padEnd(w)}${p.typeName}, default ${p.defaultText} (${what})`;
  });
}

function parseInteger(text: string): bigint | undefined {
  const t = text.trim();
  const m = /^([+-]?)(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.exec(t);
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/**
 * The bytes of parameter `p` for the text `text`.
 * @throws TsbpfError (one line) for text that is not a value of the parameter's type.
 */
export function encodeParam(spec: ObjectSpec, p: Param, text: string): Uint8Array {
  const btf = spec.btf!;
  const codec = valueCodec(btf, p.typeId, { littleEndian: spec.littleEndian });
  const l = codec.layout;
  const bad = (why = '') => new TsbpfError(`parameter '${p.name}' (${p.typeName}) takes ${expected(l)}, not '${text}'${why}`);
  let value: BtfValue;
  if (l.kind === 'int') {
    if (l.bool) {
      const b = { true: true, false: false, yes: true, no: false, '1': true, '0': false }[text.toLowerCase()];
      if (b === undefined) throw bad();
      value = b;
    } else {
      let v = parseInteger(text);
      if (v === undefined && l.enumerators) {
        const e = l.enumerators.get(text);
        if (e !== undefined) v = BigInt(e);
      }
      if (v === undefined) throw bad();
      const bits = l.bits;
      const min = l.signed ? -(1n << BigInt(bits - 1)) : 0n;
      const max = l.signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
      if (v < min || v > max) throw bad(` (out of range ${min}..${max})`);
      value = l.size >= 8 ? v : Number(v);
    }
  } else if (l.kind === 'string') {
    if (new TextEncoder().encode(text).length > l.size - 1) throw bad();
    value = text;
  } else {
    throw bad();
  }
  try {
    return codec.encode(value, p.name);
  } catch (e) {
    throw new TsbpfError(`parameter '${p.name}': ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Parses `--set NAME=VALUE` and `--NAME VALUE` settings into bytes per variable name.
 * @throws TsbpfError naming an unknown parameter (with the known ones) or a bad value.
 */
export function resolveParams(spec: ObjectSpec, params: readonly Param[], settings: readonly [string, string][]): Record<string, Uint8Array> {
  const byName = new Map(params.map((p) => [p.name, p]));
  const out: Record<string, Uint8Array> = {};
  for (const [name, text] of settings) {
    const p = byName.get(name);
    if (!p) {
      const known = params.length ? `; parameters: ${params.map((x) => x.name).join(', ')}` : '; the object has no parameters';
      throw new TsbpfError(`unknown parameter '${name}'${known}`);
    }
    out[name] = encodeParam(spec, p, text);
  }
  return out;
}

