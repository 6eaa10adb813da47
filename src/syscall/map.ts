/**
 * Map commands of bpf(2): `BPF_MAP_CREATE`, the element commands and the batch commands.
 *
 * Key and value bytes are copied into scratch native memory (`memory.ts`) before the call and
 * results copied out after it, so the kernel only ever sees memory tsbpf sized. The caller
 * (the `Map` class) checks that `key.length`/`value.length` are the map's sizes; these
 * wrappers never trust a pointer or size from above.
 * @module
 */
import { attr, attrReady, bpfCall, bpfRaw, hot } from './attr.js';
import { BpfCmd } from './constants.js';
import { Errno } from './errno.js';
import { BpfError, bpfError, defaultHint } from './errors.js';
import { Fd } from './fd.js';
import { align8, scratch, type NativeBuffer } from './memory.js';

/** Fields of the `BPF_MAP_CREATE` struct of `union bpf_attr`, named as in bpf.h. */
export interface MapCreateAttr {
  /** `enum bpf_map_type`. */
  map_type: number;
  /** Key size in bytes. */
  key_size: number;
  /** Value size in bytes. */
  value_size: number;
  /** Capacity (for ring buffers: data area size in bytes). */
  max_entries: number;
  /** `BPF_F_*` map flags (`MapFlags`). */
  map_flags?: number;
  /** Map-in-map: a template map for the inner maps. */
  inner_map_fd?: number;
  /** NUMA node, with `BPF_F_NUMA_NODE`. */
  numa_node?: number;
  /** At most 15 bytes (`BPF_OBJ_NAME_LEN` - 1). */
  map_name?: string;
  /** Device for an offloaded map. */
  map_ifindex?: number;
  /** BTF object holding the key and value types. */
  btf_fd?: number;
  /** Key type id in `btf_fd`. */
  btf_key_type_id?: number;
  /** Value type id in `btf_fd`. */
  btf_value_type_id?: number;
  /** struct_ops: the kernel `struct bpf_struct_ops_<name>` type id in vmlinux BTF. */
  btf_vmlinux_value_type_id?: number;
  /** Bloom filter hash count, or arena start address. */
  map_extra?: bigint;
  /** struct_ops from a module: that module's BTF fd (with `BPF_F_VTYPE_BTF_OBJ_FD`). */
  value_type_btf_obj_fd?: number;
  /** BPF token fd (with `BPF_F_TOKEN_FD`). */
  map_token_fd?: number;
}

// struct { map_type ... map_token_fd } of union bpf_attr: 80 bytes.
const MAP_CREATE_SIZE = 80;

/** `BPF_MAP_CREATE`: returns the new map's fd, owned by the caller. */
export function mapCreate(a: MapCreateAttr): Fd {
  // Offsets of struct { map_type; key_size; value_size; max_entries; map_flags; inner_map_fd;
  // numa_node; map_name[16]; map_ifindex; btf_fd; btf_key_type_id; btf_value_type_id;
  // btf_vmlinux_value_type_id; map_extra; value_type_btf_obj_fd; map_token_fd }.
  const w = attr(MAP_CREATE_SIZE)
    .u32(0, a.map_type)
    .u32(4, a.key_size)
    .u32(8, a.value_size)
    .u32(12, a.max_entries)
    .u32(16, a.map_flags ?? 0)
    .u32(20, a.inner_map_fd ?? 0)
    .u32(24, a.numa_node ?? 0);
  if (a.map_name) w.str(28, a.map_name, 16);
  w.u32(44, a.map_ifindex ?? 0)
    .u32(48, a.btf_fd ?? 0)
    .u32(52, a.btf_key_type_id ?? 0)
    .u32(56, a.btf_value_type_id ?? 0)
    .u32(60, a.btf_vmlinux_value_type_id ?? 0)
    .u64(64, a.map_extra ?? 0n)
    .i32(72, a.value_type_btf_obj_fd ?? 0)
    .i32(76, a.map_token_fd ?? 0);
  // Send only the fields an older kernel knows unless newer ones are set (E2BIG otherwise).
  const size = a.value_type_btf_obj_fd || a.map_token_fd ? 80 : a.map_extra ? 72 : 64;
  return new Fd(bpfCall(BpfCmd.MAP_CREATE, size));
}

// struct { map_fd; key; value/next_key; flags } of union bpf_attr.
const ELEM_SIZE = 32;

// Addresses inside the scratch block by offset, so the hot path allocates no bigint.
let ptrCacheFor: NativeBuffer | undefined;
const ptrCache: bigint[] = [];

function scratchPtr(s: NativeBuffer, off: number): bigint {
  if (ptrCacheFor !== s) {
    ptrCacheFor = s;
    ptrCache.length = 0;
  }
  if (off >= 256) return s.ptr + BigInt(off);
  return (ptrCache[off] ??= s.ptr + BigInt(off));
}

const ZERO = 0n;

/** Copies `src` to `dst` at `off`; a loop beats `set` for the few bytes of a key. */
function put(dst: Uint8Array, src: Uint8Array, off: number): void {
  const n = src.length;
  if (n > 32) dst.set(src, off);
  else for (let i = 0; i < n; i++) dst[off + i] = src[i]!;
}

// The element commands fill all 32 bytes of { map_fd; pad; key; value; flags } themselves
// through the word views: no clearing pass, no DataView, no bigint allocation.
function elemCall(cmd: number, mapFd: number, key: Uint8Array | null, value: Uint8Array | null, flags: number, valueLen = value ? value.length : 0): number {
  const klen = key ? key.length : 0;
  const voff = align8(klen);
  const s = scratch(voff + valueLen);
  if (key) put(s.bytes, key, 0);
  attrReady();
  const w32 = hot.u32;
  const w64 = hot.u64;
  w32[0] = mapFd; // map_fd
  w32[1] = 0; // padding before the __aligned_u64 key
  w64[1] = key ? s.ptr : ZERO; // key
  w64[2] = value || valueLen ? scratchPtr(s, voff) : ZERO; // value / next_key
  w64[3] = flags ? BigInt(flags) : ZERO; // flags
  return bpfRaw(cmd, ELEM_SIZE);
}

function copyOut(value: Uint8Array, keyLen: number): void {
  const b = scratch(0).bytes;
  const off = align8(keyLen);
  const n = value.length;
  if (n > 32) value.set(b.subarray(off, off + n));
  else for (let i = 0; i < n; i++) value[i] = b[off + i]!;
}

/**
 * `BPF_MAP_LOOKUP_ELEM` returning a fresh copy of the `valueSize` value bytes, or undefined
 * when the key is absent (ENOENT). The allocation-light form of {@link mapLookupElem}.
 */
export function mapLookupElemCopy(mapFd: number, key: Uint8Array | null, valueSize: number, flags = 0): Uint8Array | undefined {
  const out = new Uint8Array(valueSize);
  return mapLookupElem(mapFd, key, out, flags) ? out : undefined;
}

/**
 * `BPF_MAP_LOOKUP_ELEM`: copies the value into `value` and returns true, or returns false when
 * the key is absent (ENOENT). `key` is null for maps without keys.
 */
export function mapLookupElem(mapFd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): boolean {
  // The hot path, written out: key into scratch, attr words, call, value out of scratch.
  const klen = key === null ? 0 : key.length;
  const voff = (klen + 7) & ~7;
  const n = value.length;
  const s = scratch(voff + n);
  const b = s.bytes;
  if (key !== null) for (let i = 0; i < klen; i++) b[i] = key[i]!;
  attrReady();
  const w32 = hot.u32;
  const w64 = hot.u64;
  w32[0] = mapFd; // map_fd
  w32[1] = 0;
  w64[1] = key === null ? ZERO : s.ptr; // key
  w64[2] = scratchPtr(s, voff); // value
  w64[3] = flags === 0 ? ZERO : BigInt(flags); // flags
  const r = bpfRaw(BpfCmd.MAP_LOOKUP_ELEM, ELEM_SIZE);
  if (r < 0) {
    if (r === -Errno.ENOENT) return false;
    throw bpfError('BPF_MAP_LOOKUP_ELEM', -r);
  }
  if (n > 32) value.set(b.subarray(voff, voff + n));
  else for (let i = 0; i < n; i++) value[i] = b[voff + i]!;
  return true;
}

/**
 * `BPF_MAP_LOOKUP_ELEM` where `value` is also input: a bloom filter (no key) is asked whether
 * `value` may be present. True for "maybe", false for "certainly not" (ENOENT).
 */
export function mapLookupElemValueIn(mapFd: number, value: Uint8Array, flags = 0): boolean {
  return lookupCall(mapFd, null, value, flags, true);
}

function lookupCall(mapFd: number, key: Uint8Array | null, value: Uint8Array, flags: number, valueIn: boolean): boolean {
  if (valueIn) scratch(align8(key ? key.length : 0) + value.length).bytes.set(value, align8(key ? key.length : 0));
  const r = elemCall(BpfCmd.MAP_LOOKUP_ELEM, mapFd, key, value, flags);
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_LOOKUP_ELEM', -r);
  copyOut(value, key ? key.length : 0);
  return true;
}

/** `BPF_MAP_UPDATE_ELEM` with `flags` (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`). */
export function mapUpdateElem(mapFd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const klen = key === null ? 0 : key.length;
  const voff = (klen + 7) & ~7;
  const n = value.length;
  const s = scratch(voff + n);
  const b = s.bytes;
  if (key !== null) for (let i = 0; i < klen; i++) b[i] = key[i]!;
  if (n > 32) b.set(value, voff);
  else for (let i = 0; i < n; i++) b[voff + i] = value[i]!;
  attrReady();
  const w32 = hot.u32;
  const w64 = hot.u64;
  w32[0] = mapFd; // map_fd
  w32[1] = 0;
  w64[1] = key === null ? ZERO : s.ptr; // key
  w64[2] = scratchPtr(s, voff); // value
  w64[3] = flags === 0 ? ZERO : BigInt(flags); // flags
  const r = bpfRaw(BpfCmd.MAP_UPDATE_ELEM, ELEM_SIZE);
  if (r < 0) throw bpfError('BPF_MAP_UPDATE_ELEM', -r);
}

/** `BPF_MAP_DELETE_ELEM`: true when deleted, false when the key was absent (ENOENT). */
export function mapDeleteElem(mapFd: number, key: Uint8Array | null, flags = 0): boolean {
  const r = elemCall(BpfCmd.MAP_DELETE_ELEM, mapFd, key, null, flags);
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_DELETE_ELEM', -r);
  return true;
}

/**
 * `BPF_MAP_GET_NEXT_KEY`: writes the key after `key` (the first key when `key` is null) into
 * `nextKey`; returns false at the end (ENOENT).
 */
export function mapGetNextKey(mapFd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
  const klen = nextKey.length;
  const s = scratch(2 * align8(klen));
  if (key) s.bytes.set(key, 0);
  const a = attr(ELEM_SIZE).u32(0, mapFd);
  if (key) a.ptr(8, s.ptr);
  a.ptr(16, s.ptr + BigInt(align8(klen)));
  const r = bpfRaw(BpfCmd.MAP_GET_NEXT_KEY, ELEM_SIZE);
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_GET_NEXT_KEY', -r);
  nextKey.set(s.bytes.subarray(align8(klen), align8(klen) + klen));
  return true;
}

/**
 * `BPF_MAP_LOOKUP_AND_DELETE_ELEM` (also pop for queue/stack, with `key` null): copies the value
 * into `value`; false when absent or empty (ENOENT).
 */
export function mapLookupAndDeleteElem(mapFd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): boolean {
  const r = elemCall(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, mapFd, key, value, flags);
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_LOOKUP_AND_DELETE_ELEM', -r);
  copyOut(value, key ? key.length : 0);
  return true;
}

/** `BPF_MAP_FREEZE`: makes the map read-only for user space (programs may still write). */
export function mapFreeze(mapFd: number): void {
  attr(ELEM_SIZE).u32(0, mapFd);
  bpfCall(BpfCmd.MAP_FREEZE, 4);
}

// struct { in_batch; out_batch; keys; values; count; map_fd; elem_flags; flags } (batch).
const BATCH_SIZE = 56;

/** Arguments of `BPF_MAP_LOOKUP_BATCH` / `BPF_MAP_LOOKUP_AND_DELETE_BATCH`. */
export interface MapLookupBatchArgs {
  /** Opaque position from the previous call's `outBatch`, or null to start. */
  inBatch: Uint8Array | null;
  /** Receives the position to resume from; its size is the map's batch token size. */
  outBatch: Uint8Array;
  /** Receives up to `count` keys (`count * keySize` bytes). */
  keys: Uint8Array;
  /** Receives up to `count` values (`count * valueSize` bytes). */
  values: Uint8Array;
  /** `count`: how many elements to read at most. */
  count: number;
  /** `elem_flags` (`BPF_F_LOCK`). */
  elemFlags?: number;
}

/** Result of a lookup batch: how many entries were copied and whether the map is exhausted. */
export interface BatchResult {
  /** How many elements the kernel wrote. */
  count: number;
  /** The end of the map was reached (the kernel returned ENOENT). */
  done: boolean;
}

/**
 * `BPF_MAP_LOOKUP_BATCH` (or, with `andDelete`, `BPF_MAP_LOOKUP_AND_DELETE_BATCH`). The kernel
 * returns ENOENT with the last entries when it reaches the end; that is `done: true`.
 */
export function mapLookupBatch(mapFd: number, b: MapLookupBatchArgs, andDelete = false): BatchResult {
  const tok = align8(b.outBatch.length);
  const kOff = 2 * tok;
  const vOff = kOff + align8(b.keys.length);
  const s = scratch(vOff + b.values.length);
  if (b.inBatch) s.bytes.set(b.inBatch, 0);
  const a = attr(BATCH_SIZE);
  if (b.inBatch) a.ptr(0, s.ptr); // in_batch
  a.ptr(8, scratchPtr(s, tok)) // out_batch
    .ptr(16, scratchPtr(s, kOff)) // keys
    .ptr(24, s.ptr + BigInt(vOff)) // values
    .u32(32, b.count) // count (in: room, out: copied)
    .u32(36, mapFd); // map_fd
  if (b.elemFlags) a.u64(40, BigInt(b.elemFlags)); // elem_flags
  const cmd = andDelete ? BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH : BpfCmd.MAP_LOOKUP_BATCH;
  const r = bpfRaw(cmd, BATCH_SIZE);
  if (r < 0 && r !== -Errno.ENOENT) {
    throw bpfError(andDelete ? 'BPF_MAP_LOOKUP_AND_DELETE_BATCH' : 'BPF_MAP_LOOKUP_BATCH', -r);
  }
  const count = a.getU32(32);
  if (count > b.count) throw bpfError('BPF_MAP_LOOKUP_BATCH', Errno.EOVERFLOW);
  const keySize = b.count ? b.keys.length / b.count : 0;
  const valueSize = b.count ? b.values.length / b.count : 0;
  const bytes = s.bytes;
  b.keys.set(bytes.subarray(kOff, kOff + count * keySize));
  b.values.set(bytes.subarray(vOff, vOff + count * valueSize));
  b.outBatch.set(bytes.subarray(tok, tok + b.outBatch.length));
  return { count, done: r < 0 };
}

/**
 * `BPF_MAP_UPDATE_BATCH`: writes `count` key/value pairs. Returns the number written; on
 * error throws, with the number written so far in the message.
 */
export function mapUpdateBatch(mapFd: number, keys: Uint8Array, values: Uint8Array, count: number, elemFlags = 0): number {
  const vOff = align8(keys.length);
  const s = scratch(vOff + values.length);
  s.bytes.set(keys, 0);
  s.bytes.set(values, vOff);
  const a = attr(BATCH_SIZE)
    .ptr(16, s.ptr) // keys
    .ptr(24, s.ptr + BigInt(vOff)) // values
    .u32(32, count) // count
    .u32(36, mapFd) // map_fd
    .u64(40, BigInt(elemFlags)); // elem_flags
  const r = bpfRaw(BpfCmd.MAP_UPDATE_BATCH, BATCH_SIZE);
  const done = a.getU32(32);
  if (r < 0) throw withExtra('BPF_MAP_UPDATE_BATCH', -r, `${done} of ${count} entries written`);
  return done;
}

/** `BPF_MAP_DELETE_BATCH`: deletes `count` keys; returns the number deleted. */
export function mapDeleteBatch(mapFd: number, keys: Uint8Array, count: number, elemFlags = 0): number {
  const s = scratch(keys.length);
  s.bytes.set(keys, 0);
  // keys, count, map_fd, elem_flags
  const a = attr(BATCH_SIZE).ptr(16, s.ptr).u32(32, count).u32(36, mapFd).u64(40, BigInt(elemFlags));
  const r = bpfRaw(BpfCmd.MAP_DELETE_BATCH, BATCH_SIZE);
  const done = a.getU32(32);
  if (r < 0) throw withExtra('BPF_MAP_DELETE_BATCH', -r, `${done} of ${count} entries deleted`);
  return done;
}

function withExtra(command: string, errno: number, extra: string): BpfError {
  const h = defaultHint(command, errno);
  return new BpfError(command, errno, h ? `${extra}; ${h}` : extra);
}
