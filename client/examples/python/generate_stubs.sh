#!/bin/sh
# Generates the Python stubs of rectifier.v1 with Debian's protoc and grpc_python_plugin (packages
# protobuf-compiler, protobuf-compiler-grpc) into OUT_DIR (default ./generated).
# Usage: generate_stubs.sh [OUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/generated"}
mkdir -p "$out"
protoc -I"$here/../../../proto" --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" rectifier/v1/rectifier.proto
echo "$out"
