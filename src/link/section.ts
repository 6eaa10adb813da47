/**
 * `attachBySection`: attaches a program where its section name says, as libbpf's
 * auto-attach (`bpf_program__attach`, each `section_defs[]` entry's `prog_attach_fn`) does.
 *
 * Only sections that name their target attach themselves: `tracepoint/<cat>/<name>`,
 * `raw_tp/<name>`, `tp_btf/...`/`fentry/...`/`lsm/...` (the target was fixed at load),
 * `iter/...`, `kprobe/<func>[+off]`, `ksyscall/<name>`, `uprobe/<path>:<func>[+off]`,
 * `usdt/<path>:<provider>:<name>`.
 * For the others (`xdp`, `tcx/ingress`, `cgroup/...`, `socket`, a bare `kprobe`) the caller
 * must say where, so this returns undefined, as libbpf's skeleton skips them.
 * @module
 */
import type { SectionInfo } from '../object/index.js';
import { ProgType } from '../uapi/bpf.js';
import { NotSupportedError } from '../errors.js';
import { AttachError } from './errors.js';
import { attachIter } from './iter.js';
import { attachKprobe, attachKprobeMulti, attachKsyscall } from './kprobe.js';
import { attachRawTracepoint } from './raw-tracepoint.js';
import { attachTracepoint } from './tracepoint.js';
import { attachFreplace, attachTracing } from './tracing.js';
import { attachUprobe, parseUprobeTarget } from './uprobe.js';
import { attachUprobeMulti, parseUprobeMultiTarget } from './uprobe-multi.js';
import { attachUsdt, type UsdtSpecMap } from './usdt.js';
import type { AttachableProgram, Link } from './link.js';

/** What auto-attach needs beyond the section name. */
export interface AttachBySectionOptions {
  /** The program's `__bpf_usdt_specs` map, for `usdt` sections (see {@link attachUsdt}). */
  usdtSpecs?: UsdtSpecMap;
}

/**
 * Attaches `prog` as its section says. Returns undefined when the section carries no
 * target (nothing to do without more information from the caller).
 * @throws {@link AttachError} for a malformed or unknown target.
 */
export function attachBySection(prog: AttachableProgram, s: SectionInfo, o: AttachBySectionOptions = {}): Link | undefined {
  const t = s.target;
  const kind = s.def.pattern.replace(/\+$/, '');
  const retprobe = /^(kretprobe|uretprobe|kretsyscall)/.test(s.section);
  switch (s.def.autoAttach) {
    case undefined:
      return undefined;
    case 'tracepoint': {
      if (!t) return undefined;
      const slash = t.indexOf('/');
      if (slash <= 0) throw new AttachError('tracepoint', t, `section '${s.section}' must be tracepoint/<category>/<name>`);
      return attachTracepoint(prog, t.slice(0, slash), t.slice(slash + 1));
    }
    case 'raw_tracepoint':
      return t ? attachRawTracepoint(prog, t) : undefined;
    case 'trace':
      if (prog.type === ProgType.EXT) return attachFreplace(prog);
      return attachTracing(prog, t ? { target: t } : {});
    case 'lsm':
      return attachTracing(prog, t ? { target: t } : {});
    case 'iter':
      return attachIter(prog, t ? { target: t } : {});
    case 'kprobe': {
      if (!t) return undefined;
      const m = /^([^+]+)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(t);
      if (!m) throw new AttachError(kind, t, `section '${s.section}' must be ${kind}/<function>[+<offset>]`);
      return attachKprobe(prog, m[1]!, { retprobe, ...(m[2] ? { offset: BigInt(m[2]) } : {}) });
    }
    case 'ksyscall':
      return t ? attachKsyscall(prog, t, { retprobe }) : undefined;
    case 'kprobe_multi':
      return t ? attachKprobeMulti(prog, t, { retprobe }) : undefined;
    case 'uprobe': {
      if (!t) return undefined;
      const u = parseUprobeTarget(t);
      if (!u) throw new AttachError(kind, t, `section '${s.section}' must be ${kind}/<path>:<function>[+<offset>]`);
      return attachUprobe(prog, u.binary, {
        retprobe,
        ...(u.symbol !== undefined ? { symbol: u.symbol } : {}),
        ...(u.offset !== undefined ? { offset: u.offset } : {}),
      });
    }
    case 'usdt': {
      if (!t) return undefined;
      // usdt/<path>:<provider>:<name>, split from the right: a path may not contain ':' here.
      const m = /^([^:]+):([^:]+):([^:]+)$/.exec(t);
      if (!m) throw new AttachError(kind, t, `section '${s.section}' must be usdt/<path>:<provider>:<name>`);
      return attachUsdt(prog, m[1]!, m[2]!, m[3]!, o.usdtSpecs ? { specs: o.usdtSpecs } : {});
    }
    case 'uprobe_multi': {
      // uprobe.multi/<path>:<pattern>, uretprobe.multi (and .s); uprobe.session is not covered yet.
      if (!t) return undefined;
      if (/^uprobe\.session/.test(s.section)) throw new NotSupportedError(`auto-attach of '${s.def.pattern}' programs in tsbpf`);
      const u = parseUprobeMultiTarget(t);
      if (!u) throw new AttachError(kind, t, `section '${s.section}' must be ${kind}/<path>:<pattern>`);
      return attachUprobeMulti(prog, u.binary, { pattern: u.pattern, retprobe });
    }
    case 'kprobe_session':
    case 'tracing_multi':
      if (!t) return undefined;
      throw new NotSupportedError(`auto-attach of '${s.def.pattern}' programs in tsbpf`);
  }
}
