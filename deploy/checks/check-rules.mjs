// Checks the Prometheus alerting rules beyond what promtool checks: every
// alert has a severity, a summary and a description, names only declared
// metric families (metric-names.txt; `up` is Prometheus's own), and has a
// unit test that fires it and one that expects it silent; and the
// Kubernetes PrometheusRule holds exactly the same groups. With --write it
// makes the PrometheusRule from the rules file instead of comparing.
//   node deploy/checks/check-rules.mjs RULES.yml TESTS.yml METRIC_NAMES.txt PROMETHEUS_RULE.yaml [--write]
import { readFileSync, writeFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parse, stringify } from "yaml";
import { metricNames } from "./check-dashboard.mjs";

const kSeverities = new Set(["critical", "warning"]);
// Series Prometheus makes itself rather than scraping them.
const kPrometheusSeries = new Set(["up"]);

export function prometheusRule(groups) {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "shopstream" },
    spec: { groups },
  };
}

const kHeader = `# Made from deploy/prometheus/rules.yml by
#   node deploy/checks/check-rules.mjs deploy/prometheus/rules.yml \\
#     deploy/prometheus/rules-test.yml deploy/grafana/metric-names.txt \\
#     deploy/k8s/base/prometheus-rule.yaml --write
# Edit the rules there; the deploy checks fail while the two differ. The
# Prometheus Operator loads it when its ruleSelector matches the labels
# (patch them to match yours).
`;

function declaredNames(file) {
  const names = new Set();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [name, type] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!name) continue;
    names.add(name);
    if (type === "histogram" || type === "summary") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    }
  }
  return names;
}

function main(args) {
  const write = args.includes("--write");
  const [rulesFile, testsFile, namesFile, k8sFile] = args.filter((a) => a !== "--write");
  if (!k8sFile) {
    console.error("usage: check-rules.mjs RULES.yml TESTS.yml METRIC_NAMES.txt PROMETHEUS_RULE.yaml [--write]");
    process.exit(2);
  }
  const rules = parse(readFileSync(rulesFile, "utf8"));
  const groups = rules?.groups ?? [];
  if (write) {
    writeFileSync(k8sFile, kHeader + stringify(prometheusRule(groups), { lineWidth: 0 }));
    console.log(`wrote ${k8sFile}`);
    return;
  }

  const problems = [];
  const declared = declaredNames(namesFile);
  const alerts = [];
  for (const group of groups) {
    for (const rule of group.rules ?? []) {
      if (!rule.alert) continue;
      alerts.push(rule.alert);
      const where = `${rulesFile}: ${rule.alert}`;
      if (!kSeverities.has(rule.labels?.severity)) {
        problems.push(`${where}: severity must be one of ${[...kSeverities].join(", ")}`);
      }
      for (const annotation of ["summary", "description"]) {
        if (!rule.annotations?.[annotation]) problems.push(`${where}: no ${annotation}`);
      }
      for (const name of metricNames(rule.expr ?? "")) {
        if (!declared.has(name) && !kPrometheusSeries.has(name)) {
          problems.push(`${where}: ${name} is not a declared metric`);
        }
      }
    }
  }
  if (alerts.length === 0) problems.push(`${rulesFile}: no alerts`);

  // An alert whose tests never see it fire proves nothing about its
  // expression; one never expected silent could fire on anything.
  const tests = parse(readFileSync(testsFile, "utf8"));
  const fires = new Set();
  const silent = new Set();
  for (const test of tests?.tests ?? []) {
    for (const case_ of test.alert_rule_test ?? []) {
      (case_.exp_alerts?.length ? fires : silent).add(case_.alertname);
    }
  }
  for (const alert of alerts) {
    if (!fires.has(alert)) problems.push(`${testsFile}: no test fires ${alert}`);
    if (!silent.has(alert)) problems.push(`${testsFile}: no test expects ${alert} silent`);
  }

  const k8s = parse(readFileSync(k8sFile, "utf8"));
  if (!isDeepStrictEqual(k8s, prometheusRule(groups))) {
    problems.push(`${k8sFile} differs from ${rulesFile}; make it again with --write (see its header)`);
  }

  for (const p of problems) console.log(p);
  console.log(`${alerts.length} alerts, ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
