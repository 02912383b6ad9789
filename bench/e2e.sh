#!/usr/bin/env bash
# End-to-end benchmark: rectifier-server against the bare-gRPC echo server, driven by rectifier-bench with
# the same bytes, side by side in one run (bench/README.md, "End-to-end benchmark").
#
# 1. Builds rectifier-server and rectifier-bench (Release).
# 2. Starts both servers on loopback (port 0) and sweeps relu / float32 / 1 KiB and 4 MiB / concurrency
#    1, 16, 64, unary: ALTERNATIONS (default 5) alternating short windows per point, medians, ratios.
# 3. Peak memory: a fresh rectifier-server (and, for comparison, a fresh echo server) under 64 concurrent
#    4 MiB requests; VmHWM from /proc/PID/status.
# 4. Writes bench/results/e2e.json, the latency-throughput plot bench/results/e2e-latency.svg and the
#    result block of bench/README.md, with the machine and the load other processes put on it.
#
# Usage: bench/e2e.sh [--quick] [--no-build] [--no-readme] [-- extra rectifier-bench flags]
#   --quick      2 alternations of 0.5 s windows; results go to the build directory, README left alone
# Environment: BUILD_DIR (default build/release), ALTERNATIONS (5), WINDOW (2s), WARMUP (0.5s),
#   PYTHON (/usr/bin/python3). Every process it starts is stopped by PID at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
python=${PYTHON:-/usr/bin/python3}
alternations=${ALTERNATIONS:-5} window=${WINDOW:-2s} warmup=${WARMUP:-0.5s}
build_it=1 readme=1 results=$root/bench/results
extra=()
while (($#)); do
  case "$1" in
    --quick) alternations=2 window=0.5s warmup=0.3s readme=0 results=$build/results-e2e-quick ;;
    --no-build) build_it=0 ;;
    --no-readme) readme=0 ;;
    --) shift; extra+=("$@"); break ;;
    *) echo "e2e.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done

if ((build_it)); then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target rectifier-server rectifier-bench --parallel "${RECTIFIER_BUILD_JOBS:-$(nproc)}"
fi
bench=$build/bench/rectifier-bench
server=$build/server/rectifier-server
work=$(mktemp -d)
mkdir -p "$results"
source "$root/bench/loadgen/servers.sh"
# Both servers keep large buffers mapped (server/large_message_allocator.h; opt-in, not the server's default).
export RECTIFIER_KEEP_LARGE_BUFFERS=${RECTIFIER_KEEP_LARGE_BUFFERS:-1}
# OpenMP workers sleep rather than spin between kernel calls, as the image and the Kubernetes manifests set
# it: spinning workers take CPU from gRPC's threads once the cores are busy (4 MiB at concurrency 64:
# 0.82-0.85 x echo spinning). The echo server does not use OpenMP.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
trap 'stop_servers; rm -rf "$work"' EXIT

# Machine-wide busy and total CPU ticks (/proc/stat), and a process's own (utime + stime).
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Runs rectifier-bench, recording its CPU ticks in $work/bench-ticks (added up over calls).
run_bench() {
  "$bench" "$@" &
  local pid=$! ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    ticks=$(process_ticks "$pid" 2>/dev/null || echo "$ticks")
    sleep 0.2
  done
  wait "$pid"
  echo $(($(cat "$work/bench-ticks" 2>/dev/null || echo 0) + ticks)) >"$work/bench-ticks"
}
vm_hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }

load_before=$(cut -d' ' -f1 /proc/loadavg)
read -r busy0 total0 < <(machine_ticks)

echo "== sweep: relu float32, 1KiB and 4MiB, concurrency 1/16/64, $alternations alternations of $window" >&2
start_rectifier_server "$server" "$work/rectifier.log"
start_echo_server "$bench" "$work/echo.log"
run_bench --rectifier "127.0.0.1:$RECTIFIER_PORT" --echo "127.0.0.1:$ECHO_PORT" --activation relu --dtype float32 \
  --size 1KiB,4MiB --concurrency 1,16,64 --alternations "$alternations" --warmup "$warmup" --window "$window" \
  --verify --json "$work/sweep.json" "${extra[@]}"
server_ticks=$(($(process_ticks "$RECTIFIER_PID") + $(process_ticks "$ECHO_PID")))
stop_servers

echo "== peak memory under 64 concurrent 4MiB requests (fresh servers)" >&2
memory_window=${MEMORY_WINDOW:-2s}
start_rectifier_server "$server" "$work/rectifier-memory.log"
rss_before=$(vm_hwm_kib "$RECTIFIER_PID")
run_bench --rectifier "127.0.0.1:$RECTIFIER_PORT" --size 4MiB --concurrency 64 --warmup "$warmup" \
  --window "$memory_window" --json "$work/memory-rectifier.json" >/dev/null
rectifier_hwm=$(vm_hwm_kib "$RECTIFIER_PID")
server_ticks=$((server_ticks + $(process_ticks "$RECTIFIER_PID")))
start_echo_server "$bench" "$work/echo-memory.log"
run_bench --echo "127.0.0.1:$ECHO_PORT" --size 4MiB --concurrency 64 --warmup "$warmup" \
  --window "$memory_window" --json "$work/memory-echo.json" >/dev/null
echo_hwm=$(vm_hwm_kib "$ECHO_PID")
server_ticks=$((server_ticks + $(process_ticks "$ECHO_PID")))
stop_servers

read -r busy1 total1 < <(machine_ticks)
load_after=$(cut -d' ' -f1 /proc/loadavg)
own_ticks=$((server_ticks + $(cat "$work/bench-ticks")))

"$python" "$root/bench/loadgen/e2e_report.py" --sweep "$work/sweep.json" \
  --memory-rectifier "$work/memory-rectifier.json" --memory-echo "$work/memory-echo.json" \
  --rectifier-hwm-kib "$rectifier_hwm" --rectifier-start-kib "$rss_before" --echo-hwm-kib "$echo_hwm" \
  --machine-busy-ticks $((busy1 - busy0)) --machine-total-ticks $((total1 - total0)) --own-ticks "$own_ticks" \
  --load-before "$load_before" --load-after "$load_after" \
  --out "$results/e2e.json" --plot "$results/e2e-latency.svg" \
  $( ((readme)) && echo --readme "$root/bench/README.md")
