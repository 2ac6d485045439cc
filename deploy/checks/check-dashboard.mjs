// Checks a Grafana dashboard: the JSON parses, it has panels with queries,
// every metric a query names is a declared shopstream metric family
// (histograms with their _bucket, _sum and _count series), and it has the
// template variables job and instance, by which every series a query
// selects is filtered (job=~"$job", instance=~"$instance").
// --queries-as-rules FILE also writes every query into a rules file for
// `promtool check rules`, which checks the PromQL itself.
//   node deploy/checks/check-dashboard.mjs [--queries-as-rules FILE] METRIC_NAMES.txt DASHBOARD.json...
import { readFileSync, writeFileSync } from "node:fs";

// PromQL words that are not metric names; aggregations are listed because
// `sum by (x) (...)` puts a clause between the name and its parenthesis.
const kKeywords = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "offset",
  "bool", "and", "or", "unless", "atan2", "inf", "nan",
  "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
  "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
]);

// The metric names a PromQL expression selects.
export function metricNames(expr) {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1")
    .replace(/\$\{?\w+\}?/g, ""); // Grafana variables
  const names = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(after)) continue; // a function call
    if (kKeywords.has(m[0].toLowerCase())) continue;
    // Digits of a number such as 1e3 or 0.99 are not names.
    if (m.index > 0 && /[0-9.]/.test(stripped[m.index - 1])) continue;
    names.push(m[0]);
  }
  return names;
}

// Each series selector of a PromQL expression: the metric name and the
// text of its label matchers ("" when it has none).
export function selectors(expr) {
  const stripped = expr
    .replace(/\[[^\]]*\]/g, "") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1");
  const found = [];
  // A name, then maybe its matchers, whose strings may hold '}'.
  const selector = /([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?/g;
  for (const m of stripped.matchAll(selector)) {
    const after = stripped.slice(m.index + m[0].length);
    if (!m[2] && /^\s*\(/.test(after)) continue; // a function call
    if (kKeywords.has(m[1].toLowerCase())) continue;
    // Grafana variables, and digits of numbers such as 1e3 or 0.99.
    if (m.index > 0 && /[0-9.${]/.test(stripped[m.index - 1])) continue;
    found.push({ name: m[1], matchers: m[2] ?? "" });
  }
  return found;
}

const kFilters = ['job=~"$job"', 'instance=~"$instance"'];

function declaredSeries(file) {
  const series = new Set();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [name, type] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!name) continue;
    series.add(name);
    if (type === "histogram" || type === "summary") {
      for (const suffix of ["_bucket", "_sum", "_count"]) series.add(name + suffix);
    }
  }
  return series;
}

function* panelsOf(dashboard) {
  for (const panel of dashboard.panels ?? []) {
    yield panel;
    yield* panelsOf(panel); // rows hold panels
  }
}

// Every query as a recording rule, with Grafana's variables replaced by
// what they stand for, so that `promtool check rules` parses the PromQL.
function writeQueriesAsRules(file, dashboards) {
  const rules = [];
  for (const dashboard of dashboards) {
    for (const panel of panelsOf(dashboard)) {
      for (const target of panel.targets ?? []) {
        const expr = (target.expr ?? "")
          .replace(/\$__rate_interval|\$__interval|\$__range/g, "5m")
          .replace(/\$\{?(\w+)\}?/g, ".*");
        rules.push({ record: `dashboard:query_${rules.length}`, expr });
      }
    }
  }
  writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }, null, 1));
}

function main(args) {
  const rulesOut = args.indexOf("--queries-as-rules");
  let rulesFile;
  if (rulesOut >= 0) [, rulesFile] = args.splice(rulesOut, 2);
  const [namesFile, ...dashboards] = args;
  if (!namesFile || dashboards.length === 0) {
    console.error("usage: check-dashboard.mjs [--queries-as-rules FILE] METRIC_NAMES.txt DASHBOARD.json...");
    process.exit(2);
  }
  const parsed = [];
  const declared = declaredSeries(namesFile);
  const problems = [];
  let queries = 0;
  for (const file of dashboards) {
    let dashboard;
    try {
      dashboard = JSON.parse(readFileSync(file, "utf8"));
      parsed.push(dashboard);
    } catch (error) {
      problems.push(`${file}: ${error.message}`);
      continue;
    }
    if (!dashboard.title || !dashboard.uid) problems.push(`${file}: no title or uid`);
    // With several gateways or processors, a panel summed over all of them
    // hides the one that misbehaves.
    const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
    for (const name of ["job", "instance"]) {
      const variable = variables.get(name);
      if (variable?.type !== "query" || !variable.multi || !variable.includeAll) {
        problems.push(`${file}: no multi-value query variable ${name} with All`);
        continue;
      }
      // label_values(SELECTOR, LABEL): the selector names the metric.
      const query = String(variable.query?.query ?? variable.query ?? "");
      const selector = query.match(/^\s*label_values\((.*),\s*\w+\s*\)\s*$/)?.[1] ?? query;
      for (const metric of metricNames(selector)) {
        if (!declared.has(metric)) {
          problems.push(`${file}: variable ${name}: ${metric} is not a declared metric`);
        }
      }
    }
    if (!String(variables.get("instance")?.query?.query ?? "").includes('job=~"$job"')) {
      problems.push(`${file}: variable instance must list the instances of the chosen jobs`);
    }
    for (const panel of panelsOf(dashboard)) {
      for (const target of panel.targets ?? []) {
        queries++;
        const names = metricNames(target.expr ?? "");
        if (names.length === 0) {
          problems.push(`${file}: panel "${panel.title}" ${target.refId}: query names no metric`);
        }
        for (const name of names) {
          if (!declared.has(name)) {
            problems.push(`${file}: panel "${panel.title}" ${target.refId}: ${name} is not a declared metric`);
          }
        }
        for (const { name, matchers } of selectors(target.expr ?? "")) {
          const missing = kFilters.filter((f) => !matchers.includes(f));
          if (missing.length > 0) {
            problems.push(`${file}: panel "${panel.title}" ${target.refId}: ${name} is not filtered by ${missing.join(", ")}`);
          }
        }
      }
    }
  }
  if (queries === 0) problems.push("no queries found");
  if (rulesFile) writeQueriesAsRules(rulesFile, parsed);
  for (const p of problems) console.log(p);
  console.log(`${queries} queries, ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
