#!/usr/bin/env bash
# The alerting rules: promtool checks them and the Prometheus configuration
# that loads them, runs their unit tests (rules-test.yml), and
# check-rules.mjs requires a firing and a silent test per alert, declared
# metric names only, and the Kubernetes PrometheusRule equal to rules.yml.
# Broken rules (testdata/broken-rules*.yml) must be refused.
set -euo pipefail
source "$(dirname "$0")/node-modules.sh"
command -v promtool >/dev/null ||
  { echo "promtool is not installed (Debian package prometheus): run make deps" >&2; exit 1; }
prom="$deploy_dir/prometheus"
promtool check rules "$prom/rules.yml"
promtool check config "$prom/prometheus.yml"
promtool test rules "$prom/rules-test.yml"
check() { node "$deploy_dir/checks/check-rules.mjs" "$@"; }
check "$prom/rules.yml" "$prom/rules-test.yml" "$deploy_dir/grafana/metric-names.txt" \
  "$deploy_dir/k8s/base/prometheus-rule.yaml"

testdata="$deploy_dir/checks/testdata"
set +e
out=$(check "$testdata/broken-rules.yml" "$testdata/broken-rules-test.yml" \
  "$deploy_dir/grafana/metric-names.txt" "$deploy_dir/k8s/base/prometheus-rule.yaml")
rc=$?
set -e
expected=(
  "Misspelt: shopstream_event_total is not a declared metric"
  "Untested: severity must be one of"
  "Untested: no description"
  "no test expects Misspelt silent"
  "no test fires Untested"
  "no test expects Untested silent"
  "prometheus-rule.yaml differs from"
)
for want in "${expected[@]}"; do
  grep -qF "$want" <<<"$out" || { echo "broken rules: missing report \"$want\":"; echo "$out"; exit 1; }
done
[ $rc -eq 1 ] || { echo "broken rules: expected exit 1, got $rc"; exit 1; }
[ "$(grep -c . <<<"$out")" -eq $((${#expected[@]} + 1)) ] ||
  { echo "broken rules: expected exactly ${#expected[@]} reports:"; echo "$out"; exit 1; }
echo "rules checks pass; broken rules refused"
