#!/usr/bin/env bash
# bash scripts/setup-lavapipe.sh (scripts/setup.sh runs it): a second WebGPU adapter on the CPU,
# Mesa 25's Vulkan driver (lavapipe), unpacked into .cache/lavapipe/ beside the project.
#
# Why: the OpenGL ES adapter (Mesa 22.3's llvmpipe, Debian 12) that the suite runs on has
# neither `subgroups` nor `shader-f16`; Dawn's Vulkan backend on lavapipe 25 has both (and
# `timestamp-query`). The suite's `lavapipe` project (vitest.config.ts) runs the kernel tests
# there, so the subgroup reducers and the f16 kernels are tested in Node, not only in Chromium.
#
# How: lavapipe 25 is in Debian 12's bookworm-backports (mesa-vulkan-drivers). Installing it
# would upgrade the system's OpenGL Mesa too, so its .deb is downloaded and unpacked under
# .cache/lavapipe/ (nothing of the system's Mesa changes); only the Vulkan loader (libvulkan1,
# bookworm main) is installed. .cache/lavapipe/lvp_icd.json names the driver by its absolute
# path: VK_ICD_FILENAMES points Dawn's loader at it (the lavapipe project sets it, and only it).
#
# Exit 0 when .cache/lavapipe/lvp_icd.json is there and loads; 1 with the reason otherwise.
# Needs apt-get (Debian 12) and root or sudo; WEBGRAD_SKIP_APT=1 never calls apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="$PWD/.cache/lavapipe"
icd="$dir/lvp_icd.json"
lib="$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"

check() {
  [ -f "$icd" ] && [ -f "$lib" ] || return 1
  local missing
  missing="$(ldd "$lib" | grep 'not found' || true)"
  if [ -n "$missing" ]; then echo "setup-lavapipe: $lib lacks libraries: $missing" >&2; return 1; fi
  VK_ICD_FILENAMES="$icd" WEBGRAD_DAWN_BACKEND=vulkan node scripts/probe-adapter.mjs 2>/dev/null | grep -q 'Dawn backend vulkan'
}

if check; then echo "found lavapipe in $dir"; exit 0; fi

if [ "${WEBGRAD_SKIP_APT:-0}" = 1 ] || ! command -v apt-get >/dev/null; then
  echo "setup-lavapipe: needs apt-get (Debian 12) to fetch Mesa 25's lavapipe; the lavapipe test project fails without it (WEBGRAD_TEST_NO_LAVAPIPE=1 leaves it out)" >&2
  exit 1
fi
if ! grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
  echo "setup-lavapipe: this is not Debian 12 (bookworm), whose backports hold Mesa 25; the lavapipe test project fails without it (WEBGRAD_TEST_NO_LAVAPIPE=1 leaves it out)" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo=(sudo); else echo "setup-lavapipe: need root to apt-get install libvulkan1" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
list=/etc/apt/sources.list.d/webgrad-bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Backports are never installed unless asked for by name (their pin priority is 100).
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | "${sudo[@]}" tee "$list" >/dev/null
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends libvulkan1 libllvm15 >/dev/null
rm -rf "$dir"
mkdir -p "$dir/debs"
chmod 777 "$dir/debs" # apt-get download writes as the _apt user where it can
(cd "$dir/debs" && apt-get download -qq -t bookworm-backports mesa-vulkan-drivers 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
deb="$(ls "$dir"/debs/mesa-vulkan-drivers_*.deb 2>/dev/null | head -1 || true)"
if [ -z "$deb" ]; then echo "setup-lavapipe: apt-get download mesa-vulkan-drivers (bookworm-backports) fetched nothing" >&2; exit 1; fi
dpkg-deb -x "$deb" "$dir/root"
rm -rf "$dir/debs"
cat >"$icd" <<EOF
{
  "file_format_version": "1.0.0",
  "ICD": { "library_path": "$lib", "api_version": "1.3.0" }
}
EOF
if check; then
  echo "installed $(basename "$deb") into $dir"
else
  echo "setup-lavapipe: unpacked $(basename "$deb") into $dir, but Dawn finds no adapter on it" >&2
  exit 1
fi
