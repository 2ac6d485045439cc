#!/usr/bin/env bash
# The Grafana dashboards parse and query only declared metrics; a dashboard
# with undeclared names is refused, naming them.
set -euo pipefail
source "$(dirname "$0")/node-modules.sh"
names="$deploy_dir/grafana/metric-names.txt"
node "$deploy_dir/checks/check-dashboard.mjs" "$names" "$deploy_dir"/grafana/*.json
set +e
out=$(node "$deploy_dir/checks/check-dashboard.mjs" "$names" \
  "$deploy_dir/checks/testdata/broken-dashboard.json")
rc=$?
set -e
for want in "shopstream_event_total is not a declared metric" \
            "shopstream_http_requests_total_bucket is not a declared metric"; do
  grep -qF "$want" <<<"$out" || { echo "broken dashboard: missing report \"$want\":"; echo "$out"; exit 1; }
done
[ $rc -eq 1 ] || { echo "broken dashboard: expected exit 1, got $rc"; exit 1; }
[ "$(grep -c 'is not a declared metric' <<<"$out")" -eq 2 ] ||
  { echo "broken dashboard: expected exactly 2 reports:"; echo "$out"; exit 1; }
echo "dashboard checks pass; broken dashboard refused"
