/**
 * BTF kinds and the plain objects a decoded type becomes.
 *
 * The constants carry the names of the kernel's UAPI header `include/uapi/linux/btf.h`
 * (`BTF_KIND_STRUCT`, `BTF_INT_SIGNED`, `BTF_VAR_STATIC`, ...) so a reader can grep for them.
 * Decoded types ({@link BtfType}) are a discriminated union on `kind`, spelled as the suffix
 * of the `BTF_KIND_*` constant (`'STRUCT'`), with camelCase fields whose TSDoc names the C field.
 *
 * Every type record starts with `struct btf_type` (12 bytes):
 * ```
 * __u32 name_off;   // offset in the string section
 * __u32 info;       // bits 0-15: vlen, bits 24-28: kind, bit 31: kind_flag
 * __u32 size/type;  // size for INT, ENUM, STRUCT, UNION, DATASEC, FLOAT, ENUM64; a type id otherwise
 * ```
 * followed by kind-specific data (see {@link kindDataSize}).
 * @module
 */

/** `BTF_MAGIC`: the first u16 of raw BTF and of `.BTF.ext`, in the blob's byte order. */
export const BTF_MAGIC = 0xeb9f;
/** `BTF_VERSION`: the only version there is. */
export const BTF_VERSION = 1;
/** Size of `struct btf_header` as of today (the header says its own length in `hdr_len`). */
export const BTF_HEADER_SIZE = 24;
/** Size of `struct btf_type`. */
export const BTF_TYPE_SIZE = 12;
/** Largest type id the kernel accepts (`BTF_MAX_TYPE`). */
export const BTF_MAX_TYPE = 0x000fffff;
/** Largest string offset the kernel accepts (`BTF_MAX_NAME_OFFSET`). */
export const BTF_MAX_NAME_OFFSET = 0x00ffffff;
/** Largest member/param/value count (`BTF_MAX_VLEN`). */
export const BTF_MAX_VLEN = 0xffff;

/** `BTF_KIND_*` (`include/uapi/linux/btf.h`): the kind in bits 24-28 of `btf_type.info`. */
export const BTF_KIND_UNKN = 0;
/** `BTF_KIND_INT`: an integer, char or bool ({@link BtfInt}). */
export const BTF_KIND_INT = 1;
/** `BTF_KIND_PTR`: a pointer ({@link BtfRef}). */
export const BTF_KIND_PTR = 2;
/** `BTF_KIND_ARRAY`: an array, followed by `struct btf_array` ({@link BtfArray}). */
export const BTF_KIND_ARRAY = 3;
/** `BTF_KIND_STRUCT`: a struct, followed by `vlen` `struct btf_member` ({@link BtfComposite}). */
export const BTF_KIND_STRUCT = 4;
/** `BTF_KIND_UNION`: a union, laid out as a struct ({@link BtfComposite}). */
export const BTF_KIND_UNION = 5;
/** `BTF_KIND_ENUM`: an enum with 32-bit values, followed by `vlen` `struct btf_enum` ({@link BtfEnum}). */
export const BTF_KIND_ENUM = 6;
/** `BTF_KIND_FWD`: a forward declaration of a struct or union ({@link BtfFwd}). */
export const BTF_KIND_FWD = 7;
/** `BTF_KIND_TYPEDEF`: a typedef ({@link BtfRef}). */
export const BTF_KIND_TYPEDEF = 8;
/** `BTF_KIND_VOLATILE`: the `volatile` qualifier ({@link BtfRef}). */
export const BTF_KIND_VOLATILE = 9;
/** `BTF_KIND_CONST`: the `const` qualifier ({@link BtfRef}). */
export const BTF_KIND_CONST = 10;
/** `BTF_KIND_RESTRICT`: the `restrict` qualifier ({@link BtfRef}). */
export const BTF_KIND_RESTRICT = 11;
/** `BTF_KIND_FUNC`: a named function, pointing at its FUNC_PROTO ({@link BtfFunc}); what `bpf_func_info` refers to. */
export const BTF_KIND_FUNC = 12;
/** `BTF_KIND_FUNC_PROTO`: a function signature, followed by `vlen` `struct btf_param` ({@link BtfFuncProto}). */
export const BTF_KIND_FUNC_PROTO = 13;
/** `BTF_KIND_VAR`: a global variable, followed by `struct btf_var` ({@link BtfVar}; Linux 5.2). */
export const BTF_KIND_VAR = 14;
/** `BTF_KIND_DATASEC`: an ELF data section and its variables, followed by `vlen` `struct btf_var_secinfo` ({@link BtfDatasec}; Linux 5.2). */
export const BTF_KIND_DATASEC = 15;
/** `BTF_KIND_FLOAT`: a floating-point type ({@link BtfFloat}; Linux 5.13). */
export const BTF_KIND_FLOAT = 16;
/** `BTF_KIND_DECL_TAG`: a `btf_decl_tag` attribute on a declaration ({@link BtfDeclTag}; Linux 5.16). */
export const BTF_KIND_DECL_TAG = 17;
/** `BTF_KIND_TYPE_TAG`: a `btf_type_tag` attribute on a pointee type such as `__user` or `__rcu` ({@link BtfRef}; Linux 5.17). */
export const BTF_KIND_TYPE_TAG = 18;
/** `BTF_KIND_ENUM64`: an enum with 64-bit values, followed by `vlen` `struct btf_enum64` ({@link BtfEnum64}; Linux 6.0). */
export const BTF_KIND_ENUM64 = 19;
/** Highest kind this library knows (`BTF_KIND_MAX`). */
export const BTF_KIND_MAX = 19;

/** Kind names as bpftool prints them, indexed by `BTF_KIND_*`. */
export const BTF_KIND_NAMES = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG',
  'ENUM64',
] as const;

/** A kind name, as in the `BTF_KIND_*` constants without the prefix. */
export type BtfKindName = Exclude<(typeof BTF_KIND_NAMES)[number], 'UNKNOWN'>;

/** `BTF_KIND_*` number of a kind name. */
export function kindNumber(name: BtfKindName): number {
  return BTF_KIND_NAMES.indexOf(name);
}

/** `BTF_INT_*`: bits of `BTF_INT_ENCODING()`, the top byte of an INT's data word. */
export const BTF_INT_SIGNED = 1 << 0;
/** `BTF_INT_CHAR`: the integer is a `char` (printed as a character). */
export const BTF_INT_CHAR = 1 << 1;
/** `BTF_INT_BOOL`: the integer is a `bool`. */
export const BTF_INT_BOOL = 1 << 2;

/** `BTF_VAR_*` (`enum btf_var_linkage`): `btf_var.linkage`. */
export const BTF_VAR_STATIC = 0;
/** `BTF_VAR_GLOBAL_ALLOCATED`: a global variable defined in this object. */
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
/** `BTF_VAR_GLOBAL_EXTERN`: an `extern` variable (`.kconfig`, `.ksyms`), resolved by the loader. */
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** `BTF_FUNC_*` (`enum btf_func_linkage`): kept in the vlen bits of a FUNC. */
export const BTF_FUNC_STATIC = 0;
/** `BTF_FUNC_GLOBAL`: a global function (verified on its own, by its BTF signature). */
export const BTF_FUNC_GLOBAL = 1;
/** `BTF_FUNC_EXTERN`: an `extern` function (a kfunc, resolved against kernel BTF). */
export const BTF_FUNC_EXTERN = 2;

/**
 * Bytes of kind-specific data after `struct btf_type`, or -1 for an unknown kind.
 * (Same table as the kernel's `btf_type_size()`/libbpf's `btf_type_size()`.)
 */
export function kindDataSize(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND_FWD:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_PTR:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_FUNC:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
      return 0;
    case BTF_KIND_INT: // __u32 encoding/offset/bits
    case BTF_KIND_VAR: // struct btf_var { __u32 linkage; }
    case BTF_KIND_DECL_TAG: // struct btf_decl_tag { __s32 component_idx; }
      return 4;
    case BTF_KIND_ARRAY: // struct btf_array { type, index_type, nelems }
      return 12;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: // struct btf_member { name_off, type, offset }
    case BTF_KIND_DATASEC: // struct btf_var_secinfo { type, offset, size }
    case BTF_KIND_ENUM64: // struct btf_enum64 { name_off, val_lo32, val_hi32 }
      return vlen * 12;
    case BTF_KIND_ENUM: // struct btf_enum { name_off, val }
    case BTF_KIND_FUNC_PROTO: // struct btf_param { name_off, type }
      return vlen * 8;
    default:
      return -1;
  }
}

/** Fields every decoded type has. */
export interface BtfTypeCommon {
  /** Type id (`[id]` in bpftool). Ids start at 1; 0 is `void`. */
  id: number;
  /** Name, `''` when anonymous (`name_off` 0). */
  name: string;
  /** `name_off`: the name's offset in the string section (for split BTF, after the base's). */
  nameOff: number;
}

/** `BTF_KIND_INT`. */
export interface BtfInt extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_INT`. */
  kind: 'INT';
  /** `size` in bytes. */
  size: number;
  /** `BTF_INT_ENCODING`: a mix of {@link BTF_INT_SIGNED}, {@link BTF_INT_CHAR}, {@link BTF_INT_BOOL}. */
  encoding: number;
  /** `BTF_INT_OFFSET`: bit offset of the value inside `size` bytes (0 in practice). */
  bitsOffset: number;
  /** `BTF_INT_BITS`: number of value bits. */
  nrBits: number;
}

/** `BTF_KIND_PTR`, `CONST`, `VOLATILE`, `RESTRICT`, `TYPEDEF`, `TYPE_TAG`: one reference. */
export interface BtfRef extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_PTR` / `BTF_KIND_CONST` / `BTF_KIND_VOLATILE` / `BTF_KIND_RESTRICT` / `BTF_KIND_TYPEDEF` / `BTF_KIND_TYPE_TAG`. */
  kind: 'PTR' | 'CONST' | 'VOLATILE' | 'RESTRICT' | 'TYPEDEF' | 'TYPE_TAG';
  /** `type`: the referenced type id. */
  type: number;
  /** `kind_flag`: only TYPE_TAG may set it (an `__attribute__` tag, Linux 6.14+); false otherwise. */
  kindFlag: boolean;
}

/** `BTF_KIND_ARRAY` (`struct btf_array`). */
export interface BtfArray extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_ARRAY`. */
  kind: 'ARRAY';
  /** `btf_array.type`: element type. */
  type: number;
  /** `btf_array.index_type`. */
  indexType: number;
  /** `btf_array.nelems`. */
  nelems: number;
}

/** One `struct btf_member`. */
export interface BtfMember {
  /** Member name; `''` for an anonymous struct/union member. */
  name: string;
  /** `name_off`. */
  nameOff: number;
  /** `type`. */
  type: number;
  /** Bit offset from the start of the struct (`BTF_MEMBER_BIT_OFFSET(offset)` when kind_flag is set). */
  bitsOffset: number;
  /** Bitfield width (`BTF_MEMBER_BITFIELD_SIZE(offset)`), 0 when not a bitfield or kind_flag is clear. */
  bitfieldSize: number;
}

/** `BTF_KIND_STRUCT` / `BTF_KIND_UNION`. */
export interface BtfComposite extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_STRUCT` / `BTF_KIND_UNION`. */
  kind: 'STRUCT' | 'UNION';
  /** `size` in bytes. */
  size: number;
  /** `kind_flag`: member `offset` holds bitfield size (bits 24-31) and bit offset (bits 0-23). */
  kindFlag: boolean;
  /** The `vlen` `struct btf_member` records, in order. */
  members: BtfMember[];
}

/** One enumerator (`struct btf_enum` or `struct btf_enum64`). */
export interface BtfEnumValue<V> {
  /** Enumerator name. */
  name: string;
  /** `name_off`. */
  nameOff: number;
  /** `val` (ENUM, signed or unsigned by the type's kind_flag) or `val_hi32 << 32 | val_lo32` (ENUM64). */
  value: V;
}

/** `BTF_KIND_ENUM`: 32-bit values. */
export interface BtfEnum extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_ENUM`. */
  kind: 'ENUM';
  /** `size` in bytes (1, 2, 4 or 8). */
  size: number;
  /** `kind_flag`: values are signed. */
  signed: boolean;
  /** The `vlen` `struct btf_enum` records. */
  values: BtfEnumValue<number>[];
}

/** `BTF_KIND_ENUM64`: 64-bit values (bigint, signed or unsigned by kind_flag). */
export interface BtfEnum64 extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_ENUM64`. */
  kind: 'ENUM64';
  /** `size` in bytes (1, 2, 4 or 8). */
  size: number;
  /** `kind_flag`: values are signed. */
  signed: boolean;
  /** The `vlen` `struct btf_enum64` records. */
  values: BtfEnumValue<bigint>[];
}

/** `BTF_KIND_FWD`. */
export interface BtfFwd extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_FWD`. */
  kind: 'FWD';
  /** `kind_flag`: 0 = struct, 1 = union. */
  fwdKind: 'struct' | 'union';
}

/** `BTF_KIND_FUNC`. */
export interface BtfFunc extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_FUNC`. */
  kind: 'FUNC';
  /** `type`: the FUNC_PROTO. */
  type: number;
  /** Linkage kept in vlen: {@link BTF_FUNC_STATIC}, {@link BTF_FUNC_GLOBAL}, {@link BTF_FUNC_EXTERN}. */
  linkage: number;
}

/** One `struct btf_param`. */
export interface BtfParam {
  /** Parameter name; `''` when unnamed. */
  name: string;
  /** `name_off`. */
  nameOff: number;
  /** `type`; a last param with type 0 and no name means `...` (varargs). */
  type: number;
}

/** `BTF_KIND_FUNC_PROTO`. */
export interface BtfFuncProto extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_FUNC_PROTO`. */
  kind: 'FUNC_PROTO';
  /** `type`: return type, 0 for void. */
  returnType: number;
  /** The `vlen` `struct btf_param` records, in order. */
  params: BtfParam[];
}

/** `BTF_KIND_VAR`. */
export interface BtfVar extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_VAR`. */
  kind: 'VAR';
  /** `type`: the variable's type. */
  type: number;
  /** `btf_var.linkage`: {@link BTF_VAR_STATIC}, {@link BTF_VAR_GLOBAL_ALLOCATED}, {@link BTF_VAR_GLOBAL_EXTERN}. */
  linkage: number;
}

/** One `struct btf_var_secinfo`. */
export interface BtfVarSecinfo {
  /** `type`: the VAR (or FUNC, in `.ksyms`). */
  type: number;
  /** `offset` in the section, bytes. */
  offset: number;
  /** `size` in bytes. */
  size: number;
}

/** `BTF_KIND_DATASEC`. */
export interface BtfDatasec extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_DATASEC`. */
  kind: 'DATASEC';
  /** `size`: the section's size in bytes (0 from clang until the loader fixes it from the ELF, see `sanitizeBtf`). */
  size: number;
  /** The `vlen` `struct btf_var_secinfo` records, one per variable. */
  vars: BtfVarSecinfo[];
}

/** `BTF_KIND_FLOAT`. */
export interface BtfFloat extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_FLOAT`. */
  kind: 'FLOAT';
  /** `size` in bytes (2, 4, 8, 12 or 16). */
  size: number;
}

/** `BTF_KIND_DECL_TAG`. */
export interface BtfDeclTag extends BtfTypeCommon {
  /** Discriminant: `BTF_KIND_DECL_TAG`. */
  kind: 'DECL_TAG';
  /** `type`: the tagged struct, union, var, func or typedef. */
  type: number;
  /** `btf_decl_tag.component_idx`: -1 for the type itself, else the member/param index. */
  componentIdx: number;
  /** `kind_flag`: an `__attribute__` tag rather than a `btf_decl_tag` (Linux 6.14+). */
  kindFlag: boolean;
}

/** A decoded BTF type: a discriminated union on `kind`. */
export type BtfType =
  | BtfInt
  | BtfRef
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** `kind_flag` and `vlen` linkage/encoding of a decoded type, as written in `info`. */
export function typeInfo(t: BtfType): {
  /** `BTF_INFO_KIND(info)`: the `BTF_KIND_*` number. */
  kind: number;
  /** `BTF_INFO_VLEN(info)`: member, value, param or variable count, or a FUNC's linkage. */
  vlen: number;
  /** `BTF_INFO_KFLAG(info)`. */
  kindFlag: boolean;
} {
  const kind = kindNumber(t.kind);
  switch (t.kind) {
    case 'STRUCT':
    case 'UNION':
      return { kind, vlen: t.members.length, kindFlag: t.kindFlag };
    case 'ENUM':
    case 'ENUM64':
      return { kind, vlen: t.values.length, kindFlag: t.signed };
    case 'FWD':
      return { kind, vlen: 0, kindFlag: t.fwdKind === 'union' };
    case 'FUNC':
      return { kind, vlen: t.linkage, kindFlag: false };
    case 'FUNC_PROTO':
      return { kind, vlen: t.params.length, kindFlag: false };
    case 'DATASEC':
      return { kind, vlen: t.vars.length, kindFlag: false };
    case 'DECL_TAG':
      return { kind, vlen: 0, kindFlag: t.kindFlag };
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      return { kind, vlen: 0, kindFlag: t.kindFlag };
    default:
      return { kind, vlen: 0, kindFlag: false };
  }
}
