#!/usr/bin/env bash
# Installs every Debian 12 package Rectifier needs to build, test and benchmark.
# Idempotent: packages already present are left alone, and apt-get runs only when something is missing.
# Usage: scripts/install-deps.sh [--runtime-only]
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libdnnl-dev ocl-icd-opencl-dev libhwy-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev
  libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Test oracles and benchmark baselines (PyTorch from Python and C++), TLS material for tests.
test_packages=(
  python3 python3-torch python3-numpy python3-grpcio libtorch-dev openssl
)
# Fuzzing (libFuzzer) needs clang, its runtime libraries and clang's OpenMP runtime for the kernels.
test_packages+=(clang libclang-rt-14-dev libomp-dev)
runtime_packages=(libdnnl2 libgomp1 libhwy1 libgrpc++1.51 libprotobuf32 libyaml-cpp0.7 libspdlog1.10 ca-certificates)

if [[ "${1:-}" == "--runtime-only" ]]; then
  wanted=("${runtime_packages[@]}")
else
  wanted=("${build_packages[@]}" "${test_packages[@]}")
fi

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
