#!/usr/bin/env bash
# Fetches Debian's stock cloud kernel (a kernel nobody here built) for the Linux boot tests:
# resolves the package that linux-image-cloud-amd64 depends on (linux-image-<version>-cloud-amd64,
# or its -unsigned twin), downloads it with apt-get download (no root needed; `apt-get update` first
# on a new machine), and extracts /boot/vmlinuz-* (a bzImage, LZ4 payload on 6.1) and its config into
# build/debian-kernel/. Usage: scripts/fetch-debian-kernel.sh [META_PACKAGE]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
META=${1:-linux-image-cloud-amd64}
OUT=$ROOT/build/debian-kernel
command -v apt-cache >/dev/null && command -v dpkg-deb >/dev/null || { echo "needs apt-cache and dpkg-deb (Debian)" >&2; exit 1; }

pkg=$(apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || { echo "cannot resolve what $META depends on (run apt-get update?)" >&2; exit 1; }
echo "== $META -> $pkg ($(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}'))"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ "$(id -u)" != 0 ] || chown _apt "$tmp" 2>/dev/null || true # lets apt download without its sandbox warning
( cd "$tmp" && apt-get download -q "$pkg" >/dev/null )
deb=$(ls "$tmp"/*.deb)
dpkg-deb -x "$deb" "$tmp/x"
mkdir -p "$OUT"
rm -f "$OUT"/vmlinuz-* "$OUT"/config-*
cp "$tmp"/x/boot/vmlinuz-* "$OUT"/
cp "$tmp"/x/boot/config-* "$OUT"/ 2>/dev/null || true
basename "$deb" > "$OUT/PACKAGE"
for f in "$OUT"/vmlinuz-*; do
  printf '%10d  %s  %s\n' "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-64)" "${f#$ROOT/}"
done
