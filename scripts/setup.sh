#!/usr/bin/env bash
# npm run setup (or: bash scripts/setup.sh): installs what webgrad needs on a fresh machine.
#
#   1. npm packages (npm ci when package-lock.json is there).
#   2. A WebGPU adapter. Dawn (npm `webgpu`) uses the GPU's Vulkan driver when there is one.
#      Where it finds no adapter and apt-get is there, the Mesa packages that let Dawn run
#      WGSL on the CPU (llvmpipe, through OpenGL ES) are installed; this needs root (or sudo).
#      Then a second CPU adapter for the tests, Mesa 25's Vulkan driver (lavapipe: subgroups,
#      shader-f16), unpacked into .cache/lavapipe by scripts/setup-lavapipe.sh.
#   3. Fashion-MNIST for the training demo (Debian's dataset-fashion-mnist), where apt-get is there.
#   4. clang-14 and lld-14 (Debian), which compile the wasm backend's C kernels: the built .wasm
#      is committed, so only `npm run build:wasm` and the test that rebuilds it need them.
#   5. Chromium (Debian), for tests/browser.test.ts: the browser bundle in headless Chromium.
#   6. The bundles in dist/ (npm run build).
#
# Set WEBGRAD_SKIP_APT=1 to never call apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

MESA_PACKAGES=(libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)

step() { printf '\n== %s\n' "$*"; }

step "npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# Prints the adapter Dawn finds (exit 0), or why none was found (exit 1).
probe() { node scripts/probe-adapter.mjs; }

step "WebGPU adapter"
if probe; then
  :
else
  missing=()
  for p in "${MESA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: Mesa (${MESA_PACKAGES[*]}) is installed but no adapter was found; webgrad will offer only its cpu backend" >&2
  elif [ "${WEBGRAD_SKIP_APT:-0}" = 1 ] || ! command -v apt-get >/dev/null; then
    echo "setup: no WebGPU adapter; install ${missing[*]} (Debian/Ubuntu) to run WebGPU on the CPU" >&2
  else
    sudo=()
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null; then sudo=(sudo); else echo "setup: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
    fi
    echo "setup: installing Mesa for WebGPU on the CPU: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    probe
  fi
fi

step "lavapipe (a second WebGPU adapter on the CPU, with subgroups and shader-f16, for the tests)"
bash scripts/setup-lavapipe.sh || echo "setup: no lavapipe; the tests' lavapipe project will fail (WEBGRAD_TEST_NO_LAVAPIPE=1 leaves it out)" >&2

step "Fashion-MNIST (the training demo's data)"
if [ -d /usr/share/datasets/fashion-mnist ]; then
  echo "found /usr/share/datasets/fashion-mnist"
elif [ "${WEBGRAD_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  if "${sudo[@]}" apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null; }; then
    echo "installed dataset-fashion-mnist"
  else
    echo "setup: could not install dataset-fashion-mnist; the demo will use the subset in data/fashion-mnist-subset" >&2
  fi
else
  echo "setup: no /usr/share/datasets/fashion-mnist; the demo will use the subset in data/fashion-mnist-subset (or pass --data DIR)" >&2
fi

step "clang-14 and lld-14 (the wasm backend's C kernels)"
if command -v clang-14 >/dev/null && command -v wasm-ld-14 >/dev/null; then
  echo "found $(clang-14 --version | head -1)"
elif [ "${WEBGRAD_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  if "${sudo[@]}" apt-get install -y -qq --no-install-recommends clang-14 lld-14 >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends clang-14 lld-14 >/dev/null; }; then
    echo "installed clang-14 and lld-14"
  else
    echo "setup: could not install clang-14 and lld-14; tests/wasm.test.ts's rebuild check will fail" >&2
  fi
else
  echo "setup: no clang-14/lld-14 (apt-get install clang-14 lld-14); tests/wasm.test.ts's rebuild check needs them" >&2
fi

step "Chromium (the browser tests: the browser bundle's wasm backend and its Web Workers)"
if command -v chromium >/dev/null || [ -x "${CHROMIUM:-/nonexistent}" ]; then
  echo "found $(chromium --version 2>/dev/null || "$CHROMIUM" --version)"
elif [ "${WEBGRAD_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  if "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
    echo "installed $(chromium --version 2>/dev/null)"
  else
    echo "setup: could not install chromium; tests/browser.test.ts will fail (WEBGRAD_TEST_NO_BROWSER=1 leaves it out)" >&2
  fi
else
  echo "setup: no chromium (apt-get install chromium, or set CHROMIUM); tests/browser.test.ts needs it (WEBGRAD_TEST_NO_BROWSER=1 leaves it out)" >&2
fi

step "build"
npm run --silent build
