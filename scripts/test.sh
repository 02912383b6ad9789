#!/usr/bin/env bash
# Quick start, step two: installs what the tests need, builds every configuration and runs every test.
# This is what CI runs (.ci/run). Each stage prints a banner; the script stops at the first failure.
#
# Stages (RECTIFIER_STAGES, space-separated, selects a subset; default "release asan fuzz tsan soak", in this order):
#   release  release build and every test but the soak test
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer build (gcc), every test but the soak test and the
#            image build
#   fuzz     libFuzzer targets (clang, AddressSanitizer + UBSan), each fuzzing for RECTIFIER_FUZZ_SECONDS
#            (default 60) from its seeds
#   tsan     ThreadSanitizer build of the server and its tests, the server tests (labels in TSAN_LABELS),
#            kernels on one thread
#   soak     soak and fault test of the release binary (SOAK_SECONDS, default 180)
# Sanitizer builds use -O1 -g1: half the compile time of -O2 -g, with line numbers in every report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }
stages=" ${RECTIFIER_STAGES:-release asan fuzz tsan soak} "
wants() { [[ "$stages" == *" $1 "* ]]; }
jobs=$(nproc)

# Sanitizer reports fail the run; third-party frames only are suppressed (see each file's reasons).
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
# The ThreadSanitizer stage runs these CTest labels (a regex): the server's tests, the batcher's among them.
TSAN_LABELS=${TSAN_LABELS:-"server"}
# Tests left out of the ThreadSanitizer stage (a ctest -E regex; empty: none).
TSAN_EXCLUDE=${TSAN_EXCLUDE:-}
sanitizer_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
                 "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DRECTIFIER_BUILD_BENCH=OFF)

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
  # The SIMD kernels for the targets the CI machines dispatch to (AVX2, and EMU128 for CPUs without it):
  # every Highway target costs one more instrumented copy of the kernels, minutes each, and only the
  # dispatched one runs. AVX-512 nodes dispatch to AVX2 in this build.
  scripts/build.sh build/asan "${sanitizer_flags[@]}" -DRECTIFIER_SANITIZE=address,undefined \
    "-DRECTIFIER_HWY_DISABLED_TARGETS=(HWY_SSSE3|HWY_SSE4|HWY_AVX3|HWY_AVX3_DL)"

  stage "tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
  # Not the image build: it compiles its own release binaries.
  ctest --test-dir build/asan --output-on-failure -j "$jobs" -LE '^(soak|image)$'
fi

if wants fuzz; then
  stage "fuzz targets build (clang, libFuzzer + AddressSanitizer + UBSan)"
  CC=clang CXX=clang++ cmake -G Ninja -S . -B build/fuzz "${sanitizer_flags[@]}" -DRECTIFIER_FUZZ=ON \
    -DRECTIFIER_BUILD_TESTS=OFF -DRECTIFIER_FUZZ_SECONDS="${RECTIFIER_FUZZ_SECONDS:-60}" >/dev/null
  cmake --build build/fuzz --target rectifier_fuzz_targets --parallel "$jobs"

  stage "fuzzing (each target's seeds once, then ${RECTIFIER_FUZZ_SECONDS:-60} s each)"
  ctest --test-dir build/fuzz --output-on-failure -L "${RECTIFIER_FUZZ_LABELS:-^fuzz(_replay)?\$}"
fi

if wants tsan; then
  stage "ThreadSanitizer build (the server and its tests)"
  cmake -G Ninja -S . -B build/tsan "${sanitizer_flags[@]}" -DRECTIFIER_SANITIZE=thread >/dev/null
  cmake --build build/tsan --target rectifier_server_tests --parallel "$jobs"

  stage "server tests (ThreadSanitizer, kernels single-threaded)"
  # Debian's libgomp is not instrumented: one kernel thread (RECTIFIER_KERNEL_THREADS, OMP_NUM_THREADS) keeps
  # OpenMP teams out of the run; the server's own threads (executor, gRPC callbacks, streams) are all there.
  # history_size=7 (the largest): both stacks of a report restored, even for a race between long-lived threads.
  RECTIFIER_KERNEL_THREADS=1 OMP_NUM_THREADS=1 RECTIFIER_TEST_TIME_SCALE=5 \
  TSAN_OPTIONS="suppressions=$root/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:history_size=7" \
    ctest --test-dir build/tsan --output-on-failure -j "$jobs" -L "$TSAN_LABELS" ${TSAN_EXCLUDE:+-E "$TSAN_EXCLUDE"}
fi

if wants soak; then
  stage "soak and fault test (${SOAK_SECONDS:-180} s of load, then disconnects and SIGTERM under load)"
  if [[ ! -x build/release/server/rectifier-server ]]; then
    scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release
  fi
  ctest --test-dir build/release --output-on-failure -L soak
fi
