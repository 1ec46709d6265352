#!/usr/bin/env bash
# A resident's own history (docs/protocol.md §9) and the audit log around it
# (docs/storage.md §7, docs/operations.md §4), end to end: tillit-server with signed
# checkpoints every second, a login and a signature through the real flow (the e-service
# played with curl, the QR drawn by tillit-qr, the phone by tillit-device), then
# `tillit-device history` lists both with the e-service's name and the text; a wrong PIN is
# refused. Every audit row is grepped for the secrets and personal data the flow used.
# Finally `admin audit-verify` accepts the log, and finds an edited entry, a removed last
# entry and a forged checkpoint signature made with the sqlite3 CLI on copies of the file.
# Usage: bash history_test.sh BIN_DIR
bin=${1:?usage: history_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is needed (tools/setup.sh installs it)"

admin() { local dir=$1; shift; "$bin/tillit-server" admin --data "$dir" "$@"; }
token_a=$(admin "$work/data" add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
rp=$(admin "$work/data" add-rp --name "Exempelkommun"); key=$(jq -r .apiKey <<<"$rp")
start_server --checkpoint-interval 1
desk() { "$bin/tillit-desk" --server "$url" --token "$token_a" "$@"; }
device() { "$bin/tillit-device" --home "$work/dev" "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)
pin=482915

out=$(desk enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N7654321:SYR:$expiry" --check chip-read --check face-to-photo)
issued=$(desk issue "$(jq -r .enrolmentId <<<"$out")")
code=$(jq -r .activationCode <<<"$issued"); id=$(jq -r .identifier <<<"$issued")
device activate --server "$url" --code "$code" --pin "$pin" >/dev/null
ok "set-up: a resident with an activated device"

# --- a login and a signature, as in login_sign_test.sh ------------------------------------
# start PATH BODY: starts an order; sets order, qr_token, qr_secret, started_ms.
start() {
  local status
  status=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url$1" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary "$2")
  [[ $status == 200 ]] || fail "start $1: $status $(cat "$work/body")"
  order=$(jq -r .orderRef "$work/body"); qr_token=$(jq -r .qrStartToken "$work/body")
  qr_secret=$(jq -r .qrStartSecret "$work/body"); started_ms=$(date +%s%3N)
  secrets+=("$qr_secret")
}
qr() {
  "$bin/tillit-qr" login --start-token "$qr_token" --secret "$qr_secret" \
    --seconds $(( ($(date +%s%3N) - started_ms) / 1000 ))
}
secrets=()
ip='"endUserIp":"192.0.2.7"'
start /rp/v1/auth "{$ip}"
"$bin/tillit-qr" png --out "$work/login.png" "$(qr)"
out=$(device scan --image "$work/login.png" --pin "$pin" --approve)
expect "$out" '.result=="approved" and .action=="auth"' "the resident logs in"
sleep 1  # so the two results have distinct times and a fixed order
text='Jag godkänner avtalet om hemtjänst. ✓'
start /rp/v1/sign "{$ip,\"userVisibleData\":\"$(printf '%s' "$text" | base64 -w0)\"}"
out=$(device scan --qr "$(qr)" --pin "$pin" --approve)
expect "$out" '.result=="approved" and .action=="sign"' "the resident signs a text"

# --- the history --------------------------------------------------------------------------
out=$(device history --pin "$pin")
expect "$out" '(.entries|length)==2' "history lists the login and the signature"
expect "$out" '.entries[0].action=="sign" and .entries[0].rp=="Exempelkommun" and .entries[1].action=="auth" and .entries[1].rp=="Exempelkommun" and (.entries[1]|has("text")|not)' "newest first, with the e-service's name"
[[ $(jq -r '.entries[0].text' <<<"$out") == "$text" ]] || fail "history text differs: $out"
ok "the signature's text is the text signed"
expect "$out" '(.entries[0].completedAt|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and (.entries[0].credentialSerial|length)==32' "each entry has a time and the device's serial"
out=$(printf '%s\n' "$pin" | device history 2>/dev/null)
expect "$out" '(.entries|length)==2' "the PIN may come on stdin, as for scan"
set +e; out=$(device history --pin 111111); rc=$?; set -e
[[ $rc -eq 1 ]] || fail "wrong PIN: exit $rc"
expect "$out" '.errorCode=="wrongPin" and .attemptsLeft==4' "a wrong PIN is refused and counted"
set +e; out=$(device history --pin "$pin" --approve 2>&1); rc=$?; set -e
[[ $rc -eq 2 ]] || fail "history --approve: exit $rc"
ok "history takes only --pin"
# The API refuses a request without a valid signature.
serial=$(device show | jq -r .credentialSerial)
nonce=$(curl -s -X POST "$url/device/v1/history/challenge" -H 'Content-Type: application/json' \
  --data "{\"credentialSerial\":\"$serial\"}" | jq -r .nonce)
[[ ${#nonce} == 43 ]] || fail "challenge: $nonce"
zero_sig=$(head -c 64 /dev/zero | base64 -w0 | tr '+/' '-_' | tr -d '=')
status=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/device/v1/history" -H 'Content-Type: application/json' \
  --data "{\"credentialSerial\":\"$serial\",\"nonce\":\"$nonce\",\"signature\":\"$zero_sig\"}")
[[ $status == 400 ]] && jq -e '.errorCode=="invalidSignature"' "$work/body" >/dev/null || fail "forged history request: $status $(cat "$work/body")"
status=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/device/v1/history" -H 'Content-Type: application/json' \
  --data "{\"credentialSerial\":\"$serial\",\"nonce\":\"$nonce\",\"signature\":\"$zero_sig\"}")
[[ $status == 404 ]] || fail "reused nonce: $status $(cat "$work/body")"
ok "a forged signature is refused and its nonce cannot be used again"

# --- what the audit log holds -------------------------------------------------------------
sleep 1.5  # a checkpoint tick
rows=$(sqlite3 "$work/data/tillit.db" "SELECT seq, at, actor, action, subject, detail_json FROM audit_log")
actions=$(sqlite3 "$work/data/tillit.db" "SELECT DISTINCT action FROM audit_log")
for action in officerAdded relyingPartyAdded enrolmentCreated identifierIssued activationChallenge \
              credentialIssued loginCompleted signCompleted historyViewed; do
  grep -qx "$action" <<<"$actions" || fail "no $action in the audit log: $actions"
done
ok "enrolment, issue, activation, login, signature and history reads are audited"
compact_code=${code//-/}
for secret in "$token_a" "$key" "$code" "$compact_code" "$pin" "${secrets[@]}" Amal Hassan N7654321 1990-04-01; do
  [[ -n $secret ]] || continue
  if grep -qF -- "$secret" <<<"$rows"; then fail "the audit log holds a secret or personal datum: $secret"; fi
  if grep -qF -- "$secret" "$work/server.out" "$work/server.err"; then fail "the server log holds: $secret"; fi
done
ok "no token, API key, activation code, PIN, QR secret, name or document number in the audit log"

out=$(admin "$work/data" audit-verify)
expect "$out" ".ok==true and .checkpoints>=1 and .head.seq==.entries and (.head.hash|length)==64" "audit-verify accepts the live log, with periodic checkpoints"
stop_server
out=$(admin "$work/data" audit-verify)
expect "$out" '.ok==true and .lastCheckpoint.seq==.head.seq and .lastCheckpoint.hash==.head.hash and .entriesAfterLastCheckpoint==0 and (.lastCheckpoint.keyId|length)==43' "the shutdown checkpoint pins the head"
head_seq=$(jq -r .head.seq <<<"$out")

# --- tampering, on copies of the stopped server's directory -------------------------------
# tampered NAME SQL: a copy of the data directory with SQL run on its database by the
# sqlite3 CLI (foreign keys off, as the CLI has them by default).
tampered() {
  cp -a "$work/data" "$work/$1"
  sqlite3 "$work/$1/tillit.db" "$2"
}
# broken DIR SEQ WHAT: audit-verify exits 1 naming SEQ.
broken() {
  local rc=0 out
  out=$(admin "$work/$1" audit-verify 2>/dev/null) || rc=$?
  [[ $rc -eq 1 ]] || fail "$3: audit-verify exit $rc: $out"
  expect "$out" ".ok==false and .firstBrokenSeq==$2 and (.reason|length)>0" "$3"
}
seq=$(sqlite3 "$work/data/tillit.db" "SELECT seq FROM audit_log WHERE action='identifierIssued'")
tampered edited "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail_json='{\"identifier\":\"AAAAAAAAAAAA\"}' WHERE seq=$seq"
broken edited "$seq" "an edited entry is found (seq $seq)"
tampered truncated "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq=$head_seq"
broken truncated "$head_seq" "a removed last entry is found through the last checkpoint"
tampered forged "DROP TRIGGER audit_checkpoints_no_update; UPDATE audit_checkpoints SET signature=randomblob(64) WHERE seq=$head_seq"
broken forged "$head_seq" "a forged checkpoint signature is found"
set +e; out=$(admin "$work/nowhere" audit-verify 2>/dev/null); rc=$?; set -e
[[ $rc -eq 1 ]] && jq -e '.errorCode=="notFound"' <<<"$out" >/dev/null || fail "audit-verify without a database: $rc $out"
[[ ! -e $work/nowhere/tillit.db ]] || fail "audit-verify created a database"
ok "audit-verify does not create a database"

echo "history_test: $passed checks passed"
