#!/usr/bin/env bash
# Smoke test of rectifier-bench: a 1-second sweep at concurrency 1 — rectifier.v1 unary and streaming, and
# the Open Inference Protocol's ModelInfer (prelu with its weights as a second tensor) — against a real
# rectifier-server and the echo server on loopback, with every warm-up response verified (against the
# kernel library for Rectifier, against the request bytes for the echo). Fails on any error, any failed
# verification, no verified response, or a JSON without the documented fields.
# Usage: loadgen_smoke_test.sh RECTIFIER_BENCH RECTIFIER_SERVER SOURCE_DIR
set -euo pipefail
bench=$1 server=$2 source_dir=$3
work=$(mktemp -d)
source "$source_dir/bench/loadgen/servers.sh"
trap 'stop_servers; rm -rf "$work"' EXIT

start_rectifier_server "$server" "$work/server.log"
start_echo_server "$bench" "$work/echo.log"

for mode in unary streaming oip; do
  flags=(--activation relu)
  [ "$mode" = streaming ] && flags+=(--streaming)
  [ "$mode" = oip ] && flags=(--api oip --activation "prelu(weight=[0.1, 0.2, 0.3])" --shape 2,3,128)
  "$bench" --rectifier "127.0.0.1:$RECTIFIER_PORT" --echo "127.0.0.1:$ECHO_PORT" --dtype float32 \
    --size 1KiB --concurrency 1 --warmup 0.4s --window 0.6s --verify "${flags[@]}" --json "$work/$mode.json"
  /usr/bin/python3 - "$work/$mode.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for key in ("tool", "config", "machine", "runs", "summary"):
    assert key in d, f"missing {key}"
assert {r["target"] for r in d["summary"]} == {"rectifier", "echo"}, d["summary"]
fields = ("requests_per_s", "gigabytes_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "errors",
          "verified", "verify_failures", "throughput_ratio", "p99_ratio")
for row in d["summary"]:
    for f in fields:
        assert f in row, f"summary row lacks {f}: {row}"
    assert row["errors"] == 0, row
    assert row["verify_failures"] == 0, row
    assert row["verified"] > 0, f"nothing verified: {row}"
    assert row["requests_per_s"] > 0 and row["p50_us"] > 0 and row["p50_us"] <= row["p99_us"], row
for r in d["runs"]:
    assert r["errors_by_code"] == {}, r
rect = next(r for r in d["summary"] if r["target"] == "rectifier")
assert rect["throughput_ratio"] is not None and rect["meets_throughput_target"] is not None, rect
print(sys.argv[1], "ok")
PY
done
