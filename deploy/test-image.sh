#!/usr/bin/env bash
# Builds the container image from the Dockerfile in this tree and checks it, without a Docker engine:
#
#   1. base images debian:bookworm and debian:bookworm-slim made locally (deploy/make-base-images.sh)
#   2. `buildah bud --isolation chroot --format docker` (docker format keeps HEALTHCHECK) into a vfs store
#   3. the image's configuration: numeric non-root USER, exec-form ENTRYPOINT, EXPOSEd ports, HEALTHCHECK
#   4. the image's ENTRYPOINT run inside it (`buildah run` does not apply ENTRYPOINT: it is read from the
#      image and run explicitly) on the host network with free loopback ports and the model repository of
#      deploy/k8s; from the host: health SERVING, one Apply checked exactly against NumPy, /metrics served,
#      the server process running as the image's user; the image's HEALTHCHECK command, run in the image
#      against the running server, succeeds; SIGTERM stops the server with exit status 0; nothing was
#      written outside /tmp (so a read-only root file system works).
#
# Needs root (buildah's chroot isolation), buildah, debootstrap, curl and /usr/bin/python3 with
# python3-grpcio and python3-numpy (scripts/install-deps.sh). The base root file system, the base images and
# buildah's layer cache are kept in RECTIFIER_IMAGE_CACHE (default /var/cache/rectifier-image, or
# ~/.cache/rectifier-image for other users): the first run takes a debootstrap and a full compile, later
# runs rebuild only what changed. Runs sharing a cache are serialized with a lock.
#
# Usage: deploy/test-image.sh [--keep]   (--keep: leave the built image rectifier:test in the store)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keep=0
if [[ "${1:-}" == "--keep" ]]; then keep=1; fi

log() { printf '\n--- test-image: %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }
fail() { printf 'test-image: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "must run as root (buildah --isolation chroot)"
for tool in buildah debootstrap curl /usr/bin/python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh"
done

if [[ -n "${RECTIFIER_IMAGE_CACHE:-}" ]]; then cache=$RECTIFIER_IMAGE_CACHE
elif [[ $(id -u) -eq 0 ]]; then cache=/var/cache/rectifier-image
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/rectifier-image
fi
store="$cache/storage"
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
buildah=(buildah --storage-driver vfs --root "$store" --runroot "$store.run")
image=localhost/rectifier:test

log "base images"
"$root/deploy/make-base-images.sh" "$store" "$cache"

log "buildah bud"
# --layers: reuse the dependency and compile layers while their inputs are unchanged. --pull=never: the
# FROM images are the local ones.
BUILDAH_ISOLATION=chroot "${buildah[@]}" bud --isolation chroot --format docker --layers --pull=never \
  -t "$image" -f "$root/Dockerfile" "$root"

log "image configuration"
config=$(mktemp)
ctr=""
server_pid=""
run_pid=""
cleanup() {
  if [[ -n "$run_pid" ]] && kill -0 "$run_pid" 2>/dev/null; then
    [[ -n "$server_pid" ]] && kill -KILL "$server_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  [[ -n "$ctr" ]] && "${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true
  rm -f "${marker_baseline:-}" "${marker_server:-}"
  if ((keep == 0)); then "${buildah[@]}" rmi "$image" >/dev/null 2>&1 || true; fi
  rm -f "$config"
}
trap cleanup EXIT
"${buildah[@]}" inspect --type image "$image" >"$config"
/usr/bin/python3 "$root/tests/deploy/image_config_check.py" "$config"

# The image's ENTRYPOINT and HEALTHCHECK command, one word a line (no word holds a newline).
mapfile -t entrypoint < <(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["Docker"]["config"]["Entrypoint"]))' "$config")
mapfile -t healthcheck < <(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["Docker"]["config"]["Healthcheck"]["Test"][1:]))' "$config")

log "run the entrypoint: ${entrypoint[*]}"
read -r grpc_port metrics_port health_port < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
ctr=$("${buildah[@]}" from --pull=never --quiet "$image")
rootfs=$("${buildah[@]}" mount "$ctr")
run_in_image=("${buildah[@]}" run --isolation chroot --network host
              -v "$root/deploy/k8s/models.yaml:/etc/rectifier/models.yaml:ro" "$ctr" --)
# What `buildah run` itself writes into the root file system (mount points, /etc/hosts, ...), so that only
# the server's own writes are reported below.
files_written_since() { find "$rootfs" -xdev -newer "$1" -not -path "$rootfs/tmp" -not -path "$rootfs/tmp/*" | sort; }
"${run_in_image[@]}" true
marker_baseline=$(mktemp -p "$cache")
"${run_in_image[@]}" true
buildah_writes=$(files_written_since "$marker_baseline")
marker_server=$(mktemp -p "$cache")
"${run_in_image[@]}" \
  "${entrypoint[@]}" --address "127.0.0.1:$grpc_port" --metrics-address "127.0.0.1:$metrics_port" \
  --health-address "127.0.0.1:$health_port" --models /etc/rectifier/models.yaml --threads 2 &
run_pid=$!

# The server is the rectifier-server process descending from `buildah run` (seen from the host: chroot
# isolation has no PID namespace). Its comm is truncated to 15 characters.
find_server_pid() {
  local pid ppid comm ancestor
  for _ in $(seq 1 150); do
    declare -A parent=()
    local candidates=()
    while read -r pid ppid comm; do
      parent[$pid]=$ppid
      [[ "$comm" == "rectifier-serve" ]] && candidates+=("$pid")
    done < <(ps -e -o pid=,ppid=,comm=)
    # Only a server descending from our `buildah run` counts (other users may run the same binary).
    for pid in "${candidates[@]}"; do
      ancestor=${parent[$pid]:-1}
      while [[ "$ancestor" -gt 1 ]]; do
        if [[ "$ancestor" == "$run_pid" ]]; then echo "$pid"; return 0; fi
        ancestor=${parent[$ancestor]:-1}
      done
    done
    kill -0 "$run_pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
server_pid=$(find_server_pid) || fail "the server did not start (or exited at once)"
echo "server pid $server_pid"

log "checks from the host"
/usr/bin/python3 "$root/tests/deploy/image_server_check.py" --root "$root" \
  --address "127.0.0.1:$grpc_port" --health-address "127.0.0.1:$health_port"

image_user=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Docker"]["config"]["User"].split(":")[0])' "$config")
server_uid=$(ps -o uid= -p "$server_pid" | tr -d ' ')
[[ "$server_uid" == "$image_user" ]] || fail "server runs as uid $server_uid, the image's USER is $image_user"
[[ "$server_uid" != 0 ]] || fail "server runs as root"
echo "ok: server process $server_pid runs as uid $server_uid"

metrics=$(curl -fsS --max-time 10 "http://127.0.0.1:$metrics_port/metrics") ||
  fail "/metrics not served on 127.0.0.1:$metrics_port"
grep -q '^# TYPE rectifier_' <<<"$metrics" || fail "/metrics has no rectifier_ metric"
echo "ok: /metrics serves $(grep -c '^# TYPE' <<<"$metrics") metric families"

# The HEALTHCHECK command, inside the image, pointed at this run's port instead of the default one.
health_cmd=("${healthcheck[@]/127.0.0.1:50051/127.0.0.1:$grpc_port}")
"${run_in_image[@]}" "${health_cmd[@]}" ||
  fail "the image's HEALTHCHECK (${health_cmd[*]}) failed against a serving server"
echo "ok: HEALTHCHECK ${health_cmd[*]} exits 0"

log "SIGTERM"
kill -TERM "$server_pid"
status=0
wait "$run_pid" || status=$?
run_pid=""
((status == 0)) || fail "the server exited with status $status after SIGTERM"
echo "ok: graceful shutdown, exit status 0"
written=$(comm -23 <(files_written_since "$marker_server") <(echo "$buildah_writes"))
[[ -z "$written" ]] || fail "the server wrote outside /tmp (a read-only root would break it): $written"
echo "ok: nothing written outside /tmp"
timeout 30 "${run_in_image[@]}" "${health_cmd[@]}" >/dev/null 2>&1 &&
  fail "the HEALTHCHECK succeeds with no server"
echo "ok: HEALTHCHECK fails with no server"
log "PASS"
