#!/usr/bin/env bash
# Installs what is missing, builds, and starts the issuer server (tillit-server) on embedded
# SQLite. First start creates the data directory (database, issuer CA, keys) and a demo
# officer whose token is printed once, and the e-service Exempelkommun that the sample
# e-service at /demo/ logs in as (docs/demo.md); later starts reuse them.
#   TILLIT_DATA   data directory (default: var/ in the checkout, ignored by git)
#   TILLIT_LISTEN address to listen on (default 127.0.0.1:8080)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$("$root/tools/setup.sh")
data=${TILLIT_DATA:-$root/var}
listen=${TILLIT_LISTEN:-127.0.0.1:8080}
server=$build/bin/tillit-server

if [[ ! -f $data/demo-officer.json ]]; then
  mkdir -p "$data" && chmod 700 "$data"
  # The token is shown once and stored only hashed in the database; keep this copy only
  # on a demo machine.
  (umask 077; "$server" admin --data "$data" add-officer --name "Demo Officer" \
    --organisation "Tillit demo desk" --role supervisor > "$data/demo-officer.json")
  echo "created demo officer (token saved in $data/demo-officer.json)"
fi
token=$(sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p' "$data/demo-officer.json")
if [[ ! -f $data/demo-rp.json ]]; then
  (umask 077; "$server" admin --data "$data" add-rp --name "Exempelkommun" > "$data/demo-rp.json")
  echo "created demo e-service Exempelkommun (API key saved in $data/demo-rp.json)"
fi
rp_key=$(sed -n 's/.*"apiKey" *: *"\([^"]*\)".*/\1/p' "$data/demo-rp.json")

cat <<MSG
Tillit issuer server
  data directory   $data
  sample e-service http://$listen/demo/     (Exempelkommun: log in and sign; docs/demo.md)
  enrolment desk   http://$listen/desk/     (sign in with the demo officer's token)
  desk API         http://$listen/desk/v1/   (docs/desk-api.md)
  e-service API    http://$listen/rp/v1/     (docs/protocol.md)
  issuer CA, keys  http://$listen/.well-known/tillit-ca.pem, /.well-known/jwks.json
  demo officer     tillit-desk --server http://$listen --token $token search Amal
  demo e-service   curl -X POST http://$listen/rp/v1/auth -H 'Authorization: Bearer $rp_key' \\
                     -H 'Content-Type: application/json' -d '{"endUserIp":"127.0.0.1"}'
  programs         $build/bin/ (tillit-desk, tillit-device, tillit-qr, tillit-verify, tillit-id)
Stop with Ctrl-C.
MSG
exec "$server" serve --data "$data" --listen "$listen" --demo-rp "$data/demo-rp.json"
