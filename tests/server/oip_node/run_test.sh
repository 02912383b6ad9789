#!/usr/bin/env bash
# Runs oip_client_test.js: installs the pinned npm packages (npm ci, from package-lock.json) into a work
# directory outside the source tree, then runs the test with them.
# Usage: run_test.sh <rectifier-server binary> <work directory>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
server_binary="$1"
work_dir="$2"
mkdir -p "$work_dir"
cp "$here/package.json" "$here/package-lock.json" "$work_dir/"
(cd "$work_dir" && npm ci --no-audit --no-fund --loglevel=error)
NODE_PATH="$work_dir/node_modules" node "$here/oip_client_test.js" "$server_binary" "$repo_root"
