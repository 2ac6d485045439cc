#!/usr/bin/env bash
# Renders the Kustomize base and every overlay with kubectl and validates
# each object offline (validate-manifests.mjs). Exit 77 (skipped) without
# kubectl.
set -euo pipefail
source "$(dirname "$0")/node-modules.sh"
if ! command -v kubectl >/dev/null; then
  echo "SKIPPED: kubectl is not installed"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$deploy_dir/k8s"
status=0
for dir in base overlays/*/; do
  dir=${dir%/}
  echo "== $dir"
  kubectl kustomize "$dir" >"$tmp/rendered.yaml"
  node "$deploy_dir/checks/validate-manifests.mjs" "$tmp/rendered.yaml" || status=1
done
exit $status
