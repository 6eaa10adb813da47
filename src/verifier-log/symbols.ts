/**
 * What the loader knows and the log does not: the names behind the numbers.
 *
 * A loader that cannot resolve a reference leaves a marker the verifier trips on, and the
 * verifier's message then names only a number:
 *
 * - an unresolved `__weak` kfunc: libbpf (1.2+) and tsbpf turn the call into a helper call
 *   `call 2002000000 + N`, N the extern's index (libbpf's `poison_kfunc_call`,
 *   `POISON_CALL_KFUNC_BASE`): `invalid func unknown#2002000000`. libbpf 1.1 left the call
 *   a kfunc call with `imm` 0 instead: the log shows `call #0` and then `R0 !read_ok`;
 * - a map the loader did not create: libbpf turns each half of its `ld_imm64` into
 *   `call 2001000000 + N`, N the map's index (`poison_map_ldimm64`,
 *   `POISON_LDIMM64_MAP_BASE`): `invalid func unknown#2001000003`;
 * - a CO-RE relocation that failed: `call 0xbad2310` (`invalid func unknown#195896080`).
 *
 * {@link LoaderSymbols} carries the names from the loader (or from the object file, for a
 * log captured elsewhere) into the explanation, so it says "the kfunc 'bpf_foo'" rather than
 * "extern #3". Plain data: this layer reads no ELF.
 * @module
 */

/** libbpf's `POISON_CALL_KFUNC_BASE`: `imm` of the call that replaces an unresolved kfunc call. */
export const POISON_CALL_KFUNC_BASE = 2002000000;
/** libbpf's `POISON_LDIMM64_MAP_BASE`: `imm` of the calls that replace a missing map's `ld_imm64`. */
export const POISON_LDIMM64_MAP_BASE = 2001000000;

/** A name the program refers to at one instruction. */
export interface InsnSymbol {
  /** What the instruction refers to: a kfunc call, a map load or a `__ksym` variable. */
  kind: 'kfunc' | 'map' | 'ksym';
  /** Its name in the object. */
  name: string;
}

/** Names behind the numbers in a verifier log; every field optional. */
export interface LoaderSymbols {
  /** Extern index (the N of `2002000000 + N`) -> kfunc name. */
  kfuncs?: ReadonlyMap<number, string>;
  /** Map index (the N of `2001000000 + N`) -> map name. */
  maps?: ReadonlyMap<number, string>;
  /** Instruction index (as the log prints it) -> what that instruction refers to. */
  byInsn?: ReadonlyMap<number, InsnSymbol>;
}
