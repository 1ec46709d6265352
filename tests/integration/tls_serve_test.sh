#!/usr/bin/env bash
# tillit-server serve over HTTPS (docs/http.md §TLS), with certificates the openssl command
# line makes here: usage errors, `listening on https://`, curl verifying the server against
# the test CA, plain HTTP refused, the activation QR carrying the pin of the certificate's
# key (computed the way docs/http.md tells operators to), e-services authenticated by
# client certificate (admin add-rp --client-subject, set-rp-client-subject), and a clean
# stop.
# Usage: bash tls_serve_test.sh BIN_DIR
bin=${1:?usage: tls_serve_test.sh BIN_DIR}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v openssl >/dev/null || fail "the openssl command line is needed (tools/setup.sh installs it)"
command -v curl >/dev/null || fail "curl is needed (tools/setup.sh installs it)"

admin() { "$bin/tillit-server" admin --data "$work/data" "$@"; }
pki=$work/pki
mkdir -p "$pki"

# new_ca NAME CN: a P-256 CA (NAME.pem, NAME.key).
new_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$pki/$1.key" -out "$pki/$1.pem" -subj "/O=Tillit test/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
}
# new_cert NAME CA SUBJECT EXTENSIONS: a P-256 certificate signed by CA.
new_cert() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "$3" 2>/dev/null
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" -CAcreateserial \
    -days 1 -out "$pki/$1.pem" -extfile <(printf '%s\n' "$4") 2>/dev/null
}
new_ca server-ca "Server CA"
new_cert server server-ca "/O=Tillit test/CN=localhost" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
new_ca client-ca "E-service CA"
new_cert kommun client-ca "/C=SE/O=Exempelkommun/CN=e-tjanst" "extendedKeyUsage=clientAuth"
new_cert stranger client-ca "/C=SE/O=Okand/CN=x" "extendedKeyUsage=clientAuth"
[[ -s $pki/server.pem && -s $pki/kommun.pem ]] || fail "openssl made no certificates"
chmod 600 "$pki"/*.key
ok "test PKI made with the openssl command line"

# Usage errors exit 2 before anything starts.
usage_error() {
  local what=$1; shift
  set +e; "$bin/tillit-server" serve --data "$work/data" --listen 127.0.0.1:0 "$@" >/dev/null 2>"$work/usage.err"; local rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, expected 2"
  ok "$what is a usage error"
}
usage_error "--tls-cert without --tls-key" --tls-cert "$pki/server.pem"
usage_error "--tls-key without --tls-cert" --tls-key "$pki/server.key"
usage_error "--rp-client-ca without TLS" --rp-client-ca "$pki/client-ca.pem"
usage_error "--public-tls-pin with --tls-cert" --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" \
  --public-url https://id.example --public-tls-pin 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU
usage_error "--public-tls-pin without an https:// --public-url" \
  --public-tls-pin 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU
usage_error "a malformed --public-tls-pin" --public-url https://id.example --public-tls-pin abc
# A key that is not the certificate's: a runtime error naming the file, nothing served.
set +e; "$bin/tillit-server" serve --data "$work/data" --listen 127.0.0.1:0 \
  --tls-cert "$pki/server.pem" --tls-key "$pki/kommun.key" >/dev/null 2>"$work/mismatch.err"; rc=$?; set -e
[[ $rc -eq 1 ]] && grep -q "invalidTlsConfig" "$work/mismatch.err" && grep -q "kommun.key" "$work/mismatch.err" \
  || fail "mismatched key: exit $rc, $(cat "$work/mismatch.err")"
! grep -q "PRIVATE KEY" "$work/mismatch.err" || fail "key material in the error"
ok "a key that does not match the certificate stops the start (invalidTlsConfig)"

# Accounts before the start; the subject exactly as openssl prints it in RFC 2253 form.
subject=$(openssl x509 -in "$pki/kommun.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
[[ $subject == "CN=e-tjanst,O=Exempelkommun,C=SE" ]] || fail "unexpected subject $subject"
token=$(admin add-officer --name "Anna Berg" --organisation "Migrationsverket" --role officer | jq -r .token)
rp=$(admin add-rp --name "Exempelkommun" --client-subject "$subject")
expect "$rp" ".rpId and (.apiKey | length > 20) and .clientSubject == \"$subject\"" "add-rp --client-subject prints the subject"
rp_id=$(jq -r .rpId <<<"$rp"); key=$(jq -r .apiKey <<<"$rp")

start_server --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" --rp-client-ca "$pki/client-ca.pem"
[[ $url == https://127.0.0.1:* ]] || fail "listening line: $url"
ok "listening on https://"

# curl checks the server's certificate against the test CA and the name 127.0.0.1.
https() { curl -sS --cacert "$pki/server-ca.pem" "$@"; }
https -o "$work/ca.pem" -w '%{http_code}' "$url/.well-known/tillit-ca.pem" > "$work/code"
[[ $(cat "$work/code") == 200 ]] && grep -q "BEGIN CERTIFICATE" "$work/ca.pem" || fail "GET over HTTPS failed"
ok "HTTPS request verified against the test CA"
version=$(https --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$url/.well-known/tillit-ca.pem")
[[ $version == 200 ]] || fail "TLS 1.2 client refused"
ok "a TLS 1.2 client is served"

# Plain HTTP on the same port: no HTTP answer at all.
plain_url=${url/https:/http:}
set +e; code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$plain_url/.well-known/tillit-ca.pem" 2>/dev/null); rc=$?; set -e
[[ $rc -ne 0 && $code == 000 ]] || fail "plain HTTP answered: rc=$rc code=$code"
ok "plain HTTP to the TLS port gets no HTTP answer"

# The activation QR carries the pin of the certificate's key, as the operator computes it.
pin=$(openssl x509 -in "$pki/server.pem" -pubkey -noout | openssl pkey -pubin -outform der \
  | openssl dgst -sha256 -binary | basenc --base64url | tr -d '=')
[[ ${#pin} -eq 43 ]] || fail "pin $pin"
desk() { https -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
expiry=$(date -u -d '+3 years' +%Y-%m-%d)
out=$(desk -d '{"person": {"givenName": "Amal", "surname": "Hassan", "birthDate": "1990-04-01", "nationality": "SYR"},
  "evidence": [{"type": "passport", "number": "N1234567", "country": "SYR", "expiry": "'"$expiry"'"}],
  "checks": ["chip-read", "face-to-photo"]}' "$url/desk/v1/enrolments")
enrolment=$(jq -r .enrolmentId <<<"$out")
out=$(desk -d '{}' "$url/desk/v1/enrolments/$enrolment/issue")
expect "$out" ".activationQr == \"tillit-activate:v1:\" + .activationCode + \":$url#pin-sha256=$pin\"" \
  "the activation QR ends in #pin-sha256=<pin of the certificate's key>"

# E-services: the client certificate instead of the API key.
rp_post() { https -X POST -H 'Content-Type: application/json' -o "$work/rp.json" -w '%{http_code}' "$@"; }
auth='{"endUserIp": "192.0.2.7"}'
code=$(rp_post --cert "$pki/kommun.pem" --key "$pki/kommun.key" -d "$auth" "$url/rp/v1/auth")
[[ $code == 200 ]] || fail "auth by client certificate: $code $(cat "$work/rp.json")"
order=$(jq -r .orderRef "$work/rp.json")
code=$(rp_post --cert "$pki/kommun.pem" --key "$pki/kommun.key" -d "{\"orderRef\": \"$order\"}" "$url/rp/v1/collect")
[[ $code == 200 ]] && jq -e '.status == "pending"' "$work/rp.json" >/dev/null || fail "collect by certificate: $code"
ok "an e-service calls /rp/v1/auth and /rp/v1/collect with its certificate, no API key"
code=$(rp_post --cert "$pki/stranger.pem" --key "$pki/stranger.key" -d "$auth" "$url/rp/v1/auth")
[[ $code == 401 ]] || fail "unknown subject: $code"
ok "a certificate whose subject no e-service has is 401"
code=$(rp_post -H "Authorization: Bearer $key" -d "$auth" "$url/rp/v1/auth")
[[ $code == 200 ]] || fail "API key on HTTPS: $code"
code=$(rp_post --cert "$pki/kommun.pem" --key "$pki/kommun.key" -H "Authorization: Bearer wrong" -d "$auth" "$url/rp/v1/auth")
[[ $code == 401 ]] || fail "wrong key beside a good certificate: $code"
ok "API keys still work; a wrong key is 401 even with a good certificate"

# The operator moves the subject away and back; a running server sees it within a second.
out=$(admin set-rp-client-subject --rp-id "$rp_id" --clear)
expect "$out" ".rpId == \"$rp_id\" and .clientSubject == null" "set-rp-client-subject --clear"
sleep 1.2
code=$(rp_post --cert "$pki/kommun.pem" --key "$pki/kommun.key" -d "$auth" "$url/rp/v1/auth")
[[ $code == 401 ]] || fail "cleared subject still works: $code"
out=$(admin set-rp-client-subject --rp-id "$rp_id" --client-subject "$subject")
expect "$out" ".clientSubject == \"$subject\"" "set-rp-client-subject --client-subject"
code=$(rp_post --cert "$pki/kommun.pem" --key "$pki/kommun.key" -d "$auth" "$url/rp/v1/auth")
[[ $code == 200 ]] || fail "subject set again: $code"
ok "a subject cleared and set again by the operator takes effect in the running server"

# Admin mistakes.
admin_rc() { set +e; admin "$@" >"$work/admin.out" 2>"$work/admin.err"; local rc=$?; set -e; echo $rc; }
[[ $(admin_rc add-rp --name Annan --client-subject "$subject") == 1 ]] && grep -q conflict "$work/admin.err" \
  || fail "a taken subject: $(cat "$work/admin.err")"
[[ $(admin_rc add-rp --name Annan --client-subject "e-tjanst") == 2 ]] || fail "a subject without ="
[[ $(admin_rc set-rp-client-subject --rp-id "$rp_id") == 2 ]] || fail "neither --client-subject nor --clear"
[[ $(admin_rc set-rp-client-subject --rp-id "$rp_id" --clear --client-subject "$subject") == 2 ]] || fail "both"
[[ $(admin_rc set-rp-client-subject --clear) == 2 ]] || fail "no --rp-id"
[[ $(admin_rc add-officer --name A --organisation B --role officer --clear) == 2 ]] || fail "--clear elsewhere"
[[ $(admin_rc set-rp-client-subject --rp-id rp_0000000000000000 --clear) == 1 ]] && grep -q notFound "$work/admin.err" \
  || fail "unknown e-service: $(cat "$work/admin.err")"
admin set-rp-client-subject --help | grep -q "RFC 2253" || fail "set-rp-client-subject --help"
admin add-rp --help | grep -q -- "--client-subject" || fail "add-rp --help"
ok "admin refuses bad subjects and flag combinations (exit 2), unknown ids and taken subjects (exit 1)"

stop_server
ok "stops cleanly on SIGTERM"

# Behind a TLS-terminating proxy: plain HTTP here, the proxy's pin in the QR.
proxy_pin=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU
start_server --public-url https://id.example --public-tls-pin "$proxy_pin"
[[ $url == http://127.0.0.1:* ]] || fail "listening line: $url"
desk() { curl -sS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
out=$(desk -d '{"person": {"givenName": "Yusuf", "surname": "Ali", "birthDate": "1985-02-03", "nationality": "AFG"},
  "evidence": [{"type": "passport", "number": "P998877", "country": "AFG", "expiry": "'"$expiry"'"}],
  "checks": ["chip-read", "face-to-photo"]}' "$url/desk/v1/enrolments")
out=$(desk -d '{}' "$url/desk/v1/enrolments/$(jq -r .enrolmentId <<<"$out")/issue")
expect "$out" ".activationQr == \"tillit-activate:v1:\" + .activationCode + \":https://id.example#pin-sha256=$proxy_pin\"" \
  "--public-tls-pin puts the proxy's pin in the activation QR"
stop_server
echo "tls_serve_test: $passed checks passed"
