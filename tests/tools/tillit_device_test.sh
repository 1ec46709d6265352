#!/usr/bin/env bash
# Black-box checks of tillit-device that need no server: help, usage errors, local refusals
# before any network call, and an unreachable issuer. The full activation against a real
# server is tests/integration/enrol_activate_test.sh.
set -euo pipefail
bin=${1:?usage: tillit_device_test.sh BIN_DIR}
dev=$bin/tillit-device
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { passed=$((passed + 1)); }
run() { set +e; out=$("$dev" "$@" 2>"$work/err"); rc=$?; set -e; }

run --help; [[ $rc -eq 0 ]] && grep -q activate <<<"$out" && grep -q change-pin <<<"$out" || fail "--help"; ok
run; [[ $rc -eq 2 ]] || fail "no arguments should be a usage error"; ok
run show; [[ $rc -eq 2 ]] && grep -q -- --home "$work/err" || fail "missing --home"; ok
run --home "$work/h" frobnicate; [[ $rc -eq 2 ]] || fail "unknown command"; ok
run --home "$work/h" activate --server http://127.0.0.1:9; [[ $rc -eq 2 ]] || fail "activate without --code"; ok
run --home "$work/h" show
[[ $rc -eq 1 ]] && jq -e '.errorCode == "notActivated"' <<<"$out" >/dev/null || fail "show before activation: $out"; ok
run --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidCode"' <<<"$out" >/dev/null || fail "short code: $out"; ok
run --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" --pin 123456
[[ $rc -eq 1 ]] && jq -e '.errorCode == "pinTooCommon"' <<<"$out" >/dev/null || fail "common PIN: $out"; ok
run --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" --pin 48291
[[ $rc -eq 1 ]] && jq -e '.errorCode == "pinTooShort"' <<<"$out" >/dev/null || fail "short PIN: $out"; ok
run --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "networkError"' <<<"$out" >/dev/null || fail "unreachable issuer: $out"; ok
[[ ! -e $work/h/wallet.json ]] && [[ ! -e $work/h/keystore/sealed_key.bin ]] || fail "failed activation left state behind"; ok
run --home "$work/h" activate --code "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:http://127.0.0.1:9" --server http://127.0.0.1:10 --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidParameters"' <<<"$out" >/dev/null || fail "QR/server mismatch: $out"; ok
run --home "$work/h" change-pin --pin 482915 --new-pin 739164 </dev/null
[[ $rc -eq 1 ]] && jq -e '.errorCode == "notActivated"' <<<"$out" >/dev/null || fail "change-pin before activation: $out"; ok
for sub in activate show change-pin; do
  run "$sub" --help; [[ $rc -eq 0 ]] && grep -q "$sub" <<<"$out" || fail "$sub --help"; ok
done
if command -v setsid >/dev/null; then
  # No controlling terminal and no --pin: refuse rather than read the PIN from stdin.
  set +e; out=$(setsid -w "$dev" --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" </dev/null 2>"$work/err"); rc=$?; set -e
  [[ $rc -eq 1 ]] && jq -e '.errorCode == "pinRequired"' <<<"$out" >/dev/null || fail "no terminal: $out"; ok
fi
# A wallet whose key is gone (what 5 wrong PINs leave) is not an activated device: activate
# goes ahead (here: to the unreachable issuer) instead of answering alreadyActivated.
printf '{"version":1,"server":"http://127.0.0.1:9","certificate":"AAAA","caCertificate":"AAAA","activatedAt":0}\n' >"$work/h/wallet.json"
chmod 600 "$work/h/wallet.json"
run --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "networkError"' <<<"$out" >/dev/null || fail "stale wallet blocks activation: $out"; ok
run --home "$work/h" show
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidCertificate"' <<<"$out" >/dev/null || fail "show with a bad certificate: $out"; ok
echo '{"version":1' >"$work/h/wallet.json"
run --home "$work/h" show
[[ $rc -eq 1 ]] && jq -e '.errorCode == "walletCorrupt"' <<<"$out" >/dev/null || fail "show with a damaged wallet: $out"; ok
echo "$passed passed, 0 failed"
