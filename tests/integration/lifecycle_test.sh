#!/usr/bin/env bash
# End to end, the eID's life after issue (docs/desk-api.md §After issue): a resident logs in
# through the real flow (e-service order, animated QR, tillit-device); the desk suspends and
# resumes the eID, links a personnummer, replaces the phone (four-eyes for weak evidence),
# and revokes; each step is checked where it shows: at login and at the desk.
# Usage: bash lifecycle_test.sh BIN_DIR
bin=${1:?usage: lifecycle_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

admin() { "$bin/tillit-server" admin --data "$work/data" "$@"; }
token_a=$(admin add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
token_b=$(admin add-officer --name "Omar Said" --organisation "Migrationsverket" --role supervisor | jq -r .token)
key=$(admin add-rp --name "Exempelkommun" | jq -r .apiKey)
start_server
desk_a() { "$bin/tillit-desk" --server "$url" --token "$token_a" "$@"; }
desk_b() { "$bin/tillit-desk" --server "$url" --token "$token_b" "$@"; }
device() { local home=$1; shift; "$bin/tillit-device" --home "$work/$home" "$@"; }
# must_fail CODE CMD...: CMD exits non-zero printing {"errorCode": CODE}.
must_fail() {
  local want=$1 out rc; shift
  set +e; out=$("$@" 2>/dev/null); rc=$?; set -e
  [[ $rc -ne 0 ]] || fail "expected $want, command succeeded: $out"
  jq -e ".errorCode == \"$want\"" <<<"$out" >/dev/null || fail "expected $want, got: $out"
}
expiry=$(date -u -d '+3 years' +%Y-%m-%d)
pnr=19121212-1212  # Skatteverket's test personnummer (Luhn-valid)

# --- the e-service (as in login_sign_test.sh) --------------------------------------------
rp() {
  curl -s -o "$work/body" -w '%{http_code}' -X POST "$url$1" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary "$2"
}
start() {
  local code
  code=$(rp /rp/v1/auth '{"endUserIp":"192.0.2.7"}')
  [[ $code == 200 ]] || fail "auth: $code $(cat "$work/body")"
  order=$(jq -r .orderRef "$work/body"); token=$(jq -r .qrStartToken "$work/body")
  secret=$(jq -r .qrStartSecret "$work/body"); started_ms=$(date +%s%3N)
}
collect() { rp /rp/v1/collect "{\"orderRef\":\"$order\"}" >/dev/null; cat "$work/body"; }
qr() {
  local t=$(( ($(date +%s%3N) - started_ms) / 1000 ))
  "$bin/tillit-qr" login --start-token "$token" --secret "$secret" --seconds "$t"
}
# login HOME PIN: a full login with that device; prints the collect answer.
login() {
  start
  device "$1" scan --qr "$(qr)" --pin "$2" --approve >/dev/null
  collect
}
# login_refused HOME PIN: the device is refused with certificateErr, the order fails so.
login_refused() {
  start
  must_fail certificateErr device "$1" scan --qr "$(qr)" --pin "$2" --approve
  expect "$(collect)" '.status=="failed" and .hintCode=="certificateErr"' "$3"
}

# --- set-up: Amal, enrolled, issued, activated --------------------------------------------
out=$(desk_a enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
out=$(desk_a issue "$(jq -r .enrolmentId <<<"$out")")
id=$(jq -r .identifier <<<"$out"); code=$(jq -r .activationCode <<<"$out")
device dev1 activate --server "$url" --code "$code" --pin 482915 >/dev/null
expect "$(login dev1 482915)" ".status==\"complete\" and .completionData.user.identifier==\"$id\" and (.completionData.user|has(\"personalNumber\")|not)" "set-up: the resident logs in"

# --- suspend and resume -------------------------------------------------------------------
expect "$(desk_a suspend "$id" --reason "phone reported lost")" ".identifier==\"$id\" and .suspendedCredentials==1" "suspend: one credential"
expect "$(desk_a person "$id")" '.status=="suspended" and .credentials[0].status=="suspended"' "the person view shows the suspended credential"
login_refused dev1 482915 "a suspended eID cannot log in (certificateErr)"
must_fail invalidTransition desk_a suspend "$id" --reason "again"
ok "suspending twice is invalidTransition"
must_fail invalidParameters desk_a suspend "$id" --reason ""
ok "an empty reason is invalidParameters"
expect "$(desk_b resume "$id" --reason "phone found")" '.resumedCredentials==1' "resume by another officer"
must_fail invalidTransition desk_a resume "$id" --reason "again"
ok "resuming a good eID is invalidTransition"
expect "$(login dev1 482915)" ".status==\"complete\" and .completionData.user.identifier==\"$id\"" "after resume the eID logs in again"

# --- personnummer (id-växling) ------------------------------------------------------------
must_fail invalidParameters desk_a link "$id" --personnummer 19121212-1213
ok "a personnummer with a wrong check digit is refused"
must_fail invalidParameters desk_a link "$id" --personnummer 701063-2391
ok "a samordningsnummer is not a personnummer"
expect "$(desk_a link "$id" --personnummer "$pnr")" ".identifier==\"$id\" and .alreadyLinked==false" "link the personnummer"
expect "$(desk_a link "$id" --personnummer 191212121212)" '.alreadyLinked==true' "linking it again is idempotent"
expect "$(login dev1 482915)" ".status==\"complete\" and .completionData.user.identifier==\"$id\" and .completionData.user.personalNumber==\"191212121212\"" "login carries user.personalNumber, same identifier"
expect "$(desk_a search "$pnr")" "(.results|length)==1 and .results[0].identifier==\"$id\"" "desk search by personnummer finds the person"
expect "$(desk_a person "$id")" '.personnummer=="191212121212"' "the person view shows the personnummer"
audit=$(sqlite3 "file:$work/data/tillit.db?mode=ro" 'SELECT action, detail_json FROM audit_log' 2>&1) || fail "reading the audit log: $audit"
grep -q '^personnummerLinked|' <<<"$audit" || fail "no personnummerLinked audit entry: $audit"
! grep -q '1212121212' <<<"$audit" || fail "personnummer in the audit log"
ok "linking is audited, without the personnummer"
out=$(desk_a enrol --given-name Yusuf --surname Ali --birth-date 1985 --nationality AFG \
  --evidence "passport:P7654321:AFG:$expiry" --check chip-read --check face-to-photo)
id2=$(desk_a issue "$(jq -r .enrolmentId <<<"$out")" | jq -r .identifier)
must_fail conflict desk_a link "$id2" --personnummer "$pnr"
ok "a personnummer linked to another person is conflict"

# --- device replacement -------------------------------------------------------------------
must_fail expiredEvidence desk_a replace "$id" --evidence "passport:N1234567:SYR:2020-01-01" --check chip-read --check face-to-photo
ok "replace with expired evidence is refused"
must_fail notFound desk_a replace YYYJPZRBD8ST --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo
ok "replace of an unknown identifier is notFound"
out=$(desk_a replace "$id" --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
expect "$out" ".identifier==\"$id\" and .status==\"issued\" and .assuranceLevel==3 and (.activationCode|length)==19 and .expiresAt and (.activationQr|startswith(\"tillit-activate:v1:\"))" "replace gives a new activation code for the same identifier"
code2=$(jq -r .activationCode <<<"$out")
login_refused dev1 482915 "the old device is refused after replacement (certificateErr)"
device dev1b activate --server "$url" --code "$code2" --pin 604817 >/dev/null
expect "$(login dev1b 604817)" ".status==\"complete\" and .completionData.user.identifier==\"$id\" and .completionData.user.assuranceLevel==3 and .completionData.user.personalNumber==\"191212121212\"" "the new device logs in with the same identifier"
expect "$(desk_a person "$id")" '(.credentials|length)==2 and ([.credentials[].status]|sort)==["good","revoked"]' "the person view shows the old credential revoked, the new good"

# Weak evidence: four-eyes. The request changes nothing until a second officer approves.
out=$(desk_a replace "$id" --evidence "none:::")
expect "$out" '.status=="needs-approval" and .assuranceLevel==1 and (has("activationCode")|not)' "a level-1 replacement needs approval"
enr=$(jq -r .enrolmentId <<<"$out")
must_fail approvalRequired desk_a replace "$id" --enrolment "$enr"
ok "carrying it out before approval is approvalRequired"
expect "$(login dev1b 604817)" '.status=="complete"' "the current device still works while the replacement waits"
must_fail sameOfficer desk_a approve "$enr"
ok "the requesting officer cannot approve"
desk_b approve "$enr" >/dev/null
must_fail invalidTransition desk_a issue "$enr"
ok "a replacement enrolment never issues a new identifier"
out=$(desk_a replace "$id" --enrolment "$enr")
expect "$out" ".identifier==\"$id\" and .status==\"issued\" and .assuranceLevel==1 and (.activationCode|length)==19" "after approval the replacement is carried out"
login_refused dev1b 604817 "the replaced device is refused"
device dev1c activate --server "$url" --code "$(jq -r .activationCode <<<"$out")" --pin 739152 >/dev/null
expect "$(login dev1c 739152)" ".status==\"complete\" and .completionData.user.identifier==\"$id\" and .completionData.user.assuranceLevel==1" "the third device logs in at level 1"

# --- revoke is final ----------------------------------------------------------------------
out=$(desk_a replace "$id" --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
code4=$(jq -r .activationCode <<<"$out")
# (the replacement already revoked the third device's credential; the new code is unused)
expect "$(desk_a revoke "$id" --reason "fraud suspected")" '.revokedCredentials==0' "revoke"
must_fail codeExpired device dev1d activate --server "$url" --code "$code4" --pin 739152
ok "revoke cancels the unused replacement code"
must_fail invalidTransition desk_a replace "$id" --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo
ok "replace of a revoked person is invalidTransition"
must_fail invalidTransition desk_a resume "$id" --reason "x"
ok "resume of a revoked person is invalidTransition"
login_refused dev1c 739152 "the last device stays refused"
audit=$(sqlite3 "file:$work/data/tillit.db?mode=ro" 'SELECT action FROM audit_log' 2>&1)
for action in credentialSuspended credentialResumed personnummerLinked deviceReplacementRequested deviceReplaced credentialsRevoked; do
  grep -qx "$action" <<<"$audit" || fail "no $action audit entry"
done
ok "every lifecycle step is in the audit log"

# Nothing personal in the logs.
! grep -q "N1234567\|1212121212" "$work/server.out" "$work/server.err" || fail "personal data in the server log"
ok "no document number or personnummer in the server log"
echo "lifecycle: $passed checks passed"
