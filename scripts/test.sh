#!/usr/bin/env bash
# The test command (README and .ci/run): install what the suite needs, then typecheck and
# run every test. Run as root on Debian 12 with Node 20 for the kernel tests to run.
#
#   bash scripts/test.sh
#
# With TSBPF_REQUIRE_KERNEL=1 (as .ci/run sets it), a kernel or tool test that cannot run
# fails instead of skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Reference tools used by the tests (never by tsbpf itself): clang-19/llvm-19 rebuild and
# disassemble fixtures, bpftool's output is compared with tsbpf's, libbpf-dev builds the
# benchmark peers.
need=()
command -v clang-19 >/dev/null || need+=(clang-19)
command -v llvm-objdump-19 >/dev/null || need+=(llvm-19)
command -v bpftool >/dev/null || need+=(bpftool)
[ -f /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]} (test references)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: ${need[*]} missing and cannot be installed here; their tests will skip" >&2
  fi
fi

# Kernel filesystems the kernel tests use (test/setup/global.ts mounts them too).
if [ "$(id -u)" = 0 ]; then
  mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || true
  mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || true
  mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security || true
fi

npm ci --no-audit --no-fund
npm test
