#!/usr/bin/env bash
# Renders deploy/k8s with kustomize, offline: OUT_DIR/base.yaml (deploy/k8s as shipped) and
# OUT_DIR/queue-depth.yaml (an overlay adding components/queue-depth-autoscaling, as the README shows).
# Usage: tests/deploy/render-manifests.sh OUT_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: render-manifests.sh OUT_DIR}
if ! command -v kubectl >/dev/null; then
  echo "render-manifests: kubectl (>= 1.27, for kustomize) is missing; Debian's kubernetes-client is too old:" \
       "install kubectl from https://kubernetes.io/docs/tasks/tools/" >&2
  exit 1
fi
mkdir -p "$out"
kubectl kustomize "$root/deploy/k8s" >"$out/base.yaml"
# kustomize refuses absolute paths and overlays inside the base: a sibling directory with relative paths.
overlay="$out/queue-depth-overlay"
mkdir -p "$overlay"
k8s=$(realpath --relative-to="$overlay" "$root/deploy/k8s")
cat >"$overlay/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [$k8s]
components: [$k8s/components/queue-depth-autoscaling]
YAML
kubectl kustomize "$overlay" >"$out/queue-depth.yaml"
echo "rendered $out/base.yaml and $out/queue-depth.yaml"
