#!/usr/bin/env bash
# The issuer CA key under a passphrase (docs/operations.md §1.1, §1.2), as an operator uses
# it: a new data directory started with --ca-key-passphrase-file gets only ca.key.pem, which
# `openssl pkey` opens with the same passphrase; enrol → issue → activate signs with it; a
# restart without the passphrase or with a wrong one fails with caKeyLocked; the flags'
# usage errors; `admin protect-ca-key` converts a plain ca.key. No passphrase ever appears
# in any output, and a server given it in a variable wipes it from its environment.
# Usage: bash ca_key_passphrase_test.sh BIN_DIR
bin=${1:?usage: ca_key_passphrase_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v openssl >/dev/null || fail "the openssl command line is needed (tools/setup.sh installs it)"

passphrase="tillit-passphrase-3b9e41c7"
printf '%s\n' "$passphrase" > "$work/passphrase"   # one trailing newline, as editors write
export TILLIT_TEST_CA_PASSPHRASE=$passphrase
outputs="$work/outputs"  # everything the commands print, grepped for the passphrase at the end
: > "$outputs"
# run ARGS...: tillit-server with ARGS; stdout in $out, both streams kept; sets rc.
run() {
  set +e
  out=$("$bin/tillit-server" "$@" 2> "$work/stderr"); rc=$?
  set -e
  { echo "$out"; cat "$work/stderr"; } >> "$outputs"
}

# 1. First start with a passphrase: ca.key.pem only, and OpenSSL opens it.
run admin --data "$work/data" add-officer --name "Anna Berg" --organisation "Migrationsverket" \
  --role officer --ca-key-passphrase-file "$work/passphrase"
[[ $rc -eq 0 ]] || fail "add-officer with a passphrase: $out $(cat "$work/stderr")"
token=$(jq -r .token <<<"$out")
[[ -f $work/data/ca.key.pem && ! -e $work/data/ca.key ]] || fail "expected ca.key.pem and no ca.key: $(ls "$work/data")"
[[ $(stat -c %a "$work/data/ca.key.pem") == 600 ]] || fail "ca.key.pem mode"
grep -q -- "-----BEGIN ENCRYPTED PRIVATE KEY-----" "$work/data/ca.key.pem" || fail "not an encrypted PKCS#8 PEM"
ok "a new data directory gets only the encrypted ca.key.pem (0600)"
key_pub=$(openssl pkey -in "$work/data/ca.key.pem" -passin "file:$work/passphrase" -pubout) \
  || fail "openssl pkey cannot open ca.key.pem with the passphrase"
cert_pub=$(openssl x509 -in "$work/data/ca.pem" -noout -pubkey)
[[ $key_pub == "$cert_pub" ]] || fail "ca.key.pem is not ca.pem's key"
openssl pkey -in "$work/data/ca.key.pem" -passin pass:wrong -noout 2>/dev/null && fail "openssl opened it with a wrong passphrase"
ok "openssl pkey opens ca.key.pem with the passphrase (and only with it); it is ca.pem's key"

# 2. The server signs with it: enrol, issue, activate; the holder certificate and the CRL
# verify under ca.pem.
start_server --ca-key-passphrase-env TILLIT_TEST_CA_PASSPHRASE
# The server wiped the value where the kernel shows the environment it started with (and
# removed the variable, so its children would not inherit it).
grep -qa "TILLIT_TEST_CA_PASSPHRASE=" "/proc/$server_pid/environ" || fail "test set-up: the variable's name is not in /proc/$server_pid/environ"
! grep -qaF -- "$passphrase" "/proc/$server_pid/environ" || fail "the passphrase stays in the server's environment"
ok "the server wipes --ca-key-passphrase-env's variable from its environment"
desk() { "$bin/tillit-desk" --server "$url" --token "$token" "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)
out=$(desk enrol --given-name Amal --surname Hassan --birth-date 1990-04-01 --nationality SYR \
  --evidence "passport:N1234567:SYR:$expiry" --check chip-read --check face-to-photo)
out=$(desk issue "$(jq -r .enrolmentId <<<"$out")")
code=$(jq -r .activationCode <<<"$out")
out=$("$bin/tillit-device" --home "$work/dev" activate --server "$url" --code "$code" --pin 482915)
expect "$out" '.credentialSerial | length == 32' "a device activates with a certificate signed by the encrypted key"
jq -r .certificate "$work/dev/wallet.json" | base64 -d > "$work/holder.der"
openssl x509 -inform DER -in "$work/holder.der" -out "$work/holder.pem"
verified=$(openssl verify -CAfile "$work/data/ca.pem" "$work/holder.pem" 2>&1) || fail "openssl verify: $verified"
ok "openssl verify accepts the holder certificate under ca.pem"
curl -s -o "$work/crl.der" "$url/status/v1/crl"
crl=$(openssl crl -inform DER -in "$work/crl.der" -CAfile "$work/data/ca.pem" -noout 2>&1) || fail "openssl crl: $crl"
grep -q "verify OK" <<<"$crl" || fail "CRL does not verify: $crl"
ok "the CRL verifies under ca.pem"
stop_server

# 3. Locked: no passphrase, a wrong one; nothing changes on disk.
before=$(cd "$work/data" && sha256sum ca.key.pem ca.pem identifier.key pepper.key result.key)
run serve --data "$work/data" --listen 127.0.0.1:0
[[ $rc -eq 1 ]] && grep -q "caKeyLocked" "$work/stderr" && grep -q -- "--ca-key-passphrase-file" "$work/stderr" \
  || fail "serve without the passphrase: rc=$rc $(cat "$work/stderr")"
ok "serve without the passphrase fails with caKeyLocked and names the flags"
printf 'not-the-passphrase\n' > "$work/wrong"
run admin --data "$work/data" add-rp --name "Exempelkommun" --ca-key-passphrase-file "$work/wrong"
[[ $rc -eq 1 ]] && grep -q "caKeyLocked" "$work/stderr" || fail "wrong passphrase: rc=$rc $(cat "$work/stderr")"
grep -q "not-the-passphrase" "$work/stderr" && fail "the wrong passphrase is echoed"
ok "a wrong passphrase fails with caKeyLocked, without echoing it"
after=$(cd "$work/data" && sha256sum ca.key.pem ca.pem identifier.key pepper.key result.key)
[[ $before == "$after" ]] || fail "key files changed"
ok "locked starts change no key file"

# 4. Usage errors (exit 2).
: > "$work/empty"
printf '\n' > "$work/newline-only"
usage_error() {  # usage_error WHAT GREP ARGS...
  local what=$1 pattern=$2; shift 2
  run admin --data "$work/data" add-rp --name X "$@"
  [[ $rc -eq 2 ]] && grep -q -- "$pattern" "$work/stderr" || fail "$what: rc=$rc $(cat "$work/stderr")"
  ok "$what is a usage error"
}
usage_error "an empty passphrase file" "is empty" --ca-key-passphrase-file "$work/empty"
usage_error "a passphrase file holding only a newline" "is empty" --ca-key-passphrase-file "$work/newline-only"
usage_error "a missing passphrase file" "cannot open" --ca-key-passphrase-file "$work/nonexistent"
usage_error "an unset passphrase variable" "is not set" --ca-key-passphrase-env TILLIT_TEST_UNSET_VARIABLE
usage_error "both passphrase flags" "not both" --ca-key-passphrase-file "$work/passphrase" \
  --ca-key-passphrase-env TILLIT_TEST_CA_PASSPHRASE
usage_error "a passphrase with PKCS#11 flags" "not both" --ca-key-passphrase-file "$work/passphrase" \
  --ca-pkcs11-module /nonexistent.so
run serve --data "$work/data" --ca-key-passphrase-env ""
[[ $rc -eq 2 ]] || fail "serve with an empty variable name: rc=$rc"
run admin --data "$work/data" add-rp --name "Exempelkommun" --ca-key-passphrase-env TILLIT_TEST_CA_PASSPHRASE
[[ $rc -eq 0 ]] || fail "add-rp with the passphrase: $out $(cat "$work/stderr")"
ok "admin commands open the keys with --ca-key-passphrase-env"
run admin --data "$work/data" audit-verify --ca-key-passphrase-file "$work/passphrase"
expect "$out" '.ok == true' "audit-verify opens a directory with ca.key.pem"
run admin --data "$work/data" leases --ca-key-passphrase-file "$work/passphrase"
[[ $rc -eq 0 ]] || fail "leases with the passphrase: $out $(cat "$work/stderr")"
ok "the offline-desk commands take the passphrase too"

# 5. protect-ca-key on a directory with a plain ca.key.
run admin --data "$work/plain" add-officer --name "Omar Said" --organisation "Migrationsverket" --role supervisor
[[ $rc -eq 0 && -f $work/plain/ca.key ]] || fail "plain directory: $(cat "$work/stderr")"
run admin --data "$work/plain" protect-ca-key --help
[[ $rc -eq 0 ]] && grep -q "protect-ca-key" <<<"$out" || fail "protect-ca-key --help"
run admin --data "$work/plain" protect-ca-key
[[ $rc -eq 2 ]] || fail "protect-ca-key without a passphrase: rc=$rc"
run admin --data "$work/plain" protect-ca-key --ca-key-passphrase-file "$work/passphrase"
expect "$out" '.caKeyFile == "ca.key.pem" and .removed == "ca.key" and (.caPublicKey | length == 64)' "protect-ca-key reports the conversion"
[[ -f $work/plain/ca.key.pem && ! -e $work/plain/ca.key ]] || fail "after protect-ca-key: $(ls "$work/plain")"
[[ $(openssl pkey -in "$work/plain/ca.key.pem" -passin "file:$work/passphrase" -pubout) == \
   "$(openssl x509 -in "$work/plain/ca.pem" -noout -pubkey)" ]] || fail "protected key is not ca.pem's"
ok "protect-ca-key leaves only ca.key.pem, holding ca.pem's key"
run admin --data "$work/plain" add-rp --name "Kommun"
[[ $rc -eq 1 ]] && grep -q caKeyLocked "$work/stderr" || fail "plain start after protect-ca-key: rc=$rc"
run admin --data "$work/plain" add-rp --name "Kommun" --ca-key-passphrase-file "$work/passphrase"
[[ $rc -eq 0 ]] || fail "start with the passphrase after protect-ca-key: $(cat "$work/stderr")"
ok "after protect-ca-key the keys open with the passphrase only"
run admin --data "$work/plain" protect-ca-key --ca-key-passphrase-file "$work/passphrase"
[[ $rc -eq 1 ]] && jq -e '.errorCode == "notFound"' <<<"$out" >/dev/null || fail "second protect-ca-key: $out"
ok "protect-ca-key twice: notFound"

# 6. The passphrase never appears in any output, nor in the server's log.
cat "$work/server.out" "$work/server.err" >> "$outputs"
! grep -q "$passphrase" "$outputs" || fail "the passphrase appears in the output"
ok "no output holds the passphrase"
echo "$passed passed, 0 failed"
