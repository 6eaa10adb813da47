/**
 * bpftool's raw BTF dump (`bpftool btf dump file X`, the default `format raw`), text and JSON.
 *
 * One line per type, `[id] KIND 'name'` then kind-specific fields, with one indented line
 * per member, enumerator, parameter or DATASEC variable. The layout is bpftool's
 * (`dump_btf_type` in bpftool's `btf.c`), so the two outputs can be compared line for line:
 * ```
 * [11] STRUCT 'with_anon' size=128 vlen=13
 * 	'kind' type_id=2 bits_offset=0
 * [50] STRUCT 'bits' size=16 vlen=6
 * 	'a' type_id=9 bits_offset=0 bitfield_size=3
 * [73] ENUM64 'big_enum' encoding=UNSIGNED size=8 vlen=3
 * 	'BIG_A' val=1ULL
 * [90] DATASEC '.bss' size=0 vlen=2
 * 	type_id=81 offset=0 size=4 (VAR 'static_counter')
 * ```
 * Split BTF dumps only its own types, as bpftool does.
 * @module
 */
import type { Btf } from './btf.js';
import {
  BTF_FUNC_EXTERN,
  BTF_FUNC_GLOBAL,
  BTF_FUNC_STATIC,
  BTF_INT_BOOL,
  BTF_INT_CHAR,
  BTF_INT_SIGNED,
  BTF_KIND_NAMES,
  BTF_VAR_GLOBAL_ALLOCATED,
  BTF_VAR_GLOBAL_EXTERN,
  BTF_VAR_STATIC,
  type BtfType,
} from './kinds.js';

/** bpftool's `btf_int_enc_str`: one encoding word, not a set. */
function intEncodingName(enc: number): string {
  switch (enc) {
    case 0:
      return '(none)';
    case BTF_INT_SIGNED:
      return 'SIGNED';
    case BTF_INT_CHAR:
      return 'CHAR';
    case BTF_INT_BOOL:
      return 'BOOL';
    default:
      return 'UNKN';
  }
}

/** Name of a VAR linkage as bpftool prints it. */
export function varLinkageName(linkage: number): string {
  switch (linkage) {
    case BTF_VAR_STATIC:
      return 'static';
    case BTF_VAR_GLOBAL_ALLOCATED:
      return 'global';
    case BTF_VAR_GLOBAL_EXTERN:
      return 'extern';
    default:
      return '(unknown)';
  }
}

/** Name of a FUNC linkage as bpftool prints it. */
export function funcLinkageName(linkage: number): string {
  switch (linkage) {
    case BTF_FUNC_STATIC:
      return 'static';
    case BTF_FUNC_GLOBAL:
      return 'global';
    case BTF_FUNC_EXTERN:
      return 'extern';
    default:
      return '(unknown)';
  }
}

function q(name: string): string {
  return `'${name === '' ? '(anon)' : name}'`;
}

/** The raw-dump text of one type, without the trailing newline (may span several lines). */
export function formatRawType(btf: Btf, t: BtfType): string {
  let s = `[${t.id}] ${t.kind} ${q(t.name)}`;
  switch (t.kind) {
    case 'INT':
      s += ` size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.nrBits} encoding=${intEncodingName(t.encoding)}`;
      break;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      s += ` type_id=${t.type}`;
      break;
    case 'ARRAY':
      s += ` type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
      break;
    case 'STRUCT':
    case 'UNION':
      s += ` size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitsOffset}`;
        if (m.bitfieldSize) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      break;
    case 'ENUM':
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const e of t.values) s += `\n\t${q(e.name)} val=${e.value}`;
      break;
    case 'ENUM64':
      s += ` encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      for (const e of t.values) s += `\n\t${q(e.name)} val=${e.value}${t.signed ? 'LL' : 'ULL'}`;
      break;
    case 'FWD':
      s += ` fwd_kind=${t.fwdKind}`;
      break;
    case 'FUNC':
      s += ` type_id=${t.type} linkage=${funcLinkageName(t.linkage)}`;
      break;
    case 'FUNC_PROTO':
      s += ` ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t${q(p.name)} type_id=${p.type}`;
      break;
    case 'VAR':
      s += ` type_id=${t.type}, linkage=${varLinkageName(t.linkage)}`;
      break;
    case 'DATASEC':
      s += ` size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size}`;
        if (btf.has(v.type)) s += ` (${BTF_KIND_NAMES[btf.kindOf(v.type)]} ${q(btf.nameOf(v.type))})`;
      }
      break;
    case 'FLOAT':
      s += ` size=${t.size}`;
      break;
    case 'DECL_TAG':
      s += ` type_id=${t.type} component_idx=${t.componentIdx}`;
      break;
  }
  return s;
}

/**
 * The raw dump of every own type (split BTF: without the base's), as chunks of text of about
 * `chunkSize` characters each ending in a newline, so a 12 MB vmlinux dump can be streamed.
 */
export function* rawDumpChunks(btf: Btf, chunkSize = 1 << 16): IterableIterator<string> {
  let buf = '';
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    buf += formatRawType(btf, btf.type(id)) + '\n';
    if (buf.length >= chunkSize) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** The whole raw dump as one string. */
export function rawDump(btf: Btf): string {
  let s = '';
  for (const chunk of rawDumpChunks(btf)) s += chunk;
  return s;
}

/** One type as bpftool's `--json` raw dump prints it. */
export function rawJsonType(btf: Btf, t: BtfType): Record<string, unknown> {
  const o: Record<string, unknown> = { id: t.id, kind: t.kind, name: t.name === '' ? '(anon)' : t.name };
  const anon = (n: string): string => (n === '' ? '(anon)' : n);
  switch (t.kind) {
    case 'INT':
      Object.assign(o, { size: t.size, bits_offset: t.bitsOffset, nr_bits: t.nrBits, encoding: intEncodingName(t.encoding) });
      break;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      o.type_id = t.type;
      break;
    case 'ARRAY':
      Object.assign(o, { type_id: t.type, index_type_id: t.indexType, nr_elems: t.nelems });
      break;
    case 'STRUCT':
    case 'UNION':
      Object.assign(o, {
        size: t.size,
        vlen: t.members.length,
        members: t.members.map((m) => ({
          name: anon(m.name),
          type_id: m.type,
          bits_offset: m.bitsOffset,
          ...(m.bitfieldSize ? { bitfield_size: m.bitfieldSize } : {}),
        })),
      });
      break;
    case 'ENUM':
      // bpftool 7.1 prints an unsigned 32-bit value >= 2^31 sign-extended to 64 bits
      // (jsonw_uint_field on the __s32 `val`); we print the value itself.
      Object.assign(o, {
        encoding: t.signed ? 'SIGNED' : 'UNSIGNED',
        size: t.size,
        vlen: t.values.length,
        values: t.values.map((e) => ({ name: anon(e.name), val: e.value })),
      });
      break;
    case 'ENUM64':
      Object.assign(o, {
        encoding: t.signed ? 'SIGNED' : 'UNSIGNED',
        size: t.size,
        vlen: t.values.length,
        // JSON numbers lose precision above 2^53; bigints go out as JSON numbers via the writer.
        values: t.values.map((e) => ({ name: anon(e.name), val: e.value })),
      });
      break;
    case 'FWD':
      o.fwd_kind = t.fwdKind;
      break;
    case 'FUNC':
      Object.assign(o, { type_id: t.type, linkage: funcLinkageName(t.linkage) });
      break;
    case 'FUNC_PROTO':
      Object.assign(o, { ret_type_id: t.returnType, vlen: t.params.length, params: t.params.map((p) => ({ name: anon(p.name), type_id: p.type })) });
      break;
    case 'VAR':
      Object.assign(o, { type_id: t.type, linkage: varLinkageName(t.linkage) });
      break;
    case 'DATASEC':
      Object.assign(o, { size: t.size, vlen: t.vars.length, vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })) });
      break;
    case 'FLOAT':
      o.size = t.size;
      break;
    case 'DECL_TAG':
      Object.assign(o, { type_id: t.type, component_idx: t.componentIdx });
      break;
  }
  return o;
}

/**
 * `{"types":[...]}` as JSON text, bigints written as exact JSON numbers (as bpftool's
 * json_writer prints a u64), in chunks for streaming.
 */
export function* rawJsonChunks(btf: Btf, chunkSize = 1 << 16): IterableIterator<string> {
  let buf = '{"types":[';
  for (let id = btf.firstId; id <= btf.maxId; id++) {
    if (id !== btf.firstId) buf += ',';
    buf += JSON.stringify(rawJsonType(btf, btf.type(id)), (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v)).replace(
      /"\\u0000(-?\d+)\\u0000"/g,
      '$1',
    );
    if (buf.length >= chunkSize) {
      yield buf;
      buf = '';
    }
  }
  yield buf + ']}';
}
