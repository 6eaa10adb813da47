/**
 * `tsbpf feature probe [kernel] [--json]`: which program, map and link types and which
 * helpers this kernel supports, printed with bpftool's wording
 * (`eBPF map_type hash is available`) so the two can be diffed line by line.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { probeKernel, type KernelFeatures } from '../features/index.js';
import { UsageError, type CliCommand } from './command.js';

function readNum(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

const unprivText: Record<number, string> = {
  0: 'bpf() syscall for unprivileged users is enabled',
  1: 'bpf() syscall restricted to privileged users (without recovery)',
  2: 'bpf() syscall restricted to privileged users (admin can change)',
};
const jitText: Record<number, string> = {
  0: 'JIT compiler is disabled',
  1: 'JIT compiler is enabled',
  2: 'JIT compiler is enabled with debugging traces in kernel logs',
};

const avail = (b: boolean) => (b ? 'is available' : 'is NOT available');

/** The text `tsbpf feature probe` prints (bpftool's layout for the sections tsbpf probes). */
export function formatFeatureProbe(f: KernelFeatures): string {
  const out: string[] = ['Scanning system configuration...'];
  if (f.unprivilegedBpfDisabled !== undefined) out.push(unprivText[f.unprivilegedBpfDisabled] ?? `bpf() syscall restriction has unknown value ${f.unprivilegedBpfDisabled}`);
  const jit = readNum('/proc/sys/net/core/bpf_jit_enable');
  if (jit !== undefined) out.push(jitText[jit] ?? `JIT compiler status has unknown value ${jit}`);
  out.push('', 'Scanning system call availability...', 'bpf() syscall is available', '');
  out.push('Scanning eBPF program types...');
  for (const p of f.programTypes) out.push(`eBPF program_type ${p.name} ${avail(p.available)}`);
  out.push('', 'Scanning eBPF map types...');
  for (const m of f.mapTypes) out.push(`eBPF map_type ${m.name} ${avail(m.available)}`);
  out.push('', 'Scanning eBPF link types...');
  for (const l of f.linkTypes) out.push(`eBPF link_type ${l.name} ${avail(l.available)}`);
  if (f.helpers) {
    out.push('', 'Scanning eBPF helper functions...');
    for (const p of f.programTypes) {
      out.push(`eBPF helpers supported for program type ${p.name}:`);
      const h = f.helpers[p.name];
      if (!p.available) out.push('\tProgram type not supported');
      else if (!h) out.push('\tCould not determine which helpers are available');
      else for (const n of h.names) out.push(`\t- ${n}`);
    }
  }
  out.push('', 'Scanning miscellaneous eBPF features...');
  out.push(`Large program size limit ${avail(f.misc.large_insn_limit)}`);
  out.push(`Bounded loop support ${avail(f.misc.bounded_loops)}`);
  out.push(`ISA extension v2 ${avail(f.misc.isa_v2_ext)}`);
  out.push(`ISA extension v3 ${avail(f.misc.isa_v3_ext)}`);
  return out.join('\n') + '\n';
}

/** The `--json` form, with bpftool's key names (`have_hash_map_type`). */
export function featureProbeJson(f: KernelFeatures): unknown {
  const j: Record<string, unknown> = {
    system_config: {
      unprivileged_bpf_disabled: f.unprivilegedBpfDisabled ?? null,
      bpf_jit_enable: readNum('/proc/sys/net/core/bpf_jit_enable') ?? null,
    },
    syscall_config: { have_bpf_syscall: true },
    program_types: Object.fromEntries(f.programTypes.map((p) => [`have_${p.name}_prog_type`, p.available])),
    map_types: Object.fromEntries(f.mapTypes.map((m) => [`have_${m.name}_map_type`, m.available])),
    link_types: Object.fromEntries(f.linkTypes.map((l) => [`have_${l.name}_link_type`, l.available])),
    misc: {
      have_large_insn_limit: f.misc.large_insn_limit,
      have_bounded_loops: f.misc.bounded_loops,
      have_v2_isa_extension: f.misc.isa_v2_ext,
      have_v3_isa_extension: f.misc.isa_v3_ext,
    },
  };
  if (f.helpers) {
    j.helpers = Object.fromEntries(
      f.programTypes.map((p) => [`${p.name}_available_helpers`, f.helpers![p.name]?.names ?? []]),
    );
  }
  return j;
}

const probe: CliCommand = {
  path: ['feature', 'probe'],
  summary: 'List the program, map and link types and helpers this kernel supports, as bpftool does',
  usage: '[kernel] [--no-helpers] [--json]',
  run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, 'no-helpers': { type: 'boolean' } },
      allowPositionals: true,
    });
    if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'kernel')) {
      throw new UsageError(`unexpected '${positionals.join(' ')}' (only 'kernel' can be probed)`);
    }
    const f = probeKernel({ helpers: !values['no-helpers'] });
    io.out(values.json ? JSON.stringify(featureProbeJson(f)) : formatFeatureProbe(f).trimEnd());
    return 0;
  },
};

export const featureCommands: CliCommand[] = [probe];
