/**
 * No fd leaks: 10,000 maps created, used and closed leave /proc/self/fd as it was; failed
 * operations and failed creations close what they opened.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeKernel } from '../helpers/env.js';
import { BpfMap, u32Codec } from '../../src/maps/index.js';

const openFds = () => readdirSync('/proc/self/fd').sort();

describeKernel('fd hygiene', () => {
  it('10,000 maps created, used and closed leave /proc/self/fd unchanged', () => {
    // Warm up lazy one-time fds (none expected, but libc/koffi load happens here).
    BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 }).close();
    const before = openFds();
    for (let i = 0; i < 10_000; i++) {
      const m = BpfMap.create({ type: i % 2 ? 'hash' : 'array', keySize: 4, valueSize: 4, maxEntries: 2 }, { key: u32Codec, value: u32Codec });
      m.update(1, i);
      if (m.lookup(1) !== i) throw new Error(`map ${i}: wrong value`);
      if (i % 1000 === 0) {
        using c = m.clone();
        c.info();
      }
      m.close();
      m.close();
    }
    expect(openFds()).toEqual(before);
  });

  it('failed creations, failed reopen and map-in-map templates close their fds', () => {
    const before = openFds();
    for (let i = 0; i < 200; i++) {
      expect(() => BpfMap.create({ type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1 })).toThrow();
      expect(() => BpfMap.fromId(0x7fff_fff0)).toThrow();
      const mm = BpfMap.create({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } });
      mm.close();
      // Inner template with a bad spec: outer must not be created, inner must be closed.
      expect(() => BpfMap.create({ type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1 } })).toThrow();
    }
    expect(openFds()).toEqual(before);
  });

  it('fds are never 0..2 and are close-on-exec', () => {
    using m = BpfMap.create({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(m.fd).toBeGreaterThan(2);
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${m.fd}`, 'utf8'))![1]!;
    expect(parseInt(flags, 8) & 0o2000000).toBe(0o2000000); // O_CLOEXEC
    using c = m.clone();
    const cflags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${c.fd}`, 'utf8'))![1]!;
    expect(parseInt(cflags, 8) & 0o2000000).toBe(0o2000000);
  });
});
