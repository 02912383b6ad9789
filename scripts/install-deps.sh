#!/usr/bin/env bash
# Installs every Debian 12 package Rectifier needs to build, test and benchmark.
# Idempotent: packages already present are left alone, and apt-get runs only when something is missing.
# Usage: scripts/install-deps.sh [--build-only | --runtime-only]
#   (none)          build, test and deployment-test packages (what scripts/test.sh needs)
#   --build-only    what a release build needs (the Dockerfile's build stage)
#   --runtime-only  the shared libraries the release binaries load (the Dockerfile's runtime stage)
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libdnnl-dev ocl-icd-opencl-dev libhwy-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev
  libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Test oracles and benchmark baselines (PyTorch from Python and C++), TLS material for tests, and a real
# Prometheus (with promtool) plus PyYAML for the monitoring end-to-end test.
test_packages=(
  python3 python3-torch python3-numpy python3-grpcio libtorch-dev openssl
  prometheus python3-yaml python3-matplotlib
)
# Deployment tests (tests/deploy): the container image built without a Docker engine (buildah on a
# debootstrap-made base), manifest linting, and the Node.js schema check. kubectl (1.32, for kustomize) is
# not a Debian package (Debian's kubernetes-client 1.20 is too old); the tests say so when it is missing.
deploy_test_packages=(buildah debootstrap yamllint python3-yaml curl)
# Every library the release binaries link directly (ldd), so that the runtime image does not depend on
# what other packages happen to pull in.
runtime_packages=(libdnnl2 libgomp1 libhwy1 libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libyaml-cpp0.7
  libspdlog1.10 libfmt9 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 ca-certificates)
# Fuzzing (libFuzzer) needs clang, its runtime libraries and clang's OpenMP runtime for the kernels.
test_packages+=(clang libclang-rt-14-dev libomp-dev)

case "${1:-}" in
  --runtime-only) wanted=("${runtime_packages[@]}") ;;
  --build-only) wanted=("${build_packages[@]}") ;;
  "")
    wanted=("${build_packages[@]}" "${test_packages[@]}" "${deploy_test_packages[@]}")
    # Node.js and npm for the Node.js examples and tests: Debian's, unless a node is already installed
    # (NodeSource's Node.js brings its own npm, and Debian's npm package would conflict with it).
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then wanted+=(nodejs npm); fi
    ;;
  *) echo "usage: $0 [--build-only | --runtime-only]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
