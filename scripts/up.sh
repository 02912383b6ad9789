#!/usr/bin/env bash
# Quick start, step one: installs what Rectifier needs, builds the release binaries and starts
# rectifier-server with the built-in model repository. Arguments are passed to the server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build/release" -DCMAKE_BUILD_TYPE=Release
exec "$root/build/release/server/rectifier-server" "$@"
