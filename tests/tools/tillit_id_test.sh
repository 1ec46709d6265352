#!/usr/bin/env bash
# Black-box test of tillit-id (docs/identifier.md): check's outputs and exit codes, sample's
# determinism, options and speed-critical uniqueness, usage errors.
#   bash tillit_id_test.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: tillit_id_test.sh BIN_DIR}/tillit-id"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- sample: deterministic under the default key, known-answer vectors -------------------
expect_exit 0 "$bin" sample --count 5
printf '%s\n' YYYJPZRBD8ST HFDS5A6RUBYD SD1PTHSAUTBU M418070Z8T60 ML6C85GME2FH >"$tmp/want"
diff "$tmp/want" "$tmp/out" || fail "sample --count 5 differs from the vectors in docs/identifier.md"
"$bin" sample --count 1000 >"$tmp/a"
"$bin" sample --count 1000 >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "sample is not deterministic"
[[ $(wc -l <"$tmp/a") == 1000 ]] || fail "sample --count 1000 printed $(wc -l <"$tmp/a") lines"
grep -qvE '^[A-HJ-NPRSTUXYZ][0-9A-HJ-NPRSTUXYZ]{11}$' "$tmp/a" && fail "sample printed a non-canonical line"

# --start: serials 10..19 are lines 11..20 of serials 0..
"$bin" sample --start 10 --count 10 >"$tmp/c"
sed -n '11,20p' "$tmp/a" | diff - "$tmp/c" || fail "--start 10 --count 10 is not lines 11-20"
"$bin" sample --count=3 --start=2 | diff - <(sed -n '3,5p' "$tmp/a") || fail "--opt=value form"
expect_exit 0 "$bin" sample --count 0
[[ ! -s $tmp/out ]] || fail "--count 0 printed something"

# The top of the domain: N = 17212194026596821 serials.
expect_exit 0 "$bin" sample --start 17212194026596820 --count 1
[[ $(wc -l <"$tmp/out") == 1 ]] || fail "last serial"
expect_exit 0 "$bin" sample --start 17212194026596821 --count 0
expect_exit 2 "$bin" sample --start 17212194026596821 --count 1
grep -q capacity "$tmp/err" || fail "beyond-capacity message"
expect_exit 2 "$bin" sample --start 17212194026596800 --count 22
expect_exit 2 "$bin" sample --start 18446744073709551615 --count 18446744073709551615

# --key: the default key spelled out gives the same output; another key gives other ones.
"$bin" sample --count 1000 --key 000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F \
  | cmp -s - "$tmp/a" || fail "--key with the default key (mixed case) differs"
"$bin" sample --count 1000 --key 100102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$tmp/k"
[[ -z $(comm -12 <(sort "$tmp/a") <(sort "$tmp/k")) ]] || fail "another key shares identifiers"

# Bad arguments: exit 2 with a message on stderr and nothing on stdout.
for args in "--count" "--count x" "--count -1" "--count 1e3" "--count 18446744073709551616" \
            "--count 5 --start abc" "--start 3" "" "--count 1 --bogus" \
            "--count 1 --key 00" "--count 1 --key zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
            "--count 1 --key 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00"; do
  # shellcheck disable=SC2086  # word splitting intended
  expect_exit 2 "$bin" sample $args
  [[ -s $tmp/err ]] || fail "sample $args: no message on stderr"
  [[ ! -s $tmp/out ]] || fail "sample $args: printed to stdout"
done

# --- check ---------------------------------------------------------------------------------
mapfile -t ids <"$tmp/a"
a=${ids[0]} b=${ids[1]} c=${ids[2]}
expect_exit 0 "$bin" check "$a" "${b,,}" "${c:0:4}-${c:4:4}-${c:8:4}" " ${a:0:6} ${a:6} "
printf '%s\n' "$a" "$b" "$c" "$a" | diff - "$tmp/out" || fail "check of valid identifiers"

bad_check=${a:0:11}$([[ ${a:11:1} == 0 ]] && echo 1 || echo 0)
swapped=${a:0:5}${a:6:1}${a:5:1}${a:7}
[[ ${a:5:1} != "${a:6:1}" ]] || swapped=${a:0:1}${a:2:1}${a:1:1}${a:3}
expect_exit 1 "$bin" check "$a" "$bad_check" "${a:0:11}" "O${a:1}" "$swapped" "1${a:1}" "$b"
cat >"$tmp/want" <<WANT
$a
invalid: $bad_check: invalidCheckCharacter
invalid: ${a:0:11}: invalidLength
invalid: O${a:1}: invalidCharacter
invalid: $swapped: invalidCheckCharacter
invalid: 1${a:1}: invalidFirstCharacter
$b
WANT
# Compare up to the code; the human reason after it may change.
sed -E 's/^(invalid: [^:]*: [A-Za-z]+).*/\1/' "$tmp/out" | diff "$tmp/want" - || fail "check of mixed input"
grep -q '^invalid: .*: invalidLength: .\+' "$tmp/out" || fail "invalid lines carry a reason"

expect_exit 1 "$bin" check ""
expect_exit 1 "$bin" check "811218-9876"
expect_exit 2 "$bin" check
[[ -s $tmp/err ]] || fail "check without arguments: no usage on stderr"

# --- help and usage ------------------------------------------------------------------------
for h in --help -h help; do
  expect_exit 0 "$bin" "$h"
  grep -q 'check' "$tmp/out" && grep -q 'sample' "$tmp/out" || fail "$h: does not describe both commands"
  grep -q 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "$tmp/out" \
    || fail "$h: does not print the default test key"
done
expect_exit 2 "$bin"
expect_exit 2 "$bin" frobnicate
grep -qi usage "$tmp/err" || fail "unknown command: no usage on stderr"

# --- a million identifiers, all distinct ---------------------------------------------------
"$bin" sample --count 1000000 >"$tmp/million"
[[ $(wc -l <"$tmp/million") == 1000000 ]] || fail "sample --count 1000000 line count"
[[ -z $(sort "$tmp/million" | uniq -d) ]] || fail "duplicates among a million identifiers"
"$bin" check $(head -c 13000 "$tmp/million") >/dev/null || fail "sampled identifiers do not check"

echo "tillit-id: all tests passed"
