// Checks rendered Kubernetes manifests offline: every object against the
// Kubernetes API schemas (kubernetes-models, ServiceMonitor and
// PrometheusRule from @kubernetes-models/prometheus-operator), then what
// schemas cannot see: references between objects, probes and resources on
// every container, termination grace versus the ingest shutdown grace,
// metrics ports and addresses, the gateway's web root, gRPC listen
// addresses, API keys looked up in PostgreSQL, the
// service token of internal RPCs, TLS files mounted, TLS on both ends of
// each internal gRPC hop, and a PostgreSQL with the hll extension.
//   node deploy/checks/validate-manifests.mjs rendered.yaml...
// Exit 0 when every object passes, 1 with one line per problem otherwise.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { kWebRoot } from "./web-root.mjs";

// apiVersion -> module of its models.
const kModules = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "monitoring.coreos.com/v1":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};
const kWorkloads = new Set(["Deployment", "StatefulSet", "Job"]);

const problems = [];
const report = (obj, message) =>
  problems.push(`${obj?.kind ?? "?"}/${obj?.metadata?.name ?? "?"}: ${message}`);

async function modelFor(apiVersion, kind) {
  const path = kModules[apiVersion];
  if (!path) return undefined;
  const module = await import(path);
  return module[kind];
}

async function checkSchema(obj) {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    report(obj, "not a Kubernetes object");
    return false;
  }
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!Model) {
    report(obj, `unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
    return false;
  }
  if (!obj.metadata?.name) report(obj, "metadata.name is missing");
  let checked = obj;
  if (obj.kind === "Secret" && obj.data) {
    // kustomize wraps long base64 values; the API server's decoder skips
    // the line breaks, the schema's "byte" format does not.
    const data = Object.fromEntries(Object.entries(obj.data).map(
      ([k, v]) => [k, typeof v === "string" ? v.replace(/\s+/g, "") : v]));
    checked = { ...obj, data };
  }
  try {
    new Model(checked).validate();
    return true;
  } catch (error) {
    report(obj, `schema: ${error.message}`);
    return false;
  }
}

const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function podTemplates(objects) {
  return objects
    .filter((o) => kWorkloads.has(o.kind))
    .map((o) => ({ owner: o, template: o.spec?.template }));
}

// The environment a container sees: envFrom ConfigMaps, then env values.
function environment(container, configMaps) {
  const env = {};
  for (const source of container.envFrom ?? []) {
    const map = source.configMapRef && configMaps.get(source.configMapRef.name);
    Object.assign(env, map?.data ?? {});
  }
  for (const { name, value } of container.env ?? []) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function checkContainers(owner, podSpec, configMaps, secrets) {
  const portNames = new Set();
  const portNumbers = new Set();
  for (const c of podSpec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name) portNames.add(p.name);
      portNumbers.add(p.containerPort);
    }
  }
  const probePort = (port) =>
    typeof port === "string" ? portNames.has(port) : portNumbers.has(port);
  for (const c of podSpec.containers ?? []) {
    const what = `container ${c.name}`;
    for (const key of ["cpu", "memory"]) {
      if (!c.resources?.requests?.[key]) report(owner, `${what}: no resources.requests.${key}`);
      if (!c.resources?.limits?.[key]) report(owner, `${what}: no resources.limits.${key}`);
    }
    if (owner.kind !== "Job") {
      for (const probe of ["readinessProbe", "livenessProbe"]) {
        const p = c[probe];
        if (!p) {
          report(owner, `${what}: no ${probe}`);
          continue;
        }
        const port = p.grpc?.port ?? p.httpGet?.port ?? p.tcpSocket?.port;
        if (port !== undefined && !probePort(port)) {
          report(owner, `${what}: ${probe} port ${port} is not a container port`);
        }
      }
    }
    for (const source of c.envFrom ?? []) {
      if (source.configMapRef && !configMaps.has(source.configMapRef.name)) {
        report(owner, `${what}: ConfigMap ${source.configMapRef.name} does not exist`);
      }
    }
    for (const { name, valueFrom } of c.env ?? []) {
      const cm = valueFrom?.configMapKeyRef;
      if (cm && !(cm.key in (configMaps.get(cm.name)?.data ?? {}))) {
        report(owner, `${what}: env ${name}: ConfigMap ${cm.name} has no key ${cm.key}`);
      }
      // Secrets of the production overlay are created beforehand, so only
      // those rendered here are checked for their keys.
      const sk = valueFrom?.secretKeyRef;
      if (sk && secrets.has(sk.name)) {
        const s = secrets.get(sk.name);
        if (!(sk.key in { ...(s.data ?? {}), ...(s.stringData ?? {}) })) {
          report(owner, `${what}: env ${name}: Secret ${sk.name} has no key ${sk.key}`);
        }
      }
    }
    const env = environment(c, configMaps);
    if (env.SHOPSTREAM_SHUTDOWN_GRACE_MS !== undefined) {
      const grace = Number(podSpec.terminationGracePeriodSeconds ?? 30) * 1000;
      const sleep = c.lifecycle?.preStop?.exec?.command?.[0] === "sleep"
        ? Number(c.lifecycle.preStop.exec.command[1]) * 1000
        : 0;
      const needed = Number(env.SHOPSTREAM_SHUTDOWN_GRACE_MS) + sleep;
      if (!(grace > needed)) {
        report(owner,
          `terminationGracePeriodSeconds ${grace / 1000} s does not cover ` +
          `preStop ${sleep} ms + SHOPSTREAM_SHUTDOWN_GRACE_MS ` +
          `${env.SHOPSTREAM_SHUTDOWN_GRACE_MS} ms`);
      }
    }
    // The migrations create the hll extension, which the official image
    // lacks; deploy/postgres adds it.
    if (/^(docker\.io\/)?(library\/)?postgres([:@]|$)/.test(c.image ?? "")) {
      report(owner, `${what}: the official image ${c.image} has no hll extension, ` +
        "which the migrations create; run shopstream-postgres (deploy/postgres)");
    }
    checkAuthAndTls(owner, podSpec, c, env);
    checkListenAddresses(owner, c, env);
    checkWebRoot(owner, c, env);
    if (env.SHOPSTREAM_METRICS_PORT !== undefined && env.SHOPSTREAM_METRICS_PORT !== "0") {
      const metrics = (c.ports ?? []).find((p) => p.name === "metrics");
      if (String(metrics?.containerPort) !== env.SHOPSTREAM_METRICS_PORT) {
        report(owner, `${what}: SHOPSTREAM_METRICS_PORT ${env.SHOPSTREAM_METRICS_PORT} ` +
          `is not its "metrics" container port`);
      }
    }
  }
  return portNames;
}

// gRPC server binary -> the variable of its listen address.
const kGrpcAddresses = {
  "shopstream-processor": "SHOPSTREAM_PROCESSOR_ADDRESS",
  "shopstream-ingest": "SHOPSTREAM_INGEST_ADDRESS",
  "shopstream-query": "SHOPSTREAM_QUERY_ADDRESS",
};
// Binaries that serve or make internal RPCs, which need a service token
// (or mutual TLS; the manifests use the token either way).
const kInternalRpcs = new Set(["shopstream-processor", "shopstream-ingest", "shopstream-gateway"]);
const isLoopback = (host) => host === undefined || /^(127\.|localhost$|\[?::1\]?$)/.test(host);

// The gateway serves the web root only when told where it is.
function checkWebRoot(owner, c, env) {
  if (c.command?.[0] !== "shopstream-gateway") return;
  if (env.SHOPSTREAM_STATIC_DIR !== kWebRoot) {
    report(owner, `container ${c.name}: SHOPSTREAM_STATIC_DIR ${env.SHOPSTREAM_STATIC_DIR ?? "(unset)"} ` +
      `is not the image's web root ${kWebRoot}: no dashboard, tracker or API reference`);
  }
}

// The binaries listen on loopback by default, which no other pod, probe
// or Prometheus reaches: a container serving a port sets its address.
function checkListenAddresses(owner, c, env) {
  const what = `container ${c.name}`;
  const grpcAddress = kGrpcAddresses[c.command?.[0]];
  if (grpcAddress && (c.ports ?? []).some((p) => p.name === "grpc")) {
    const value = env[grpcAddress];
    if (isLoopback(value?.replace(/:\d+$/, ""))) {
      report(owner, `${what}: ${grpcAddress} ${value ?? "(default 127.0.0.1)"} is unreachable from ` +
        "other pods; 0.0.0.0 behind the NetworkPolicies");
    }
  }
  if ((c.ports ?? []).some((p) => p.name === "metrics") && isLoopback(env.SHOPSTREAM_METRICS_ADDRESS)) {
    report(owner, `${what}: SHOPSTREAM_METRICS_ADDRESS ${env.SHOPSTREAM_METRICS_ADDRESS ??
      "(default 127.0.0.1)"} is unreachable for Prometheus`);
  }
}

// Services that check API keys, which they look up in PostgreSQL.
const kKeyCheckers = new Set(["shopstream-ingest", "shopstream-query"]);
// gRPC server binary -> binaries that call it.
const kGrpcClients = {
  "shopstream-processor": ["shopstream-ingest"],
  "shopstream-ingest": ["shopstream-gateway"],
  "shopstream-query": ["shopstream-gateway"],
};
// Every variable a container gets, set by value or from a Secret/ConfigMap.
const envNames = (c, env) => new Set([...Object.keys(env), ...(c.env ?? []).map((e) => e.name)]);

function checkAuthAndTls(owner, podSpec, c, env) {
  const what = `container ${c.name}`;
  const names = envNames(c, env);
  for (const name of names) {
    if (/^SHOPSTREAM_(WRITE|READ)_KEY$/.test(name)) {
      report(owner, `${what}: ${name} is read by no service; API keys live in PostgreSQL`);
    }
  }
  if (kKeyCheckers.has(c.command?.[0]) && env.SHOPSTREAM_AUTH !== "false" &&
      !names.has("SHOPSTREAM_POSTGRES")) {
    report(owner, `${what}: checks API keys but has no SHOPSTREAM_POSTGRES to look them up`);
  }
  const volumes = new Set([...(podSpec.volumes ?? []), ...(owner.spec?.volumeClaimTemplates ?? [])]
    .map((v) => v.name ?? v.metadata?.name));
  for (const mount of c.volumeMounts ?? []) {
    if (!volumes.has(mount.name)) report(owner, `${what}: volumeMount ${mount.name} is no volume of the pod`);
  }
  if (kInternalRpcs.has(c.command?.[0]) && !c.command.includes("--migrate_only")) {
    if (!env.SHOPSTREAM_SERVICE_TOKEN_FILE) {
      report(owner, `${what}: serves or makes internal RPCs without SHOPSTREAM_SERVICE_TOKEN_FILE`);
    }
    if (env.SHOPSTREAM_ALLOW_UNAUTHENTICATED_INTERNAL_RPCS === "true") {
      report(owner, `${what}: SHOPSTREAM_ALLOW_UNAUTHENTICATED_INTERNAL_RPCS opens them to any pod`);
    }
  }
  for (const [name, file] of Object.entries(env)) {
    if (!/^SHOPSTREAM_(TLS_\w+|SERVICE_TOKEN)_FILE$/.test(name) || file === "") continue;
    if (!(c.volumeMounts ?? []).some((m) => file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`))) {
      report(owner, `${what}: ${name} ${file} is on no mounted volume`);
    }
  }
  if (env.SHOPSTREAM_TLS_CERT_FILE) {
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      if (c[probe]?.grpc) {
        report(owner, `${what}: ${probe} is a kubelet gRPC probe, which cannot speak TLS to a TLS server`);
      }
    }
  }
  if (env.SHOPSTREAM_TLS_CLIENT_CA_FILE && !env.SHOPSTREAM_TLS_CERT_FILE) {
    report(owner, `${what}: SHOPSTREAM_TLS_CLIENT_CA_FILE needs SHOPSTREAM_TLS_CERT_FILE`);
  }
  // The health probe in the container reads the container's TLS settings.
  if (c.readinessProbe?.exec?.command?.[0] === "shopstream-health-probe" &&
      c.readinessProbe.exec.command.some((a) => a.startsWith("--grpc="))) {
    checkTlsClient(owner, `${what}: its readiness probe`, env, env);
  }
}

// `clientEnv` calls a server configured by `serverEnv`: TLS on both ends,
// and a client certificate where the server requires one.
function checkTlsClient(owner, who, clientEnv, serverEnv) {
  if (serverEnv.SHOPSTREAM_TLS_CERT_FILE && !clientEnv.SHOPSTREAM_TLS_CA_FILE) {
    report(owner, `${who} calls a TLS server without SHOPSTREAM_TLS_CA_FILE`);
  }
  if (!serverEnv.SHOPSTREAM_TLS_CERT_FILE && clientEnv.SHOPSTREAM_TLS_CA_FILE) {
    report(owner, `${who} speaks TLS to a plaintext server`);
  }
  if (serverEnv.SHOPSTREAM_TLS_CLIENT_CA_FILE && !(clientEnv.SHOPSTREAM_TLS_CLIENT_CERT_FILE &&
      clientEnv.SHOPSTREAM_TLS_CLIENT_KEY_FILE)) {
    report(owner, `${who} presents no client certificate to a server requiring one`);
  }
}

function checkGrpcHops(templates, configMaps) {
  const containers = templates.flatMap(({ owner, template }) =>
    (template?.spec?.containers ?? []).map((c) => ({ owner, c, env: environment(c, configMaps) })));
  // Servers: containers with a gRPC port (not, say, the migration Job).
  for (const server of containers.filter((x) => (x.c.ports ?? []).some((p) => p.name === "grpc"))) {
    for (const clientBinary of kGrpcClients[server.c.command?.[0]] ?? []) {
      for (const client of containers.filter((x) => x.c.command?.[0] === clientBinary)) {
        checkTlsClient(client.owner, `container ${client.c.name} (${clientBinary})`,
          client.env, server.env);
      }
    }
  }
}

function checkReferences(objects) {
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const configMaps = new Map(byKind("ConfigMap").map((o) => [o.metadata.name, o]));
  const secrets = new Map(byKind("Secret").map((o) => [o.metadata.name, o]));
  const templates = podTemplates(objects);
  const pods = []; // {owner, labels, portNames}

  for (const { owner, template } of templates) {
    const labels = template?.metadata?.labels ?? {};
    if (owner.kind !== "Job" && !matches(owner.spec?.selector?.matchLabels, labels)) {
      report(owner, "spec.selector does not match the pod template's labels");
    }
    const podSpec = template?.spec ?? {};
    const portNames = checkContainers(owner, podSpec, configMaps, secrets);
    const annotations = template?.metadata?.annotations ?? {};
    if (annotations["prometheus.io/scrape"] === "true") {
      const port = Number(annotations["prometheus.io/port"]);
      const ports = (podSpec.containers ?? []).flatMap((c) => c.ports ?? []);
      if (!ports.some((p) => p.containerPort === port && p.name === "metrics")) {
        report(owner, `prometheus.io/port ${annotations["prometheus.io/port"]} is not the "metrics" container port`);
      }
    }
    const account = podSpec.serviceAccountName;
    if (account && !objects.some((o) => o.kind === "ServiceAccount" && o.metadata.name === account)) {
      report(owner, `ServiceAccount ${account} does not exist`);
    }
    pods.push({ owner, labels, portNames });
  }

  checkGrpcHops(templates, configMaps);

  const selectedPods = (selector) => pods.filter((p) => matches(selector, p.labels));
  for (const svc of byKind("Service")) {
    const selected = selectedPods(svc.spec?.selector);
    if (!svc.spec?.selector || selected.length === 0) {
      report(svc, "selects no pod template");
      continue;
    }
    for (const port of svc.spec.ports ?? []) {
      if (typeof port.targetPort === "string" &&
          !selected.every((p) => p.portNames.has(port.targetPort))) {
        report(svc, `targetPort ${port.targetPort} is not a port of the selected pods`);
      }
    }
  }
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    if (!objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name)) {
      report(hpa, `scaleTargetRef ${ref.kind}/${ref.name} does not exist`);
    }
    if (hpa.spec?.minReplicas > hpa.spec?.maxReplicas) {
      report(hpa, "minReplicas is above maxReplicas");
    }
  }
  for (const pdb of byKind("PodDisruptionBudget")) {
    if (selectedPods(pdb.spec?.selector?.matchLabels).length === 0) {
      report(pdb, "selects no pod template");
    }
  }
  for (const policy of byKind("NetworkPolicy")) {
    const targets = selectedPods(policy.spec?.podSelector?.matchLabels);
    if (targets.length === 0) report(policy, "selects no pod template");
    for (const rule of policy.spec?.ingress ?? []) {
      for (const port of rule.ports ?? []) {
        if (typeof port.port === "string" && !targets.some((p) => p.portNames.has(port.port))) {
          report(policy, `port ${port.port} is not a port of any selected pod`);
        }
      }
      for (const peer of rule.from ?? []) {
        if (peer.podSelector && !peer.namespaceSelector &&
            selectedPods(peer.podSelector.matchLabels).length === 0) {
          report(policy, `from: ${JSON.stringify(peer.podSelector.matchLabels)} selects no pod template`);
        }
      }
    }
  }
  for (const monitor of byKind("ServiceMonitor")) {
    const services = byKind("Service").filter((s) =>
      matches(monitor.spec?.selector?.matchLabels, s.metadata?.labels));
    for (const endpoint of monitor.spec?.endpoints ?? []) {
      if (!services.some((s) => (s.spec?.ports ?? []).some((p) => p.name === endpoint.port))) {
        report(monitor, `no selected Service has a port named ${endpoint.port}`);
      }
    }
  }
  // Ingress reaches processors by the StatefulSet pods' stable names: the
  // list must name each replica once, and only those.
  const targetLists = [
    ...byKind("ConfigMap").map((o) => [o, o.data?.SHOPSTREAM_PROCESSOR_TARGET]),
    ...templates.flatMap(({ owner, template }) =>
      (template?.spec?.containers ?? []).flatMap((c) => (c.env ?? [])
        .filter((e) => e.name === "SHOPSTREAM_PROCESSOR_TARGET")
        .map((e) => [owner, e.value]))),
  ].filter(([, list]) => typeof list === "string");
  for (const [owner, list] of targetLists) {
    const ordinals = new Map(); // StatefulSet name -> ordinals listed
    for (const target of list.split(",").map((t) => t.trim()).filter(Boolean)) {
      const m = /^([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)(\.|:)/.exec(target);
      const set = m && byKind("StatefulSet").find((o) =>
        o.metadata.name === m[1] && o.spec?.serviceName === m[3]);
      if (!set) continue;
      ordinals.set(set, [...(ordinals.get(set) ?? []), Number(m[2])]);
    }
    for (const [set, listed] of ordinals) {
      const replicas = set.spec?.replicas ?? 1;
      const want = [...Array(replicas).keys()].join(",");
      if ([...listed].sort((a, b) => a - b).join(",") !== want) {
        report(owner, `SHOPSTREAM_PROCESSOR_TARGET lists ${set.metadata.name} pods ` +
          `${listed.join(",")} but it has ${replicas} replicas`);
      }
    }
  }
  for (const ingress of byKind("Ingress")) {
    for (const rule of ingress.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const name = path.backend?.service?.name;
        if (name && !byKind("Service").some((s) => s.metadata.name === name)) {
          report(ingress, `backend Service ${name} does not exist`);
        }
      }
    }
  }
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: validate-manifests.mjs FILE.yaml...");
    process.exit(2);
  }
  const objects = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length > 0) {
        problems.push(`${file}: YAML: ${doc.errors[0].message}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj !== null) objects.push(obj);
    }
  }
  const valid = [];
  for (const obj of objects) {
    if (await checkSchema(obj)) valid.push(obj);
  }
  checkReferences(valid);
  for (const p of problems) console.log(p);
  console.log(`${objects.length} objects, ${problems.length} problems`);
  process.exit(problems.length === 0 && objects.length > 0 ? 0 : 1);
}

await main(process.argv.slice(2));
