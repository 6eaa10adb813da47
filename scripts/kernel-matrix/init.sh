#!/bin/busybox sh
# /init of the matrix VMs' initramfs (busybox sh, PID 1). Built into initrd.cpio.gz by kernel.sh.
#
# 1. Loads the virtio/9p/overlay modules (listed in /modules/order by kernel.sh).
# 2. Mounts the host's / (9p tag "hostroot", read-only) under an overlay with a tmpfs upper
#    layer at /newroot: the guest sees the host's files, can write, and every write is lost.
# 3. Mounts the kernel filesystems BPF needs: bpffs, tracefs, debugfs, securityfs, cgroup2.
# 4. Mounts the writable "out" share at the path it has on the host (tsbpf.out=), and the
#    extracted modules (tag "kmods") at /lib/modules.
# 5. Runs tsbpf.script= with /bin/sh in the new root, writes its exit code to OUT/exit_code
#    and powers off. A VM that dies before that leaves no exit_code: vm.sh reports 255.
/bin/busybox --install -s /bin
export PATH=/bin

mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

arg() { # NAME: value of NAME= on the kernel command line
  for w in $(cat /proc/cmdline); do
    case "$w" in "$1"=*) echo "${w#*=}" ;; esac
  done
}
script="$(arg tsbpf.script)"
out="$(arg tsbpf.out)"
cwd="$(arg tsbpf.cwd)"

for m in $(cat /modules/order); do
  insmod "/modules/$m" || echo "init: insmod $m failed"
done

mkdir -p /lower /rw /newroot
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=524288,cache=loose hostroot /lower ||
  { echo "init: cannot mount the host root"; poweroff -f; }
mount -t tmpfs -o size=1G tmpfs /rw
mkdir -p /rw/upper /rw/work
if ! mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot; then
  # Without overlayfs: the read-only host root, with tmpfs where programs write.
  echo "init: overlay failed; read-only root"
  mount --bind /lower /newroot
fi

mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
# From here /proc and /sys are under /newroot (the initramfs has none of its own).
for d in /tmp /run /dev/shm /var/tmp; do
  mount -t tmpfs tmpfs "/newroot$d" 2>/dev/null
done
mkdir -p /newroot/dev/pts
mount -t devpts devpts /newroot/dev/pts
mount -t bpf bpf /newroot/sys/fs/bpf
mount -t tracefs tracefs /newroot/sys/kernel/tracing
mount -t debugfs debugfs /newroot/sys/kernel/debug
mount -t securityfs securityfs /newroot/sys/kernel/security
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
mkdir -p /newroot/lib/modules
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=524288,cache=loose kmods /newroot/lib/modules ||
  echo "init: cannot mount the guest's modules"
# The kernel's build configuration where loaders look for it (.kconfig externs, feature checks).
release="$(uname -r)"
if [ -f "/newroot/lib/modules/$release/config" ]; then
  mkdir -p /newroot/boot
  cp "/newroot/lib/modules/$release/config" "/newroot/boot/config-$release"
fi
mkdir -p "/newroot$out"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 out "/newroot$out" ||
  { echo "init: cannot mount the out share at $out"; poweroff -f; }
# A working folder below /tmp comes as its own share (see vm.sh).
if [ -n "$cwd" ]; then
  mkdir -p "/newroot$cwd"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 cwd "/newroot$cwd" ||
    { echo "init: cannot mount the working folder share at $cwd"; poweroff -f; }
fi
ip link set lo up 2>/dev/null
hostname tsbpf-vm

# The command runs with the guest's console as its terminal (qemu's stdout on the host).
chroot /newroot /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
  /bin/sh "$script" </dev/console >/dev/console 2>&1
code=$?
echo "$code" > "/newroot$out/exit_code"
sync
echo "init: exit code $code"
poweroff -f
