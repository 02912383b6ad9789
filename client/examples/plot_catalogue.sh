#!/usr/bin/env bash
# Regenerates the catalogue figures in client/examples/ (shown in README.md) with `rectifier plot` through a
# real rectifier-server started on a free loopback port (and stopped by PID at the end).
# Usage: client/examples/plot_catalogue.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
cli=$build/client/rectifier
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
address=127.0.0.1:$port
"$build/server/rectifier-server" --address "$address" --metrics-address= --threads 1 >/dev/null 2>&1 &
server_pid=$!
trap 'kill "$server_pid"; wait "$server_pid" || true' EXIT
for _ in $(seq 100); do
  "$cli" health --address "$address" --max-attempts 1 >/dev/null 2>&1 && break
  sleep 0.2
done
out=$root/client/examples
"$cli" plot --address "$address" --range=-4:8 --title "ReLU family" --output "$out/activations.svg" \
  relu 'leaky_relu(negative_slope=0.1)' prelu relu6 crelu
"$cli" plot --address "$address" --range=-4:4 --title "Smooth" --output "$out/activations-smooth.svg" \
  elu selu 'celu(alpha=0.5)' gelu 'gelu(approximate=tanh)' silu mish softplus logsigmoid hardswish
"$cli" plot --address "$address" --range=-5:5 --title "Clipping, threshold, squashing" --output "$out/activations-bounded.svg" \
  hardtanh 'threshold(threshold=1, value=-1)' sigmoid tanh hardsigmoid
echo "wrote $out/activations.svg, activations-smooth.svg, activations-bounded.svg"
