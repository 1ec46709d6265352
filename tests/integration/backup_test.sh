#!/usr/bin/env bash
# Online backup and restore (docs/operations.md §6): while the server runs and a desk enrols
# and issues in a loop, `admin backup FILE` copies the database; the copy, put in a new data
# directory with the key files, passes `admin audit-verify`, and a server started on it
# finds every person issued before the backup began. A backup never overwrites a file.
# Usage: bash backup_test.sh BIN_DIR
bin=${1:?usage: backup_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

admin() { local dir=$1; shift; "$bin/tillit-server" admin --data "$dir" "$@"; }
token=$(admin "$work/data" add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
start_server
desk() { "$bin/tillit-desk" --server "$url" --token "$token" "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)

# enrol_issue N: enrols and issues person N; prints the identifier.
# Names are letters only; the birth year differs per person (for up to 120 persons), so the
# duplicate check finds no possible match (docs/duplicates.md: same year needed).
enrol_issue() {
  local out letters born
  letters=$(tr 0-9 a-j <<<"$1"); born="$((1900 + $1 % 120))-06-15"
  out=$(desk enrol --given-name "Per${letters}" --surname "Test${letters}son" --birth-date "$born" --nationality SWE \
    --evidence "passport:B$((1000000 + $1)):SWE:$expiry" --check chip-read --check face-to-photo) || return 1
  out=$(desk issue "$(jq -r .enrolmentId <<<"$out")") || { echo "$out" >&2; return 1; }
  jq -er '.identifier | select(length == 12)' <<<"$out"
}
for n in 1 2 3 4 5; do enrol_issue "$n" >> "$work/issued"; done

# The desk keeps issuing in the background while the backup runs.
(
  n=100
  while [[ ! -e $work/stop ]]; do
    enrol_issue "$n" >> "$work/issued.later" || { echo "enrol_issue $n failed" >&2; exit 1; }
    n=$((n + 1))
  done
) &
loop_pid=$!
while [[ $(wc -l < "$work/issued.later" 2>/dev/null || echo 0) -lt 3 ]]; do
  kill -0 "$loop_pid" 2>/dev/null || fail "the background desk loop died"
  sleep 0.1
done
cp "$work/issued.later" "$work/issued.before"  # these committed before the backup began
cat "$work/issued" >> "$work/issued.before"
out=$(admin "$work/data" backup "$work/backup.db" 2> "$work/backup.err")
expect "$out" ".backup==\"$work/backup.db\" and .pages>0 and .bytes>0" "backup while the server writes"
grep -q 'pages (100%)' "$work/backup.err" || fail "no progress on stderr: $(cat "$work/backup.err")"
grep -q 'key files' "$work/backup.err" || fail "no reminder of the key files: $(cat "$work/backup.err")"
ok "progress and the key-file reminder on stderr"
sleep 0.5
touch "$work/stop"; wait "$loop_pid" || fail "the background desk loop failed"
(( $(wc -l < "$work/issued.later") > 3 )) || fail "nothing was issued during the backup"
ok "the desk kept issuing during the backup ($(wc -l < "$work/issued.later") persons)"
[[ ! -e $work/backup.db.tmp ]] || fail "the temporary file was left behind"
[[ $(stat -c %a "$work/backup.db") == 600 ]] || fail "backup mode $(stat -c %a "$work/backup.db")"
ok "the copy is 0600 and the temporary file is gone"

# Never overwritten.
sum=$(sha256sum < "$work/backup.db")
set +e; out=$(admin "$work/data" backup "$work/backup.db" 2>/dev/null); rc=$?; set -e
[[ $rc -eq 1 ]] || fail "backup over an existing file: exit $rc"
expect "$out" '.errorCode=="alreadyExists"' "a backup to an existing file is refused"
[[ $(sha256sum < "$work/backup.db") == "$sum" ]] || fail "the existing file changed"
ok "the existing file is untouched"
set +e; out=$(admin "$work/data" backup 2>/dev/null); rc=$?; set -e
[[ $rc -eq 2 ]] || fail "backup without FILE: exit $rc"
ok "backup without FILE is a usage error"

# Restore: the copy and the key files into a new directory.
stop_server
mkdir -m 700 "$work/restored"
cp "$work/backup.db" "$work/restored/tillit.db"
set +e; out=$(admin "$work/restored" audit-verify 2>/dev/null); rc=$?; set -e
[[ $rc -eq 1 ]] && jq -e '.errorCode=="notFound"' <<<"$out" >/dev/null || fail "audit-verify without keys: $rc $out"
[[ ! -e $work/restored/ca.key ]] || fail "audit-verify made a CA key"
ok "audit-verify refuses a directory without its key files and makes none"
for f in ca.key ca.pem identifier.key pepper.key result.key; do cp -p "$work/data/$f" "$work/restored/$f"; done
out=$(admin "$work/restored" audit-verify)
expect "$out" '.ok==true and .entries>0' "the restored copy's audit log verifies"
mv "$work/data" "$work/original"; mv "$work/restored" "$work/data"
start_server
missing=0
while read -r id; do
  desk person "$id" | jq -e ".identifier==\"$id\"" >/dev/null || { echo "missing: $id" >&2; missing=$((missing + 1)); }
done < "$work/issued.before"
[[ $missing -eq 0 ]] || fail "$missing persons issued before the backup are missing from it"
ok "a server on the restored copy finds every person issued before the backup ($(wc -l < "$work/issued.before"))"
# The restored deployment still works: same keys, so the old officer token is valid.
enrol_issue 9999 > /dev/null || fail "cannot issue on the restored copy"
ok "the restored server issues with the restored keys"
stop_server

echo "backup_test: $passed checks passed"
