#!/usr/bin/env bash
# Builds webpvh's guest images from Debian packages and writes them to public/guests/:
#   vmlinuz-6.12-pvh            minimal PVH kernel, a bzImage (gzip payload = stripped ELF vmlinux)
#   initramfs-busybox.cpio.lz4  busybox initramfs (/init in this folder), LZ4 legacy frame (lz4 -l)
# Not part of the test run: CI uses the committed images. See README.md in this folder.
#
# Needs (Debian 12): linux-source-6.12 busybox-static build-essential flex bison bc libelf-dev
#                    libssl-dev cpio lz4
# Environment: WORK (build folder, default build/guest-images), OUT (default public/guests),
#              JOBS (make -j, default nproc), SKIP_KERNEL=1 / SKIP_INITRAMFS=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-$ROOT/build/guest-images}
OUT=${OUT:-$ROOT/public/guests}
JOBS=${JOBS:-$(nproc)}
TARBALL=/usr/src/linux-source-6.12.tar.xz
BUSYBOX=/bin/busybox
# Fixed dates/names so that the same packages give the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600} # 2025-01-01T00:00:00Z
export KBUILD_BUILD_TIMESTAMP="@$SOURCE_DATE_EPOCH" KBUILD_BUILD_USER=webpvh KBUILD_BUILD_HOST=webpvh
export KBUILD_BUILD_VERSION=1

KERNEL_OUT=$OUT/vmlinuz-6.12-pvh
INITRAMFS_OUT=$OUT/initramfs-busybox.cpio.lz4

die() { echo "build.sh: $*" >&2; exit 1; }

for tool in make gcc flex bison bc gzip lz4; do
  command -v "$tool" >/dev/null || die "missing $tool (apt-get install build-essential flex bison bc lz4)"
done
[ -f "$TARBALL" ] || die "missing $TARBALL (apt-get install linux-source-6.12)"
dpkg -s busybox-static >/dev/null 2>&1 || die "missing busybox-static (apt-get install busybox-static)"

mkdir -p "$WORK" "$OUT"
SRC=$WORK/linux-source-6.12
KB=$WORK/kbuild
if [ ! -f "$SRC/Makefile" ]; then
  echo "== extracting $TARBALL"
  tar -C "$WORK" -xf "$TARBALL"
fi

if [ "${SKIP_KERNEL:-0}" != 1 ]; then
  echo "== configuring (tinyconfig + pvh-minimal.config) in $KB"
  mkdir -p "$KB"
  make -s -C "$SRC" O="$KB" ARCH=x86_64 tinyconfig
  "$SRC/scripts/kconfig/merge_config.sh" -m -O "$KB" "$KB/.config" "$HERE/pvh-minimal.config" >/dev/null
  make -s -C "$SRC" O="$KB" ARCH=x86_64 olddefconfig
  # Every option the fragment asks for must have survived olddefconfig (a missing dependency
  # silently drops it otherwise).
  missing=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) grep -qxF "$line" "$KB/.config" || { echo "  not in final .config: $line" >&2; missing=1; } ;;
      "# CONFIG_"*" is not set")
        sym=${line#\# }; sym=${sym%% *}
        ! grep -q "^$sym=" "$KB/.config" || { echo "  still set: $sym" >&2; missing=1; } ;;
    esac
  done < "$HERE/pvh-minimal.config"
  [ "$missing" = 0 ] || die "config fragment not fully applied"

  echo "== make -j$JOBS bzImage (a few minutes)"
  make -s -C "$SRC" O="$KB" ARCH=x86_64 -j"$JOBS" bzImage
  cp "$KB/arch/x86/boot/bzImage" "$KERNEL_OUT"
  cp "$KB/.config" "$HERE/config-6.12-pvh"
  echo "   unstripped ELF for nm/addr2line: $KB/vmlinux"
fi

if [ "${SKIP_INITRAMFS:-0}" != 1 ]; then
  echo "== initramfs from $($BUSYBOX 2>&1 | head -1)"
  GEN=$WORK/gen_init_cpio
  gcc -O2 -o "$GEN" "$SRC/usr/gen_init_cpio.c"
  sed -e "s|@BUSYBOX@|$BUSYBOX|" -e "s|@INIT@|$HERE/init|" \
      -e "s|@PASSWD@|$HERE/passwd|" -e "s|@GROUP@|$HERE/group|" \
      "$HERE/initramfs.list" > "$WORK/initramfs.list"
  "$GEN" -t "$SOURCE_DATE_EPOCH" "$WORK/initramfs.list" > "$WORK/initramfs.cpio"
  # LZ4 in the legacy frame (-l), the one LZ4 format the kernel's RD_LZ4 unpacker reads. Against
  # gzip -9 it is 1.17 MB instead of 1.03 MB, and the minimal kernel reaches the shell after 38 M
  # instructions instead of 71 M (bench/boot.ts).
  lz4 -l -9 -q -f "$WORK/initramfs.cpio" "$INITRAMFS_OUT"
fi

echo "== outputs"
for f in "$KERNEL_OUT" "$INITRAMFS_OUT"; do
  [ -f "$f" ] && printf '%10d  %s  %s\n' "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-64)" "${f#$ROOT/}"
done
