// Checks a Grafana dashboard: the JSON parses, it has panels with queries,
// and every metric a query names is a declared shopstream metric family
// (histograms with their _bucket, _sum and _count series).
//   node deploy/checks/check-dashboard.mjs METRIC_NAMES.txt DASHBOARD.json...
import { readFileSync } from "node:fs";

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

function main([namesFile, ...dashboards]) {
  if (!namesFile || dashboards.length === 0) {
    console.error("usage: check-dashboard.mjs METRIC_NAMES.txt DASHBOARD.json...");
    process.exit(2);
  }
  const declared = declaredSeries(namesFile);
  const problems = [];
  let queries = 0;
  for (const file of dashboards) {
    let dashboard;
    try {
      dashboard = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      problems.push(`${file}: ${error.message}`);
      continue;
    }
    if (!dashboard.title || !dashboard.uid) problems.push(`${file}: no title or uid`);
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
      }
    }
  }
  if (queries === 0) problems.push("no queries found");
  for (const p of problems) console.log(p);
  console.log(`${queries} queries, ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
