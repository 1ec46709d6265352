#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest.
#   tools/test.sh               default suite (unit + integration)
#   TILLIT_SANITIZE=1 tools/test.sh   the same suite under ASan + UBSan (build-asan/)
# Extra arguments are passed to ctest (e.g. -R identifier, -L unit).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(TILLIT_BROWSER_TESTS=1 "$root/tools/setup.sh")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest -j2 --output-on-failure --timeout 600 "$@"
