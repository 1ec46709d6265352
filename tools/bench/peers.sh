#!/usr/bin/env bash
# Installs the peers of Tillit's device-response verification and times their EdDSA
# assertion verify on one core (docs/performance.md "Peers"):
#   python3-fido2 (Debian package)      Fido2Server.authenticate_complete
#   @simplewebauthn/server@14 (npm)     verifyAuthenticationResponse
# and the issue's whole-login peer, on two cores (provider on core 1, client on core 0):
#   oidc-provider@9.13.3 (npm)          full authorization-code logins, 5 HTTP requests each
#                                       (peers/oidc_provider.mjs says which)
# npm packages go to a temporary directory (or $TILLIT_PEERS_DIR), never into the tree.
# Prints one JSON line per peer; a peer that cannot be installed prints
# {"peer": ..., "error": ...} and the script goes on.
# Usage: peers.sh [SECONDS] [PEER...]   PEER among fido2 simplewebauthn oidc-provider
# (default: all).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-3}"
shift || true
only=" ${*:-fido2 simplewebauthn oidc-provider} "
wants() { [[ "$only" == *" $1 "* ]]; }
oidc_version=9.13.3
# One core, as the issue's figures are per core.
pin=(taskset -c 0)
command -v taskset >/dev/null || pin=()

# The Debian package installs into the system interpreter, which a pyenv (or other) python3
# first on PATH does not see.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if wants fido2; then
  if ! "$py" -c 'import fido2' 2>/dev/null; then
    echo "peers.sh: installing python3-fido2 (apt)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q python3-fido2 >&2; else sudo apt-get install -y -q python3-fido2 >&2; fi
  fi
  if "$py" -c 'import fido2' 2>/dev/null; then
    "${pin[@]}" "$py" "$here/peers/fido2_verify.py" "$seconds" ||
      echo '{"peer": "python3-fido2", "error": "the timing script failed"}'
  else
    echo '{"peer": "python3-fido2", "error": "could not be installed"}'
  fi
fi

dir="${TILLIT_PEERS_DIR:-}"
cleanup=""
if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/tillit-peers-XXXXXX)"; cleanup="$dir"; fi
trap '[ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT
if command -v npm >/dev/null && command -v node >/dev/null; then
  if wants simplewebauthn; then
    if [ ! -d "$dir/node_modules/@simplewebauthn/server" ]; then
      echo "peers.sh: installing @simplewebauthn/server@14 (npm) into $dir" >&2
      (cd "$dir" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund -s @simplewebauthn/server@14 >&2)
    fi
    if [ -d "$dir/node_modules/@simplewebauthn/server" ]; then
      "${pin[@]}" node "$here/peers/simplewebauthn_verify.mjs" "$dir/node_modules" "$seconds" ||
        echo '{"peer": "@simplewebauthn/server", "error": "the timing script failed"}'
    else
      echo '{"peer": "@simplewebauthn/server", "error": "npm install failed"}'
    fi
  fi
  if wants oidc-provider; then
    # An installed oidc-provider of another version (a reused $TILLIT_PEERS_DIR) is replaced.
    have=$(node -p "require('$dir/node_modules/oidc-provider/package.json').version" 2>/dev/null)
    if [ "$have" != "$oidc_version" ]; then
      echo "peers.sh: installing oidc-provider@$oidc_version (npm) into $dir" >&2
      (cd "$dir" && npm init -y >/dev/null 2>&1 &&
        npm install --no-audit --no-fund -s --save-exact "oidc-provider@$oidc_version" >&2)
      have=$(node -p "require('$dir/node_modules/oidc-provider/package.json').version" 2>/dev/null)
    fi
    if [ "$have" = "$oidc_version" ]; then
      # The client on core 0; the script starts the provider on core 1 itself.
      "${pin[@]}" node "$here/peers/oidc_provider.mjs" "$dir/node_modules" "$seconds" ||
        echo '{"peer": "oidc-provider", "error": "the timing script failed"}'
    else
      echo '{"peer": "oidc-provider", "error": "npm install failed"}'
    fi
  fi
else
  wants simplewebauthn && echo '{"peer": "@simplewebauthn/server", "error": "node/npm not installed"}'
  wants oidc-provider && echo '{"peer": "oidc-provider", "error": "node/npm not installed"}'
fi
exit 0
