#!/usr/bin/env bash
# Prepares a Debian kernel for the VM matrix without installing it, and prints the folder
# that holds it (KROOT).
#
#   bash scripts/kernel-matrix/kernel.sh resolve SERIES   # prints the package name (SERIES: 6.1, 6.12)
#   bash scripts/kernel-matrix/kernel.sh prepare SERIES   # prints KROOT, downloading on first use
#
# KROOT = $TSBPF_KERNEL_CACHE/<kernel release> (default ~/.cache/tsbpf-kernels/<release>), outside
# the checkout so every clone shares it. It holds:
#   vmlinuz, config            the kernel and its build configuration
#   lib/modules/<release>/     the modules the initramfs and tests need, with modules.dep (depmod -b),
#                              and a copy of config
#   initrd.cpio.gz             busybox + init.sh + the 9p/virtio/overlay modules, in load order
#                              (rebuilt when init.sh changes; init.sh is the copy it holds)
#   package                    the .deb name and version it came from
#   module-dirs                the module folders extracted (a change prepares the kernel again)
# A second call finds `package` and returns at once.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${TSBPF_KERNEL_CACHE:-$HOME/.cache/tsbpf-kernels}"

# The newest ABI of a series in the archive. Debian names them linux-image-6.1.0-<abi>-amd64
# (bookworm's own series) and linux-image-6.12.<n>+deb12-amd64 (6.12 in bookworm-security).
# The -unsigned image has the same content as the signed one; the VM has no Secure Boot.
resolve() {
  local series="$1" re
  case "$series" in
    6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
    6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
    *) echo "kernel.sh: unknown series '$series' (known: 6.1, 6.12)" >&2; return 2 ;;
  esac
  local pkg
  pkg="$(apt-cache search --names-only "$re" | awk '{print $1}' | sort -V | tail -1)"
  if [ -z "$pkg" ]; then
    echo "kernel.sh: no package matches $re (run apt-get update)" >&2
    return 1
  fi
  echo "$pkg"
}

# Modules the initramfs loads: virtio PCI transport, 9p over virtio, overlayfs. Their
# dependencies come from modules.dep; built-in ones (modules.builtin) are skipped.
initrd_modules=(virtio_pci 9pnet_virtio 9p overlay)
# Module folders extracted from the package: the initramfs ones, plus what the tests
# modprobe in the guest (veth for the netdev tests, net/sched for tc, nf_conntrack for kfuncs
# in module BTF with its dependencies: nf_defrag_ipv4/6, libcrc32c and the crc32c it asks
# for with a softdep).
# Patterns a kernel lacks (fs/fscache is part of netfs in 6.12) are skipped.
module_dirs=(net/9p fs/9p fs/netfs fs/fscache fs/overlayfs drivers/virtio drivers/net/veth.ko net/sched
  net/netfilter/nf_conntrack.ko net/ipv4/netfilter/nf_defrag_ipv4.ko net/ipv6/netfilter/nf_defrag_ipv6.ko
  lib/libcrc32c.ko crypto/crc32c_generic.ko arch/x86/crypto/crc32c-intel.ko)

prepare() {
  local series="$1" pkg kver root deb tmp
  pkg="$(resolve "$series")"
  # linux-image-6.1.0-56-amd64-unsigned -> 6.1.0-56-amd64
  kver="${pkg#linux-image-}"
  kver="${kver%-unsigned}"
  root="$cache/$kver"
  # A cached kernel extracted with another module list is prepared again.
  if [ -f "$root/package" ] && [ "$(cat "$root/module-dirs" 2>/dev/null)" = "${module_dirs[*]}" ]; then
    # A changed init.sh only needs a new initramfs.
    if ! cmp -s "$here/init.sh" "$root/init.sh"; then
      build_initrd "$root" "$kver"
    fi
    echo "$root"
    return
  fi
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.prepare-$kver.XXXXXX")"
  trap 'rm -rf "$tmp"' RETURN
  # apt-get download as root warns that the _apt user cannot write $tmp; the download works.
  (cd "$tmp" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  deb="$(ls "$tmp"/*.deb 2>/dev/null || true)"
  [ -n "$deb" ] || { echo "kernel.sh: downloading $pkg failed" >&2; return 1; }
  mkdir -p "$tmp/x"
  local patterns=("./boot/vmlinuz-$kver" "./boot/config-$kver" "./lib/modules/$kver/modules.order" "./lib/modules/$kver/modules.builtin*")
  for d in "${module_dirs[@]}"; do patterns+=("./lib/modules/$kver/kernel/$d*"); done
  # Only the kernel, its config and a few module folders: a full extraction is 400 MB and its
  # depmod takes seconds; this is a few MB.
  # tar fails on a pattern with no match after extracting the rest; the checks below catch what matters.
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards "${patterns[@]}" 2>/dev/null || true
  for f in "boot/vmlinuz-$kver" "boot/config-$kver" "lib/modules/$kver/modules.order" "lib/modules/$kver/modules.builtin"; do
    [ -f "$tmp/x/$f" ] || { echo "kernel.sh: $pkg has no $f" >&2; return 1; }
  done
  mkdir -p "$tmp/k"
  mv "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz"
  mv "$tmp/x/boot/config-$kver" "$tmp/k/config"
  mkdir -p "$tmp/k/lib/modules"
  mv "$tmp/x/lib/modules/$kver" "$tmp/k/lib/modules/$kver"
  # The guest init copies this to /boot/config-<release>, where loaders look (.kconfig externs).
  cp "$tmp/k/config" "$tmp/k/lib/modules/$kver/config"
  # The .deb ships no modules.dep (the postinst runs depmod); make one for the partial tree.
  depmod -b "$tmp/k" "$kver"
  build_initrd "$tmp/k" "$kver"
  dpkg-deb -f "$deb" Package Version > "$tmp/k/package"
  echo "${module_dirs[*]}" > "$tmp/k/module-dirs"
  rm -rf "$root"
  mv "$tmp/k" "$root"
  echo "$root"
}

# The initramfs: static busybox, /init (init.sh) and the modules in dependency order,
# decompressed here so busybox insmod needs no xz support.
build_initrd() {
  local k="$1" kver="$2" moddir ir
  moddir="$k/lib/modules/$kver"
  ir="$k/initrd"
  mkdir -p "$ir/bin" "$ir/modules"
  cp /bin/busybox "$ir/bin/busybox"
  cp "$here/init.sh" "$ir/init"
  chmod 755 "$ir/init"
  local order=() seen=" " m path
  # modules.dep lines read "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz";
  # the dependencies are listed so that the last one loads first (modprobe loads them in reverse).
  add_module() { # NAME
    local name="$1" line deps=() i
    line="$(grep -E "(^|/)${name}\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" || true)"
    if [ -z "$line" ]; then
      if grep -qE "(^|/)${name}\.ko$" "$moddir/modules.builtin"; then return; fi
      echo "kernel.sh: module '$name' is neither in modules.dep nor built in" >&2
      return 1
    fi
    read -r -a deps <<< "${line#*:}"
    for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add_path "${deps[$i]}"; done
    add_path "${line%%:*}"
  }
  add_path() { # kernel/.../x.ko[.xz]
    case "$seen" in *" $1 "*) return ;; esac
    seen+="$1 "
    order+=("$1")
  }
  for m in "${initrd_modules[@]}"; do add_module "$m"; done
  local n=0 base
  : > "$ir/modules/order"
  for path in "${order[@]}"; do
    n=$((n + 1))
    base="$(basename "$path")"
    base="$(printf '%02d-%s' "$n" "${base%%.ko*}.ko")"
    case "$path" in
      *.xz) xz -dc "$moddir/$path" > "$ir/modules/$base" ;;
      *.zst) zstd -qdc "$moddir/$path" > "$ir/modules/$base" ;;
      *) cp "$moddir/$path" "$ir/modules/$base" ;;
    esac
    echo "$base" >> "$ir/modules/order"
  done
  (cd "$ir" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) > "$k/initrd.cpio.gz.new"
  mv "$k/initrd.cpio.gz.new" "$k/initrd.cpio.gz"
  cp "$here/init.sh" "$k/init.sh"
  rm -rf "$ir"
}

case "${1:-}" in
  resolve) resolve "${2:?series}" ;;
  prepare) prepare "${2:?series}" ;;
  *) echo "usage: kernel.sh resolve|prepare SERIES" >&2; exit 2 ;;
esac
