/**
 * The bundled examples, without a kernel: every `examples/bpf/NAME.bpf.c` has its committed
 * object, a TypeScript version and a README line; every object parses; every program says
 * where it attaches (or is one of the kinds that need a target from the user); event and
 * histogram maps follow the conventions `tsbpf run` reads (docs/run.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSectionDef, MapType, parseObject, resolveType, skipModifiers } from '../../src/index.js';
import { repoRoot } from '../helpers/fixtures.js';

const examplesDir = join(repoRoot, 'examples');
const bpfDir = join(examplesDir, 'bpf');
const names = readdirSync(bpfDir)
  .filter((f) => f.endsWith('.bpf.c'))
  .map((f) => f.slice(0, -'.bpf.c'.length))
  .sort();

/** Sections with no target, attached with what the user gives (README: `--iface`, `--freq`). */
const targetNeeding = new Map([
  ['xdp', '--iface'],
  ['perf_event', '--freq'],
]);

const units = ['usecs', 'nsecs', 'msecs', 'bytes'];

describe('examples/bpf objects', () => {
  it('has the classic tools', () => {
    for (const n of ['execsnoop', 'opensnoop', 'exitsnoop', 'sigsnoop', 'runqlat', 'syscalllat', 'biolatency', 'tcpconnect', 'bashreadline', 'profile', 'xdpcount', 'hello']) {
      expect(names).toContain(n);
    }
  });

  const readme = readFileSync(join(examplesDir, 'README.md'), 'utf8');

  for (const name of names) {
    describe(name, () => {
      const file = join(bpfDir, `${name}.bpfel.o`);

      it('has its object, a TypeScript version and a README line', () => {
        expect(existsSync(file), `${file}: run bash test/fixtures/build.sh`).toBe(true);
        expect(existsSync(join(examplesDir, `${name}.ts`))).toBe(true);
        expect(readme).toContain(`examples/bpf/${name}.bpfel.o`);
        expect(readme).toContain(`examples/${name}.ts`);
      });

      const spec = parseObject(readFileSync(file), { fileName: file });

      it('parses, with BTF and at least one program', () => {
        expect(spec.btf).toBeDefined();
        expect(spec.programs.size).toBeGreaterThan(0);
        expect(spec.license).toBe('GPL');
      });

      it('says where each program attaches', () => {
        for (const p of spec.programs.values()) {
          const s = findSectionDef(p.section);
          expect(s, `program '${p.name}': unknown section '${p.section}'`).toBeDefined();
          const attachesItself = s!.def.autoAttach !== undefined && s!.target !== undefined;
          expect(attachesItself || targetNeeding.has(p.section), `program '${p.name}' in '${p.section}'`).toBe(true);
          if (!attachesItself) expect(readme).toMatch(new RegExp(`${name}\\.bpfel\\.o ${targetNeeding.get(p.section)}`));
        }
      });

      it('names the record type of each event map', () => {
        const btf = spec.btf!;
        for (const m of spec.maps.values()) {
          let typeId = 0;
          if (m.type === MapType.RINGBUF) {
            typeId = resolveType(btf, m.valueTypeId);
          } else if (m.type === MapType.PERF_EVENT_ARRAY) {
            const hint = btf.findByName(`__tsbpf_event_${m.name}`, 'VAR');
            expect(hint, `TSBPF_EVENT(${m.name}, ...)`).toBeDefined();
            const ptr = btf.type(skipModifiers(btf, (btf.type(hint!) as { type: number }).type));
            expect(ptr.kind).toBe('PTR');
            typeId = resolveType(btf, (ptr as { type: number }).type);
          } else {
            continue;
          }
          const t = btf.type(typeId);
          expect(t.kind, `record type of map '${m.name}'`).toBe('STRUCT');
          expect(t.name).toBe('event');
        }
      });

      it('names histograms with a unit', () => {
        for (const m of spec.maps.values()) {
          if (!m.name.includes('hist')) continue;
          expect(units.some((u) => m.name.includes(u)), `map '${m.name}'`).toBe(true);
          expect([MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH]).toContain(m.type);
        }
      });
    });
  }
});
