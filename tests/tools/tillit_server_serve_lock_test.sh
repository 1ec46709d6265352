#!/usr/bin/env bash
# One `tillit-server serve` per data directory (docs/operations.md §1, data_dir_lock.h):
# while a server runs on DIR, a second serve and tillit-bench-seed on DIR exit 1 with
# dataDirectoryBusy and the first keeps serving; admin commands still work beside it and
# the server sees what they wrote; once it stops, DIR can be seeded and served again.
#   bash tillit_server_serve_lock_test.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: tillit_server_serve_lock_test.sh BIN_DIR}"
tmp=$(mktemp -d)
data="$tmp/data"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok: $*"; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# expect_busy PROGRAM: the last command's stderr names the stable code and the directory.
expect_busy() {
  grep -qxF "$1: dataDirectoryBusy: another tillit-server serve or tillit-bench-seed is using $data" \
    "$tmp/err" || fail "$1 on a busy directory: $(cat "$tmp/err")"
}

# start_server NAME: serve on $data in the background (output in $tmp/NAME.out and .err);
# waits for its listening line and sets `server_pid` and `url`.
start_server() {
  "$bin/tillit-server" serve --data "$data" --listen 127.0.0.1:0 \
    >"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 400); do
    grep -q '^listening on http://' "$tmp/$1.out" && break
    kill -0 "$server_pid" 2>/dev/null || fail "$1 exited: $(cat "$tmp/$1.err")"
    sleep 0.05
  done
  url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\)$/\1/p' "$tmp/$1.out")
  [[ -n $url ]] || fail "$1: no listening line"
}
# stop_server: SIGTERM; it must exit 0.
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  [[ $rc == 0 ]] || fail "server did not stop cleanly on SIGTERM (exit $rc)"
}
serving() { curl -sf -o /dev/null "$url/.well-known/tillit-ca.pem"; }

expect_exit 0 "$bin/tillit-server" serve --help
grep -q 'One serve per data directory' "$tmp/out" || fail "serve --help does not say it"

start_server first
serving || fail "the first server does not answer"
ok "a server runs on DIR"

# A second serve on the same directory: refused at once, before it binds a port. (timeout:
# one that is not refused would serve until killed; 124 then fails the test.)
expect_exit 1 timeout 60 "$bin/tillit-server" serve --data "$data" --listen 127.0.0.1:0
expect_busy tillit-server
grep -q 'listening' "$tmp/out" && fail "the second server listened: $(cat "$tmp/out")"
kill -0 "$server_pid" 2>/dev/null || fail "the first server died"
serving || fail "the first server stopped answering"
ok "a second serve on DIR exits 1 with dataDirectoryBusy; the first keeps serving"

# The same directory spelt differently is the same lock file.
expect_exit 1 timeout 60 "$bin/tillit-server" serve --data "$tmp/./data/" --listen 127.0.0.1:0
grep -q 'dataDirectoryBusy' "$tmp/err" || fail "another spelling of DIR: $(cat "$tmp/err")"
ok "another spelling of DIR is busy too"

# The seeder writes persons and credentials behind the server's back: refused too.
expect_exit 1 "$bin/tillit-bench-seed" --data "$data" --persons 1
expect_busy tillit-bench-seed
ok "tillit-bench-seed on DIR exits 1 with dataDirectoryBusy"

# Admin commands run beside the server, and it sees what they write.
expect_exit 0 "$bin/tillit-server" admin --data "$data" add-rp --name Exempelkommun
key=$(jq -r .apiKey "$tmp/out")
[[ -n $key && $key != null ]] || fail "add-rp printed no apiKey: $(cat "$tmp/out")"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST "$url/rp/v1/auth" \
  -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  --data '{"endUserIp":"192.0.2.7"}')
[[ $code == 200 ]] || fail "the server refuses the new e-service: $code $(cat "$tmp/body")"
expect_exit 0 "$bin/tillit-server" admin --data "$data" audit-verify
ok "admin add-rp and audit-verify work while the server runs"

stop_server
ok "the first server stops on SIGTERM"

# Released: the seeder may run now, and a server starts on what it wrote.
expect_exit 0 "$bin/tillit-bench-seed" --data "$data" --persons 2
jq -e '.persons == 2' "$tmp/out" >/dev/null || fail "seed output: $(cat "$tmp/out")"
start_server second
serving || fail "the second server does not answer"
ok "after the stop, DIR is seeded and served again"
stop_server
echo "tillit_server_serve_lock_test: ok"
