#!/usr/bin/env bash
# Disk full (issue 8): tillit-server's data directory on a small tmpfs. The disk is filled
# while the server runs; writes must then answer 503 with errorCode storageFull (never a 500,
# never a half-written record), reads keep working, nothing acknowledged before is lost, and
# once space returns the same running server accepts writes again. Finally, with the server
# stopped, the database passes integrity_check and the audit chain verifies.
# Needs root to mount the tmpfs: without it the test is skipped (exit 77), except under CI,
# where it fails, so the check cannot silently disappear.
# Usage: bash disk_full_test.sh BIN_DIR
bin=${1:?usage: disk_full_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

small=$work/small
mkdir -p "$small"
if ! mount -t tmpfs -o size=6m,mode=0700 tmpfs "$small" 2>/dev/null; then
  [[ -n ${CI:-} ]] && fail "cannot mount a tmpfs (root needed); the disk-full test must run in CI"
  echo "SKIP: cannot mount a tmpfs here (root needed)"
  exit 77
fi
unmount() { umount "$small" 2>/dev/null || umount -l "$small" 2>/dev/null || true; }
trap 'unmount; cleanup' EXIT
work_data=$small/data

admin() { "$bin/tillit-server" admin --data "$work_data" "$@"; }
token=$(admin add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
# lib.sh's start_server uses $work/data: point it at the small disk.
ln -s "$work_data" "$work/data"
start_server
expiry=$(date -u -d '+3 years' +%Y-%m-%d)

# enrol N: POSTs an enrolment of a distinct person; prints the HTTP status, leaves the body
# in $work/body.
enrol() {
  local n=$1 given surname born
  # Names far apart and distinct birth dates, so no enrolment stops at a possible duplicate.
  given=$(alpha $((n * 7 + 3))); surname=$(alpha $((n * 977 + 5)))
  born=$(date -u -d "1940-01-01 + $((n * 13)) days" +%Y-%m-%d)
  curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/desk/v1/enrolments" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @- <<JSON
{"person": {"givenName": "$given", "surname": "$surname", "birthDate": "$born", "nationality": "SYR"},
 "evidence": [{"type": "passport", "number": "$(printf 'F%07d' "$n")", "country": "SYR", "expiry": "$expiry"}],
 "checks": ["chip-read", "face-to-photo"]}
JSON
}
issue() {
  curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/desk/v1/enrolments/$1/issue" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{}'
}

acked=()
for n in 1 2 3 4 5; do
  [[ $(enrol "$n") == 201 ]] || fail "enrolment $n before the disk filled: $(cat "$work/body")"
  enr=$(jq -r .enrolmentId "$work/body")
  [[ $(issue "$enr") == 201 ]] || fail "issue $n before the disk filled: $(cat "$work/body")"
  acked+=("$(jq -r .identifier "$work/body")")
done
ok "5 people enrolled and issued on the small disk"

# Fill every free block. dd stops at ENOSPC; a second small file takes what is left.
dd if=/dev/zero of="$small/filler" bs=64k status=none 2>/dev/null || true
dd if=/dev/zero of="$small/filler2" bs=512 status=none 2>/dev/null || true
[[ $(df --output=avail "$small" | tail -1 | tr -d ' ') -eq 0 ]] || fail "the tmpfs is not full"

# SQLite may still reuse space inside its WAL for a while: write until it cannot, and insist
# every answer is a success or a clean 503 storageFull.
full=0
for n in $(seq 100 400); do
  code=$(enrol "$n")
  if [[ $code == 201 ]]; then
    enr=$(jq -r .enrolmentId "$work/body")
    code=$(issue "$enr")
    if [[ $code == 201 ]]; then acked+=("$(jq -r .identifier "$work/body")"); continue; fi
  fi
  [[ $code == 503 ]] || fail "a write on a full disk answered $code: $(cat "$work/body")"
  jq -e '.errorCode == "storageFull"' "$work/body" >/dev/null \
    || fail "a write on a full disk did not say storageFull: $(cat "$work/body")"
  full=$((full + 1))
  (( full >= 3 )) && break
done
(( full >= 3 )) || fail "300 writes on a full disk all succeeded: the disk never filled"
ok "writes on a full disk answer 503 storageFull (after ${#acked[@]} acknowledged issues in all)"

for id in "${acked[@]}"; do
  code=$(curl -s -o "$work/body" -w '%{http_code}' "$url/desk/v1/persons/$id" -H "Authorization: Bearer $token")
  [[ $code == 200 ]] || fail "reading person $id on a full disk: $code $(cat "$work/body")"
done
ok "every acknowledged person can still be read while the disk is full"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/healthz") == 200 ]] || fail "healthz on a full disk"
ok "the server stays up on a full disk"

rm -f "$small/filler" "$small/filler2"
[[ $(enrol 900) == 201 ]] || fail "an enrolment after space returned: $(cat "$work/body")"
enr=$(jq -r .enrolmentId "$work/body")
[[ $(issue "$enr") == 201 ]] || fail "an issue after space returned: $(cat "$work/body")"
acked+=("$(jq -r .identifier "$work/body")")
ok "the same running server writes again once space returns"

stop_server
db=$work_data/tillit.db
[[ $(sqlite3 "$db" 'PRAGMA integrity_check') == ok ]] || fail "integrity_check after the disk was full"
for id in "${acked[@]}"; do
  [[ $(sqlite3 "$db" "SELECT count(*) FROM persons WHERE identifier = '$id'") == 1 ]] \
    || fail "acknowledged person $id was lost"
done
admin audit-verify >/dev/null || fail "audit chain after the disk was full"
ok "integrity_check ok, all ${#acked[@]} acknowledged people kept, the audit chain verifies"
echo "disk_full_test: $passed checks passed"
