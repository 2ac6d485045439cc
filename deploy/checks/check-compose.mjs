// Checks docker-compose.yml and the Dockerfile without a Docker engine:
// `docker-compose config` must accept the file with no variables set, the
// services must start in dependency order behind health checks that run a
// command the image has, ingest and query must check API keys against the
// database that the `admin` service (shopstream-admin) writes them to,
// Prometheus must scrape every metrics port (listening beyond loopback)
// and load the alerting rules, the internal RPCs must carry the token
// `service-token` makes, the Dockerfile must take its packages from the
// shared lists, the image must carry the web root the gateway serves, and
// PostgreSQL must have the hll extension the migrations create.
//   node deploy/checks/check-compose.mjs SOURCE_DIR
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { kWebRoot } from "./web-root.mjs";

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

// API keys are made with shopstream-admin after start, so nothing needs
// to be set beforehand.
const run = compose({});
if (run.error || run.status !== 0) {
  console.log(`docker-compose config failed: ${run.error ?? run.stderr}`);
  process.exit(1);
}
const config = parse(run.stdout);
const services = config.services ?? {};
const ours = ["processor", "ingest", "query", "gateway"];
expect(JSON.stringify(Object.keys(services).sort()) ===
  JSON.stringify(["admin", "gateway", "ingest", "migrate", "postgres", "processor", "prometheus", "query",
    "service-token"]),
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
  // /metrics listens on loopback unless told otherwise; Prometheus is
  // another container.
  expect(service.environment?.SHOPSTREAM_METRICS_ADDRESS === "0.0.0.0",
    `${name}: SHOPSTREAM_METRICS_ADDRESS must be 0.0.0.0 for Prometheus to scrape it`);
}

// Internal RPCs: processor, ingest and gateway read the token that
// service-token makes, from the volume it writes, and start after it.
const tokenMaker = services["service-token"] ?? {};
const tokenVolume = (tokenMaker.volumes ?? []).map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`))
  .map((v) => v.split(":"))[0];
expect(tokenVolume, "service-token mounts no volume to write the token to");
for (const name of ["processor", "ingest", "gateway"]) {
  const service = services[name] ?? {};
  const file = service.environment?.SHOPSTREAM_SERVICE_TOKEN_FILE;
  const mounts = (service.volumes ?? []).map((v) => (typeof v === "string" ? v.split(":") :
    [v.source, v.target, v.read_only ? "ro" : "rw"]));
  expect(file && tokenVolume && mounts.some(([source, target]) => source === tokenVolume[0] &&
    file.startsWith(`${target}/`) && target === tokenVolume[1]),
    `${name}: SHOPSTREAM_SERVICE_TOKEN_FILE must be on the volume service-token writes`);
  expect(!(service.environment ?? {}).SHOPSTREAM_ALLOW_UNAUTHENTICATED_INTERNAL_RPCS,
    `${name}: internal RPCs must not be opened`);
  dependsOn(name, "service-token", "service_completed_successfully");
}

// Keys: ingest and query look them up in the events database, with auth on
// unless SHOPSTREAM_AUTH=false is given; no service takes a key from the
// environment (such a variable would be ignored: keys live in PostgreSQL).
const conninfo = services.migrate?.environment?.SHOPSTREAM_POSTGRES;
expect(conninfo, "migrate has no SHOPSTREAM_POSTGRES");
for (const name of ["ingest", "query"]) {
  const env = services[name]?.environment ?? {};
  expect(env.SHOPSTREAM_POSTGRES === conninfo,
    `${name} must get the database holding the API keys (SHOPSTREAM_POSTGRES)`);
  expect(env.SHOPSTREAM_AUTH === "true", `${name} must check API keys by default`);
}
for (const [name, service] of Object.entries(services)) {
  for (const variable of Object.keys(service.environment ?? {})) {
    expect(!/^SHOPSTREAM_(WRITE|READ)_KEY$|API_KEY/.test(variable),
      `${name}: ${variable} is not read by any service; keys live in PostgreSQL`);
  }
}
const keyless = compose({ SHOPSTREAM_AUTH: "false" });
const keylessConfig = keyless.status === 0 ? parse(keyless.stdout) : {};
expect(["ingest", "query"].every((name) =>
  keylessConfig.services?.[name]?.environment?.SHOPSTREAM_AUTH === "false"),
  "SHOPSTREAM_AUTH=false does not reach ingest and query");

// admin: shopstream-admin of the image against the same database, run by
// hand (a profile keeps `up` from starting it).
const admin = services.admin ?? {};
expect(admin.entrypoint?.[0] === "shopstream-admin" && copiedBinaries.has("shopstream-admin"),
  `admin must run shopstream-admin from the image, not ${JSON.stringify(admin.entrypoint)}`);
expect(admin.environment?.SHOPSTREAM_POSTGRES === conninfo,
  "admin must use the services' database (SHOPSTREAM_POSTGRES)");
expect((admin.profiles ?? []).length > 0, "admin must not start with `docker-compose up`");
dependsOn("admin", "postgres", "service_healthy");

// Prometheus loads the alerting rules its configuration names, so each
// must be mounted beside the configuration (rule paths are relative to it).
const prometheusService = services.prometheus ?? {};
const prometheusMounts = (prometheusService.volumes ?? []).map((v) =>
  (typeof v === "string" ? v.split(":").slice(0, 2) : [v.source, v.target]));
const configMount = prometheusMounts.find(([, target]) => target === "/etc/prometheus/prometheus.yml");
expect(configMount, "prometheus must mount deploy/prometheus/prometheus.yml at /etc/prometheus/prometheus.yml");
const ruleFiles = parse(readFileSync(join(root, "deploy/prometheus/prometheus.yml"), "utf8")).rule_files ?? [];
expect(ruleFiles.length > 0, "deploy/prometheus/prometheus.yml loads no alerting rules (rule_files)");
for (const file of ruleFiles) {
  const target = file.startsWith("/") ? file : `/etc/prometheus/${file}`;
  expect(prometheusMounts.some(([source, t]) => t === target &&
    source === join(root, "deploy/prometheus", file)),
    `prometheus must mount deploy/prometheus/${file} at ${target}`);
}

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
// The web root: built in the build stage (target www) with a Node.js the
// dashboard accepts, copied where the gateway is told to serve it from.
expect(/--target[^&]*\bwww\b/.test(stages[0] ?? ""), "the build stage must build the target www (the web root)");
const nodeMajor = Number((stages[0] ?? "").match(/COPY --from=node:(\d+)/)?.[1] ?? 0);
const wantedNode = Number(JSON.parse(readFileSync(join(root, "dashboard/package.json"), "utf8"))
  .engines?.node?.match(/(\d+)/)?.[1] ?? 0);
expect(nodeMajor >= wantedNode && nodeMajor > 0,
  `the build stage's Node.js (${nodeMajor || "none"}) is older than the dashboard's engines (${wantedNode})`);
const webRoot = runtime.match(/^COPY --from=build \/build\/www\/ (\S+?)\/?$/m)?.[1];
expect(webRoot === kWebRoot, `the runtime stage must copy /build/www/ to ${kWebRoot}, not ${webRoot}`);
expect(services.gateway?.environment?.SHOPSTREAM_STATIC_DIR === kWebRoot,
  `gateway: SHOPSTREAM_STATIC_DIR must be the image's web root ${kWebRoot}`);

const user = [...runtime.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1] ?? "root";
expect(!/^(0|root)(:|$)/.test(user), `the runtime image runs as ${user}`);

// PostgreSQL: the official image of one major version, plus that version's
// hll package from the PGDG repository the image carries.
const postgres = services.postgres ?? {};
const postgresContext = typeof postgres.build === "string" ? postgres.build : postgres.build?.context;
expect(postgresContext && resolve(root, postgresContext) === resolve(root, "deploy/postgres"),
  "postgres must be built from deploy/postgres (the official image has no hll extension)");
const postgresDockerfile = readFileSync(join(root, "deploy/postgres/Dockerfile"), "utf8");
const major = /^FROM\s+postgres:(\d+)/m.exec(postgresDockerfile)?.[1];
expect(major, "deploy/postgres/Dockerfile must start from the official postgres image");
const hll = new RegExp(String.raw`apt-get install[^\n]*postgresql-(${major}|\$\{?PG_MAJOR\}?)-hll`);
expect(hll.test(postgresDockerfile),
  `deploy/postgres/Dockerfile must install postgresql-${major}-hll`);

for (const p of problems) console.log(p);
console.log(`${Object.keys(services).length} services, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
