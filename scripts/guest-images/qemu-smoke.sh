#!/usr/bin/env bash
# Second opinion: boots a kernel + initramfs under QEMU (TCG) with a serial console, types a few
# commands and powers off. Usage: qemu-smoke.sh KERNEL INITRD [LOG]
# KERNEL may be an ELF vmlinux (QEMU then enters through the PVH note) or a bzImage (Linux boot
# protocol). Needs qemu-system-x86.
set -euo pipefail
KERNEL=$1 INITRD=$2 LOG=${3:-/dev/stdout}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/in"
timeout 90 qemu-system-x86_64 -accel tcg -m 256 -smp 2 -nographic -no-reboot \
  -kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0" < "$dir/in" > "$LOG" 2>&1 &
qemu=$!
{
  sleep 10
  for cmd in 'uname -r' 'echo $((6*7))' 'ls /' 'grep -c ^processor /proc/cpuinfo' 'poweroff'; do
    printf '%s\n' "$cmd"; sleep 2
  done
  sleep 5
} > "$dir/in"
wait "$qemu"
