#!/usr/bin/env bash
# Builds and runs the kernel benchmark (Rectifier vs libtorch vs memcpy), prints the result table and writes
# bench/results/kernels.json (+ kernels-machine.json) and the result block of bench/README.md.
#
# Usage: bench/kernels.sh [--quick] [--no-build] [--no-readme] [--wait-quiet[=MINUTES]] [-- benchmark flags]
#   --quick      smoke test: sizes up to 1Mi, 3 short repetitions; results go to the build directory only
#   --wait-quiet before running, wait (up to MINUTES, default 30) until the cores are less than
#                QUIET_BELOW percent (default 10) busy over 5 s: on a 2-core machine any other load stalls
#                multi-threaded calls for whole scheduler slices, and the numbers become noise
#   --no-build   run the binary already built
#   --no-readme  leave bench/README.md alone
#   after --      passed to rectifier-kernel-bench, e.g. -- --threads=1 (results then go to
#                 bench/results/threads-1/ and README's threads-1 block) or
#                 -- --benchmark_filter='float32:1024:relu/' (names: impl:dtype:elements:spec/...)
# Environment: BUILD_DIR (default build-bench), RESULTS_DIR (default bench/results), PYTHON (default
# /usr/bin/python3).
# A full run takes about 4 minutes on 2 cores, 8 when other processes keep the cores busy. Run it on an
# otherwise idle machine: the script reports the CPU share other processes took during the run, and the
# README records it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
python=${PYTHON:-/usr/bin/python3}
quick=0 build_it=1 readme=1 wait_minutes=0
bench_args=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build_it=0 ;;
    --no-readme) readme=0 ;;
    --wait-quiet) wait_minutes=30 ;;
    --wait-quiet=*) wait_minutes=${1#--wait-quiet=} ;;
    --) shift; bench_args+=("$@"); break ;;
    *) echo "kernels.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done

if ((build_it)); then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRECTIFIER_BUILD_TESTS=OFF \
    -DRECTIFIER_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" --target rectifier-kernel-bench --parallel "${RECTIFIER_BUILD_JOBS:-$(nproc)}"
fi
binary=$build/bench/rectifier-kernel-bench
[[ -x $binary ]] || { echo "kernels.sh: $binary not built (is libbenchmark-dev installed?)" >&2; exit 1; }

# A run with --threads=N other than the default goes to results/threads-N/ and its own README block.
block=""
for arg in "${bench_args[@]}"; do
  if [[ $arg == --threads=* && ${arg#--threads=} != "$(nproc)" ]]; then block=threads-${arg#--threads=}; fi
done
if ((quick)); then
  bench_args=(--quick "${bench_args[@]}")
  results=$build/results-quick
  readme=0
else
  results=${RESULTS_DIR:-$root/bench/results${block:+/$block}}
fi
if ((${#bench_args[@]} > 0)) && [[ " ${bench_args[*]} " == *" --benchmark_filter"* ]]; then
  readme=0  # a partial run must not replace the committed table
fi
mkdir -p "$results"
raw=$build/kernels-raw.json
console=$build/kernels-console.txt

# CPU time the whole machine spent (user, nice, system, irq, softirq, steal) in clock ticks: minus the
# benchmark's own CPU time, what other processes (other agents' builds...) took from it during the run.
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# Share of the cores busy over the next $1 seconds, in percent.
busy_percent() {
  local b0 t0 b1 t1
  read -r b0 t0 < <(awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  sleep "$1"
  read -r b1 t1 < <(awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  echo $(((b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
}
if ((wait_minutes > 0)); then
  deadline=$(($(date +%s) + 60 * wait_minutes))
  while busy=$(busy_percent 5) && ((busy >= ${QUIET_BELOW:-10})); do
    if (($(date +%s) >= deadline)); then
      echo "kernels.sh: cores still ${busy}% busy after ${wait_minutes} min; running anyway" >&2
      break
    fi
    echo "kernels.sh: cores ${busy}% busy; waiting for a quiet machine" >&2
    sleep 25
  done
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy_before=$(busy_ticks)
echo "kernels.sh: load average before: $load_before; running $binary (log: $console)" >&2
TIMEFORMAT='%R %U %S'
rm -f "$raw"
if ! { time "$binary" --benchmark_out="$raw" --benchmark_out_format=json "${bench_args[@]}" \
         >"$console" 2>"$build/kernels-stderr.txt"; } 2>"$build/kernels-time.txt"; then
  cat "$build/kernels-stderr.txt" >&2
  echo "kernels.sh: the benchmark failed (log: $console)" >&2
  exit 1
fi
busy_after=$(busy_ticks)
if [[ ! -s $raw ]]; then
  cat "$build/kernels-stderr.txt" >&2
  echo "kernels.sh: no benchmark ran (does the filter match any? names: impl:dtype:elements:spec/...)" >&2
  exit 1
fi
grep '^rectifier-kernel-bench:' "$build/kernels-stderr.txt" >&2 || true
read -r elapsed user sys <"$build/kernels-time.txt"
foreign=$(awk -v b0="$busy_before" -v b1="$busy_after" -v hz="$(getconf CLK_TCK)" -v u="$user" -v s="$sys" \
  -v t="$elapsed" -v n="$(nproc)" 'BEGIN { f = ((b1 - b0) / hz - u - s) / (t * n) * 100; print (f < 0 ? 0 : f) }')

"$python" "$root/bench/kernels_table.py" convert "$raw" --out "$results/kernels.json" \
  --machine "$results/kernels-machine.json" --load-before "$load_before" --foreign-cpu-percent "$foreign"
"$python" "$root/bench/kernels_table.py" text "$results/kernels.json"
if ((readme)); then
  "$python" "$root/bench/kernels_table.py" markdown "$results/kernels.json" \
    --machine "$results/kernels-machine.json" --readme "$root/bench/README.md" --block "$block"
  echo "kernels.sh: updated $root/bench/README.md" >&2
fi
printf 'kernels.sh: benchmark ran %.0f s; other processes used %.0f%% of the cores meanwhile; load average after: %s\n' \
  "$elapsed" "$foreign" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "kernels.sh: results in $results/kernels.json" >&2
