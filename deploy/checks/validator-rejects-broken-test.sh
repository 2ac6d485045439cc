#!/usr/bin/env bash
# validate-manifests.mjs must refuse testdata/broken-manifests.yaml with
# exactly the reports in testdata/broken-manifests.expected.
set -euo pipefail
source "$(dirname "$0")/node-modules.sh"
checks="$deploy_dir/checks"
set +e
out=$(node "$checks/validate-manifests.mjs" "$checks/testdata/broken-manifests.yaml")
rc=$?
set -e
if [ $rc -ne 1 ]; then
  echo "expected exit 1 for broken manifests, got $rc:"; echo "$out"; exit 1
fi
if ! diff <(grep -v ' objects, ' <<<"$out" | sort) \
          <(grep -v '^#' "$checks/testdata/broken-manifests.expected" | sort); then
  echo "reports differ from testdata/broken-manifests.expected (< got, > expected)"
  exit 1
fi
echo "broken manifests refused as expected"
