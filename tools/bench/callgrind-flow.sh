#!/usr/bin/env bash
# Instructions per login flow in the issuer (docs/performance.md §4.7), by callgrind:
# tillit-server runs under valgrind with instrumentation off while tillit-bench enrols and
# activates its devices, on (callgrind_control -i on) only while flows run. Instruction
# counts do not depend on what else the machine is doing, unlike times.
#
#   tools/bench/callgrind-flow.sh [BIN_DIR] [SECONDS]
#
# BIN_DIR defaults to build/bin, SECONDS (of flows, at valgrind's pace) to 30. Prints
# flows, instructions, instructions per flow and libsodium's share; the callgrind file
# stays in the printed directory for callgrind_annotate. Needs valgrind and jq.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/tools/bench/lib.sh"
bin=${1:-$root/build/bin}
secs=${2:-30}
for tool in valgrind callgrind_control callgrind_annotate jq; do
  command -v "$tool" >/dev/null || { echo "callgrind-flow.sh: $tool is missing" >&2; exit 2; }
done
[[ -x $bin/tillit-server && -x $bin/tillit-bench ]] || {
  echo "callgrind-flow.sh: no tillit-server and tillit-bench in $bin" >&2; exit 2; }
out=$(mktemp -d /tmp/tillit-callgrind-XXXXXX)
server_pid=
trap '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; true' EXIT
serve_flags=(--threads 4)
bench_start_server callgrind-flow.sh "$out/data" "$out" \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out"
echo "callgrind-flow.sh: provisioning, then $secs s of flows (output in $out)" >&2
TILLIT_DESK_TOKEN=$officer "$bin/tillit-bench" --server "$url" --rp-key "$rp_key" --devices 20 \
  --concurrency 4 --duration "$secs" --json >"$out/bench.json" 2>"$out/bench.err" &
bench_pid=$!
for _ in $(seq 3000); do grep -q running "$out/bench.err" 2>/dev/null && break; sleep 0.2; done
callgrind_control -i on "$server_pid" >/dev/null 2>&1
wait "$bench_pid"
callgrind_control -i off "$server_pid" >/dev/null 2>&1
kill "$server_pid"; wait "$server_pid" || true; server_pid=
flows=$(jq .flows "$out/bench.json")
errors=$(jq .errors "$out/bench.json")
total=$(sed -n 's/.*Collected : *//p' "$out/server.err" | tr -d ,)
sodium=$(callgrind_annotate --inclusive=no "$out/callgrind.out" 2>/dev/null |
  awk '/libsodium/ {gsub(",", "", $1); s += $1} END {print s + 0}')
((flows > 0)) || { echo "callgrind-flow.sh: no flows completed ($errors errors)" >&2; exit 1; }
echo "flows: $flows (errors: $errors)"
echo "instructions: $total"
echo "instructions per flow: $((total / flows))"
echo "libsodium share: $((100 * sodium / total)) %"
echo "profile: $out/callgrind.out"
