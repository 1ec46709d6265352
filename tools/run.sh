#!/usr/bin/env bash
# Installs what is missing, builds, and runs the project's main job. Today that is
# tillit-demo, a demonstration of the core library with fresh keys; the issuer server
# (tillit-server) takes its place once it exists.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$("$root/tools/setup.sh")
exec "$build/bin/tillit-demo" "$@"
