/**
 * Gates for tests that need the kernel or an external tool.
 *
 * A test that needs root and a working `bpf()` uses {@link describeKernel}; one that compares
 * with bpftool or llvm-objdump uses {@link describeWithTool}. When the requirement is missing
 * the block is skipped, except under `TSBPF_REQUIRE_KERNEL=1` (set by `.ci/run`), where a
 * missing kernel or tool is a failing test: CI must never pass by skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

export const requireAll = process.env.TSBPF_REQUIRE_KERNEL === '1';

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `platform is ${process.platform}, not linux`;
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) return 'not running as root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'kernel has no BTF (/sys/kernel/btf/vmlinux missing)';
  return undefined;
}

/** Path of an external tool, or undefined. */
export function findTool(name: string): string | undefined {
  try {
    const out = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

function gated(name: string, reason: string | undefined, fn: () => void): void {
  if (reason === undefined) {
    describe(name, fn);
  } else if (requireAll) {
    describe(name, () => {
      it('has what it needs (TSBPF_REQUIRE_KERNEL=1)', () => {
        throw new Error(`cannot run: ${reason}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}

/** A describe block that needs root and a BPF-capable kernel. */
export function describeKernel(name: string, fn: () => void): void {
  gated(name, kernelUnavailableReason(), fn);
}

/** A describe block that needs external tools (bpftool, clang-19, llvm-objdump-19, ...). */
export function describeWithTool(name: string, tools: string[], fn: () => void): void {
  const missing = tools.filter((t) => findTool(t) === undefined);
  gated(name, missing.length ? `missing tool(s): ${missing.join(', ')}` : undefined, fn);
}

/**
 * Whether tests that read the running kernel's BTF should run: when it exists, and always
 * under TSBPF_REQUIRE_KERNEL=1 (where a missing /sys/kernel/btf/vmlinux must fail, not skip).
 */
export const runWithKernelBtf: boolean = requireAll || existsSync('/sys/kernel/btf/vmlinux');
