#!/usr/bin/env bash
# Smoke test of tools/bench/flow-cost.sh (docs/performance.md §5.14): its usage errors and
# one short run, so the script cannot rot. Checks the output's shape and that every
# figure was measured; never asserts on speed.
#   bash flow_cost_test.sh BIN_DIR
set -euo pipefail
bin_dir="${1:?usage: flow_cost_test.sh BIN_DIR}"
script="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/bench/flow-cost.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- usage errors -----------------------------------------------------------------------------
expect_exit 0 bash "$script" --help
grep -q -- '--sessions' "$tmp/out" || fail "--help does not describe --sessions"
expect_exit 2 bash "$script" --runs x "$bin_dir"
grep -q "'x' is not a positive whole number" "$tmp/err" || fail "bad --runs not named"
expect_exit 2 bash "$script" --sessions 0 "$bin_dir"
expect_exit 2 bash "$script" --seconds 2 "$bin_dir"
grep -q -- '--seconds must be at least 3' "$tmp/err" || fail "--seconds 2 accepted"
expect_exit 2 bash "$script" --bogus "$bin_dir"
grep -q 'unknown option --bogus' "$tmp/err" || fail "unknown option not named"
expect_exit 2 bash "$script" "$tmp/no-such-dir"
grep -q 'no tillit-server and tillit-bench' "$tmp/err" || fail "missing binaries not named"

# --- one short run ----------------------------------------------------------------------------
expect_exit 0 bash "$script" --sessions 2 --devices 4 --seconds 3 "$bin_dir"
[[ $(wc -l <"$tmp/out") == 1 ]] || fail "want one JSON line per run: $(cat "$tmp/out")"
jq -e '.flowsPerSecond > 0 and .errors == 0' "$tmp/out" >/dev/null || fail "no clean flows: $(cat "$tmp/out")"
# The issuer used CPU and wrote its durable results while flows ran; the bench's CPU in a
# 2 s window can round to zero clock ticks, so it is only checked to be there.
jq -e '.serverCpuMicrosPerFlow > 0 and .benchCpuMicrosPerFlow >= 0 and .coresBusy > 0
       and .serverDiskBytesPerFlow > 0 and .respondP99Ms > 0' "$tmp/out" >/dev/null ||
  fail "a figure is missing or zero: $(cat "$tmp/out")"
grep -q 'run 1 of 1' "$tmp/err" || fail "no progress on stderr"
echo "flow_cost_test: ok"
