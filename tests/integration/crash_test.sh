#!/usr/bin/env bash
# Crash safety (issue 8): a workload of enrolments, issues, activations and logins runs
# against tillit-server, which is killed with SIGKILL at a random moment, 50 times. After
# every kill, with the server down, the data directory must hold:
#   - a database that passes PRAGMA integrity_check;
#   - every enrolment, person, credential and completed login the server acknowledged;
#   - no identifier, identifier serial or certificate serial twice;
#   - an audit chain that `tillit-server admin audit-verify` accepts;
# and, restarted, the request that was in flight when it died can be retried without
# creating a second person. Then the same for the device's key store: tillit-device is
# killed during activation and during a PIN change; afterwards it is the old device or the
# new one, never a broken one.
# Usage: bash crash_test.sh BIN_DIR   (TILLIT_CRASH_KILLS overrides the 50 kills)
bin=${1:?usage: crash_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kills=${TILLIT_CRASH_KILLS:-50}

admin() { "$bin/tillit-server" admin --data "$work/data" "$@"; }
token=$(admin add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
key=$(admin add-rp --name "Exempelkommun" | jq -r .apiKey)
db=$work/data/tillit.db
[[ -f $db ]] || db=$(ls "$work"/data/*.db | head -1)
expiry=$(date -u -d '+3 years' +%Y-%m-%d)
acks=$work/acks         # one line per acknowledged write: KIND VALUE
inflight=$work/inflight # the request being made when the server died
: > "$acks"
sql() { sqlite3 -batch -noheader "$db" "$1"; }

# The workload: log in with a device activated earlier, then enrol a new person (level 3, no
# approval), issue, activate a device — over and over. Each acknowledged result is appended
# to $acks only after the server answered. It stops at the first failure (the server is gone).
workload() {
  local n=$1 i=0
  export TILLIT_DESK_SERVER=$url TILLIT_DESK_TOKEN=$token
  while :; do
    i=$((i + 1))
    cycle "$n" "$i" || return 0
  done
}

# cycle N I: one turn of the workload (round N, turn I); fails when a request fails.
cycle() {
  local n=$1 i=$2 out enr id code serial
  if [[ -s $work/devices ]]; then
    login "$(shuf -n 1 "$work/devices")" || return 1
  fi
  local doc; doc=$(printf 'K%02d%05d' "$((n % 100))" "$i")
  # Distinct names and birth dates, so no enrolment stops at a possible duplicate.
  local born; born=$(date -u -d "1940-01-01 + $((n * 300 + i)) days" +%Y-%m-%d)
  echo "enrol $doc $born" > "$inflight"
  out=$("$bin/tillit-desk" enrol --given-name "$(alpha $((i * 7 + 3)))" --surname "$(alpha $((n * 977 + i * 31 + 5)))" --birth-date "$born" \
    --nationality SYR --evidence "passport:$doc:SYR:$expiry" --check chip-read --check face-to-photo) || return 1
  enr=$(jq -r .enrolmentId <<<"$out"); echo "enrolment $enr" >> "$acks"
  echo "issue $enr $doc $born" > "$inflight"
  out=$("$bin/tillit-desk" issue "$enr") || return 1
  id=$(jq -r .identifier <<<"$out"); code=$(jq -r .activationCode <<<"$out")
  echo "$code" >> "$work/secrets"
  echo "person $id" >> "$acks"
  echo "activate $id" > "$inflight"
  out=$("$bin/tillit-device" --home "$work/dev-$n-$i" activate --server "$url" --code "$code" --pin 482915) || return 1
  serial=$(jq -r .credentialSerial <<<"$out"); echo "credential $serial" >> "$acks"
  echo "$work/dev-$n-$i" >> "$work/devices"
}

# login HOME: one full login with the device in HOME, acknowledged once collect says complete.
login() {
  local home=$1 out order tok secret qr
  echo "login" > "$inflight"
  out=$(curl -sf -X POST "$url/rp/v1/auth" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d '{"endUserIp":"192.0.2.7"}') || return 1
  local started_ms; started_ms=$(date +%s%3N)
  order=$(jq -r .orderRef <<<"$out"); tok=$(jq -r .qrStartToken <<<"$out"); secret=$(jq -r .qrStartSecret <<<"$out")
  echo "$secret" >> "$work/secrets"
  # The code for the current second, as an e-service animates it (a slow machine must not
  # turn a login into a stale QR).
  qr=$("$bin/tillit-qr" login --start-token "$tok" --secret "$secret" \
    --seconds $(( ($(date +%s%3N) - started_ms) / 1000 ))) || return 1
  out=$("$bin/tillit-device" --home "$home" scan --qr "$qr" --pin 482915 --approve) \
    || { echo "login scan: $out" >&2; return 1; }
  out=$(curl -sf -X POST "$url/rp/v1/collect" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d "{\"orderRef\":\"$order\"}") || return 1
  [[ $(jq -r .status <<<"$out") == complete ]] || { echo "collect: $out" >&2; return 1; }
  echo "order $order" >> "$acks"
}

# Checks the data directory with the server down; $1 names the round for messages.
check_data() {
  local round=$1
  [[ $(sql 'PRAGMA integrity_check') == ok ]] || fail "$round: integrity_check: $(sql 'PRAGMA integrity_check')"
  # One query for all acknowledgements: the first one the database lacks, if any.
  local lost
  lost=$(sqlite3 -batch -noheader "$db" <<SQL
CREATE TEMP TABLE acks (kind TEXT, value TEXT);
.separator " "
.import --schema temp $acks acks
SELECT kind || ' ' || value FROM temp.acks WHERE NOT CASE kind
  WHEN 'enrolment' THEN EXISTS (SELECT 1 FROM enrolments WHERE id = value)
  WHEN 'person' THEN EXISTS (SELECT 1 FROM persons WHERE identifier = value)
  WHEN 'credential' THEN EXISTS (SELECT 1 FROM credentials WHERE serial = value)
  WHEN 'order' THEN EXISTS (SELECT 1 FROM order_results WHERE order_ref = value)
  ELSE 0 END LIMIT 1;
SQL
)
  [[ -z $lost ]] || fail "$round: acknowledged $lost is gone"
  [[ $(sql 'SELECT count(*) - count(DISTINCT identifier) FROM persons') == 0 ]] || fail "$round: an identifier twice"
  [[ $(sql 'SELECT count(*) - count(DISTINCT serial) FROM persons') == 0 ]] || fail "$round: an identifier serial twice"
  [[ $(sql 'SELECT count(*) - count(DISTINCT serial) FROM credentials') == 0 ]] || fail "$round: a certificate serial twice"
  admin audit-verify > "$work/audit.json" || fail "$round: audit-verify: $(cat "$work/audit.json")"
}

# Retries the request that was in flight at the kill (the officer pressing the button again)
# and checks that it never leaves two people with one document.
retry_inflight() {
  local round=$1 what enr doc out
  [[ -s $inflight ]] || return 0
  read -r what enr doc born < "$inflight"
  export TILLIT_DESK_SERVER=$url TILLIT_DESK_TOKEN=$token
  case $what in
    enrol)  # $enr holds the document number here
      born=$doc doc=$enr
      out=$("$bin/tillit-desk" enrol --given-name Retry --surname Person --birth-date "$born" \
        --nationality SYR --evidence "passport:$doc:SYR:$expiry" --check chip-read --check face-to-photo) \
        || fail "$round: retried enrolment failed: $out"
      enr=$(jq -r .enrolmentId <<<"$out")
      out=$("$bin/tillit-desk" issue "$enr") || true ;;
    issue)
      out=$("$bin/tillit-desk" issue "$enr") || true ;;
    *) return 0 ;;
  esac
  [[ $(sql "SELECT count(*) FROM person_documents WHERE number_norm = '$doc'") -le 1 ]] \
    || fail "$round: document $doc belongs to two people after a retry"
  [[ $(sql "SELECT count(DISTINCT identifier) FROM person_documents WHERE number_norm = '$doc'") -le 1 ]] \
    || fail "$round: a retried $what made a second person"
}

# Two turns uninterrupted: they leave a device, so every round can start with a login, and
# the second (a whole turn, login included) sizes the kill window to this machine (a
# sanitizer build under load is several times slower, and kills that always land before
# the activation test too little).
start_server
# Every restart on the same port: a device talks to the URL it was activated with.
server_listen=${url#http://}
warm_up() {
  export TILLIT_DESK_SERVER=$url TILLIT_DESK_TOKEN=$token
  cycle 0 1 || return 1
  t0=$(date +%s%3N)
  cycle 0 2 || return 1
  echo $(( $(date +%s%3N) - t0 ))
}
cycle_ms=$(warm_up 2>> "$work/workload.err") || fail "the workload fails without a kill: $(tail -3 "$work/workload.err")"
stop_server
: > "$inflight"
warm_acks=$(wc -l < "$acks")  # the check below counts what the killed rounds acknowledged
# Kills land 0.2 s to 0.2 s + W after the workload starts, W = 1.3 turns (at least 2 s), so
# they land in every kind of write.
window_ms=$(( cycle_ms * 13 / 10 > 2000 ? cycle_ms * 13 / 10 : 2000 ))

total_acks=0
for round in $(seq 1 "$kills"); do
  start_server
  retry_inflight "round $round"
  : > "$inflight"
  workload "$round" > /dev/null 2>> "$work/workload.err" &
  load_pid=$!
  ms=$(( RANDOM * 32768 + RANDOM )); ms=$(( ms % window_ms + 200 ))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  wait "$load_pid" 2>/dev/null || true
  check_data "round $round"
done
total_acks=$(wc -l < "$acks")
(( ${TILLIT_CRASH_SKIP_ACK_CHECK:-0} == 1 || ($(tail -n +$((warm_acks + 1)) "$acks" | grep -c "^person ") > 0 && $(tail -n +$((warm_acks + 1)) "$acks" | grep -c "^order ") > 0) )) \
  || fail "the workload acknowledged too little to test ($(tail -3 "$work/workload.err")): $(cut -d' ' -f1 "$acks" | sort | uniq -c | tr '\n' ' ')"
ok "$kills SIGKILLs 200 to $((window_ms + 200)) ms into the workload (one turn: $cycle_ms ms): integrity_check ok, all $total_acks acknowledged writes kept ($(cut -d' ' -f1 "$acks" | sort | uniq -c | tr -s ' ' | tr '\n' ','))"
ok "no identifier, identifier serial or certificate serial twice; audit chain verifies after every kill"
ok "the request in flight at each kill was retried without a second person"

# --- the device's key store ---------------------------------------------------------------
start_server
export TILLIT_DESK_SERVER=$url TILLIT_DESK_TOKEN=$token
device() { local home=$1; shift; "$bin/tillit-device" --home "$work/$home" "$@"; }
new_code() {
  local out
  out=$("$bin/tillit-desk" enrol --given-name "$(alpha $(($1 * 7 + 3)))" --surname "$(alpha $(($1 * 977 + 5)))" \
    --birth-date "$(date -u -d "1930-01-01 + $(($1 * 13)) days" +%Y-%m-%d)" --nationality SYR --evidence "passport:$(printf 'D%07d' "$1"):SYR:$expiry" --check chip-read --check face-to-photo)
  "$bin/tillit-desk" issue "$(jq -r .enrolmentId <<<"$out")" | jq -r .activationCode
}
# The device in $1 works with PIN $2: it proves the key to the issuer (history).
works_with() { device "$1" history --pin "$2" >/dev/null 2>&1; }

# A random moment in [0, 1.3 x how long the uninterrupted command took], as "S.mmm".
now_ms() { date +%s%3N; }
random_moment() { local ms=$(( RANDOM * 13 * $1 / 10 / 32768 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
code=$(new_code 0)
t0=$(now_ms); device act0 activate --server "$url" --code "$code" --pin 482915 >/dev/null; act_ms=$(( $(now_ms) - t0 ))
t0=$(now_ms); device act0 change-pin --pin 482915 --new-pin 572094 >/dev/null; pin_ms=$(( $(now_ms) - t0 ))

activated=0 empty=0
for i in $(seq 1 12); do
  code=$(new_code "$i")
  # The program itself in the background (not the shell function): the kill must reach it.
  "$bin/tillit-device" --home "$work/act$i" activate --server "$url" --code "$code" --pin 482915 >/dev/null 2>&1 &
  pid=$!
  sleep "$(random_moment "$act_ms")"
  kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  if out=$(device "act$i" show 2>/dev/null); then
    works_with "act$i" 482915 || fail "activation kill $i: the device shows $out but its key does not work"
    activated=$((activated + 1))
  else
    # The old (empty) device: it must take a new code and activate cleanly.
    code=$(new_code "$((i + 100))")
    out=$(device "act$i" activate --server "$url" --code "$code" --pin 482915) \
      || fail "activation kill $i: a device left empty cannot be activated again: $out; left: $(ls -R "$work/act$i" 2>&1 | tr '\n' ' ')"
    works_with "act$i" 482915 || fail "activation kill $i: re-activated device does not work"
    empty=$((empty + 1))
  fi
done
(( activated > 0 && empty > 0 )) || fail "activation kills all landed on one side ($activated new, $empty empty): nothing was tested"
ok "12 kills during activation (${act_ms} ms each): $activated devices new, $empty empty and re-activated, none broken"

code=$(new_code 999)
device pin activate --server "$url" --code "$code" --pin 482915 >/dev/null
pin=482915 old_kept=0 new_taken=0
for i in $(seq 1 12); do
  next=$(printf '5%05d' $((i * 7919 % 100000)))
  [[ $next == "$pin" ]] && continue
  "$bin/tillit-device" --home "$work/pin" change-pin --pin "$pin" --new-pin "$next" >/dev/null 2>&1 &
  pid=$!
  sleep "$(random_moment "$pin_ms")"
  kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  if works_with pin "$next"; then
    pin=$next; new_taken=$((new_taken + 1))
  elif works_with pin "$pin"; then
    old_kept=$((old_kept + 1))
  else
    fail "PIN change kill $i: neither the old nor the new PIN opens the key store"
  fi
done
(( new_taken > 0 && old_kept > 0 )) || fail "PIN change kills all landed on one side: nothing was tested"
ok "12 kills during a PIN change (${pin_ms} ms each): $new_taken new PINs, $old_kept old PINs kept, never broken"
stop_server

# No secret this run used may appear in anything the server wrote: the officer token, the
# e-service key, every activation code and QR secret, the PINs.
{ echo "$token"; echo "$key"; echo 482915; echo "$pin"; } >> "$work/secrets"
sort -u -o "$work/secrets" "$work/secrets"
if grep -q -F -f "$work/secrets" "$work/server.out" "$work/server.err"; then
  fail "a secret is in the server's log: $(grep -n -F -f "$work/secrets" "$work/server.out" "$work/server.err" | cut -d: -f1-2 | head -3)"
fi
ok "none of the $(wc -l < "$work/secrets") secrets used appears in the server's log ($(cat "$work/server.out" "$work/server.err" | wc -l) lines)"
echo "crash_test: $passed checks passed"
