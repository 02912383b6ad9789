# Shell functions shared by bench/e2e.sh and the bench smoke test: start rectifier-server and the echo
# server on loopback with port 0, learn the port each one bound from its log, stop them by PID.
# Source it; callers set a trap that runs stop_servers.

SERVER_PIDS=()

# wait_for_port LOG PATTERN: prints the port once a line of LOG matches "PATTERN<port>" (20 s at most).
wait_for_port() {
  local log=$1 pattern=$2 port=""
  for _ in $(seq 200); do
    port=$(grep -o "${pattern}[0-9]*" "$log" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    sleep 0.1
  done
  echo "no port in $log after 20 s:" >&2
  cat "$log" >&2
  return 1
}

# start_rectifier_server BINARY LOG [FLAGS...]: sets RECTIFIER_PORT and RECTIFIER_PID.
start_rectifier_server() {
  local binary=$1 log=$2
  shift 2
  "$binary" --address 127.0.0.1:0 --metrics-address= "$@" >"$log" 2>&1 &
  RECTIFIER_PID=$!
  SERVER_PIDS+=("$RECTIFIER_PID")
  # The server logs "serving rectifier.v1 on ... (port N, ...)" at info once it serves.
  RECTIFIER_PORT=$(wait_for_port "$log" "(port ")
}

# start_echo_server BENCH_BINARY LOG: sets ECHO_PORT and ECHO_PID.
start_echo_server() {
  local binary=$1 log=$2
  "$binary" --echo-server --listen 127.0.0.1:0 >"$log" 2>&1 &
  ECHO_PID=$!
  SERVER_PIDS+=("$ECHO_PID")
  ECHO_PORT=$(wait_for_port "$log" "listening on port ")
}

# stop_servers: SIGTERM to every server this shell started, then wait for them.
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
}
