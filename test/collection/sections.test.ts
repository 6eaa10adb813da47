/**
 * One program of every libbpf section type (sections.bpf.c), each loaded on its own: the
 * program type, expected attach type and attach_btf_id (tp_btf, iter, fentry...) are right
 * wherever the kernel lets such a program load at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { loadCollection, readKernelConfig } from '../../src/collection/index.js';
import { LockdownError } from '../../src/link/index.js';
import { parseObject } from '../../src/object/index.js';
import { describeKernel } from '../helpers/env.js';
import { readFixture } from '../helpers/fixtures.js';

/** Refused by `lockdown=integrity` (EPERM): BPF trampolines and LSM programs. */
const lockdownRefuses = new Set(['fentry_unlink', 'fexit_unlink', 'fmod_ret_open', 'fentry_sleepable', 'lsm_open', 'lsm_sleepable']);
/** Not loadable by loadCollection alone: struct_ops needs its struct_ops map (not yet), lirc needs CONFIG_BPF_LIRC_MODE2. */
const notHere = new Set(['struct_ops_prog', 'lirc_prog']);

/** The lockdown mode: from securityfs when mounted, else from a kernel forced into one. */
function lockdown(): string {
  const f = '/sys/kernel/security/lockdown';
  if (existsSync(f)) return /\[(\w+)\]/.exec(readFileSync(f, 'utf8'))?.[1] ?? 'none';
  const cfg = readKernelConfig();
  if (cfg?.get('CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY') === 'y') return 'confidentiality';
  if (cfg?.get('CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY') === 'y') return 'integrity';
  return 'none';
}

describeKernel('loading every section type', () => {
  const spec = parseObject(readFixture('sections'), { fileName: 'sections.bpfel.o' });
  for (const [name, p] of spec.programs) {
    if (notHere.has(name)) continue;
    it(`${p.section} (${name})`, () => {
      if (lockdownRefuses.has(name) && lockdown() !== 'none') {
        // Said plainly: lockdown and its mode, not "EPERM: are you root?".
        expect(() => loadCollection(spec, { programs: [name] })).toThrow(LockdownError);
        expect(() => loadCollection(spec, { programs: [name] })).toThrow(new RegExp(`program '${name}' refused by kernel lockdown \\(mode '${lockdown()}'\\)`));
        return;
      }
      using c = loadCollection(spec, { programs: [name] });
      const prog = c.program(name)!;
      const info = prog.info();
      expect(info.type).toBe(p.type);
      expect(info.name).toBe(name.slice(0, 15));
      if (/^(tp_btf|iter|fentry|fexit|fmod_ret|lsm)/.test(p.section)) expect(info.attachBtfId).toBeGreaterThan(0);
    });
  }
});
