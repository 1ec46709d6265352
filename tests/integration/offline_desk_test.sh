#!/usr/bin/env bash
# Offline desks end to end (docs/offline-desk.md): a central tillit-server and two desks,
# each a tillit-server on its own data directory and port. The centre leases a block of
# identifiers to each desk; the centre and both desks enrol and issue at the same time;
# the desks export their persons and the centre imports them. Then: every identifier is
# unique across all three, every person is at the centre, re-import changes nothing, and
# the refusals (lease loaded twice, tampered or foreign files, a desk claiming another
# desk's lease, an exhausted lease, a conflicting person) hold.
# Usage: bash offline_desk_test.sh BIN_DIR
bin=${1:?usage: offline_desk_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

desk_pids=()
offline_cleanup() {
  for pid in "${desk_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  cleanup
}
trap offline_cleanup EXIT

admin() { "$bin/tillit-server" admin --data "$@"; }
# run_fail CMD...: runs a command that must fail; its stdout goes to $out, its status to $rc.
run_fail() { set +e; out=$("$@" 2>>"$work/admin.err"); rc=$?; set -e; [[ $rc -ne 0 ]] || fail "succeeded: $* → $out"; }
# start_desk NAME: starts tillit-server on $work/NAME; sets desk_url.
start_desk() {
  local name=$1
  "$bin/tillit-server" serve --data "$work/$name" --listen 127.0.0.1:0 > "$work/$name.out" 2> "$work/$name.err" &
  desk_pids+=($!)
  for _ in $(seq 1 200); do
    grep -q '^listening on http://' "$work/$name.out" && break
    kill -0 "${desk_pids[-1]}" 2>/dev/null || { cat "$work/$name.err" >&2; fail "$name server exited"; }
    sleep 0.05
  done
  desk_url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\)$/\1/p' "$work/$name.out" | tail -1)
  [[ -n $desk_url ]] || fail "$name: no listening line"
}
token_of() { jq -r .token <<<"$1"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)

# 1. The centre, and two leases.
token_c=$(token_of "$(admin "$work/data" add-officer --name "Cora Central" --organisation "Migrationsverket" --role officer)")
start_server
central_url=$url
out=$(admin "$work/data" lease-block --desk desk-a --size 30 --out "$work/a.lease")
expect "$out" '.desk == "desk-a" and .size == 30 and (.leaseId | startswith("lease_")) and .firstSerial == "0"' "lease-block desk-a"
lease_a=$(jq -r .leaseId <<<"$out")
out=$(admin "$work/data" lease-block --desk desk-b --size 24 --out "$work/b.lease")
expect "$out" '.desk == "desk-b" and .size == 24 and .firstSerial == "30"' "lease-block desk-b takes the next serials"
lease_b=$(jq -r .leaseId <<<"$out")
[[ $(stat -c %a "$work/a.lease") == 600 ]] || fail "lease file is not 0600"
ok "lease file is 0600"
expect "$(cat "$work/a.lease")" '(.identifiers | length) == 30 and .format == "tillit-serial-lease-v1"' "lease file lists its identifiers"

for size in 0 -1 100001 ten ""; do
  set +e; admin "$work/data" lease-block --desk desk-a --size "$size" > /dev/null 2>&1; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "lease-block --size '$size' exited $rc"
done
ok "lease-block refuses sizes 0, -1, 100001, non-numbers (exit 2)"
set +e; admin "$work/data" lease-block --desk "desk a" --size 5 > /dev/null 2>&1; rc=$?; set -e
[[ $rc -eq 2 ]] || fail "bad desk name exited $rc"
run_fail admin "$work/data" lease-block --desk desk-a --size 5 --out "$work/a.lease"
out=$(admin "$work/data" leases)
expect "$out" '(.leased | length) == 2' "refused lease-blocks leased nothing (an existing --out file is not overwritten)"

# 2. The desks: their own data directories; the centre's CA as the web serves it.
curl -sf "$central_url/.well-known/tillit-ca.pem" > "$work/central-ca.pem"
for d in a b; do
  token=$(token_of "$(admin "$work/desk-$d" add-officer --name "Desk Officer" --organisation "Mottagning $d" --role officer)")
  eval "token_$d=\$token"
done
run_fail admin "$work/desk-a" load-lease "$work/a.lease"
expect "$out" '.errorCode == "centralCaRequired"' "the first lease needs the central CA"
jq -c '.identifiers[0] = .identifiers[1]' "$work/a.lease" > "$work/a-tampered.lease"
run_fail admin "$work/desk-a" load-lease "$work/a-tampered.lease" --central-ca "$work/central-ca.pem"
expect "$out" '.errorCode == "invalidLeaseFile"' "a tampered lease is refused"
admin "$work/other" add-rp --name x > /dev/null  # another deployment, with its own CA
run_fail admin "$work/desk-a" load-lease "$work/a.lease" --central-ca "$work/other/ca.pem"
expect "$out" '.errorCode == "otherDeployment"' "a lease not signed by the given CA is refused"
out=$(admin "$work/desk-a" load-lease "$work/a.lease" --central-ca "$work/central-ca.pem")
expect "$out" ".leaseId == \"$lease_a\" and .available == 30" "desk A loads its lease"
run_fail admin "$work/desk-a" load-lease "$work/a.lease"
expect "$out" '.errorCode == "leaseAlreadyLoaded"' "loading a lease twice is refused"
run_fail admin "$work/desk-a" load-lease "$work/b.lease"
expect "$out" '.errorCode == "wrongDesk"' "desk A cannot load desk B's lease"
out=$(admin "$work/desk-b" load-lease "$work/b.lease" --central-ca "$work/central-ca.pem")
expect "$out" ".leaseId == \"$lease_b\" and .available == 24" "desk B loads its lease"
start_desk desk-a; url_a=$desk_url
start_desk desk-b; url_b=$desk_url

# 3. The centre and both desks enrol and issue at once, 24 persons each.
names=(Alma Bror Cleo Dag Elin Filip Gun Hugo Iris Jon Kaj Liv Mats Nora Olle Pia Rut Sten Tova Ulf Vera Wilma Xena Yngve)
issue_loop() {  # NAME URL TOKEN SURNAME PREFIX
  local name=$1 server=$2 token=$3 surname=$4 prefix=$5 i o
  for i in $(seq 0 23); do
    o=$("$bin/tillit-desk" --server "$server" --token "$token" enrol --given-name "${names[i]}" --surname "$surname" \
      --birth-date "$((1940 + i))-05-0$((i % 9 + 1))" --nationality SYR \
      --evidence "passport:$prefix$((100000 + i)):SYR:$expiry" --check chip-read --check face-to-photo) || { echo "enrol: $o" >&2; return 1; }
    "$bin/tillit-desk" --server "$server" --token "$token" issue "$(jq -r .enrolmentId <<<"$o")" | jq -er .identifier >> "$work/ids.$name" \
      || { echo "issue failed at $name $i" >&2; return 1; }
  done
}
issue_loop central "$central_url" "$token_c" Centralsson C & p1=$!
issue_loop desk-a "$url_a" "$token_a" Deskasson A & p2=$!
issue_loop desk-b "$url_b" "$token_b" Deskbsson B & p3=$!
wait $p1 || fail "central issuing failed"
wait $p2 || fail "desk A issuing failed"
wait $p3 || fail "desk B issuing failed"
for n in central desk-a desk-b; do [[ $(wc -l < "$work/ids.$n") -eq 24 ]] || fail "$n issued $(wc -l < "$work/ids.$n")"; done
ok "72 identifiers issued concurrently by the centre and two offline desks"
all=$(cat "$work"/ids.* | sort)
[[ $(wc -l <<<"$all") -eq 72 && -z $(uniq -d <<<"$all") ]] || fail "duplicate identifiers: $(uniq -d <<<"$all")"
ok "every identifier is unique across the centre and both desks"
for id in $all; do "$bin/tillit-id" check "$id" > /dev/null || fail "invalid identifier $id"; done
ok "every identifier validates"
diff <(jq -r '.identifiers[0:24][]' "$work/a.lease") "$work/ids.desk-a" > /dev/null || fail "desk A did not issue its lease in order"
ok "desk A issued the first 24 identifiers of its lease, in order"

# Desk B's lease is used up: the next issue fails with 503 leaseExhausted, not a local number.
o=$("$bin/tillit-desk" --server "$url_b" --token "$token_b" enrol --given-name Zara --surname Deskbsson --birth-date 1999-01-01 \
  --nationality SYR --evidence "passport:B999999:SYR:$expiry" --check chip-read --check face-to-photo)
enr=$(jq -r .enrolmentId <<<"$o")
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url_b/desk/v1/enrolments/$enr/issue" \
  -H "Authorization: Bearer $token_b" -H 'Content-Type: application/json' --data '{}')
[[ $code == 503 ]] && jq -e '.errorCode == "leaseExhausted"' "$work/body" > /dev/null || fail "exhausted lease: $code $(cat "$work/body")"
ok "an exhausted lease refuses to issue (503 leaseExhausted)"

# 4. Sync: export at the desks (their servers still running), import at the centre.
out=$(admin "$work/desk-a" export-sync "$work/a.sync")
expect "$out" '.desk == "desk-a" and .persons == 24' "desk A exports 24 persons"
out=$(admin "$work/desk-b" export-sync "$work/b.sync")
expect "$out" '.desk == "desk-b" and .persons == 24' "desk B exports 24 persons"
run_fail admin "$work/data" export-sync "$work/c.sync"
expect "$out" '.errorCode == "notFound"' "the centre has nothing to export"

jq -c '.desk = "desk-b"' "$work/a.sync" > "$work/a-as-b.sync"
run_fail admin "$work/data" import-sync "$work/a-as-b.sync"
expect "$out" '.errorCode == "wrongDesk"' "desk A's file claiming to be desk B is refused"
jq -c --arg l "$lease_b" '.persons[0].leaseId = $l' "$work/a.sync" > "$work/a-lease-b.sync"
run_fail admin "$work/data" import-sync "$work/a-lease-b.sync"
expect "$out" '.errorCode == "wrongDesk"' "desk A's record claiming desk B's lease is refused"
jq -c '.persons[3].surname = "Forged"' "$work/a.sync" > "$work/a-forged.sync"
run_fail admin "$work/data" import-sync "$work/a-forged.sync"
expect "$out" '.errorCode == "invalidSyncFile"' "a tampered sync file is refused"
jq -c '.persons[0].serial = "999999"' "$work/a.sync" > "$work/a-range.sync"
run_fail admin "$work/data" import-sync "$work/a-range.sync"
expect "$out" '.errorCode == "serialOutOfLease"' "a serial outside the lease is refused"
jq -c '.persons[0].leaseId = "lease_0000000000000000"' "$work/a.sync" > "$work/a-unknown.sync"
run_fail admin "$work/data" import-sync "$work/a-unknown.sync"
expect "$out" '.errorCode == "unknownLease"' "an unknown lease is refused"
run_fail admin "$work/other" import-sync "$work/a.sync"
expect "$out" '.errorCode == "otherDeployment"' "another deployment refuses the sync file"
out=$(admin "$work/data" leases)
expect "$out" '[.leased[].imported] == [0, 0]' "refused imports imported nothing"

out=$(admin "$work/data" import-sync "$work/a.sync")
expect "$out" '.imported == 24 and .alreadyImported == 0 and .conflicts == []' "the centre imports desk A"
out=$(admin "$work/data" import-sync "$work/b.sync")
expect "$out" '.imported == 24 and .conflicts == []' "the centre imports desk B"
out=$(admin "$work/data" import-sync "$work/a.sync")
expect "$out" '.imported == 0 and .alreadyImported == 24' "re-importing is idempotent"
out=$(admin "$work/data" leases)
expect "$out" "[.leased[] | {leaseId, imported}] == [{\"leaseId\": \"$lease_a\", \"imported\": 24}, {\"leaseId\": \"$lease_b\", \"imported\": 24}]" "leases shows what was synced"
out=$(admin "$work/desk-a" leases)
expect "$out" '.loaded[0].used == 24 and .loaded[0].size == 30' "the desk's leases show what was used"

# Every person is at the centre, found by identifier.
for id in $(cat "$work/ids.desk-a" "$work/ids.desk-b"); do
  out=$("$bin/tillit-desk" --server "$central_url" --token "$token_c" search "$id")
  jq -e --arg id "$id" '[.results[] | select(.identifier == $id)] | length == 1' <<<"$out" > /dev/null || fail "$id not at the centre: $out"
done
ok "all 48 desk persons are at the centre"

# 5. A person enrolled both centrally and at a desk is reported, never merged.
o=$("$bin/tillit-desk" --server "$central_url" --token "$token_c" enrol --given-name Kim --surname Dubbel --birth-date 1977-07-07 \
  --nationality IRQ --evidence "passport:Q7777777:IRQ:$expiry" --check chip-read --check face-to-photo)
central_kim=$("$bin/tillit-desk" --server "$central_url" --token "$token_c" issue "$(jq -r .enrolmentId <<<"$o")" | jq -r .identifier)
o=$("$bin/tillit-desk" --server "$url_a" --token "$token_a" enrol --given-name Kim --surname Dubbel --birth-date 1977-07-07 \
  --nationality IRQ --evidence "passport:Q7777777:IRQ:$expiry" --check chip-read --check face-to-photo)
desk_kim=$("$bin/tillit-desk" --server "$url_a" --token "$token_a" issue "$(jq -r .enrolmentId <<<"$o")" | jq -r .identifier)
[[ $central_kim != "$desk_kim" ]] || fail "one identifier for two issuances"
admin "$work/desk-a" export-sync "$work/a2.sync" > /dev/null
run_fail admin "$work/data" import-sync "$work/a2.sync"
expect "$out" ".alreadyImported == 24 and .imported == 0 and .conflicts == [{\"identifier\": \"$desk_kim\", \"reason\": \"document\", \"existingIdentifier\": \"$central_kim\"}]" "a hard duplicate is reported as a conflict (exit 1)"

# 6. The centre keeps issuing past every lease.
o=$("$bin/tillit-desk" --server "$central_url" --token "$token_c" enrol --given-name Nils --surname Sist --birth-date 1960-01-01 \
  --nationality SWE --evidence "passport:N5555555:SWE:$expiry" --check chip-read --check face-to-photo)
last=$("$bin/tillit-desk" --server "$central_url" --token "$token_c" issue "$(jq -r .enrolmentId <<<"$o")" | jq -r .identifier)
! jq -r '.identifiers[]' "$work/a.lease" "$work/b.lease" | grep -qx "$last" && ! grep -qx "$last" <<<"$all" || fail "central identifier $last reused"
ok "the centre's next identifier is outside every lease"

echo "offline_desk_test: $passed checks passed"
