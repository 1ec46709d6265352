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
)

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
