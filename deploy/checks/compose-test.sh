#!/usr/bin/env bash
# docker-compose.yml through `docker-compose config` (no Docker engine
# needed) and the Dockerfile's structure (check-compose.mjs).
set -euo pipefail
source "$(dirname "$0")/node-modules.sh"
command -v docker-compose >/dev/null ||
  { echo "docker-compose is not installed: run make deps" >&2; exit 1; }
node "$deploy_dir/checks/check-compose.mjs" "$deploy_dir/.."
