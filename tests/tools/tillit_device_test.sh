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

run --help; [[ $rc -eq 0 ]] && grep -q activate <<<"$out" && grep -q change-pin <<<"$out" && grep -q scan <<<"$out" || fail "--help"; ok
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
# TLS trust (docs/device.md "Trusting the issuer"): what is refused before any network call.
pin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
run --home "$work/h" activate --code "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:http://127.0.0.1:9#pin-sha256=$pin" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidCode"' <<<"$out" >/dev/null || fail "a pin with http://: $out"; ok
run --home "$work/h" activate --code "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:https://127.0.0.1:9#pin-sha256=${pin:1}" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidCode"' <<<"$out" >/dev/null || fail "a short pin: $out"; ok
run --home "$work/h" activate --code "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:https://127.0.0.1:9#pin-sha256=$pin" --tls-ca /dev/null --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidParameters"' <<<"$out" >/dev/null || fail "--tls-ca with a pinned QR: $out"; ok
run --home "$work/h" activate --server http://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" --tls-ca /dev/null --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "invalidParameters"' <<<"$out" >/dev/null || fail "--tls-ca with http://: $out"; ok
run --home "$work/h" activate --server https://127.0.0.1:9 --code "ABCD-EFGH-JKLM-NPRS" --tls-ca "$work/missing.pem" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "ioError"' <<<"$out" >/dev/null || fail "--tls-ca of a missing file: $out"; ok
run --home "$work/h" activate --code "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:https://127.0.0.1:9#pin-sha256=$pin" --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "networkError"' <<<"$out" >/dev/null || fail "pinned, unreachable issuer: $out"; ok
run --home "$work/h" show --tls-ca /dev/null; [[ $rc -eq 2 ]] || fail "--tls-ca does not apply to show"; ok
[[ ! -e $work/h/wallet.json ]] || fail "a refused activation left a wallet"; ok
run --home "$work/h" change-pin --pin 482915 --new-pin 739164 </dev/null
[[ $rc -eq 1 ]] && jq -e '.errorCode == "notActivated"' <<<"$out" >/dev/null || fail "change-pin before activation: $out"; ok
for sub in activate show change-pin scan; do
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
printf '{"version":1,"server":"https://127.0.0.1:9","certificate":"AAAA","caCertificate":"AAAA","activatedAt":0,"tlsPin":"not-a-pin"}\n' >"$work/h/wallet.json"
run --home "$work/h" show
[[ $rc -eq 1 ]] && jq -e '.errorCode == "walletCorrupt"' <<<"$out" >/dev/null || fail "show with a damaged tlsPin: $out"; ok
echo '{"version":1' >"$work/h/wallet.json"
run --home "$work/h" show
[[ $rc -eq 1 ]] && jq -e '.errorCode == "walletCorrupt"' <<<"$out" >/dev/null || fail "show with a damaged wallet: $out"; ok

# --- scan (login and signing): what can be checked without an issuer ---------------------
login_qr="tillit.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
s="$work/s"
run --home "$s" scan --approve; [[ $rc -eq 2 ]] || fail "scan without --qr/--image"; ok
run --home "$s" scan --qr "$login_qr" --approve --decline
[[ $rc -eq 2 ]] && grep -q -- "--approve or --decline" "$work/err" || fail "--approve with --decline: $rc"; ok
run --home "$s" scan --qr "$login_qr" --image "$work/x.png" --approve; [[ $rc -eq 2 ]] || fail "--qr with --image"; ok
run --home "$s" scan --qr "$login_qr" --decline --pin 482915; [[ $rc -eq 2 ]] || fail "--decline with --pin"; ok
run --home "$s" scan --qr "$login_qr" --approve=yes; [[ $rc -eq 2 ]] || fail "--approve takes no value"; ok
run --home "$s" scan --qr "$login_qr" --new-pin 482915; [[ $rc -eq 2 ]] || fail "--new-pin does not apply to scan"; ok
run --home "$s" scan --qr "$login_qr" --server http://127.0.0.1:9 --approve; [[ $rc -eq 2 ]] || fail "--server does not apply to scan"; ok
run --home "$s" activate --code "ABCD-EFGH-JKLM-NPRS" --image "$work/x.png" --server http://127.0.0.1:9 --pin 482915
[[ $rc -eq 2 ]] || fail "activate with --code and --image"; ok
for garbage in "garbage" "" "$login_qr " "TILLIT.${login_qr#tillit.}" "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:http://127.0.0.1:9" \
    "tillit.67df3917-fa0d-44e5-b327-edcc928297f8.01.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"; do
  run --home "$s" scan --qr "$garbage" --approve --pin 482915
  [[ $rc -eq 1 ]] && jq -e '.errorCode == "qrInvalid"' <<<"$out" >/dev/null || fail "scan --qr '$garbage': $out"; ok
done
# A well-formed code on a device without an eID: refused locally, before any network call.
run --home "$s" scan --qr "$login_qr" --decline
[[ $rc -eq 1 ]] && jq -e '.errorCode == "notActivated"' <<<"$out" >/dev/null || fail "scan without a wallet: $out"; ok
printf 'this is not a picture\n' >"$work/not-an-image.png"
run --home "$s" scan --image "$work/not-an-image.png" --approve --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "imageUnreadable"' <<<"$out" >/dev/null || fail "scan --image of a non-image: $out"; ok
head -c 100 /dev/urandom >"$work/random.jpg"; printf '\xff\xd8\xff' | cat - "$work/random.jpg" >"$work/fake.jpg"
run --home "$s" scan --image "$work/fake.jpg" --decline
[[ $rc -eq 1 ]] && jq -e '.errorCode == "imageUnreadable"' <<<"$out" >/dev/null || fail "scan --image of a fake JPEG: $out"; ok
run --home "$s" scan --image "$work/missing.png" --decline
[[ $rc -eq 1 ]] && jq -e '.errorCode == "ioError"' <<<"$out" >/dev/null || fail "scan --image of a missing file: $out"; ok
run --home "$s" activate --image "$work/not-an-image.png" --server http://127.0.0.1:9 --pin 482915
[[ $rc -eq 1 ]] && jq -e '.errorCode == "imageUnreadable"' <<<"$out" >/dev/null || fail "activate --image of a non-image: $out"; ok
[[ ! -e $s/wallet.json ]] || fail "scan left a wallet behind"; ok
if [[ -x $bin/tillit-qr ]]; then
  # Pictures of QR codes made by tillit-qr: the login code reaches the wallet check, another
  # text is qrInvalid, the activation code reaches the (unreachable) issuer.
  "$bin/tillit-qr" png --out "$work/login.png" --module-px 3 "$login_qr" >/dev/null
  run --home "$s" scan --image "$work/login.png" --approve --pin 482915
  [[ $rc -eq 1 ]] && jq -e '.errorCode == "notActivated"' <<<"$out" >/dev/null || fail "scan --image of a login QR: $out"; ok
  "$bin/tillit-qr" png --out "$work/hello.png" "hello" >/dev/null
  run --home "$s" scan --image "$work/hello.png" --decline
  [[ $rc -eq 1 ]] && jq -e '.errorCode == "qrInvalid"' <<<"$out" >/dev/null || fail "scan --image of another QR: $out"; ok
  "$bin/tillit-qr" png --out "$work/act.png" "tillit-activate:v1:ABCD-EFGH-JKLM-NPRS:http://127.0.0.1:9" >/dev/null
  run --home "$work/a" activate --image "$work/act.png" --pin 482915
  [[ $rc -eq 1 ]] && jq -e '.errorCode == "networkError"' <<<"$out" >/dev/null || fail "activate --image: $out"; ok
fi
echo "$passed passed, 0 failed"
