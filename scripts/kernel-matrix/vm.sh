#!/usr/bin/env bash
# Runs one command inside a QEMU VM of a kernel prepared by kernel.sh, with the host's root
# as the guest's (read-only, under a throwaway overlay), and exits with the command's exit code.
#
#   bash scripts/kernel-matrix/vm.sh [options] KROOT -- COMMAND [ARG...]
#
#   --out DIR       the writable share (default: a fresh /tmp/tsbpf-vm.XXXXXX, removed afterwards);
#                   the guest mounts it at the same path, so COMMAND can leave files there
#   --cpus N        guest CPUs (default 1)
#   --mem SIZE      guest memory (default 2G)
#   --timeout SEC   kill the VM after SEC seconds (default 1200)
#   --append ARGS   more kernel command line
#
# COMMAND runs in the current directory, as root, with a clean environment (PATH, HOME);
# pass variables with `env NAME=VALUE COMMAND`. Its output goes to the guest console, which
# is this script's stdout.
#
# Exit code: COMMAND's, or 255 when the VM died before COMMAND finished (panic, timeout,
# qemu failure): an infrastructure failure the caller may retry, unlike a real failure.
# OUT/vm_status then says "timeout after Ns" or "qemu exit N".
#
# Acceleration: KVM when the CPU has real VMX/SVM and /dev/kvm is not PVM (kvm_pvm loaded:
# it cannot run stock kernels), else TCG software emulation. TSBPF_VM_ACCEL=kvm|tcg forces one.
set -uo pipefail

out="" cpus=1 mem=2G timeout_s=1200 append=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --cpus) cpus="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "vm.sh: unknown option '$1'" >&2; exit 2 ;;
    *) kroot="$1"; shift ;;
  esac
done
if [ -z "${kroot:-}" ] || [ $# -eq 0 ]; then
  echo "usage: vm.sh [--out DIR] [--cpus N] [--mem SIZE] [--timeout SEC] KROOT -- COMMAND..." >&2
  exit 2
fi
for f in vmlinuz initrd.cpio.gz lib/modules; do
  [ -e "$kroot/$f" ] || { echo "vm.sh: $kroot/$f missing (run kernel.sh prepare)" >&2; exit 255; }
done

accel() {
  case "${TSBPF_VM_ACCEL:-auto}" in
    kvm | tcg) echo "$TSBPF_VM_ACCEL"; return ;;
    auto) ;;
    *) echo "vm.sh: TSBPF_VM_ACCEL must be kvm, tcg or auto" >&2; exit 2 ;;
  esac
  if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && ! grep -q '^kvm_pvm ' /proc/modules 2>/dev/null; then
    echo kvm
  else
    echo tcg
  fi
}
if [ "$(accel)" = kvm ]; then
  accel_args=(-accel kvm -cpu host)
else
  accel_args=(-accel "tcg,thread=multi,tb-size=512" -cpu max)
fi

own_out=0
if [ -z "$out" ]; then
  out="$(mktemp -d /tmp/tsbpf-vm.XXXXXX)"
  own_out=1
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out/exit_code" "$out/vm_status"
{
  printf 'cd %q || exit 125\n' "$PWD"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} > "$out/cmd.sh"

# panic=-1 with -no-reboot: a panic ends qemu at once instead of hanging until the timeout.
# lsm=...,bpf: make sure the BPF LSM is active (Debian lists it last in CONFIG_LSM).
cmdline="console=ttyS0 quiet loglevel=3 panic=-1 oops=panic lsm=lockdown,yama,bpf tsbpf.script=$out/cmd.sh tsbpf.out=$out $append"
# The guest's /tmp is a fresh tmpfs: a working folder below /tmp (a CI clone, say) would vanish,
# so it gets its own share, mounted at the same path (writable: tests write into the checkout).
cwd_share=()
case "$PWD/" in
  /tmp/*)
    cwd_share=(-fsdev "local,id=cwd,path=$PWD,security_model=none" -device virtio-9p-pci,fsdev=cwd,mount_tag=cwd)
    cmdline="$cmdline tsbpf.cwd=$PWD"
    ;;
esac
# multidevs=remap: the host's / spans several devices (/proc, /sys, /dev); without it qemu
# warns about colliding inode numbers.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" \
  -smp "$cpus" -m "$mem" -M pc -nodefaults -no-user-config -display none -vga none -no-reboot \
  -serial stdio -monitor none \
  -kernel "$kroot/vmlinuz" -initrd "$kroot/initrd.cpio.gz" -append "$cmdline" \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev "local,id=out,path=$out,security_model=none" -device virtio-9p-pci,fsdev=out,mount_tag=out \
  -fsdev "local,id=kmods,path=$kroot/lib/modules,security_model=none,readonly=on" \
  -device virtio-9p-pci,fsdev=kmods,mount_tag=kmods \
  "${cwd_share[@]}" \
  </dev/null
qemu_rc=$?

code=255
if [ -s "$out/exit_code" ]; then
  code="$(cat "$out/exit_code")"
else
  echo "vm.sh: the VM ended (qemu exit $qemu_rc$([ $qemu_rc = 124 ] && echo ": timeout after ${timeout_s}s")) before the command wrote an exit code" >&2
  # Why, for the caller: a timeout (a hung command) is not worth a retry, a crash may be.
  if [ $qemu_rc = 124 ] || [ $qemu_rc = 137 ]; then echo "timeout after ${timeout_s}s" > "$out/vm_status"; else echo "qemu exit $qemu_rc" > "$out/vm_status"; fi
fi
[ $own_out = 1 ] && rm -rf "$out"
exit "$code"
