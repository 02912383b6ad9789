#!/usr/bin/env bash
# Quick start, step two: installs what the tests need, builds every configuration and runs every test.
# This is what CI runs (.ci/run). Each stage prints a banner; the script stops at the first failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

stage "install dependencies"
scripts/install-deps.sh

stage "release build (library, tests, benchmarks)"
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release

stage "tests (release)"
ctest --test-dir build/release --output-on-failure --timeout 600 -j "$(nproc)"
