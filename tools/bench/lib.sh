# Shared by the bench scripts (sourced, not run): an issuer for tillit-bench. The caller sets
# `bin` (the programs' directory) before sourcing.

# bench_start_server WHO DATA DIR [PREFIX...]: adds a supervisor officer and an e-service to
# the data directory DATA, then starts tillit-server on it on a loopback port with the abuse
# limits and periodic checkpoints off (tillit-bench --help says why), plus the words of the
# array `serve_flags` if set, run under PREFIX (e.g. valgrind ...), its output in
# DIR/server.out and DIR/server.err. Waits until it listens (up to 60 s). Sets officer,
# rp_key, server_pid and url; exits 1 with a message naming WHO if the server does not start.
bench_start_server() {
  local who=$1 data=$2 dir=$3
  shift 3
  officer=$("$bin/tillit-server" admin --data "$data" add-officer --name "Bench officer" \
    --organisation bench --role supervisor | jq -r .token)
  rp_key=$("$bin/tillit-server" admin --data "$data" add-rp --name "Bench e-service" | jq -r .apiKey)
  "$@" "$bin/tillit-server" serve --data "$data" --listen 127.0.0.1:0 --checkpoint-interval 0 \
    --rate-limit-address off --rate-limit-credential off ${serve_flags[@]+"${serve_flags[@]}"} \
    >"$dir/server.out" 2>"$dir/server.err" &
  server_pid=$!
  local _
  for _ in $(seq 600); do
    grep -q '^listening on' "$dir/server.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  url=$(sed -n 's/^listening on //p' "$dir/server.out")
  [[ -n $url ]] || { echo "$who: the server did not start: $(tail -3 "$dir/server.err")" >&2; exit 1; }
}
