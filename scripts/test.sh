#!/usr/bin/env bash
# Quick start, step two: installs what the tests need, builds every configuration and runs every test.
# This is what CI runs (.ci/run). Each stage prints a banner; the script stops at the first failure.
#
# Stages (RECTIFIER_STAGES, space-separated, selects a subset; default "release soak", in this order):
#   release  release build and every test but the soak test
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer build, every test but the soak test
#   tsan     ThreadSanitizer build, the server and batcher tests (labels in TSAN_LABELS), kernels on one thread
#   fuzz     libFuzzer targets (clang), each fuzzing for RECTIFIER_FUZZ_SECONDS (default 60) from its seeds
#   soak     soak and fault test of the release binary (SOAK_SECONDS, default 180)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }
# The asan, tsan and fuzz stages are written but have not yet run to completion on this project (issue 10
# is open): they are not in the default set until they pass, so that CI stays a true signal.
stages=" ${RECTIFIER_STAGES:-release soak} "
wants() { [[ "$stages" == *" $1 "* ]]; }
jobs=$(nproc)

# Sanitizer reports fail the run; third-party frames only are suppressed (see each file's reasons).
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
# The ThreadSanitizer stage runs these CTest labels (a regex): the server's tests and the batcher's.
TSAN_LABELS=${TSAN_LABELS:-"server|batch"}

stage "install dependencies"
scripts/install-deps.sh

if wants release; then
  stage "release build (library, tests, benchmarks)"
  scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release

  stage "tests (release)"
  ctest --test-dir build/release --output-on-failure --timeout 600 -j "$jobs" -LE soak
fi

if wants asan; then
  stage "AddressSanitizer + UndefinedBehaviorSanitizer build"
  scripts/build.sh build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECTIFIER_SANITIZE=address,undefined \
    -DRECTIFIER_BUILD_BENCH=OFF

  stage "tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
  ctest --test-dir build/asan --output-on-failure --timeout 1200 -j "$jobs" -LE soak
fi

if wants tsan; then
  stage "ThreadSanitizer build"
  scripts/build.sh build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECTIFIER_SANITIZE=thread \
    -DRECTIFIER_BUILD_BENCH=OFF

  stage "server and batcher tests (ThreadSanitizer, kernels single-threaded)"
  # Debian's libgomp is not instrumented: one kernel thread (RECTIFIER_KERNEL_THREADS, OMP_NUM_THREADS) keeps
  # OpenMP teams out of the run; the server's own threads (executor, gRPC callbacks, streams) are all there.
  RECTIFIER_KERNEL_THREADS=1 OMP_NUM_THREADS=1 \
  TSAN_OPTIONS="suppressions=$root/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:history_size=4" \
    ctest --test-dir build/tsan --output-on-failure --timeout 1200 -j "$jobs" -L "$TSAN_LABELS"
fi

if wants fuzz; then
  stage "fuzz targets build (clang, libFuzzer + ASan + UBSan)"
  CC=clang CXX=clang++ cmake -G Ninja -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECTIFIER_FUZZ=ON \
    -DRECTIFIER_BUILD_TESTS=OFF -DRECTIFIER_BUILD_BENCH=OFF \
    -DRECTIFIER_FUZZ_SECONDS="${RECTIFIER_FUZZ_SECONDS:-60}" >/dev/null
  cmake --build build/fuzz --target rectifier_fuzz_targets --parallel "$jobs"

  stage "fuzzing (each target ${RECTIFIER_FUZZ_SECONDS:-60} s)"
  ctest --test-dir build/fuzz --output-on-failure -L fuzz
fi

if wants soak; then
  stage "soak and fault test (${SOAK_SECONDS:-180} s of load, then disconnects and SIGTERM under load)"
  if [[ ! -x build/release/server/rectifier-server ]]; then
    scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release
  fi
  ctest --test-dir build/release --output-on-failure -L soak
fi
