#!/usr/bin/env bash
# Quick start, step one: installs what Rectifier needs, builds the release binaries and runs them.
# Until the gRPC server lands, this runs rectifier-demo, which applies every activation to a few values.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build/release" -DCMAKE_BUILD_TYPE=Release -DRECTIFIER_BUILD_TESTS=OFF \
  -DRECTIFIER_BUILD_BENCH=OFF
exec "$root/build/release/kernels/rectifier-demo"
