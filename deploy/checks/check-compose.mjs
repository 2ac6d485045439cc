// Checks docker-compose.yml and the Dockerfile without a Docker engine:
// `docker-compose config` must accept the file (and refuse it without API
// keys), the services must start in dependency order behind health checks
// that run a command the image has, Prometheus must scrape every metrics
// port, and the Dockerfile must take its packages from the shared lists.
//   node deploy/checks/check-compose.mjs SOURCE_DIR
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const root = process.argv[2];
if (!root) {
  console.error("usage: check-compose.mjs SOURCE_DIR");
  process.exit(2);
}
const problems = [];
const expect = (ok, message) => ok || problems.push(message);
const compose = (env) =>
  spawnSync("docker-compose", ["-f", join(root, "docker-compose.yml"), "config"], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
  });

// Without API keys the file must be refused, naming the variable.
const keyless = compose({});
expect(keyless.status !== 0 && /SHOPSTREAM_WRITE_KEY/.test(keyless.stderr),
  "docker-compose config accepted the file without SHOPSTREAM_WRITE_KEY");

const run = compose({ SHOPSTREAM_WRITE_KEY: "test-write", SHOPSTREAM_READ_KEY: "test-read" });
if (run.error || run.status !== 0) {
  console.log(`docker-compose config failed: ${run.error ?? run.stderr}`);
  process.exit(1);
}
const config = parse(run.stdout);
const services = config.services ?? {};
const ours = ["processor", "ingest", "query", "gateway"];
expect(JSON.stringify(Object.keys(services).sort()) ===
  JSON.stringify(["gateway", "ingest", "migrate", "postgres", "processor", "prometheus", "query"]),
  `services are ${Object.keys(services).sort().join(", ")}`);

const dependsOn = (service, on, condition) =>
  expect(services[service]?.depends_on?.[on]?.condition === condition,
    `${service} must wait for ${on} (${condition})`);
dependsOn("migrate", "postgres", "service_healthy");
dependsOn("processor", "migrate", "service_completed_successfully");
dependsOn("query", "migrate", "service_completed_successfully");
dependsOn("ingest", "processor", "service_healthy");
dependsOn("gateway", "ingest", "service_healthy");
dependsOn("gateway", "query", "service_healthy");
expect(services.migrate?.command?.includes("--migrate_only"), "migrate must run --migrate_only");

const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages.at(-1) ?? "";
const copiedBinaries = new Set(
  [...stages[0].matchAll(/\/build\/bin\/(shopstream-[a-z-]+)/g)].map((m) => m[1]));
for (const name of ours) {
  const service = services[name] ?? {};
  const binary = `shopstream-${name}`;
  expect(service.command?.[0] === binary, `${name} must run ${binary}`);
  expect(copiedBinaries.has(binary), `the Dockerfile does not copy ${binary}`);
  const test = service.healthcheck?.test ?? [];
  expect(test[0] === "CMD" && copiedBinaries.has(test[1]),
    `${name}: health check must run a binary of the image, not ${JSON.stringify(test)}`);
  const port = service.environment?.SHOPSTREAM_METRICS_PORT;
  const prometheus = readFileSync(join(root, "deploy/prometheus/prometheus.yml"), "utf8");
  expect(port && prometheus.includes(`"${name}:${port}"`),
    `Prometheus does not scrape ${name}:${port}`);
}
expect(services.ingest?.environment?.SHOPSTREAM_WRITE_KEY === "test-write",
  "ingest does not get SHOPSTREAM_WRITE_KEY");

// One package list for `make deps` and the image; the runtime stage installs
// what scripts/runtime-packages.sh found on the built binaries.
expect(/install-deps\.sh --build-only/.test(stages[0] ?? ""),
  "the build stage must install scripts/debian-packages.txt via install-deps.sh");
expect(/runtime-packages\.sh \/out\/bin\/\* > \/out\/runtime-packages\.txt/.test(stages[0] ?? ""),
  "the build stage must derive the runtime packages from the binaries");
expect(/COPY --from=build \/out\/runtime-packages\.txt/.test(runtime) &&
  /xargs -a \/usr\/share\/shopstream\/runtime-packages\.txt\s*\\\s*\n\s*apt-get install/.test(runtime),
  "the runtime stage must install exactly the derived package list");
expect(!/apt-get install[^\n]*\b(lib[a-z0-9+.-]+)/.test(runtime),
  "the runtime stage names packages by hand");
const user = [...runtime.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1] ?? "root";
expect(!/^(0|root)(:|$)/.test(user), `the runtime image runs as ${user}`);

for (const p of problems) console.log(p);
console.log(`${Object.keys(services).length} services, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
