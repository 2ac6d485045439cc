#!/usr/bin/env bash
# The Grafana dashboards parse, and their queries are valid PromQL (promtool)
# that names only declared metrics and filters every series by the job and
# instance variables; a dashboard that does not is refused, naming what is
# wrong.
set -euo pipefail
source "$(dirname "$0")/node-modules.sh"
names="$deploy_dir/grafana/metric-names.txt"
command -v promtool >/dev/null ||
  { echo "promtool is not installed (Debian package prometheus): run make deps" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node "$deploy_dir/checks/check-dashboard.mjs" --queries-as-rules "$tmp/queries.json" \
  "$names" "$deploy_dir"/grafana/*.json
# The PromQL parses (promtool takes JSON, a subset of YAML).
promtool check rules "$tmp/queries.json"
set +e
out=$(node "$deploy_dir/checks/check-dashboard.mjs" "$names" \
  "$deploy_dir/checks/testdata/broken-dashboard.json")
rc=$?
set -e
expected=(
  "shopstream_event_total is not a declared metric"
  "shopstream_http_requests_total_bucket is not a declared metric"
  "no multi-value query variable instance with All"
  "variable instance must list the instances of the chosen jobs"
  "shopstream_processor_pending_events_limit is not filtered by instance=~\"\$instance\""
)
for want in "${expected[@]}"; do
  grep -qF "$want" <<<"$out" || { echo "broken dashboard: missing report \"$want\":"; echo "$out"; exit 1; }
done
[ $rc -eq 1 ] || { echo "broken dashboard: expected exit 1, got $rc"; exit 1; }
[ "$(grep -c . <<<"$out")" -eq $((${#expected[@]} + 1)) ] ||
  { echo "broken dashboard: expected exactly ${#expected[@]} reports:"; echo "$out"; exit 1; }
echo "dashboard checks pass; broken dashboard refused"
