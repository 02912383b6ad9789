#!/usr/bin/env bash
# Renders deploy/k8s (tests/deploy/render-manifests.sh) and validates every object against the Kubernetes
# schemas and for unknown fields (tests/deploy/validate-manifests.mjs), with the npm packages pinned in
# tests/deploy/package-lock.json, installed by `npm ci` into WORK_DIR (again only when the lockfile changes).
# Usage: tests/deploy/validate-manifests.sh WORK_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: validate-manifests.sh WORK_DIR}
node_dir="$work/node"
mkdir -p "$node_dir"
cp "$here/package.json" "$here/package-lock.json" "$here/validate-manifests.mjs" "$node_dir/"
if ! cmp -s "$here/package-lock.json" "$node_dir/node_modules/.installed-lock.json"; then
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$node_dir/node_modules/.installed-lock.json"
fi
"$here/render-manifests.sh" "$work/rendered"
cd "$node_dir"
node validate-manifests.mjs "$work/rendered/base.yaml" "$work/rendered/queue-depth.yaml"
