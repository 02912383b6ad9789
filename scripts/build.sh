#!/usr/bin/env bash
# Configures and builds one configuration of Rectifier with CMake and Ninja.
# Usage: scripts/build.sh BUILD_DIR [extra cmake arguments...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:?usage: scripts/build.sh BUILD_DIR [cmake args...]}
shift
# Two cores and many heavy translation units (libtorch, Highway's per-target copies): one job per core.
jobs=${RECTIFIER_BUILD_JOBS:-$(nproc)}
cmake -G Ninja -S "$root" -B "$build_dir" "$@" >/dev/null
cmake --build "$build_dir" --parallel "$jobs"
