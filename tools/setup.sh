#!/usr/bin/env bash
# Shared set-up for tools/run.sh and tools/test.sh: installs the Debian packages the build
# and the tests need (only those missing), then configures and builds into build/ (or
# build-asan/ when TILLIT_SANITIZE=1). Idempotent: a second run installs nothing and
# rebuilds only what changed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libsodium-dev libssl-dev openssl libsqlite3-dev sqlite3
  libcpprest-dev libboost-dev libboost-system-dev libzxing-dev libpng-dev libjpeg-dev
  doctest-dev libbenchmark-dev jq curl
  libp11-kit-dev softhsm2 opensc  # the PKCS#11 header; a software token and its tool for tests
)
# Extra packages a caller needs besides the build's (tools/fuzz.sh: clang and its runtime).
read -r -a extra <<<"${TILLIT_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
# The browser tests (tests/browser/) need Chromium and Node.js; only tools/test.sh asks for
# them (TILLIT_BROWSER_TESTS=1), so tools/run.sh stays small.
if [[ ${TILLIT_BROWSER_TESTS:-0} == 1 ]]; then
  packages+=(chromium fonts-dejavu-core)
  command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages and not root; install them or run as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core, pinned by tests/browser/package-lock.json; npm ci only when the lock file
# changed since the last install (npm keeps a copy in node_modules/.package-lock.json).
if [[ ${TILLIT_BROWSER_TESTS:-0} == 1 ]]; then
  browser="$root/tests/browser"
  if ! cmp -s <(jq -S '.packages | del(."")' "$browser/package-lock.json") \
              <(jq -S '.packages | del(."")' "$browser/node_modules/.package-lock.json" 2>/dev/null); then
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || {
      echo "setup: npm ci in tests/browser failed" >&2; exit 1; }
  fi
fi

# TILLIT_SETUP_INSTALL_ONLY=1: packages only (tools/fuzz.sh builds its own tree).
[[ ${TILLIT_SETUP_INSTALL_ONLY:-0} == 1 ]] && exit 0

if [[ ${TILLIT_SANITIZE:-0} == 1 ]]; then
  build="$root/build-asan"
  cmake_flags=(-DTILLIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
else
  build="$root/build"
  cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja "${cmake_flags[@]}" >/dev/null
fi
jobs=$(nproc 2>/dev/null || echo 2)
if ! out=$(cmake --build "$build" -j "$jobs" 2>&1); then
  echo "$out" >&2
  echo "setup: build failed" >&2
  exit 1
fi
echo "$build"
