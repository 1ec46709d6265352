# Shared by the integration scripts (sourced, not run): a work directory removed on exit,
# check helpers, and a tillit-server on an ephemeral loopback port. The caller sets `bin`
# (the programs' directory) before sourcing. Sets `work`, and `url` once a server runs.
set -euo pipefail
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export TILLIT_DEVICE_KDF=interactive  # cheap Argon2id: the phone's cost is not under test here

fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
# expect JSON JQ_EXPR WHAT: the jq expression must be true of the JSON text.
expect() { local out=$1 expr=$2 what=$3; jq -e "$expr" <<<"$out" >/dev/null || fail "$what: got $out"; ok "$what"; }

# alpha N: N written in letters (names may hold only letters): 0 -> a, 27 -> bb.
alpha() { local n=$1 s=; while :; do s=$(printf "\\$(printf '%03o' $((97 + n % 26)))")$s; n=$((n / 26)); ((n > 0)) || break; done; echo "$s"; }

# Starts tillit-server on $work/data (stdout and stderr appended to $work/server.out and
# $work/server.err, which tests grep for secrets) and waits until it listens. Arguments are
# passed on to `serve` (e.g. --checkpoint-interval 1, or --tls-cert/--tls-key: `url` is then
# https://). Set server_listen=HOST:PORT to listen there instead of on an ephemeral port
# (devices keep the URL they were activated with).
start_server() {
  # The log is appended across restarts: wait for a listening line beyond those before.
  local before
  before=$(grep -c '^listening on https\?://' "$work/server.out" 2>/dev/null || true)
  "$bin/tillit-server" serve --data "$work/data" --listen "${server_listen:-127.0.0.1:0}" "$@" >> "$work/server.out" 2>> "$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 200); do
    (( $(grep -c '^listening on https\?://' "$work/server.out" || true) > ${before:-0} )) && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; fail "server exited"; }
    sleep 0.05
  done
  url=$(sed -n 's/^listening on \(https\?:\/\/[^ ]*\)$/\1/p' "$work/server.out" | tail -1)
  [[ -n $url ]] || fail "no listening line"
}
# Stops the server with SIGTERM; it must exit 0 (graceful stop).
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=
  [[ $rc -eq 0 ]] || fail "server did not stop cleanly on SIGTERM (exit $rc)"
}
