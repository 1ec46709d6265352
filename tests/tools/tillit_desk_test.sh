#!/usr/bin/env bash
# Black-box test of tillit-desk (docs/desk.md) without a server: help texts, usage errors
# (exit 2, nothing on stdout), local validation (exit 1, JSON invalidParameters, before any
# network call) and the networkError of an unreachable server. The calls against a real
# server are in tests/integration/.
#   bash tillit_desk_test.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: tillit_desk_test.sh BIN_DIR}/tillit-desk"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset TILLIT_DESK_SERVER TILLIT_DESK_TOKEN

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# expect_error_json CODE: stdout is one JSON object with that errorCode and a message.
expect_error_json() {
  jq -e --arg c "$1" '(.errorCode == $c) and (.message | type == "string" and length > 0)' \
    "$tmp/out" >/dev/null || fail "want errorCode $1, got: $(cat "$tmp/out")"
  [[ $(wc -l <"$tmp/out") == 1 ]] || fail "error output is not one line: $(cat "$tmp/out")"
}
# A port where nothing listens (discard); connection refused at once.
dead=http://127.0.0.1:9
srv=(--server "$dead" --token not-a-real-token)

subcommands=(enrol approve resolve issue search revoke show person)

# --- help --------------------------------------------------------------------------------
for args in "--help" "-h" "help"; do
  # shellcheck disable=SC2086
  expect_exit 0 "$bin" $args
  grep -q '^usage: tillit-desk' "$tmp/out" || fail "$args: no usage on stdout"
  for s in "${subcommands[@]}"; do grep -q "^  $s" "$tmp/out" || fail "$args does not list $s"; done
  grep -q TILLIT_DESK_TOKEN "$tmp/out" || fail "$args does not mention TILLIT_DESK_TOKEN"
done
for s in "${subcommands[@]}"; do
  for form in "$s --help" "$s -h" "help $s" "--server $dead $s --help" "$s x --help"; do
    # shellcheck disable=SC2086
    expect_exit 0 "$bin" $form
    grep -q "^usage: tillit-desk .*$s" "$tmp/out" || fail "'$form': no usage line"
    [[ $(wc -l <"$tmp/out") -ge 3 ]] || fail "'$form': help too short"
  done
done
expect_exit 0 "$bin" enrol --help
grep -q 'TYPE:NUMBER:COUNTRY:EXPIRY' "$tmp/out" || fail "enrol --help does not explain --evidence"
grep -q 'lma-card' "$tmp/out" || fail "enrol --help does not list evidence types"

# --- usage errors: exit 2, message on stderr, nothing on stdout ---------------------------
enrol_ok=(enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR
          --evidence passport:N1234567:SYR:2030-01-01)
usage_cases=(
  ""
  "bogus"
  "--bogus approve E1"
  "--server"
  "help bogus"
  "approve"
  "approve E1 E2"
  "approve E1 --bogus"
  "issue"
  "show"
  "person"
  "search"
  "revoke ID"
  "revoke --reason lost"
  "revoke ID --reason"
  "resolve E1"
  "resolve E1 --different"
  "resolve E1 --same"
  "resolve E1 --same ID --different --reason r"
  "resolve E1 --same ID --reason r"
  "resolve --different --reason r"
  "enrol"
  "enrol --given-name A --surname B --birth-date 1990 --nationality SYR"
  "enrol --surname B --birth-date 1990 --nationality SYR --evidence none:::"
  "enrol --given-name A --given-name B --surname B --birth-date 1990 --nationality SYR --evidence none:::"
  "enrol --given-name A --surname B --birth-date 1990 --nationality SYR --evidence none::: extra"
  "enrol --given-name A --surname B --birth-date 1990 --nationality SYR --evidence"
)
for args in "${usage_cases[@]}"; do
  # shellcheck disable=SC2086
  expect_exit 2 "$bin" "${srv[@]}" $args
  [[ -s $tmp/err ]] || fail "'$args': no message on stderr"
  [[ ! -s $tmp/out ]] || fail "'$args': printed to stdout: $(cat "$tmp/out")"
done

# Missing --server or --token (and no environment): usage, exit 2, before anything else.
for s in "approve E1" "issue E1" "search x" "revoke ID --reason r" "show E1" "person ID" \
         "resolve E1 --different --reason r"; do
  # shellcheck disable=SC2086
  expect_exit 2 "$bin" --token t $s
  grep -q -- '--server' "$tmp/err" || fail "'$s' without --server: message does not say so"
  [[ ! -s $tmp/out ]] || fail "'$s' without --server printed to stdout"
  # shellcheck disable=SC2086
  expect_exit 2 "$bin" --server "$dead" $s
  grep -q -- 'token' "$tmp/err" || fail "'$s' without --token: message does not say so"
done
expect_exit 2 "$bin" "${enrol_ok[@]}"
expect_exit 2 "$bin" --server "$dead" "${enrol_ok[@]}"

# --- local validation: exit 1, JSON invalidParameters, no network call ---------------------
# The server given does not exist: a networkError would mean a request was attempted.
for ev in "passport:N1234567:SYR" "passport:N1:SYR:2030-01-01:x" "passport" "" ":::" \
          "lma-card:12-345678:SWE" "passport-ish:N1:SYR:" "lma-card:12:34:SWE:"; do
  expect_exit 1 "$bin" --server http://tillit-desk-test.invalid --token t \
    enrol --given-name A --surname B --birth-date 1990 --nationality SYR --evidence "$ev"
  expect_error_json invalidParameters
done
# A bad item among good ones is refused too; the message names it.
expect_exit 1 "$bin" --server http://tillit-desk-test.invalid --token t "${enrol_ok[@]}" \
  --evidence "lma-card:12-345678" --check face-to-photo
expect_error_json invalidParameters
grep -q 'lma-card:12-345678' "$tmp/out" || fail "message does not name the bad --evidence"
expect_exit 1 "$bin" --server http://tillit-desk-test.invalid --token t "${enrol_ok[@]}" --check eyeballed
expect_error_json invalidParameters
# Bad server URLs and tokens.
for url in "not a url" "ftp://127.0.0.1:9" "127.0.0.1:9" "http://" "http://127.0.0.1:9/?x=1"; do
  expect_exit 1 "$bin" --server "$url" --token t approve E1
  expect_error_json invalidParameters
done
expect_exit 1 "$bin" --server "$dead" --token "$(printf 'a\r\nX-Evil: 1')" approve E1
expect_error_json invalidParameters

# --- unreachable server: exit 1, JSON networkError ---------------------------------------
secret=desk-test-token-must-not-leak-7f3a
for s in "approve E1" "issue E1" "search Amal Hassan" "revoke YYYJPZRBD8ST --reason lost" \
         "show E1" "person YYYJPZRBD8ST" "resolve E1 --different --reason r" \
         "resolve E1 --same YYYJPZRBD8ST"; do
  # shellcheck disable=SC2086
  expect_exit 1 "$bin" --server "$dead" --token "$secret" $s
  expect_error_json networkError
  ! grep -q "$secret" "$tmp/out" "$tmp/err" || fail "'$s' printed the token"
done
expect_exit 1 "$bin" --server "$dead" --token "$secret" "${enrol_ok[@]}" \
  --evidence "lma-card:12-345678:SWE:" --check chip-read --check=face-to-photo \
  --samordningsnummer 701063-2391 --original-name "أمل حسن" --case-number 12-345678
expect_error_json networkError

# Environment variables stand in for the flags; flags win over them.
TILLIT_DESK_SERVER=$dead TILLIT_DESK_TOKEN=$secret expect_exit 1 "$bin" approve E1
expect_error_json networkError
TILLIT_DESK_SERVER=http://tillit-desk-test.invalid TILLIT_DESK_TOKEN=$secret \
  expect_exit 1 "$bin" --server "not a url" approve E1
expect_error_json invalidParameters
# Global options after the subcommand, and --opt=value.
expect_exit 1 "$bin" approve E1 --server="$dead" --token="$secret"
expect_error_json networkError

echo "tillit_desk_test: ok"
