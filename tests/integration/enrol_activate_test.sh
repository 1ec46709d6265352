#!/usr/bin/env bash
# End to end, as people use it: tillit-server on a loopback port, two officers at the desk
# (tillit-desk), a resident's device (tillit-device). Enrol → four-eyes → issue → activate,
# duplicates, wrong codes, PIN lockout, revoke, restart without losing data.
# Usage: bash enrol_activate_test.sh BIN_DIR
bin=${1:?usage: enrol_activate_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Officers are created before the server starts and while it runs (admin opens the same DB).
a=$("$bin/tillit-server" admin --data "$work/data" add-officer --name "Anna Berg" --organisation "Migrationsverket Malmö" --role officer)
expect "$a" '.officerId and (.token | length > 20)' "add-officer prints id and token"
token_a=$(jq -r .token <<<"$a")
start_server
b=$("$bin/tillit-server" admin --data "$work/data" add-officer --name "Omar Said" --organisation "Migrationsverket Malmö" --role supervisor)
token_b=$(jq -r .token <<<"$b")
rp=$("$bin/tillit-server" admin --data "$work/data" add-rp --name "Exempelkommun")
expect "$rp" '.rpId and (.apiKey | length > 20)' "add-rp prints id and key"
! grep -q "$token_a" "$work/data"/* 2>/dev/null || fail "token stored in clear"
ok "tokens not stored in clear"

desk_a() { "$bin/tillit-desk" --server "$url" --token "$token_a" "$@"; }
desk_b() { "$bin/tillit-desk" --server "$url" --token "$token_b" "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)

# 1. Strong evidence: level 3, no approval needed, issue, activate.
out=$(desk_a enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
expect "$out" '.status == "ready" and .assuranceLevel == 3' "passport + chip + face is level 3, ready"
enr1=$(jq -r .enrolmentId <<<"$out")
out=$(desk_a issue "$enr1")
expect "$out" '(.identifier | length == 12) and (.activationCode | length > 0) and .expiresAt' "issue gives identifier and code"
id1=$(jq -r .identifier <<<"$out"); code1=$(jq -r .activationCode <<<"$out")
"$bin/tillit-id" check "$id1" >/dev/null || fail "issued identifier does not validate"
ok "issued identifier validates"

# Wrong code first (same handle, wrong secret), then the right one.
wrong="${code1:0:15}$( [[ ${code1: -1} == A ]] && echo B || echo A )"
set +e; out=$("$bin/tillit-device" --home "$work/dev1" activate --server "$url" --code "$wrong" --pin 482915); rc=$?; set -e
[[ $rc -ne 0 ]] || fail "wrong code accepted"
expect "$out" '.errorCode == "invalidCode"' "wrong activation code refused"
out=$("$bin/tillit-device" --home "$work/dev1" activate --server "$url" --code "$code1" --pin 482915)
expect "$out" ".identifier == \"$id1\" and (.credentialSerial | length > 0)" "device activates"
serial1=$(jq -r .credentialSerial <<<"$out")
out=$("$bin/tillit-device" --home "$work/dev1" show)
expect "$out" ".identifier == \"$id1\" and .givenName == \"Amal\" and .assuranceLevel == 3 and .credentialSerial == \"$serial1\"" "device shows its eID"
set +e; out=$("$bin/tillit-device" --home "$work/dev2" activate --server "$url" --code "$code1" --pin 482915); rc=$?; set -e
[[ $rc -ne 0 ]] && jq -e '.errorCode == "invalidCode"' <<<"$out" >/dev/null || fail "code reused: $out"
ok "a used code cannot activate a second device"

# 2. Weak evidence: level 1 → four-eyes.
out=$(desk_a enrol --given-name Yusuf --surname Ali --birth-date 1985 --nationality AFG --evidence "none:::")
expect "$out" '.status == "needs-approval" and .assuranceLevel == 1' "no evidence: level 1 needs approval"
enr2=$(jq -r .enrolmentId <<<"$out")
set +e; out=$(desk_a issue "$enr2"); rc=$?; set -e
[[ $rc -ne 0 ]] && jq -e '.errorCode == "approvalRequired"' <<<"$out" >/dev/null || fail "issued without approval: $out"
ok "issue before approval refused"
set +e; out=$(desk_a approve "$enr2"); rc=$?; set -e
[[ $rc -ne 0 ]] && jq -e '.errorCode == "sameOfficer"' <<<"$out" >/dev/null || fail "self-approval: $out"
ok "an officer cannot approve their own enrolment"
out=$(desk_b approve "$enr2")
expect "$out" '.status == "approved"' "second officer approves"
out=$(desk_a issue "$enr2")
expect "$out" '.identifier | length == 12' "approved enrolment issues"
id2=$(jq -r .identifier <<<"$out")
[[ $id2 != "$id1" ]] || fail "two people got one identifier"

# 3. Hard duplicate: the same passport again.
out=$(desk_b enrol --given-name Amal --surname Hasan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N 123 4567:SYR:$expiry" --check chip-read --check face-to-photo)
expect "$out" ".status == \"duplicate\" and .existingIdentifier == \"$id1\"" "same passport is a hard duplicate"
# 4. Possible duplicate: similar name, same birth year and nationality.
out=$(desk_b enrol --given-name Youssef --surname Ali --birth-date 1985-06-01 --nationality AFG \
  --evidence "passport:P998877:AFG:$expiry" --check visual-security-features --check face-to-photo)
expect "$out" '.status == "needs-approval" and (.possibleDuplicates | length >= 1)' "similar name is a possible duplicate"
enr4=$(jq -r .enrolmentId <<<"$out")
set +e; out=$(desk_a approve "$enr4"); rc=$?; set -e
[[ $rc -ne 0 ]] || fail "approved with unresolved match: $out"
ok "approval waits for resolution"
out=$(desk_b resolve "$enr4" --different --reason "different father's name on documents")
expect "$out" '.enrolmentId' "resolve as different person"
out=$(desk_a approve "$enr4")
out=$(desk_b issue "$enr4")
expect "$out" '.identifier | length == 12' "resolved and approved enrolment issues"

# 5. Bad input and authentication.
set +e
out=$("$bin/tillit-desk" --server "$url" --token wrong-token search Amal); rc=$?
set -e
[[ $rc -ne 0 ]] && jq -e '.errorCode == "unauthorized"' <<<"$out" >/dev/null || fail "wrong token: $out"
ok "wrong officer token is refused"
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/desk/v1/enrolments" -H "Authorization: Bearer $token_a" -H 'Content-Type: application/json' --data '{"person":')
[[ $code == 400 ]] && jq -e '.errorCode == "invalidParameters"' "$work/body" >/dev/null || fail "malformed JSON: $code"
ok "malformed JSON is 400 invalidParameters"
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/desk/v1/enrolments" -H "Authorization: Bearer $token_a" -H 'Content-Type: text/plain' --data '{}')
[[ $code == 415 ]] || fail "wrong content type: $code"
ok "wrong content type is 415"
head -c 70000 /dev/zero | tr '\0' 'a' > "$work/big"
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/desk/v1/enrolments" -H "Authorization: Bearer $token_a" -H 'Content-Type: application/json' --data-binary @"$work/big")
[[ $code == 413 ]] || fail "huge body: $code"
ok "huge body is 413"

# 6. PIN lockout on the device: 5 wrong PINs destroy the key.
for i in 1 2 3 4; do
  set +e; out=$("$bin/tillit-device" --home "$work/dev1" change-pin --pin 000001 --new-pin 739164); rc=$?; set -e
  [[ $rc -ne 0 ]] && jq -e ".errorCode == \"wrongPin\" and .attemptsLeft == $((5 - i))" <<<"$out" >/dev/null || fail "wrong PIN $i: $out"
done
ok "wrong PINs count down"
set +e; out=$("$bin/tillit-device" --home "$work/dev1" change-pin --pin 000001 --new-pin 739164); rc=$?; set -e
jq -e '.errorCode == "pinLocked" or .errorCode == "wrongPin"' <<<"$out" >/dev/null || fail "fifth wrong PIN: $out"
set +e; out=$("$bin/tillit-device" --home "$work/dev1" change-pin --pin 482915 --new-pin 739164); rc=$?; set -e
jq -e '.errorCode == "pinLocked"' <<<"$out" >/dev/null || fail "right PIN after lockout: $out"
ok "after 5 wrong PINs even the right PIN is refused"

# 7. Revoke; restart; nothing lost.
out=$(desk_b revoke "$id1" --reason "phone stolen")
expect "$out" ".identifier == \"$id1\" and .revokedCredentials == 1" "revoke stops the credential"
stop_server
start_server
out=$(desk_a search Hassan)
expect "$out" "[.results[] | select(.identifier == \"$id1\")] | length == 1" "after restart the person is still there"

# 8. A revoked officer's token stops working at once, on the running server.
out=$("$bin/tillit-server" admin --data "$work/data" revoke-officer --officer-id "$(jq -r .officerId <<<"$a")")
expect "$out" '.status == "revoked"' "revoke-officer"
set +e; out=$(desk_a search Hassan); rc=$?; set -e
[[ $rc -ne 0 ]] && jq -e '.errorCode == "unauthorized"' <<<"$out" >/dev/null || fail "revoked token still works: $out"
ok "a revoked officer token is refused"
out=$(desk_b search Hassan)
expect "$out" '.results | length >= 1' "other officers keep working"
set +e; "$bin/tillit-server" admin --data "$work/data" revoke-officer --officer-id off_nosuchofficer >/dev/null 2>&1; rc=$?; set -e
[[ $rc -ne 0 ]] || fail "revoking an unknown officer succeeded"
ok "revoking an unknown officer fails"
out=$("$bin/tillit-server" admin --data "$work/data" list-officers)
expect "$out" "[.officers[] | select(.officerId == \"$(jq -r .officerId <<<"$a")\" and .name == \"Anna Berg\" and .role == \"officer\" and (.revokedAt | type) == \"number\")] | length == 1" "list-officers shows the revoked officer"
expect "$out" "[.officers[] | select(.officerId == \"$(jq -r .officerId <<<"$b")\" and .role == \"supervisor\" and .organisation == \"Migrationsverket Malmö\" and .revokedAt == null)] | length == 1" "list-officers shows the active one"
! grep -qF -- "$token_b" <<<"$out" || fail "list-officers prints a token"

# 9. Concurrent enrolments and issues over HTTP never give two people one identifier.
given=(Anna Beata Cecilia Dagmar Ebba Frida Greta Hedda Ida Jonna Karin Lova)
family=(Lind Berg Holm Ek Strand Dahl Sund Falk Wik Nyberg Sjoberg Lund)
pids=()
for i in $(seq 1 12); do
  (
    o=$(desk_b enrol --given-name "${given[i-1]}" --surname "${family[i-1]}" --birth-date "$((1960 + i))-01-01" \
      --nationality SWE --evidence "passport:C${i}00${i}:SWE:$expiry" --check chip-read --check face-to-photo)
    desk_b issue "$(jq -r .enrolmentId <<<"$o")" | jq -r .identifier > "$work/conc.$i"
  ) &
  pids+=($!)
done
wait "${pids[@]}"  # not a bare wait: the server is a background job of this shell too
ids=$(cat "$work"/conc.* | sort)
[[ $(wc -l <<<"$ids") -eq 12 ]] || fail "not every concurrent issue answered: $ids"
[[ -z $(uniq -d <<<"$ids") ]] || fail "duplicate identifiers under concurrency: $ids"
for id in $ids; do "$bin/tillit-id" check "$id" >/dev/null || fail "invalid identifier $id"; done
ok "12 concurrent enrolments get 12 distinct valid identifiers"
echo "$passed passed, 0 failed"
