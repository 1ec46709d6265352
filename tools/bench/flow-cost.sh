#!/usr/bin/env bash
# What one login flow costs the machine (docs/performance.md §5.14): CPU of the issuer and
# of the load generator per flow, and bytes the issuer wrote to disk per flow, measured
# from /proc over the flows only (provisioning excluded). On this VM, flows/s moves by
# ±20 % between identical runs because the machine's speed does; CPU per flow moves with
# it, but "cores busy" (flows/s × CPU per flow) and bytes per flow hardly do, so these are
# the figures to compare across changes.
#
#   tools/bench/flow-cost.sh [--sessions N] [--seconds S] [--devices D] [--runs R]
#                            [--threads T] [BIN_DIR]
#
# Defaults: 32 sessions, 12 s, 500 devices, 1 run, serve's default threads, BIN_DIR
# build/bin. One JSON object per run on stdout: flowsPerSecond, errors,
# serverCpuMicrosPerFlow, benchCpuMicrosPerFlow, coresBusy, serverDiskBytesPerFlow,
# respondP99Ms. Needs jq.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/tools/bench/lib.sh"
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
sessions=32 secs=12 devices=500 runs=1 threads= bin=$root/build/bin
while (($#)); do
  case $1 in
    --sessions) sessions=${2:?}; shift 2 ;;
    --seconds) secs=${2:?}; shift 2 ;;
    --devices) devices=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "flow-cost.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) bin=$1; shift ;;
  esac
done
for n in "$sessions" "$secs" "$devices" "$runs" ${threads:+"$threads"}; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "flow-cost.sh: '$n' is not a positive whole number" >&2; exit 2; }
done
((secs >= 3)) || { echo "flow-cost.sh: --seconds must be at least 3" >&2; exit 2; }
command -v jq >/dev/null || { echo "flow-cost.sh: jq is missing" >&2; exit 2; }
[[ -x $bin/tillit-server && -x $bin/tillit-bench ]] || {
  echo "flow-cost.sh: no tillit-server and tillit-bench in $bin" >&2; exit 2; }

work=$(mktemp -d /tmp/tillit-flow-cost-XXXXXX)
server_pid= bench_pid=
cleanup() {
  [[ -n $bench_pid ]] && kill "$bench_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
hz=$(getconf CLK_TCK)
# per_flow_us TICKS FLOWS: clock ticks of CPU as microseconds per flow.
per_flow_us() { awk -v t="$1" -v hz="$hz" -v n="$2" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}'; }
# The progress line of second $1 ("tillit-bench:    11 s   23456 flows ..."), once printed.
progress_line() { grep -E "^tillit-bench: +$1 s " "$work/bench.err" 2>/dev/null || true; }

for ((run = 1; run <= runs; run++)); do
  data=$work/data-$run
  serve_flags=(${threads:+--threads "$threads"})
  bench_start_server flow-cost.sh "$data" "$work"
  echo "flow-cost.sh: run $run of $runs: provisioning $devices devices, then $secs s with $sessions sessions" >&2
  TILLIT_DESK_TOKEN=$officer "$bin/tillit-bench" --server "$url" --rp-key "$rp_key" \
    --devices "$devices" --concurrency "$sessions" --duration "$secs" --json \
    >"$work/bench.json" 2>"$work/bench.err" &
  bench_pid=$!
  for _ in $(seq 3000); do grep -q running "$work/bench.err" 2>/dev/null && break; sleep 0.1; done
  grep -q running "$work/bench.err" || { echo "flow-cost.sh: provisioning did not finish: $(tail -3 "$work/bench.err")" >&2; exit 1; }
  s0=$(ticks "$server_pid") b0=$(ticks "$bench_pid") w0=$(written "$server_pid")
  # Stop counting at the last progress line before the bench ends, while both still run.
  last=$((secs - 1))
  for _ in $(seq $((secs * 100 + 1000))); do
    [[ -n $(progress_line "$last") ]] && break
    kill -0 "$bench_pid" 2>/dev/null || break  # ended early: reported below
    sleep 0.01
  done
  if ! kill -0 "$bench_pid" 2>/dev/null || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "flow-cost.sh: tillit-bench or the server ended before second $last: $(tail -3 "$work/bench.err") $(tail -3 "$work/server.err")" >&2
    exit 1
  fi
  s1=$(ticks "$server_pid") b1=$(ticks "$bench_pid") w1=$(written "$server_pid")
  flows=$(progress_line "$last" | awk '{print $4}')
  wait "$bench_pid" || { echo "flow-cost.sh: tillit-bench failed: $(tail -3 "$work/bench.err")" >&2; exit 1; }
  bench_pid=
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=
  [[ ${flows:-0} -gt 0 ]] || { echo "flow-cost.sh: no flows counted" >&2; exit 1; }
  server_us=$(per_flow_us $((s1 - s0)) "$flows")
  bench_us=$(per_flow_us $((b1 - b0)) "$flows")
  jq -c --argjson s "$server_us" --argjson b "$bench_us" --argjson w "$(((w1 - w0) / flows))" '{
      flowsPerSecond: (.flowsPerSecond | floor), errors,
      serverCpuMicrosPerFlow: ($s | floor), benchCpuMicrosPerFlow: ($b | floor),
      coresBusy: ((.flowsPerSecond * ($s + $b) / 1e4 | floor) / 100),
      serverDiskBytesPerFlow: $w, respondP99Ms: .latency.respond.p99Ms}' "$work/bench.json"
  rm -rf "$data"
done
