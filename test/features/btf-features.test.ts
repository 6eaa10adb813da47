/**
 * BTF feature probes (libbpf's FEAT_BTF_*): each probe blob holds the kind it asks about, the
 * kernel's answers, and what loadCollection does when the kernel refuses an object's BTF.
 */
import { expect, it, describe, vi } from 'vitest';
import { BTF_INT_SIGNED, encodeBtf, parseBtf, StringTable, type BtfFeatures } from '../../src/btf/index.js';
import { btfProbeBlob, clearBtfFeatureCache, probeBtfFeatures } from '../../src/features/index.js';
import { btfLoadRaw, hostLittleEndian } from '../../src/syscall/index.js';
import { loadCollection } from '../../src/collection/index.js';
import { parseObject } from '../../src/object/index.js';
import { describeKernel } from '../helpers/env.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';

const kindOf: Record<keyof BtfFeatures, string> = {
  btfFunc: 'FUNC',
  btfFuncGlobal: 'FUNC',
  btfDatasec: 'DATASEC',
  btfQmarkDatasec: 'DATASEC',
  btfFloat: 'FLOAT',
  btfDeclTag: 'DECL_TAG',
  btfTypeTag: 'TYPE_TAG',
  btfEnum64: 'ENUM64',
};

describe('BTF feature probe blobs', () => {
  for (const [feature, kind] of Object.entries(kindOf) as [keyof BtfFeatures, string][]) {
    it(`${feature} holds a ${kind}`, () => {
      const btf = parseBtf(btfProbeBlob(feature));
      const kinds = Array.from({ length: btf.typeCount }, (_, i) => btf.type(i + 1).kind);
      expect(kinds).toContain(kind);
    });
  }
  it('the global-func and ?-datasec probes differ from their plain ones where it matters', () => {
    const fn = (f: keyof BtfFeatures) => parseBtf(btfProbeBlob(f)).type(3);
    expect(fn('btfFunc')).toMatchObject({ kind: 'FUNC', linkage: 0 });
    expect(fn('btfFuncGlobal')).toMatchObject({ kind: 'FUNC', linkage: 1 });
    expect(fn('btfQmarkDatasec')).toMatchObject({ kind: 'DATASEC', name: '?.data' });
  });
});

describeKernel('BTF feature probes on the running kernel', () => {
  it('this 6.x kernel accepts every BTF kind; answers are cached', () => {
    clearBtfFeatureCache();
    const f = probeBtfFeatures();
    expect(f).toEqual({
      btfFunc: true,
      btfFuncGlobal: true,
      btfDatasec: true,
      btfQmarkDatasec: true,
      btfFloat: true,
      btfDeclTag: true,
      btfTypeTag: true,
      btfEnum64: true,
    });
    expect(probeBtfFeatures()).toBe(f);
  });

  it('an object whose BTF the kernel refuses loads without it, with a warning naming the object', () => {
    // A FUNC named '1bad': tsbpf's parser keeps it, the kernel wants a C identifier
    // (btf_name_valid_identifier) and says "Invalid name".
    const s = new StringTable();
    const bad = encodeBtf(
      [
        { id: 1, kind: 'INT', name: 'int', nameOff: s.add('int'), size: 4, encoding: BTF_INT_SIGNED, bitsOffset: 0, nrBits: 32 },
        { id: 2, kind: 'FUNC_PROTO', name: '', nameOff: 0, returnType: 1, params: [] },
        { id: 3, kind: 'FUNC', name: '1bad', nameOff: s.add('1bad'), type: 2, linkage: 0 },
      ],
      s.bytes(),
      { littleEndian: hostLittleEndian },
    );
    const refused = btfLoadRaw(bad);
    refused.fd?.close();
    expect(refused.fd).toBeUndefined();

    const spec = parseObject(readFixture('minimal'), { fileName: fixturePath('minimal') });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const c = loadCollection({ ...spec, btf: parseBtf(bad) });
      c.close();
      const calls = warn.mock.calls.filter((a) => (a[1] as unknown) === 'TsbpfBtfDropped');
      expect(calls).toHaveLength(1);
      expect(String(calls[0]![0])).toMatch(/object 'minimal' loads without its BTF: the kernel refused it \(EINVAL\)/);
    } finally {
      warn.mockRestore();
    }
  });
});
