#!/usr/bin/env bash
# Smoke test of tillit-bench (docs/performance.md): a few seconds of full login flows
# against a server it starts itself, so the load generator cannot rot. Checks that flows
# complete without errors and that the output has its shape; never asserts on speed.
# Also the usage errors.
#   bash tillit_bench_test.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: tillit_bench_test.sh BIN_DIR}/tillit-bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- usage errors ---------------------------------------------------------------------------
expect_exit 0 "$bin" --help
grep -q -- '--concurrency' "$tmp/out" || fail "--help does not describe --concurrency"
expect_exit 2 "$bin" --devices 5 --concurrency 2 --duration 3
grep -q -- '--start-server' "$tmp/err" || fail "missing server: no hint"
expect_exit 2 "$bin" --start-server --devices 0 --concurrency 2 --duration 3
grep -q -- '--devices must be' "$tmp/err" || fail "--devices 0 accepted"
expect_exit 2 "$bin" --start-server --devices 5 --concurrency x --duration 3
expect_exit 2 "$bin" --start-server --devices 5 --concurrency 2
grep -q -- '--duration is required' "$tmp/err" || fail "missing --duration accepted"
expect_exit 2 "$bin" --start-server --server http://127.0.0.1:1 --rp-key k --devices 5 \
  --concurrency 2 --duration 3
expect_exit 2 "$bin" --start-server --devices 5 --concurrency 2 --duration 3 --bogus
grep -q 'unknown option --bogus' "$tmp/err" || fail "unknown option not named"
env -u TILLIT_DESK_TOKEN "$bin" --server http://127.0.0.1:1 --rp-key k --devices 1 \
  --concurrency 1 --duration 1 >"$tmp/out" 2>"$tmp/err" && fail "ran without an officer token"
grep -q 'TILLIT_DESK_TOKEN' "$tmp/err" || fail "no hint about TILLIT_DESK_TOKEN"

# --- a short run, JSON ------------------------------------------------------------------------
expect_exit 0 "$bin" --start-server --devices 5 --concurrency 2 --duration 3 --json
jq -e '.flows > 0' "$tmp/out" >/dev/null || fail "no flow completed: $(cat "$tmp/out")"
jq -e '.errors == 0 and (.errorsByCode | length) == 0' "$tmp/out" >/dev/null ||
  fail "errors: $(jq -c .errorsByCode "$tmp/out")"
jq -e '.devices == 5 and .concurrency == 2' "$tmp/out" >/dev/null || fail "run parameters"
for step in auth scan shown respond collect flow; do
  jq -e --arg s "$step" '.latency[$s].count > 0 and .latency[$s].p50Ms <= .latency[$s].p99Ms
                         and .latency[$s].p99Ms <= .latency[$s].maxMs' "$tmp/out" >/dev/null ||
    fail "latency of $step: $(jq -c --arg s "$step" '.latency[$s]' "$tmp/out")"
done
# Every flow collected once at least.
jq -e '.latency.collect.count >= .flows and .latency.flow.count == .flows' "$tmp/out" >/dev/null ||
  fail "step counts do not add up"
grep -q 'flows/s' "$tmp/err" || fail "no progress on stderr"

# --- the table, with a rate cap ---------------------------------------------------------------
expect_exit 0 "$bin" --start-server --devices 2 --concurrency 2 --duration 2 --rate 20
grep -q '^complete flows' "$tmp/out" || fail "no results table"
grep -qE '^respond +[0-9]+' "$tmp/out" || fail "no respond row"
flows=$(awk '/^complete flows/ {print $3}' "$tmp/out")
# 20/s for 2 s: never more than the cap allows (plus the first of each session).
(( flows > 0 && flows <= 42 )) || fail "--rate 20 ran $flows flows in 2 s"
grep -qE '^errors +0$' "$tmp/out" || fail "errors in the rate-limited run: $(cat "$tmp/out")"
echo "tillit_bench_test: ok"
