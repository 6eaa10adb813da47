/**
 * Two small BTF tasks the probes need before `src/btf` exists:
 * - the hand-built BTF for local-storage maps (int, `struct bpf_spin_lock`, `struct val`),
 *   the same types libbpf's probe builds;
 * - a minimal scan of `/sys/kernel/btf/vmlinux` for an enum's values or a named type's id.
 *
 * The scan walks type headers only (each kind's trailing data size per
 * Documentation/bpf/btf.rst); it is not a BTF parser.
 * @module
 */
import { readFileSync } from 'node:fs';
import { ByteReader } from '../bytes/reader.js';
import { ParseError } from '../errors.js';

const BTF_MAGIC = 0xeb9f;
const KIND_INT = 1;
const KIND_STRUCT = 4;
const KIND_ENUM = 6;
const KIND_ENUM64 = 19;

function info(kind: number, vlen: number): number {
  return ((kind << 24) | vlen) >>> 0;
}

/**
 * BTF for local storage maps (`sk_storage`, `inode_storage`, `task_storage`,
 * `cgrp_storage`): type 1 = `int` (key), type 3 = `struct val { int cnt; struct bpf_spin_lock l; }`
 * (value, 8 bytes). Host byte order.
 */
export function localStorageBtf(littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1): Uint8Array {
  const strs = new TextEncoder().encode('\0bpf_spin_lock\0val\0cnt\0l\0');
  // [1] int; [2] struct bpf_spin_lock { int val; }; [3] struct val { int cnt; struct bpf_spin_lock l; }
  const types = [
    0, info(KIND_INT, 0), 4, (1 << 24) | 32, // name, info, size, BTF_INT_SIGNED | 32 bits
    1, info(KIND_STRUCT, 1), 4, 15, 1, 0, // "bpf_spin_lock": member "val" type 1 offset 0
    15, info(KIND_STRUCT, 2), 8, 19, 1, 0, 23, 2, 32, // "val": "cnt" type 1 @0, "l" type 2 @32 bits
  ];
  const typeLen = types.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, littleEndian);
  out[2] = 1; // version
  out[3] = 0; // flags
  v.setUint32(4, 24, littleEndian); // hdr_len
  v.setUint32(8, 0, littleEndian); // type_off
  v.setUint32(12, typeLen, littleEndian);
  v.setUint32(16, typeLen, littleEndian); // str_off
  v.setUint32(20, strs.length, littleEndian);
  types.forEach((x, i) => v.setUint32(24 + i * 4, x >>> 0, littleEndian));
  out.set(strs, 24 + typeLen);
  return out;
}

/** A type header from the scan. */
export interface BtfTypeHeader {
  id: number;
  name: string;
  kind: number;
  vlen: number;
  /** `size` (INT, STRUCT, UNION, ENUM, DATASEC) or `type` (the rest) from the header. */
  sizeOrType: number;
  /** Offset of the type's trailing data in the type section reader. */
  dataOffset: number;
}

/** Minimal view of a BTF blob: type headers plus enum values. */
export class BtfScan {
  readonly types: BtfTypeHeader[] = [];
  readonly #r: ByteReader;
  readonly #strs: ByteReader;
  readonly #byName = new Map<string, BtfTypeHeader[]>();

  constructor(bytes: Uint8Array) {
    const fail = (what: string, offset: number) => new ParseError(what, { section: '.BTF', offset });
    if (bytes.length < 24) throw fail('btf header truncated', 0);
    const le = bytes[0] === 0x9f && bytes[1] === 0xeb;
    const h = new ByteReader(bytes, le, fail);
    if (h.u16(0) !== BTF_MAGIC) throw fail('bad btf magic', 0);
    const hdrLen = h.u32(4);
    const typeOff = h.u32(8);
    const typeLen = h.u32(12);
    const strOff = h.u32(16);
    const strLen = h.u32(20);
    this.#r = h.sub(hdrLen + typeOff, typeLen, 'btf type section');
    this.#strs = h.sub(hdrLen + strOff, strLen, 'btf string section');
    const r = this.#r;
    let off = 0;
    let id = 1;
    while (off < r.length) {
      const nameOff = r.u32(off);
      const inf = r.u32(off + 4);
      const kind = (inf >>> 24) & 0x1f;
      const vlen = inf & 0xffff;
      const data = off + 12;
      let extra: number;
      switch (kind) {
        case KIND_INT: case 14: case 17: extra = 4; break; // INT, VAR, DECL_TAG
        case 3: extra = 12; break; // ARRAY
        case KIND_STRUCT: case 5: case 15: case KIND_ENUM64: extra = 12 * vlen; break; // STRUCT, UNION, DATASEC, ENUM64
        case KIND_ENUM: case 13: extra = 8 * vlen; break; // ENUM, FUNC_PROTO
        case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18: extra = 0; break;
        default: throw fail(`type [${id}]: unknown btf kind ${kind}`, off);
      }
      const t: BtfTypeHeader = { id, name: nameOff ? this.#strs.cstring(nameOff) : '', kind, vlen, sizeOrType: r.u32(off + 8), dataOffset: data };
      this.types.push(t);
      if (t.name) {
        const l = this.#byName.get(t.name);
        if (l) l.push(t);
        else this.#byName.set(t.name, [t]);
      }
      off = data + extra;
      id++;
    }
  }

  /** First type named `name` (optionally of `kind`). */
  find(name: string, kind?: number): BtfTypeHeader | undefined {
    return this.#byName.get(name)?.find((t) => kind === undefined || t.kind === kind);
  }

  /** The values of enum `name` (ENUM or ENUM64), as name -> number. */
  enumValues(name: string): Map<string, number> | undefined {
    const t = this.find(name, KIND_ENUM) ?? this.find(name, KIND_ENUM64);
    if (!t) return undefined;
    const out = new Map<string, number>();
    const stride = t.kind === KIND_ENUM ? 8 : 12;
    for (let i = 0; i < t.vlen; i++) {
      const o = t.dataOffset + i * stride;
      out.set(this.#strs.cstring(this.#r.u32(o)), this.#r.u32(o + 4));
    }
    return out;
  }
}

let vmlinux: BtfScan | null | undefined;

/** The scanned kernel BTF, or undefined when `/sys/kernel/btf/vmlinux` is missing. Cached. */
export function vmlinuxBtf(): BtfScan | undefined {
  if (vmlinux === undefined) {
    try {
      vmlinux = new BtfScan(readFileSync('/sys/kernel/btf/vmlinux'));
    } catch {
      vmlinux = null;
    }
  }
  return vmlinux ?? undefined;
}
