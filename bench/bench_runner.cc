#include "bench/bench_runner.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "auth/api_key_store.h"
#include "bench/event_factory.h"
#include "bench/external_tools.h"
#include "bench/postgres_checks.h"
#include "bench/process_usage.h"
#include "bench/visibility_probe.h"

namespace shopstream::bench {
namespace {

void Progress(const std::string& message) {
  std::fprintf(
      stderr, "[bench %s] %s\n",
      absl::FormatTime("%H:%M:%S", absl::Now(), absl::UTCTimeZone()).c_str(),
      message.c_str());
}

// "grpc_unary@30000" -> "grpc_unary_30000": usable in a shop id.
std::string Slug(const std::string& name) {
  return absl::StrReplaceAll(name, {{"@", "_"}, {".", "_"}, {":", "_c"}});
}

constexpr int64_t kMinCopyEvents = 200000;

// "rest_wrk[:<connections>]" and "rest_wrk_static[:<connections>]".
constexpr absl::string_view kWrkScenario = "rest_wrk";
constexpr absl::string_view kWrkStaticScenario = "rest_wrk_static";

absl::StatusOr<int> WrkConnections(absl::string_view name,
                                   absl::string_view prefix,
                                   int default_connections) {
  if (name == prefix) return default_connections;
  absl::string_view rest = name;
  int connections = 0;
  if (!absl::ConsumePrefix(&rest, prefix) || !absl::ConsumePrefix(&rest, ":") ||
      !absl::SimpleAtoi(rest, &connections) || connections <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario '", name, "': expected ", prefix, "[:<connections>]"));
  }
  return connections;
}

// The prefix a wrk scenario's name starts with; the static one first, since
// it starts with the other.
absl::string_view WrkPrefix(absl::string_view name) {
  return absl::StartsWith(name, kWrkStaticScenario) ? kWrkStaticScenario
                                                    : kWrkScenario;
}

}  // namespace

ScenarioReport BenchRunner::RunLoadScenario(ScenarioSpec spec) {
  switch (spec.transport) {
    case Transport::kGrpcUnary:
      spec.concurrency = config_.unary_concurrency;
      break;
    case Transport::kGrpcBatch:
      spec.concurrency = config_.batch_concurrency;
      spec.events_per_call = config_.batch_size;
      break;
    case Transport::kGrpcStream:
      spec.concurrency = config_.stream_concurrency;
      spec.events_per_call = config_.stream_events;
      break;
    case Transport::kRest:
      spec.concurrency = config_.rest_connections;
      break;
  }
  if (spec.concurrency_override > 0)
    spec.concurrency = spec.concurrency_override;
  const std::string slug = Slug(spec.name);
  const std::string shop_id = absl::StrCat("bench-", config_.run_id, "-", slug);
  const std::string write_key = Key(shop_id, auth::Scope::kWrite);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  if (spec.transport != Transport::kRest) {
    channels = MakeIndependentChannels(config_.ingest_target,
                                       config_.grpc_channels, write_key);
  }
  // Single-event calls are driven from one thread: a thread per connection
  // cost the machine more CPU per event than some of the services measured.
  std::unique_ptr<LoadRunner> runner;
  switch (spec.transport) {
    case Transport::kRest:
      runner = std::make_unique<LoadRunner>(
          spec, config_.load,
          RestSenderFactory(config_.http_target, "/v1/events",
                            config_.rpc_timeout, write_key));
      break;
    case Transport::kGrpcUnary:
      runner = std::make_unique<LoadRunner>(
          spec, config_.load,
          GrpcUnarySenderFactory(std::move(channels), config_.rpc_timeout));
      break;
    default:
      runner = std::make_unique<LoadRunner>(
          spec, config_.load,
          GrpcSenderFactory(spec.transport, std::move(channels),
                            config_.rpc_timeout));
      break;
  }

  const std::string id_prefix = absl::StrCat(config_.run_id, "-", slug);
  Progress(absl::StrCat("scenario ", spec.name, ": ", spec.concurrency,
                        " workers x ", spec.events_per_call,
                        " events per call, shop ", shop_id));

  ScenarioReport report;
  std::unique_ptr<VisibilityProbe> probe;
  if (config_.visibility_probes > 0) {
    VisibilityProbe::Options options;
    options.probes = config_.visibility_probes;
    options.interval = config_.load.duration / config_.visibility_probes;
    probe = std::make_unique<VisibilityProbe>(
        MakeIndependentChannels(
            config_.ingest_target, 1,
            Key(shop_id + "-probe", auth::Scope::kWrite))[0],
        MakeIndependentChannels(config_.query_target, 1,
                                Key(shop_id + "-probe", auth::Scope::kRead))[0],
        shop_id + "-probe", id_prefix + "-probe", options);
  }
  report.load = runner->Run(shop_id, id_prefix, [&] {
    report.usage_before = TakeUsageSnapshot(config_.pid_dir);
    if (probe) probe->Start();
  });
  report.usage_after = TakeUsageSnapshot(config_.pid_dir);
  if (probe) report.visibility = probe->Finish();

  PostgresChecks postgres(config_.postgres);
  absl::StatusOr<AckCheck> check =
      postgres.CheckAcked(shop_id, id_prefix, report.load.acked_sequences);
  if (check.ok()) {
    report.ack_check = *check;
  } else {
    report.ack_check_error = std::string(check.status().message());
  }
  // A million ids are no use in the report.
  report.load.acked_sequences.clear();
  report.load.acked_sequences.shrink_to_fit();

  Progress(absl::StrCat(
      "  ", report.load.events_acked, " acked, ",
      static_cast<int64_t>(report.load.acked_events_per_second), " ev/s, p99 ",
      report.load.latency_us.ValueAtPercentile(99) / 1000.0, " ms, errors ",
      report.load.events_sent - report.load.events_acked, ", postgres check ",
      check.ok() ? (check->pass() ? "pass" : "FAIL")
                 : std::string(check.status().message())));
  return report;
}

int64_t BenchRunner::CopyCeilingEvents(const BenchReport& report) const {
  if (config_.copy_events > 0) return config_.copy_events;
  int64_t events = 0;
  for (const ScenarioReport& s : report.scenarios()) {
    if (s.load.spec.transport == Transport::kGrpcBatch ||
        s.load.spec.transport == Transport::kGrpcStream) {
      events = std::max(events, s.load.events_acked);
    }
  }
  return std::max(events, kMinCopyEvents);
}

absl::StatusOr<BenchReport> BenchRunner::Run() {
  RunInfo info;
  info.run_id = config_.run_id;
  info.started_at =
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  info.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) info.load_average_at_start = load[0];
  info.window_seconds = absl::ToDoubleSeconds(config_.load.duration);
  info.warmup_seconds = absl::ToDoubleSeconds(config_.load.warmup);
  info.event_mix = config_.event_mix_text;

  // Parse everything first: a typo should not surface ten minutes in.
  std::vector<std::optional<ScenarioSpec>> specs;
  for (const std::string& name : config_.scenarios) {
    if (absl::StartsWith(name, kWrkScenario)) {
      absl::StatusOr<int> connections =
          WrkConnections(name, WrkPrefix(name), config_.wrk_connections);
      if (!connections.ok()) return connections.status();
      specs.push_back(std::nullopt);
      continue;
    }
    if (name == "pg_copy" || name == "pg_insert" || name == "http_static") {
      specs.push_back(std::nullopt);
      continue;
    }
    absl::StatusOr<ScenarioSpec> spec = ParseScenarioName(name);
    if (!spec.ok()) return spec.status();
    specs.push_back(*spec);
  }

  BenchReport report(info);
  PostgresChecks postgres(config_.postgres);
  for (size_t i = 0; i < config_.scenarios.size(); ++i) {
    const std::string& name = config_.scenarios[i];
    if (specs[i].has_value()) {
      report.AddScenario(RunLoadScenario(*specs[i]));
    } else if (name == "pg_copy") {
      const int64_t events = CopyCeilingEvents(report);
      Progress(absl::StrCat("ceiling: COPY of ", events, " events"));
      absl::StatusOr<WriteRateResult> copy = postgres.MeasureCopyCeiling(
          events, config_.copy_rows_per_commit, config_.load.mix);
      if (copy.ok()) {
        Progress(absl::StrCat(
            "  ", static_cast<int64_t>(copy->events_per_second), " ev/s"));
      }
      report.SetCopyCeiling(std::move(copy), config_.copy_rows_per_commit);
    } else if (name == "pg_insert") {
      const std::string table = "bench_insert_baseline";
      Progress(absl::StrCat("baseline: one INSERT per event, ",
                            config_.insert_clients, " pgbench clients"));
      absl::StatusOr<WriteRateResult> inserts =
          postgres.CreateEventsLikeTable(table).ok()
              ? RunPgbenchInserts(config_.postgres, table,
                                  config_.insert_clients, config_.load.duration)
              : absl::StatusOr<WriteRateResult>(
                    absl::UnavailableError("cannot create the table"));
      (void)postgres.DropTable(table);
      if (inserts.ok()) {
        Progress(absl::StrCat(
            "  ", static_cast<int64_t>(inserts->events_per_second), " ev/s"));
      }
      report.SetNaiveInsertBaseline(std::move(inserts), config_.insert_clients);
    } else if (WrkPrefix(name) == kWrkStaticScenario) {
      const int connections =
          *WrkConnections(name, kWrkStaticScenario, config_.wrk_connections);
      Progress(absl::StrCat("ceiling: the REST-under-wrk script, ", connections,
                            " connections on ", config_.http_static_path));
      WrkRun run = RunWrkOnPath(
          config_.http_static_path,
          absl::StrCat("bench-", config_.run_id, "-", Slug(name)), connections);
      if (run.result.ok()) {
        Progress(absl::StrCat(
            "  ", static_cast<int64_t>(run.result->requests_per_second),
            " req/s, non-2xx ", run.result->non_2xx));
      }
      report.SetWrkStaticCeiling(std::move(run));
    } else if (absl::StartsWith(name, kWrkScenario)) {
      const int connections =
          *WrkConnections(name, kWrkScenario, config_.wrk_connections);
      const std::string shop_id =
          absl::StrCat("bench-", config_.run_id, "-", Slug(name));
      Progress(absl::StrCat("REST under wrk, ", connections,
                            " connections, shop ", shop_id));
      WrkRun run = RunWrkOnPath("/v1/events", shop_id, connections);
      absl::StatusOr<int64_t> stored = postgres.CountShopEvents(shop_id);
      if (run.result.ok()) {
        Progress(absl::StrCat(
            "  ", static_cast<int64_t>(run.result->requests_per_second),
            " req/s, non-2xx ", run.result->non_2xx, ", stored ",
            stored.ok() ? absl::StrCat(*stored) : "?"));
      }
      report.SetWrkIngest(std::move(run), std::move(stored));
    } else if (name == "http_static") {
      Progress(absl::StrCat("ceiling: wrk, ", config_.wrk_connections,
                            " connections on ", config_.http_static_path));
      v1::Event event;
      EventFactory(config_.load.mix, "bench-static", "static", 0).Next(&event);
      const std::string body = EventFactory::ToJson(event);
      absl::StatusOr<HttpCeilingResult> wrk =
          RunWrk(absl::StrCat("http://", config_.http_target,
                              config_.http_static_path),
                 body, config_.wrk_connections,
                 std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))),
                 config_.load.duration);
      if (wrk.ok()) {
        Progress(absl::StrCat("  ",
                              static_cast<int64_t>(wrk->requests_per_second),
                              " req/s, non-2xx ", wrk->non_2xx));
      }
      report.SetHttpCeiling(std::move(wrk), config_.wrk_connections);
    }
  }
  report.SetFinalUsage(TakeUsageSnapshot(config_.pid_dir));
  return report;
}

WrkRun BenchRunner::RunWrkOnPath(const std::string& path,
                                 const std::string& shop_id, int connections) {
  WrkRun run;
  run.connections = connections;
  const std::string key = Key(shop_id, auth::Scope::kWrite);
  run.usage_before = TakeUsageSnapshot(config_.pid_dir);
  const auto started = std::chrono::steady_clock::now();
  run.result =
      RunWrkIngest(absl::StrCat("http://", config_.http_target, path), shop_id,
                   absl::StrCat(config_.run_id, "-wrk"), connections,
                   std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))),
                   config_.load.duration, key);
  run.usage_after = TakeUsageSnapshot(config_.pid_dir);
  run.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  return run;
}

std::string BenchRunner::Key(const std::string& shop_id, auth::Scope scope) {
  PgConnectionPool pool(config_.postgres, 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(shop_id, scope, "shopstream-bench");
  if (!key.ok()) {
    Progress(absl::StrCat("cannot create an API key for ", shop_id, ": ",
                          key.status().message()));
    return "";
  }
  return key->text;
}

}  // namespace shopstream::bench
