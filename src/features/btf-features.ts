/**
 * Which BTF kinds the running kernel's `BPF_BTF_LOAD` accepts: one tiny BTF blob per feature,
 * the same probes as libbpf's `FEAT_BTF_*` (`probe_kern_btf_func`, `..._datasec`, ...).
 * `loadCollection` sanitizes an object's BTF with the answer, so an object built by a new
 * clang still loads its BTF on an older kernel (e.g. DECL_TAG turned into INT on Linux < 5.16).
 *
 * Probed once per process and cached.
 * @module
 */
import { BTF_INT_SIGNED, encodeBtf, StringTable, type BtfFeatures, type BtfType } from '../btf/index.js';
import { btfLoadRaw, hostLittleEndian } from '../syscall/index.js';

/** `enum btf_func_linkage` and the VAR linkage used by the probes (`BTF_VAR_GLOBAL_ALLOCATED`). */
const BTF_FUNC_STATIC = 0;
const BTF_FUNC_GLOBAL = 1;
const BTF_VAR_GLOBAL_ALLOCATED = 1;

type Draft = (n: (name: string) => { name: string; nameOff: number }) => BtfType[];

/** `int` as type 1: every probe starts with it. */
const int = (n: (name: string) => { name: string; nameOff: number }): BtfType =>
  ({ id: 1, kind: 'INT', ...n('int'), size: 4, encoding: BTF_INT_SIGNED, bitsOffset: 0, nrBits: 32 });

/** `int x; void a(int x)` as FUNC_PROTO (2) + FUNC (3) with the given linkage. */
const funcProbe =
  (linkage: number): Draft =>
  (n) => [
    int(n),
    { id: 2, kind: 'FUNC_PROTO', ...n(''), returnType: 0, params: [{ ...n('x'), type: 1 }] },
    { id: 3, kind: 'FUNC', ...n('a'), type: 2, linkage },
  ];

/** `int x` in a DATASEC named `section`: VAR (2) + DATASEC (3). */
const datasecProbe =
  (section: string): Draft =>
  (n) => [
    int(n),
    { id: 2, kind: 'VAR', ...n('x'), type: 1, linkage: BTF_VAR_GLOBAL_ALLOCATED },
    { id: 3, kind: 'DATASEC', ...n(section), size: 4, vars: [{ type: 2, offset: 0, size: 4 }] },
  ];

const probes: Record<keyof BtfFeatures, Draft> = {
  btfFunc: funcProbe(BTF_FUNC_STATIC),
  btfFuncGlobal: funcProbe(BTF_FUNC_GLOBAL),
  btfDatasec: datasecProbe('.data'),
  btfQmarkDatasec: datasecProbe('?.data'),
  btfFloat: (n) => [int(n), { id: 2, kind: 'FLOAT', ...n('float'), size: 4 }],
  btfDeclTag: (n) => [
    int(n),
    { id: 2, kind: 'VAR', ...n('x'), type: 1, linkage: BTF_VAR_GLOBAL_ALLOCATED },
    { id: 3, kind: 'DECL_TAG', ...n('tag'), type: 2, componentIdx: -1, kindFlag: false },
  ],
  btfTypeTag: (n) => [
    int(n),
    { id: 2, kind: 'TYPE_TAG', ...n('tag'), type: 1, kindFlag: false },
    { id: 3, kind: 'PTR', ...n(''), type: 2, kindFlag: false },
  ],
  btfEnum64: (n) => [
    int(n),
    { id: 2, kind: 'ENUM64', ...n('e'), size: 8, signed: false, values: [{ ...n('v'), value: 1n << 40n }] },
  ],
};

/** The raw BTF (host byte order) one feature's probe loads. Exported for tests. */
export function btfProbeBlob(feature: keyof BtfFeatures): Uint8Array {
  const strings = new StringTable();
  const n = (name: string) => ({ name, nameOff: name ? strings.add(name) : 0 });
  const types = probes[feature](n);
  return encodeBtf(types, strings.bytes(), { littleEndian: hostLittleEndian });
}

let cached: Readonly<BtfFeatures> | undefined;

/**
 * The BTF features of the running kernel (cached): each answer is whether `BPF_BTF_LOAD`
 * accepted that feature's probe blob.
 */
export function probeBtfFeatures(): Readonly<BtfFeatures> {
  if (cached) return cached;
  const result = {} as BtfFeatures;
  for (const feature of Object.keys(probes) as (keyof BtfFeatures)[]) {
    const r = btfLoadRaw(btfProbeBlob(feature));
    r.fd?.close();
    result[feature] = r.fd !== undefined;
  }
  cached = Object.freeze(result);
  return cached;
}

/** Forgets the cached answer (tests). */
export function clearBtfFeatureCache(): void {
  cached = undefined;
}
