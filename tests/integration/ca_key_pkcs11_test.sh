#!/usr/bin/env bash
# The issuer CA key in a PKCS#11 token (docs/operations.md §1.1), end to end with SoftHSM2:
# a private token made here (softhsm2-util, pkcs11-tool with an Ed25519 key pair), then
# `tillit-server serve --ca-pkcs11-...` on a new data directory creates ca.pem with the token
# key; enrol → issue → activate and the CRL are signed in the token and verify with openssl;
# a wrong PIN, module, token or key label fail clearly; missing flags are usage errors; the
# PIN never appears in any output, nor in the environment of a server given it in a variable.
# Without SoftHSM2 or OpenSC: exit 77 (skipped), or a failure under CI=true.
# Usage: bash ca_key_pkcs11_test.sh BIN_DIR
bin=${1:?usage: ca_key_pkcs11_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

module=
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [[ -f $candidate ]] && { module=$candidate; break; }
done
if [[ -z $module ]] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null \
   || ! command -v openssl >/dev/null; then
  [[ ${CI:-} == true ]] && fail "SoftHSM2, OpenSC and openssl are required under CI (tools/setup.sh installs them)"
  echo "SKIP: needs the Debian packages softhsm2, opensc and openssl (tools/setup.sh installs them)"
  exit 77
fi

# Sanitizer build: SoftHSM2 leaks a little per signature; tests/lsan.supp suppresses it,
# which LeakSanitizer can match only with full unwinding.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}fast_unwind_on_malloc=0"

# A token of this test's own: SoftHSM2 reads its token directory from SOFTHSM2_CONF.
pin="hsm-user-pin-6d02a9"
so_pin="hsm-so-pin-1c77e4"
mkdir -p "$work/softhsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$work/softhsm/tokens" > "$work/softhsm/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm/softhsm2.conf"
softhsm2-util --init-token --free --label tillit-ca --pin "$pin" --so-pin "$so_pin" >/dev/null
p11() { pkcs11-tool --module "$module" --token-label tillit-ca --login --pin "$pin" "$@" >/dev/null 2>&1; }
p11 --keypairgen --key-type EC:edwards25519 --label issuer-ca --id 01 || fail "pkcs11-tool cannot make an Ed25519 key"
p11 --keypairgen --key-type EC:edwards25519 --label other --id 02 || fail "second key"
ok "set-up: a SoftHSM2 token with Ed25519 keys"

printf '%s\n' "$pin" > "$work/pin"
export TILLIT_TEST_HSM_PIN=$pin
hsm=(--ca-pkcs11-module "$module" --ca-pkcs11-token tillit-ca --ca-pkcs11-key issuer-ca)
outputs="$work/outputs"
: > "$outputs"
run() {  # run ARGS...: tillit-server with ARGS; stdout in $out; sets rc; keeps both streams
  set +e
  out=$("$bin/tillit-server" "$@" 2> "$work/stderr"); rc=$?
  set -e
  { echo "$out"; cat "$work/stderr"; } >> "$outputs"
}

# 1. serve creates the data directory and ca.pem with the token's key.
start_server "${hsm[@]}" --ca-pkcs11-pin-file "$work/pin"
[[ -f $work/data/ca.pem && ! -e $work/data/ca.key && ! -e $work/data/ca.key.pem ]] \
  || fail "expected ca.pem and no CA key file: $(ls "$work/data")"
# pkcs11-tool prints the public key object as a PEM SubjectPublicKeyInfo.
token_pub=$(pkcs11-tool --module "$module" --token-label tillit-ca --read-object --type pubkey \
  --label issuer-ca 2>/dev/null | openssl pkey -pubin)
cert_pub=$(openssl x509 -in "$work/data/ca.pem" -noout -pubkey)
[[ -n $token_pub && $token_pub == "$cert_pub" ]] || fail "ca.pem does not hold the token's public key"
ok "ca.pem holds the token's public key"
verified=$(openssl verify -CAfile "$work/data/ca.pem" "$work/data/ca.pem" 2>&1) || fail "CA self-signature: $verified"
ok "serve creates ca.pem, self-signed in the token, and no CA key file"

# 2. Issuance through the running server, signed in the token.
run admin --data "$work/data" add-officer --name "Anna Berg" --organisation "Migrationsverket" \
  --role officer "${hsm[@]}" --ca-pkcs11-pin-env TILLIT_TEST_HSM_PIN
[[ $rc -eq 0 ]] || fail "add-officer with the token: $out $(cat "$work/stderr")"
token=$(jq -r .token <<<"$out")
desk() { "$bin/tillit-desk" --server "$url" --token "$token" "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)
out=$(desk enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
out=$(desk issue "$(jq -r .enrolmentId <<<"$out")")
expect "$out" '.identifier | length == 12' "enrol and issue with the CA key in the token"
id=$(jq -r .identifier <<<"$out"); code=$(jq -r .activationCode <<<"$out")
out=$("$bin/tillit-device" --home "$work/dev" activate --server "$url" --code "$code" --pin 482915)
expect "$out" '.credentialSerial | length == 32' "a device activates"
serial=$(jq -r .credentialSerial <<<"$out")
jq -r .certificate "$work/dev/wallet.json" | base64 -d > "$work/holder.der"
openssl x509 -inform DER -in "$work/holder.der" -out "$work/holder.pem"
verified=$(openssl verify -CAfile "$work/data/ca.pem" "$work/holder.pem" 2>&1) || fail "openssl verify: $verified"
ok "openssl verify accepts the holder certificate signed in the token"
out=$(desk revoke "$id" --reason "phone stolen")
expect "$out" '.revokedCredentials == 1' "revoke"
curl -s -o "$work/crl.der" "$url/status/v1/crl"
crl=$(openssl crl -inform DER -in "$work/crl.der" -CAfile "$work/data/ca.pem" -noout 2>&1) || fail "openssl crl: $crl"
grep -q "verify OK" <<<"$crl" || fail "CRL does not verify: $crl"
openssl crl -inform DER -in "$work/crl.der" -noout -text | grep -q "Serial Number: ${serial^^}" \
  || fail "the revoked serial is not on the CRL"
ok "the CRL, signed in the token, lists the revoked credential and verifies under ca.pem"
stop_server

# 3. A restart with the token finds the same CA. While the token is gone, signing answers
# 503 signerUnavailable (the detail only in the server's log); when it is back, the server
# reconnects by itself.
before=$(sha256sum < "$work/data/ca.pem")
start_server "${hsm[@]}" --ca-pkcs11-pin-env TILLIT_TEST_HSM_PIN
[[ $(sha256sum < "$work/data/ca.pem") == "$before" ]] || fail "ca.pem changed"
ok "a restart keeps ca.pem"
# The PIN is wiped where the kernel shows the environment the server started with (and the
# variable removed, so children would not inherit it).
grep -qa "TILLIT_TEST_HSM_PIN=" "/proc/$server_pid/environ" || fail "test set-up: the variable's name is not in /proc/$server_pid/environ"
! grep -qaF -- "$pin" "/proc/$server_pid/environ" || fail "the PIN stays in the server's environment"
ok "the server wipes --ca-pkcs11-pin-env's variable from its environment"
mv "$work/softhsm/tokens" "$work/softhsm/tokens.away" && mkdir "$work/softhsm/tokens"
code=$(curl -s -o "$work/body" -w '%{http_code}' "$url/status/v1/crl")  # a fresh process signs a new CRL
[[ $code == 503 ]] && jq -e '.errorCode == "signerUnavailable"' "$work/body" >/dev/null \
  || fail "CRL with the token gone: $code $(cat "$work/body")"
grep -q "tillit-ca" "$work/body" && fail "the client is told the token's details: $(cat "$work/body")"
grep -q "CA signer: signerUnavailable" "$work/server.err" || fail "no log line for the outage"
ok "with the token gone, signing is 503 signerUnavailable and the detail goes to the log"
rmdir "$work/softhsm/tokens" && mv "$work/softhsm/tokens.away" "$work/softhsm/tokens"
# For a second after a failed reconnect the signer answers 503 at once (its back-off).
for _ in $(seq 1 30); do
  code=$(curl -s -o "$work/crl.der" -w '%{http_code}' "$url/status/v1/crl")
  [[ $code == 503 ]] || break
  sleep 0.2
done
[[ $code == 200 ]] || fail "CRL after the token came back: $code"
openssl crl -inform DER -in "$work/crl.der" -CAfile "$work/data/ca.pem" -noout 2>&1 | grep -q "verify OK" \
  || fail "CRL after reconnecting does not verify"
ok "when the token is back, the server reconnects and signs again"
stop_server

# 4. What goes wrong, and how it is reported (exit 1 runtime, 2 usage).
printf 'wrong-pin-00\n' > "$work/wrong-pin"
runtime_error() {  # runtime_error WHAT CODE ARGS...
  local what=$1 code=$2; shift 2
  run admin --data "$work/data" add-rp --name X "$@"
  [[ $rc -eq 1 ]] && grep -q "$code" "$work/stderr" || fail "$what: rc=$rc $(cat "$work/stderr")"
  ok "$what: $code"
}
runtime_error "a wrong PIN" caKeyLocked "${hsm[@]}" --ca-pkcs11-pin-file "$work/wrong-pin"
grep -q "wrong-pin-00" "$work/stderr" && fail "the wrong PIN is echoed"
runtime_error "a missing module" signerUnavailable --ca-pkcs11-module "$work/no-such-module.so" \
  --ca-pkcs11-token tillit-ca --ca-pkcs11-key issuer-ca --ca-pkcs11-pin-file "$work/pin"
runtime_error "an unknown token" signerUnavailable --ca-pkcs11-module "$module" \
  --ca-pkcs11-token no-such-token --ca-pkcs11-key issuer-ca --ca-pkcs11-pin-file "$work/pin"
runtime_error "an unknown key label" notFound --ca-pkcs11-module "$module" \
  --ca-pkcs11-token tillit-ca --ca-pkcs11-key no-such-key --ca-pkcs11-pin-file "$work/pin"
runtime_error "another token key than ca.pem's" "does not match the token key" --ca-pkcs11-module "$module" \
  --ca-pkcs11-token tillit-ca --ca-pkcs11-key other --ca-pkcs11-pin-file "$work/pin"
run admin --data "$work/data" add-rp --name X
[[ $rc -eq 1 ]] && grep -q "internalError" "$work/stderr" || fail "no CA key flags: rc=$rc $(cat "$work/stderr")"
[[ ! -e $work/data/ca.key ]] || fail "a plain ca.key was created beside ca.pem"
ok "without the token flags nothing creates a new CA key"
usage_error() {  # usage_error WHAT GREP ARGS...
  local what=$1 pattern=$2; shift 2
  run admin --data "$work/data" add-rp --name X "$@"
  [[ $rc -eq 2 ]] && grep -q -- "$pattern" "$work/stderr" || fail "$what: rc=$rc $(cat "$work/stderr")"
  ok "$what is a usage error naming $pattern"
}
usage_error "no PIN" "--ca-pkcs11-pin-file" "${hsm[@]}"
usage_error "no token label" "--ca-pkcs11-token" --ca-pkcs11-module "$module" --ca-pkcs11-key issuer-ca \
  --ca-pkcs11-pin-file "$work/pin"
usage_error "no key label" "--ca-pkcs11-key" --ca-pkcs11-module "$module" --ca-pkcs11-token tillit-ca \
  --ca-pkcs11-pin-file "$work/pin"
usage_error "no module" "--ca-pkcs11-module" --ca-pkcs11-token tillit-ca --ca-pkcs11-key issuer-ca \
  --ca-pkcs11-pin-file "$work/pin"
usage_error "two PIN sources" "not both" "${hsm[@]}" --ca-pkcs11-pin-file "$work/pin" \
  --ca-pkcs11-pin-env TILLIT_TEST_HSM_PIN
run serve --data "$work/data" "${hsm[@]}" --ca-pkcs11-pin-file "$work/pin" --ca-key-passphrase-file "$work/pin"
[[ $rc -eq 2 ]] && grep -q "not both" "$work/stderr" || fail "serve with a passphrase and a token: rc=$rc"
ok "serve refuses a passphrase together with a token"

# 5. A CA key file beside a token key is refused.
printf '0123456789abcdef0123456789abcdef' > "$work/data/ca.key"
runtime_error "ca.key beside the token key" "two CA keys" "${hsm[@]}" --ca-pkcs11-pin-file "$work/pin"
rm "$work/data/ca.key"

# 6. The PIN never appears in any output, nor in the server's log.
cat "$work/server.out" "$work/server.err" >> "$outputs"
! grep -q "$pin" "$outputs" || fail "the PIN appears in the output"
! grep -q "$so_pin" "$outputs" || fail "the SO PIN appears in the output"
ok "no output holds the PIN"
echo "$passed passed, 0 failed"
