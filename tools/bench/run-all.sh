#!/usr/bin/env bash
# Every performance figure of docs/performance.md, in one run, with a ready-to-paste
# summary at the end. Run it on a quiet machine (nothing else compiling): the figures are
# only as good as the machine is idle.
#
#   tools/bench/run-all.sh [BIN_DIR]        (default: build-perf/bin, then build/bin)
#
# Environment (all optional):
#   TILLIT_BENCH_SECONDS   length of each load run (default 60)
#   TILLIT_BENCH_GROWTH    persons for the data-growth runs (default "1000 100000 1000000")
#   TILLIT_BENCH_OUT       where raw outputs go (default: a new /tmp/tillit-bench-XXXXXX)
#   TILLIT_BENCH_SKIP      words among: micro peers load growth rss profile
# Needs jq and awk; perf (linux-perf) for the profile; python3 for the RSS check.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-}"
if [ -z "$bin" ]; then
  for b in "$root/build-perf/bin" "$root/build/bin"; do [ -x "$b/tillit-bench" ] && bin="$b" && break; done
fi
[ -x "$bin/tillit-bench" ] || { echo "run-all.sh: no tillit-bench in ${bin:-build-perf/bin}" >&2; exit 2; }
secs="${TILLIT_BENCH_SECONDS:-60}"
growth="${TILLIT_BENCH_GROWTH:-1000 100000 1000000}"
skip=" ${TILLIT_BENCH_SKIP:-} "
out="${TILLIT_BENCH_OUT:-$(mktemp -d /tmp/tillit-bench-XXXXXX)}"
mkdir -p "$out"
summary="$out/summary.md"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
log() { echo "run-all.sh: $*" >&2; }
wants() { [[ "$skip" != *" $1 "* ]]; }
# calc EXPR: floating-point arithmetic with awk (present everywhere; bc is not installed).
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
server_pid=""
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=""; }
trap stop_server EXIT

source "$root/tools/bench/lib.sh"
# Starts tillit-server on data directory $1 (see lib.sh); sets $url, $rp_key, $officer and
# $server_pid.
start_server() { bench_start_server run-all.sh "$1" "$out"; }

say "## Tillit performance run, $(date -u +%Y-%m-%dT%H:%MZ)"
say ""
say "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB, kernel $(uname -r)"
say "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (should be near 0)"
say "- binaries: $bin; raw outputs: $out"
say ""

# --- micro-benchmarks ---------------------------------------------------------------------
if wants micro; then
  log "micro-benchmarks (pinned to core 0)"
  # The transport floors are about the whole machine (or pin their own threads), so they
  # run unpinned below.
  taskset -c 0 "$bin/tillit-microbench" --benchmark_min_time=1 --benchmark_format=json \
    --benchmark_filter='-BM_Http(ConcurrentFloor|EchoServerOneCore)' \
    --benchmark_out="$out/micro.json" --benchmark_out_format=json >/dev/null 2>"$out/micro.err" ||
    log "microbench failed: $(tail -3 "$out/micro.err")"
  log "transport floor (all cores)"
  "$bin/tillit-microbench" --benchmark_min_time=2 \
    --benchmark_filter='BM_Http(ConcurrentFloor|EchoServerOneCore)' \
    --benchmark_format=json --benchmark_out="$out/floor.json" --benchmark_out_format=json \
    >/dev/null 2>"$out/floor.err" || log "transport floor failed: $(tail -3 "$out/floor.err")"
  say "### Micro-benchmarks (one core; \`taskset -c 0 tillit-microbench --benchmark_min_time=1\`)"
  say ""
  say "| benchmark | per second | µs each | CPU µs each |"
  say "|---|---:|---:|---:|"
  jq -r '.benchmarks[] | "| \(.name) | \(.items_per_second|floor) | \((1e6/.items_per_second*100|floor)/100) | \((.cpu_time/10|floor)/100) |"' \
    "$out/micro.json" | tee -a "$summary"
  say ""
  say "(per second and µs each: by CPU time, or by wall time for the /real_time ones; CPU µs:"
  say "the calling thread's CPU, or the whole process's for /process_time.)"
  say ""
  # CPU microseconds per operation (time_unit is ns): what the bound is made of. Wall time
  # would count waiting (an fsync, another process) as work.
  us() { jq -r --arg n "$1" '[.benchmarks[] | select(.name == $n)][0] | .cpu_time / 1000' "$out/micro.json"; }
  verify=$(us BM_Ed25519Verify_CoreKeyKept); sign=$(us BM_Ed25519Sign); hmac=$(us BM_HmacSha256)
  parse=$(us BM_SignedData_Parse); ser=$(us BM_SignedData_Serialize)
  normal=$(us BM_SqliteCommit_Normal/real_time); full=$(us BM_SqliteCommit_Full/real_time)
  http=$(us BM_HttpRoundTrip/process_time/real_time)
  qr=$(us BM_LoginQr_Format)
  bare=$(us BM_Ed25519Verify_Libsodium); devverify=$(us BM_DeviceResponseVerify)
  full_wall=$(jq -r '[.benchmarks[] | select(.name == "BM_SqliteCommit_Full/real_time")][0].real_time / 1000' "$out/micro.json")
  normal_wall=$(jq -r '[.benchmarks[] | select(.name == "BM_SqliteCommit_Normal/real_time")][0].real_time / 1000' "$out/micro.json")
  # Per flow, the least work there is (docs/performance.md "The bound"): issuer — one
  # verify, one sign (result JWS), three HMACs (two API-key hashes, the QR code), a parse,
  # the result written (one one-row NORMAL commit's CPU: group commit shares the fsync);
  # bench — one sign (the device), one serialise, one QR; both — five HTTP round trips.
  per_flow=$(calc "$verify + $sign + 3*$hmac + $parse + $normal + $sign + $ser + $qr + 5*$http")
  issuer_only=$(calc "$verify + $sign + 3*$hmac + $parse + $normal + 5*$http/2")
  bound=$(calc "$(nproc) * 1000000 / $per_flow")
  say "Bound per flow from these figures: $(printf %.1f "$per_flow") µs of CPU with the load generator on the same box ($(printf %.1f "$issuer_only") µs for the issuer alone, taking half of each HTTP round trip) → **$(printf %.0f "$bound") flows/s** on $(nproc) cores."
  say "Device-response verification: $(printf %.0f "$(calc "1000000/$devverify")")/s per core = $(printf %.0f "$(calc "100*$bare/$devverify")") % of bare libsodium verify ($(printf %.0f "$(calc "1000000/$bare")")/s)."
  floor=$(jq -r '[.benchmarks[] | select(.name == "BM_HttpConcurrentFloor/32/16/real_time")][0].items_per_second // 0' "$out/floor.json")
  say "Transport floor (\`BM_HttpConcurrentFloor/32/16\`, unpinned: 32 client threads, 16 server workers, echo handler): $(printf %.0f "$floor") requests/s → at most $(printf %.0f "$(calc "$floor/5")") five-request flows/s on this box if the issuer did nothing but answer HTTP."
  one_core=$(jq -r '[.benchmarks[] | select(.name == "BM_HttpEchoServerOneCore/64/real_time")][0].items_per_second // 0' "$out/floor.json")
  say "HTTP JSON echo, keep-alive, server on one core (\`BM_HttpEchoServerOneCore/64\`: its workers on CPU 0, 64 clients on CPU 1): $(printf %.0f "$one_core") requests/s (the issue's reference machine: about 111,000)."
  say "SQLite one-row commit (wall time): NORMAL $(printf %.1f "$normal_wall") µs, FULL $(printf %.1f "$full_wall") µs → $(printf %.0f "$(calc "1000000/$full_wall")") FULL commits/s, the cap on completions without group commit."
  say ""
fi

# --- load: maximum throughput and latency at 2,000 flows/s ---------------------------------
if wants load; then
  log "load: maximum throughput, $secs s"
  "$bin/tillit-bench" --start-server --devices 1000 --concurrency 64 --duration "$secs" --json \
    >"$out/max.json" 2>"$out/max.err"
  log "load: 2,000 flows/s, $secs s"
  "$bin/tillit-bench" --start-server --devices 1000 --concurrency 64 --duration "$secs" --rate 2000 \
    --json >"$out/rate2000.json" 2>"$out/rate2000.err"
  say "### Full login flows through HTTP and SQLite (tillit-bench, bench and server on this box)"
  say ""
  say "| run | flows/s | errors | auth p99 | scan p99 | shown p99 | respond p99 | collect p99 | flow p50 / p99 / max (ms) |"
  say "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  for f in max rate2000; do
    jq -r --arg f "$f" '"| \(if $f == "max" then "`--concurrency 64`" else "`--concurrency 64 --rate 2000`" end) | \(.flowsPerSecond|floor) | \(.errors) | \(.latency.auth.p99Ms) | \(.latency.scan.p99Ms) | \(.latency.shown.p99Ms) | \(.latency.respond.p99Ms) | \(.latency.collect.p99Ms) | \(.latency.flow.p50Ms) / \(.latency.flow.p99Ms) / \(.latency.flow.maxMs) |"' \
      "$out/$f.json" | tee -a "$summary"
  done
  say ""
  say "Errors by code: max $(jq -c .errorsByCode "$out/max.json"), rate $(jq -c .errorsByCode "$out/rate2000.json")."
  say "Enrolment over HTTP (desk enrol + issue, device activation; 8 at a time): $(jq -r '(.devices / .provisionSeconds | floor)' "$out/max.json") persons/s."
  if [ -n "${bound:-}" ]; then
    say "Ratio to the bound: $(jq -r .flowsPerSecond "$out/max.json" | xargs printf %.0f) / $(printf %.0f "$bound") = $(calc "100*$(jq -r .flowsPerSecond "$out/max.json")/$bound" | xargs printf %.0f) %."
  fi
  say ""
fi

# --- where the time goes ----------------------------------------------------------------
if wants profile && command -v perf >/dev/null; then
  log "profile: perf record -e cpu-clock during a 20 s run"
  "$bin/tillit-bench" --start-server --devices 200 --concurrency 64 --duration 20 --json \
    >"$out/profile-run.json" 2>"$out/profile-run.err" &
  bench_pid=$!
  # Only the flows: wait until provisioning (certificates, activation QR images) is over.
  for _ in $(seq 600); do grep -q 'running' "$out/profile-run.err" 2>/dev/null && break; sleep 0.2; done
  sleep 2
  perf record -e cpu-clock -F 999 -a -g -o "$out/perf.data" -- sleep 10 >/dev/null 2>&1
  wait "$bench_pid"
  say "### Where the time goes (\`perf record -e cpu-clock -a\` during a run; hardware counters are not available in this VM)"
  say ""
  say '```'
  perf report -i "$out/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
    grep '%' | head -6 | tee -a "$summary"
  say "--- tillit-server by library"
  perf report -i "$out/perf.data" --comm tillit-server --percentage relative --no-children \
    --sort dso --stdio -g none 2>/dev/null | grep '%' | head -10 | tee -a "$summary"
  say "--- tillit-server, top symbols"
  perf report -i "$out/perf.data" --comm tillit-server --percentage relative --no-children \
    --sort symbol --stdio -g none 2>/dev/null | grep '%' | head -30 | cut -c1-110 | tee -a "$summary"
  say '```'
  say ""
fi

# --- RSS with 10,000 live orders ----------------------------------------------------------
if wants rss; then
  log "RSS with 10,000 live orders"
  data="$out/rss-data"; rm -rf "$data"
  start_server "$data"
  rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
  python3 - "$url" "$rp_key" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); conn = http.client.HTTPConnection(u.hostname, u.port)
for i in range(10000):
    conn.request("POST", "/rp/v1/auth", body='{"endUserIp":"192.0.2.7"}',
                 headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
PY
  rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
  stop_server
  say "### Memory: server RSS $((rss_before / 1024)) MB idle, $((rss_after / 1024)) MB with 10,000 live orders (target < 100 MB)"
  say ""
fi

# --- data growth --------------------------------------------------------------------------
if wants growth; then
  say "### Cost as data grows (same load: \`tillit-bench --devices 200 --concurrency 16 --rate 500 --duration 30\`)"
  say ""
  say "| persons enrolled | seeded in | flows/s | errors | flow p50 | flow p99 | respond p50 | scan p50 |"
  say "|---:|---:|---:|---:|---:|---:|---:|---:|"
  for n in $growth; do
    log "growth: seeding $n persons"
    data="$out/growth-$n"; rm -rf "$data"
    "$bin/tillit-bench-seed" --data "$data" --persons "$n" >"$out/seed-$n.json" 2>"$out/seed-$n.err" ||
      { log "seed failed: $(tail -2 "$out/seed-$n.err")"; continue; }
    start_server "$data"
    TILLIT_DESK_TOKEN="$officer" "$bin/tillit-bench" --server "$url" --rp-key "$rp_key" \
      --devices 200 --concurrency 16 --rate 500 --duration 30 --json >"$out/growth-$n.json" \
      2>"$out/growth-$n.err"
    stop_server
    jq -r --arg n "$n" --slurpfile seed "$out/seed-$n.json" \
      '"| \($n) | \($seed[0].seconds) s | \(.flowsPerSecond|floor) | \(.errors) | \(.latency.flow.p50Ms) | \(.latency.flow.p99Ms) | \(.latency.respond.p50Ms) | \(.latency.scan.p50Ms) |"' \
      "$out/growth-$n.json" | tee -a "$summary"
    rm -rf "$data"
  done
  say ""
fi

# --- peers --------------------------------------------------------------------------------
if wants peers; then
  log "peers"
  "$root/tools/bench/peers.sh" 5 >"$out/peers.jsonl" 2>"$out/peers.err"
  say "### Peers (verifiers on one core, oidc-provider on two: provider core 1, client core 0; \`tools/bench/peers.sh 5\`)"
  say ""
  while read -r line; do
    name=$(jq -r .peer <<<"$line")
    if jq -e .error <<<"$line" >/dev/null; then
      say "- $name: not measured ($(jq -r .error <<<"$line"))"
    elif jq -e .loginsPerSecond <<<"$line" >/dev/null; then
      # A whole OIDC server, not a verifier: logins, not verifies.
      say "- $name $(jq -r .version <<<"$line"): $(jq -r .loginsPerSecond <<<"$line") full authorization-code logins/s ($(jq -r .requestsPerLogin <<<"$line") HTTP requests each)$(jq -r 'if .loginsPerServerCpuSecond then "; \(.loginsPerServerCpuSecond) per provider CPU second" else "" end' <<<"$line")$(jq -r 'if .failures > 0 then "; \(.failures) failed: \(.errors | tostring)" else "" end' <<<"$line")"
    else
      rate=$(jq -r .verifiesPerSecond <<<"$line")
      ratio=""
      [ -n "${devverify:-}" ] && ratio=" — Tillit's device-response verification is $(calc "1000000/$devverify/$rate" | xargs printf %.1f)× this"
      say "- $name $(jq -r .version <<<"$line"): $rate EdDSA assertions verified/s$ratio"
    fi
  done <"$out/peers.jsonl"
  say ""
fi

say "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "===== summary ($summary) ====="
cat "$summary"
