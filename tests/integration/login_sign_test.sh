#!/usr/bin/env bash
# End to end, as an e-service and a resident meet Tillit: tillit-server on a loopback port,
# the e-service played by this script with curl (it computes the animated QR itself, as a
# real e-service does on its server), the QR drawn to a PNG by the project's renderer
# (tillit-qr), and the resident's phone played by tillit-device, which reads the PNG.
# Then the result is checked offline with tillit-verify. docs/protocol.md is the contract.
# Usage: bash login_sign_test.sh BIN_DIR
bin=${1:?usage: login_sign_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- set-up: two officers, two e-services, two residents with activated devices -----------
admin() { "$bin/tillit-server" admin --data "$work/data" "$@"; }
token_a=$(admin add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
token_b=$(admin add-officer --name "Omar Said" --organisation "Migrationsverket" --role supervisor | jq -r .token)
rp1=$(admin add-rp --name "Exempelkommun"); key1=$(jq -r .apiKey <<<"$rp1")
rp2=$(admin add-rp --name "Annan tjänst"); key2=$(jq -r .apiKey <<<"$rp2")
start_server
desk_a() { "$bin/tillit-desk" --server "$url" --token "$token_a" "$@"; }
desk_b() { "$bin/tillit-desk" --server "$url" --token "$token_b" "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)

out=$(desk_a enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
id1=$(desk_a issue "$(jq -r .enrolmentId <<<"$out")" | jq -r .)
code1=$(jq -r .activationCode <<<"$id1"); id1=$(jq -r .identifier <<<"$id1")
"$bin/tillit-device" --home "$work/dev1" activate --server "$url" --code "$code1" --pin 482915 >/dev/null
out=$(desk_a enrol --given-name Yusuf --surname Ali --birth-date 1985 --nationality AFG --evidence "none:::")
enr2=$(jq -r .enrolmentId <<<"$out")
desk_b approve "$enr2" >/dev/null
out=$(desk_a issue "$enr2"); id2=$(jq -r .identifier <<<"$out"); code2=$(jq -r .activationCode <<<"$out")
"$bin/tillit-device" --home "$work/dev2" activate --server "$url" --code "$code2" --pin 571938 >/dev/null
ok "set-up: two residents with activated devices (levels 3 and 1)"

# --- the e-service's side ------------------------------------------------------------------
# rp KEY PATH BODY: POSTs BODY, leaves the answer in $work/body, prints the status code.
rp() {
  curl -s -o "$work/body" -w '%{http_code}' -X POST "$url$2" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' --data-binary "$3"
}
# start KEY PATH BODY: starts an order; sets order, token, secret, started_ms.
start() {
  local code
  code=$(rp "$1" "$2" "$3")
  [[ $code == 200 ]] || fail "start $2: $code $(cat "$work/body")"
  order=$(jq -r .orderRef "$work/body"); token=$(jq -r .qrStartToken "$work/body")
  secret=$(jq -r .qrStartSecret "$work/body"); started_ms=$(date +%s%3N)
}
collect() { rp "${2:-$key1}" /rp/v1/collect "{\"orderRef\":\"$1\"}" >/dev/null; cat "$work/body"; }
# qr [SECONDS] [TOKEN] [SECRET]: the QR text of the current order for the current second.
qr() {
  local t=${1:-$(( ($(date +%s%3N) - started_ms) / 1000 ))}
  "$bin/tillit-qr" login --start-token "${2:-$token}" --secret "${3:-$secret}" --seconds "$t"
}
b64() { printf '%s' "$1" | base64 -w0; }
device() { local home=$1; shift; "$bin/tillit-device" --home "$work/$home" "$@"; }
# must_fail CODE CMD...: CMD exits non-zero printing {"errorCode": CODE}.
must_fail() {
  local want=$1 out rc; shift
  set +e; out=$("$@" 2>/dev/null); rc=$?; set -e
  [[ $rc -ne 0 ]] || fail "expected $want, command succeeded: $out"
  jq -e ".errorCode == \"$want\"" <<<"$out" >/dev/null || fail "expected $want, got: $out"
}
ip='"endUserIp":"192.0.2.7"'

# An order left alone expires after 30 s: start it now, look at it at the end.
start "$key1" /rp/v1/auth "{$ip}"
idle_order=$order; idle_token=$token; idle_secret=$secret; idle_started_ms=$started_ms

# 1. Login: QR drawn to a PNG, read by the device's camera path, approved with the PIN.
start "$key1" /rp/v1/auth "{$ip}"
expect "$(jq . "$work/body")" '(.orderRef|length)==36 and (.autoStartToken|length)==36 and (.qrStartToken|length)==36 and (.qrStartSecret|length)==36' "auth answers orderRef and the QR tokens"
expect "$(collect "$order")" '.status=="pending" and .hintCode=="outstandingTransaction"' "collect: outstandingTransaction before the scan"
"$bin/tillit-qr" png --out "$work/login.png" "$(qr)"
out=$(device dev1 scan --image "$work/login.png" --pin 482915 --approve)
expect "$out" '.result=="approved" and .action=="auth" and .rp=="Exempelkommun" and (has("text")|not)' "device reads the QR from a PNG and approves"
result=$(collect "$order")
expect "$result" ".status==\"complete\" and .completionData.user.identifier==\"$id1\" and .completionData.user.givenName==\"Amal\" and .completionData.user.assuranceLevel==3 and (.completionData.device.credentialSerial|length)==32 and (.completionData.resultJws|split(\".\")|length)==3" "collect: complete with the user, device and result JWS"
echo "$result" > "$work/login.json"
curl -sf "$url/.well-known/tillit-ca.pem" > "$work/ca.pem"
curl -sf "$url/.well-known/jwks.json" > "$work/jwks.json"
expect "$(cat "$work/jwks.json")" '.keys[0].kty=="OKP" and .keys[0].crv=="Ed25519" and .keys[0].alg=="EdDSA"' "jwks.json publishes the Ed25519 result key"
out=$("$bin/tillit-verify" --ca "$work/ca.pem" --jwks "$work/jwks.json" "$work/login.json")
expect "$out" ".valid==true and .identifier==\"$id1\" and .action==\"auth\"" "tillit-verify accepts the login result offline"
login_order=$order

# A replayed device response (the signedData and signature from the result) is refused.
sd=$(jq -r .completionData.signedData <<<"$result" | tr '+/' '-_' | tr -d '=')
sig=$(jq -r .completionData.signature <<<"$result" | tr '+/' '-_' | tr -d '=')
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/device/v1/orders/respond" -H 'Content-Type: application/json' \
  --data "{\"orderRef\":\"$order\",\"signedData\":\"$sd\",\"signature\":\"$sig\"}")
[[ $code == 409 ]] && jq -e '.errorCode=="orderNotActive"' "$work/body" >/dev/null || fail "replay: $code $(cat "$work/body")"
ok "a replayed device response is refused"
# A tampered result fails offline verification.
jq '.completionData.user.identifier="AAAA-AAAA-AAAA"' "$work/login.json" > "$work/tampered.json"
set +e; out=$("$bin/tillit-verify" --ca "$work/ca.pem" --jwks "$work/jwks.json" "$work/tampered.json"); rc=$?; set -e
[[ $rc -eq 1 ]] && jq -e '.valid==false and (.reason|length>0)' <<<"$out" >/dev/null || fail "tampered result: $rc $out"
ok "tillit-verify refuses a tampered result"

# 2. Signing a text in several scripts: the device shows it and signs exactly those bytes.
text='Jag godkänner avtalet. أوافق على الشروط. 我同意。 Я согласен ✓'
start "$key1" /rp/v1/sign "{$ip,\"userVisibleData\":\"$(b64 "$text")\",\"userNonVisibleData\":\"$(b64 'ref:4711')\"}"
out=$(device dev1 scan --qr "$(qr)" --pin 482915 --approve)
expect "$out" '.result=="approved" and .action=="sign"' "device approves a signature"
[[ $(jq -r .text <<<"$out") == "$text" ]] || fail "device showed other text: $(jq -r .text <<<"$out")"
ok "the device shows the text byte for byte"
result=$(collect "$order"); echo "$result" > "$work/sign.json"
expect "$result" '.status=="complete"' "collect: sign complete"
out=$("$bin/tillit-verify" --ca "$work/ca.pem" --jwks "$work/jwks.json" "$work/sign.json")
expect "$out" '.valid==true and .action=="sign"' "tillit-verify accepts the signature"
[[ $(jq -r .text <<<"$out") == "$text" ]] || fail "verified text differs"
ok "the verified text is the text the device showed"

# 3. QR codes the issuer must refuse, each leaving the order as it was.
start "$key1" /rp/v1/auth "{$ip}"
good=$(qr); bad="${good%?}$( [[ ${good: -1} == 0 ]] && echo 1 || echo 0 )"
must_fail qrInvalid device dev1 scan --qr "$bad" --pin 482915 --approve
expect "$(collect "$order")" '.hintCode=="outstandingTransaction"' "a QR with a wrong HMAC is refused; order unchanged"
must_fail qrInvalid device dev1 scan --qr "not a tillit code" --approve
ok "text that is not a login QR is refused on the device"
first_order=$order; first_token=$token
start "$key1" /rp/v1/auth "{$ip}"
must_fail qrInvalid device dev1 scan --qr "$(qr '' "$first_token" "$secret")" --pin 482915 --approve
expect "$(collect "$first_order")" '.hintCode=="outstandingTransaction"' "a QR mixing two orders is refused; both unchanged"
must_fail qrExpired device dev1 scan --qr "$(qr 40)" --pin 482915 --approve
ok "a QR from the future is refused"

# 4. One order, one device: dev1 scans and stops at the PIN; dev2 cannot take over.
must_fail wrongPin device dev1 scan --qr "$(qr)" --pin 111111 --approve
expect "$(collect "$order")" '.hintCode=="userSign"' "after the scan the order waits for the PIN (userSign)"
must_fail orderNotActive device dev2 scan --qr "$(qr)" --pin 571938 --approve
expect "$(collect "$order")" '.hintCode=="userSign"' "a second device cannot scan the same order"

# 5. Decline on the device.
start "$key1" /rp/v1/auth "{$ip}"
out=$(device dev1 scan --qr "$(qr)" --decline)
expect "$out" '.result=="declined"' "device declines"
expect "$(collect "$order")" '.status=="failed" and .hintCode=="userCancel"' "collect: failed userCancel"

# 6. The e-service cancels.
start "$key1" /rp/v1/auth "{$ip}"
code=$(rp "$key1" /rp/v1/cancel "{\"orderRef\":\"$order\"}"); [[ $code == 200 && $(cat "$work/body") == "{}" ]] || fail "cancel: $code"
expect "$(collect "$order")" '.status=="failed" and .hintCode=="cancelled"' "cancel: failed cancelled"
code=$(rp "$key1" /rp/v1/cancel "{\"orderRef\":\"$order\"}"); [[ $code == 400 ]] || fail "cancel twice: $code"
ok "cancelling a finished order is 400"
must_fail orderNotActive device dev1 scan --qr "$(qr)" --pin 482915 --approve
ok "a cancelled order cannot be scanned"

# 7. Assurance level and credential status.
start "$key1" /rp/v1/auth "{$ip,\"requirement\":{\"minAssuranceLevel\":3}}"
must_fail certificateErr device dev2 scan --qr "$(qr)" --pin 571938 --approve
expect "$(collect "$order")" '.status=="failed" and .hintCode=="certificateErr"' "a level-1 eID cannot complete a level-3 order"
start "$key1" /rp/v1/auth "{$ip,\"requirement\":{\"identifier\":\"$id1\"}}"
must_fail identifierMismatch device dev2 scan --qr "$(qr)" --pin 571938 --approve
expect "$(collect "$order")" '.hintCode=="outstandingTransaction"' "another person cannot take an order for $id1"
# A second order for the same person: refused, and the first is cancelled.
pending=$order
code=$(rp "$key2" /rp/v1/auth "{$ip,\"requirement\":{\"identifier\":\"$id1\"}}")
[[ $code == 409 ]] && jq -e '.errorCode=="alreadyInProgress"' "$work/body" >/dev/null || fail "second order: $code"
expect "$(collect "$pending")" '.status=="failed" and .hintCode=="cancelled"' "alreadyInProgress cancels the pending order"
desk_a revoke "$id2" --reason "device stolen" >/dev/null
start "$key1" /rp/v1/auth "{$ip}"
must_fail certificateErr device dev2 scan --qr "$(qr)" --pin 571938 --approve
expect "$(collect "$order")" '.status=="failed" and .hintCode=="certificateErr"' "a revoked eID cannot log in"

# 8. Another e-service cannot see the order; bad requests change nothing.
code=$(rp "$key2" /rp/v1/collect "{\"orderRef\":\"$login_order\"}"); [[ $code == 404 ]] || fail "foreign collect: $code"
ok "collect of another e-service's order is 404"
start "$key1" /rp/v1/auth "{$ip}"; probe=$order
check_error() {  # check_error STATUS CODE PATH BODY [KEY] [CONTENT-TYPE]
  local got
  got=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url$3" -H "Authorization: Bearer ${5-$key1}" \
    -H "Content-Type: ${6:-application/json}" --data-binary "$4")
  [[ $got == "$1" ]] && jq -e ".errorCode==\"$2\"" "$work/body" >/dev/null || fail "$3 $4: want $1 $2, got $got $(cat "$work/body")"
}
check_error 401 unauthorized /rp/v1/auth "{$ip}" wrong-key
check_error 401 unauthorized /rp/v1/collect "{\"orderRef\":\"$probe\"}" ""
check_error 415 unsupportedMediaType /rp/v1/auth "{$ip}" "$key1" text/plain
check_error 400 invalidParameters /rp/v1/auth '{"endUserIp":'
check_error 400 invalidParameters /rp/v1/auth '[]'
check_error 400 invalidParameters /rp/v1/auth '{}'
check_error 400 invalidParameters /rp/v1/auth '{"endUserIp":7}'
check_error 400 invalidParameters /rp/v1/auth '{"endUserIp":"not-an-ip"}'
check_error 400 invalidParameters /rp/v1/auth "{$ip,\"unknown\":1}"
check_error 400 invalidParameters /rp/v1/auth "{$ip,\"requirement\":{\"minAssuranceLevel\":4}}"
check_error 400 invalidParameters /rp/v1/auth "{$ip,\"requirement\":{\"identifier\":\"12345\"}}"
check_error 400 invalidParameters /rp/v1/auth "{$ip,\"userVisibleData\":\"***\"}"
check_error 400 invalidParameters /rp/v1/sign "{$ip}"
big=$(head -c 40001 /dev/zero | tr '\0' 'a' | base64 -w0)
check_error 400 invalidParameters /rp/v1/sign "{$ip,\"userVisibleData\":\"$big\"}"
huge=$(head -c 70000 /dev/zero | tr '\0' 'a')
check_error 413 requestTooLarge /rp/v1/auth "{$ip,\"userNonVisibleData\":\"$huge\"}"
check_error 400 invalidParameters /rp/v1/collect '{"orderRef":"not-a-uuid"}'
check_error 400 invalidParameters /rp/v1/collect '{"orderRef":42}'
check_error 404 notFound /rp/v1/collect '{"orderRef":"3b9c6f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}'
check_error 404 notFound /rp/v1/cancel "{\"orderRef\":\"$probe\"}" "$key2"
expect "$(collect "$probe")" '.status=="pending" and .hintCode=="outstandingTransaction"' "every malformed request was refused and changed nothing"

# 9. The order left alone: an old QR for it is refused, then it expires (30 s, no scan).
idle_ms() { echo $(( $(date +%s%3N) - idle_started_ms )); }
# On a slow or busy machine steps 1-8 may outlast the first idle order's 30 s; then a new
# one is started here, so the old-QR check always meets a live order.
if (( $(idle_ms) > 20000 )); then
  start "$key1" /rp/v1/auth "{$ip}"
  idle_order=$order; idle_token=$token; idle_secret=$secret; idle_started_ms=$started_ms
fi
while (( $(idle_ms) < 7000 )); do sleep 0.5; done
must_fail qrExpired device dev1 scan --qr "$(qr 0 "$idle_token" "$idle_secret")" --pin 482915 --approve
expect "$(collect "$idle_order")" '.status=="pending" and .hintCode=="outstandingTransaction"' "a QR older than 5 s is refused; order unchanged"
while [[ $(collect "$idle_order" | jq -r .status) == pending ]]; do
  (( $(idle_ms) < 45000 )) || fail "the idle order never expired"
  sleep 1
done
(( $(idle_ms) >= 29000 )) || fail "the idle order expired early, after $(idle_ms) ms"
expect "$(collect "$idle_order")" '.status=="failed" and .hintCode=="expiredTransaction"' "an order nobody scans expires after 30 s"

# 10. A completed login survives a restart of the issuer.
stop_server
start_server
expect "$(collect "$login_order")" ".status==\"complete\" and .completionData.user.identifier==\"$id1\"" "a completed result is collectable after a restart"

# 11. admin revoke-rp beside the running server: the e-service's key fails within the
# server's 1 s look-up cache, collect of its own pending order included; others go on.
start "$key2" /rp/v1/auth "{$ip}"  # also puts key2 in the server's cache
rp2_order=$order
rp2_id=$(jq -r .rpId <<<"$rp2")
out=$(admin revoke-rp --rp-id "$rp2_id")
expect "$out" ".rpId == \"$rp2_id\" and .status == \"revoked\"" "revoke-rp prints the id and revoked"
revoked_ms=$(date +%s%3N)
while [[ $(rp "$key2" /rp/v1/auth "{$ip}") != 401 ]]; do
  (( $(date +%s%3N) - revoked_ms < 5000 )) || fail "key2 still works 5 s after revoke-rp: $(cat "$work/body")"
  sleep 0.2
done
jq -e '.errorCode == "unauthorized"' "$work/body" >/dev/null || fail "revoked key: $(cat "$work/body")"
check_error 401 unauthorized /rp/v1/collect "{\"orderRef\":\"$rp2_order\"}" "$key2"
ok "a revoked e-service's key is 401 unauthorized, for collect of its own order too"
start "$key1" /rp/v1/auth "{$ip}"
ok "the other e-service keeps working"
out=$(admin revoke-rp --rp-id "$rp2_id")
expect "$out" '.status == "revoked"' "revoking again succeeds"
set +e; err=$(admin revoke-rp --rp-id rp_nosuchparty 2>&1 >/dev/null); rc=$?; set -e
[[ $rc -eq 1 && $err == *notFound* ]] || fail "unknown e-service: exit $rc: $err"
ok "revoking an unknown e-service is notFound, exit 1"
set +e; err=$("$bin/tillit-server" admin --data "$work/typo" revoke-rp --rp-id "$rp2_id" 2>&1 >/dev/null); rc=$?; set -e
[[ $rc -eq 1 && $err == *notFound* && ! -e $work/typo ]] || fail "revoke-rp on no database: exit $rc: $err"
ok "revoke-rp on a directory without a database is notFound and creates nothing"
for bad in "" "--rp-id" "--officer-id $rp2_id" "--rp-id $rp2_id --name X"; do
  set +e; err=$(admin revoke-rp $bad 2>&1 >/dev/null); rc=$?; set -e
  [[ $rc -eq 2 && $err == *usage:* ]] || fail "revoke-rp $bad: exit $rc: $err"
done
ok "revoke-rp usage errors exit 2 with the usage"
help=$(admin revoke-rp --help)
[[ $help == *"revoke-rp --rp-id ID"* ]] || fail "revoke-rp --help: $help"
ok "revoke-rp --help"
expect "$(admin audit-verify)" '.ok == true' "the audit chain holds after admin writes beside the server"
rp1_id=$(jq -r .rpId <<<"$rp1")
out=$(admin list-rps)
expect "$out" "[.relyingParties[] | select(.rpId == \"$rp2_id\" and .name == \"Annan tjänst\" and (.revokedAt | type) == \"number\" and .clientSubject == null)] | length == 1" "list-rps shows the revoked e-service with its time"
expect "$out" "([.relyingParties[] | select(.rpId == \"$rp1_id\" and .revokedAt == null)] | length == 1) and ([.relyingParties[].rpId] | . == sort)" "list-rps shows the active one, ordered by id"
! grep -qF -- "$key1" <<<"$out" || fail "list-rps prints an API key"
set +e; err=$(admin list-rps --rp-id "$rp1_id" 2>&1 >/dev/null); rc=$?; set -e
[[ $rc -eq 2 && $err == *"unknown option --rp-id"* ]] || fail "list-rps --rp-id: exit $rc: $err"
set +e; err=$(admin list-rps --ca-key-passphrase-env X 2>&1 >/dev/null); rc=$?; set -e
[[ $rc -eq 2 ]] || fail "list-rps with a CA key flag: exit $rc: $err"
ok "list-rps takes no other flag"
set +e; out=$("$bin/tillit-server" admin --data "$work/nosuchdir" list-rps 2>/dev/null); rc=$?; set -e
[[ $rc -eq 1 ]] && jq -e '.errorCode == "notFound"' <<<"$out" >/dev/null || fail "list-rps on no database: exit $rc: $out"
[[ ! -e $work/nosuchdir ]] || fail "list-rps created a data directory"
ok "list-rps on a directory without a database is notFound and creates nothing"

# 11b. admin rotate-rp-key beside the running server: the new key works at once, the old
# one fails within the 1 s cache; a revoked e-service cannot get a new key.
old_key1=$key1
out=$(admin rotate-rp-key --rp-id "$rp1_id")
expect "$out" ".rpId == \"$rp1_id\" and (.apiKey | length == 43) and .apiKey != \"$old_key1\"" "rotate-rp-key prints a new key"
key1=$(jq -r .apiKey <<<"$out")
start "$key1" /rp/v1/auth "{$ip}"
ok "the new key works at once"
rotated_ms=$(date +%s%3N)
while [[ $(rp "$old_key1" /rp/v1/auth "{$ip}") != 401 ]]; do
  (( $(date +%s%3N) - rotated_ms < 5000 )) || fail "the old key still works 5 s after rotate-rp-key"
  sleep 0.2
done
ok "the old key is 401 unauthorized"
expect "$(collect "$order")" '.status=="pending"' "the new key collects an order it started"
set +e; err=$(admin rotate-rp-key --rp-id "$rp2_id" 2>&1 >/dev/null); rc=$?; set -e
[[ $rc -eq 1 && $err == *conflict* ]] || fail "rotate-rp-key of a revoked e-service: exit $rc: $err"
ok "a revoked e-service gets no new key (conflict, exit 1)"
set +e; err=$(admin rotate-rp-key 2>&1 >/dev/null); rc=$?; set -e
[[ $rc -eq 2 && $err == *"rotate-rp-key takes --rp-id ID"* ]] || fail "rotate-rp-key without --rp-id: exit $rc: $err"
ok "rotate-rp-key without --rp-id is a usage error"

# 12. No secret in the server's log.
for s in "$old_key1" "$key1" "$key2" "$token_a" "$token_b" "$secret" 482915 571938; do
  ! grep -qF -- "$s" "$work/server.out" "$work/server.err" || fail "a secret appears in the server log"
done
ok "no API key, officer token, QR secret or PIN in the server log"

echo "login_sign_test: $passed checks passed"
