#include "bench/bench_runner.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "auth/api_key_store.h"
#include "bench/child_process.h"
#include "bench/event_factory.h"
#include "bench/external_tools.h"
#include "bench/fold_watch.h"
#include "bench/nginx_static.h"
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

// "grpc_unary@30000" -> "grpc_unary_30000", "rest@80%" -> "rest_80pct":
// usable in a shop id.
std::string Slug(const std::string& name) {
  return absl::StrReplaceAll(
      name, {{"@", "_"}, {".", "_"}, {":", "_c"}, {"%", "pct"}, {"/", "-"}});
}

constexpr int64_t kMinCopyEvents = 200000;

// Ceilings and the poison scenario, by name.
constexpr absl::string_view kNginxScenario = "nginx_static";
constexpr absl::string_view kGrpcNoopScenario = "grpc_noop";
constexpr absl::string_view kPoisonScenario = "poison";

using Clock = std::chrono::steady_clock;

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

absl::Status ResolveShareOfClosedLoop(
    const std::vector<ScenarioReport>& earlier, ScenarioSpec* spec) {
  for (auto it = earlier.rbegin(); it != earlier.rend(); ++it) {
    const ScenarioSpec& basis = it->load.spec;
    if (it->role != ScenarioRole::kLoad || basis.open_loop() ||
        basis.transport != spec->transport ||
        basis.concurrency_override != spec->concurrency_override) {
      continue;
    }
    if (it->load.acked_events_per_second <= 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(spec->name, ": ", basis.name, " acknowledged nothing"));
    }
    spec->rate_basis = basis.name;
    spec->rate_basis_events_per_second = it->load.acked_events_per_second;
    spec->target_events_per_second =
        spec->share_of_closed_loop * it->load.acked_events_per_second;
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(spec->name, ": no closed-loop run to take a share of"));
}

absl::Status CheckShareBases(
    const std::vector<std::optional<ScenarioSpec>>& specs) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i] || specs[i]->share_of_closed_loop <= 0) continue;
    bool found = false;
    for (size_t j = 0; j < i && !found; ++j) {
      found = specs[j] && !specs[j]->open_loop() &&
              specs[j]->share_of_closed_loop <= 0 &&
              specs[j]->transport == specs[i]->transport &&
              specs[j]->concurrency_override == specs[i]->concurrency_override;
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario '", specs[i]->name,
                       "' needs a closed-loop run of the same kind before it"));
    }
  }
  return absl::OkStatus();
}

ScenarioSpec BenchRunner::Configured(ScenarioSpec spec) const {
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
  if (spec.concurrency_override > 0) {
    spec.concurrency = spec.concurrency_override;
  }
  return spec;
}

std::unique_ptr<LoadRunner> BenchRunner::MakeRunner(
    const ScenarioSpec& spec, const std::string& write_key,
    const std::string& target, bool poison) const {
  // Single-event calls are driven from one thread: a thread per connection
  // cost the machine more CPU per event than some of the services measured.
  if (spec.transport == Transport::kRest) {
    return std::make_unique<LoadRunner>(
        spec, config_.load,
        RestSenderFactory(target.empty() ? config_.http_target : target,
                          "/v1/events", config_.rpc_timeout, write_key));
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels =
      MakeIndependentChannels(target.empty() ? config_.ingest_target : target,
                              config_.grpc_channels, write_key);
  if (spec.transport == Transport::kGrpcUnary) {
    return std::make_unique<LoadRunner>(
        spec, config_.load,
        GrpcUnarySenderFactory(std::move(channels), config_.rpc_timeout));
  }
  if (poison) {
    return std::make_unique<LoadRunner>(
        spec, config_.load,
        PoisonedBatchSenderFactory(std::move(channels), config_.rpc_timeout));
  }
  return std::make_unique<LoadRunner>(
      spec, config_.load,
      GrpcSenderFactory(spec.transport, std::move(channels),
                        config_.rpc_timeout));
}

void BenchRunner::CheckAcked(ScenarioReport* report) const {
  PostgresChecks postgres(config_.postgres);
  absl::StatusOr<AckCheck> check =
      postgres.CheckAcked(report->load.shop_id, report->load.id_prefix,
                          report->load.acked_sequences);
  if (check.ok()) {
    report->ack_check = *check;
  } else {
    report->ack_check_error = std::string(check.status().message());
  }
  // A million ids are no use in the report.
  report->load.acked_sequences.clear();
  report->load.acked_sequences.shrink_to_fit();
  const LoadResult& r = report->load;
  Progress(absl::StrCat(
      "  ", r.events_acked, " acked, ",
      static_cast<int64_t>(r.acked_events_per_second), " ev/s, p99 ",
      r.latency_us.ValueAtPercentile(99) / 1000.0, " ms, refused ",
      r.events_sent - r.events_acked, ", postgres check ",
      check.ok() ? (check->pass() ? "pass" : "FAIL")
                 : std::string(check.status().message())));
}

ScenarioReport BenchRunner::RunLoadScenario(ScenarioSpec spec) {
  spec = Configured(std::move(spec));
  const std::string slug = Slug(spec.name);
  const std::string shop_id = absl::StrCat("bench-", config_.run_id, "-", slug);
  std::unique_ptr<LoadRunner> runner =
      MakeRunner(spec, Key(shop_id, auth::Scope::kWrite));
  const std::string id_prefix = absl::StrCat(config_.run_id, "-", slug);
  Progress(absl::StrCat(
      "scenario ", spec.name, ": ", spec.concurrency, " workers x ",
      spec.events_per_call, " events per call",
      spec.open_loop()
          ? absl::StrCat(", ",
                         static_cast<int64_t>(spec.target_events_per_second),
                         " ev/s offered")
          : "",
      ", shop ", shop_id));

  ScenarioReport report;
  std::unique_ptr<VisibilityProbe> probe;
  if (config_.visibility_probes > 0) {
    VisibilityProbe::Options options;
    options.probes = config_.visibility_probes;
    options.interval = config_.load.duration / config_.visibility_probes;
    options.postgres = config_.postgres;
    probe = std::make_unique<VisibilityProbe>(
        MakeIndependentChannels(
            config_.ingest_target, 1,
            Key(shop_id + "-probe", auth::Scope::kWrite))[0],
        MakeIndependentChannels(config_.query_target, 1,
                                Key(shop_id + "-probe", auth::Scope::kRead))[0],
        shop_id + "-probe", id_prefix + "-probe", options);
  }
  FoldWatch fold(config_.postgres);
  absl::Status folder_before = absl::OkStatus();
  Clock::time_point usage_start;
  report.load = runner->Run(shop_id, id_prefix, [&] {
    // The warm-up's events are folded first: the window pays for folding
    // its own events only.
    absl::StatusOr<absl::Duration> warmup_folded =
        fold.WaitForFoldOfEverything(config_.fold_wait_limit);
    if (!warmup_folded.ok()) folder_before = warmup_folded.status();
    report.usage_before =
        TakeUsageSnapshot(config_.pid_dir, config_.postgres_pid_file);
    usage_start = Clock::now();
    if (probe) probe->Start();
  });
  const absl::Time window_end = absl::Now();
  if (probe) report.visibility = probe->Finish();
  // The window's CPU includes folding its events: the folder runs in the
  // processor and its statements in PostgreSQL.
  if (folder_before.ok()) {
    absl::StatusOr<absl::Duration> folded =
        fold.WaitForFoldOfEverything(config_.fold_wait_limit);
    if (folded.ok()) {
      report.fold_wait_seconds =
          absl::ToDoubleSeconds(absl::Now() - window_end);
    } else {
      report.fold_wait_seconds = folded.status();
    }
  } else {
    report.fold_wait_seconds = absl::Status(
        folder_before.code(),
        absl::StrCat("before the window: ", folder_before.message()));
  }
  report.usage_after =
      TakeUsageSnapshot(config_.pid_dir, config_.postgres_pid_file);
  report.usage_seconds =
      std::chrono::duration<double>(Clock::now() - usage_start).count();
  if (!report.fold_wait_seconds.ok()) {
    Progress(absl::StrCat("  folder: ",
                          report.fold_wait_seconds.status().message()));
  }
  CheckAcked(&report);
  return report;
}

ScenarioReport BenchRunner::RunCheckedLoad(const ScenarioSpec& spec,
                                           ScenarioRole role, bool poison) {
  const std::string slug = Slug(spec.name);
  const std::string shop_id = absl::StrCat("bench-", config_.run_id, "-", slug);
  std::unique_ptr<LoadRunner> runner = MakeRunner(
      spec, Key(shop_id, auth::Scope::kWrite), /*target=*/"", poison);
  ScenarioReport report;
  report.role = role;
  report.has_usage = false;
  report.load =
      runner->Run(shop_id, absl::StrCat(config_.run_id, "-", slug), nullptr);
  return report;
}

void BenchRunner::RunPoisonScenario(BenchReport* report) {
  ScenarioSpec victim;
  victim.transport = Transport::kGrpcUnary;
  victim = Configured(victim);
  victim.target_events_per_second = config_.poison_victim_rate;
  ScenarioSpec poisoner;
  poisoner.name = "poison/b";
  poisoner.transport = Transport::kGrpcBatch;
  poisoner.concurrency = config_.poison_batch_workers;
  poisoner.events_per_call = config_.poison_batch_size;
  poisoner.target_events_per_second =
      config_.poison_batches_per_second * config_.poison_batch_size;

  victim.name = "poison/a_alone";
  Progress(absl::StrCat("poison: shop A alone, ",
                        static_cast<int64_t>(victim.target_events_per_second),
                        " unary events/s"));
  ScenarioReport alone =
      RunCheckedLoad(victim, ScenarioRole::kVictimAlone, false);
  CheckAcked(&alone);

  victim.name = "poison/a_beside_b";
  Progress(absl::StrCat("poison: shop A beside shop B's ",
                        config_.poison_batches_per_second, " batches/s of ",
                        config_.poison_batch_size,
                        " events, one invalid each"));
  std::optional<ScenarioReport> poisoned;
  std::thread shop_b([&] {
    poisoned = RunCheckedLoad(poisoner, ScenarioRole::kPoisoner, true);
  });
  ScenarioReport beside =
      RunCheckedLoad(victim, ScenarioRole::kVictimBeside, false);
  shop_b.join();
  CheckAcked(&beside);
  CheckAcked(&*poisoned);
  report->AddScenario(std::move(alone));
  report->AddScenario(std::move(beside));
  report->AddScenario(std::move(*poisoned));
}

ServerCeiling BenchRunner::RunServerCeiling(const ScenarioSpec& spec,
                                            const std::string& target,
                                            int server_pid) {
  ServerCeiling ceiling;
  const std::string shop_id =
      absl::StrCat("bench-", config_.run_id, "-", Slug(spec.name));
  // A real key, so that every request carries what the scenario's do.
  std::unique_ptr<LoadRunner> runner =
      MakeRunner(spec, Key(shop_id, auth::Scope::kWrite), target);
  double server_before = -1;
  double generator_before = 0;
  LoadResult result = runner->Run(
      shop_id, absl::StrCat(config_.run_id, "-", Slug(spec.name)), [&] {
        server_before = ProcessTreeCpuSeconds(server_pid);
        generator_before = SelfCpuSeconds();
      });
  const double server_after = ProcessTreeCpuSeconds(server_pid);
  if (server_before >= 0 && server_after >= 0) {
    ceiling.server_cpu_seconds = server_after - server_before;
  }
  ceiling.generator_cpu_seconds = SelfCpuSeconds() - generator_before;
  result.acked_sequences.clear();
  Progress(absl::StrCat(
      "  ", static_cast<int64_t>(result.acked_events_per_second),
      " calls/s, p99 ", result.latency_us.ValueAtPercentile(99) / 1000.0,
      " ms, failed ", result.events_sent - result.events_acked));
  ceiling.load = std::move(result);
  return ceiling;
}

NginxCeiling BenchRunner::RunNginxCeiling() {
  NginxCeiling ceiling;
  ceiling.wrk_connections = config_.rest_connections;
  const int cpus = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  ceiling.generator.server = absl::StrCat(
      "nginx, ", config_.nginx_workers > 0
                     ? absl::StrCat(config_.nginx_workers, " worker processes")
                     : absl::StrCat("worker_processes auto (", cpus, ")"));
  Progress(absl::StrCat("ceiling: ", ceiling.generator.server,
                        ", static 202 for POST /v1/events"));
  NginxStaticServer nginx(config_.nginx);
  if (absl::Status s = nginx.Start(StateDir("nginx"), config_.nginx_workers);
      !s.ok()) {
    Progress(absl::StrCat("  ", s.message()));
    ceiling.generator.load = s;
    ceiling.wrk = s;
    return ceiling;
  }
  const std::string target = absl::StrCat("127.0.0.1:", nginx.port());
  ScenarioSpec spec;
  spec.name = "nginx_static";
  spec.transport = Transport::kRest;
  spec = Configured(spec);
  const std::string server = ceiling.generator.server;
  ceiling.generator = RunServerCeiling(spec, target, nginx.pid());
  ceiling.generator.server = server;
  Progress(absl::StrCat("  the same under wrk, ", ceiling.wrk_connections,
                        " connections"));
  v1::Event event;
  EventFactory(config_.load.mix, "bench-static", "static", 0).Next(&event);
  ceiling.wrk = RunWrk(absl::StrCat("http://", target, "/v1/events"),
                       EventFactory::ToJson(event), ceiling.wrk_connections,
                       cpus, config_.load.duration);
  if (ceiling.wrk.ok()) {
    Progress(absl::StrCat(
        "  ", static_cast<int64_t>(ceiling.wrk->requests_per_second),
        " req/s, non-2xx ", ceiling.wrk->non_2xx));
  }
  if (absl::Status s = nginx.Stop(); !s.ok()) {
    Progress(absl::StrCat("  stopping nginx: ", s.message()));
  }
  return ceiling;
}

ServerCeiling BenchRunner::RunGrpcNoopCeiling() {
  ServerCeiling ceiling;
  ceiling.server = "shopstream-bench-grpc-noop (callback API, empty OK)";
  Progress("ceiling: a do-nothing unary gRPC server");
  absl::StatusOr<int> port = FreeLoopbackPort();
  if (!port.ok()) {
    ceiling.load = port.status();
    return ceiling;
  }
  const std::string target = absl::StrCat("127.0.0.1:", *port);
  ChildProcess server;
  absl::Status started =
      server.Start({config_.grpc_noop_server, "--address=" + target},
                   StateDir("grpc-noop") + "/server.log");
  if (started.ok()) {
    started = WaitForPort(*port, server, absl::Seconds(10));
  }
  if (!started.ok()) {
    Progress(absl::StrCat("  ", started.message()));
    ceiling.load = started;
    return ceiling;
  }
  ScenarioSpec spec;
  spec.name = "grpc_noop";
  spec.transport = Transport::kGrpcUnary;
  spec = Configured(spec);
  ServerCeiling measured = RunServerCeiling(spec, target, server.pid());
  measured.server = ceiling.server;
  if (absl::Status s = server.Stop(); !s.ok()) {
    Progress(absl::StrCat("  stopping the server: ", s.message()));
  }
  return measured;
}

std::string BenchRunner::StateDir(const std::string& name) const {
  std::string dir = config_.state_dir.empty()
                        ? std::filesystem::temp_directory_path().string() +
                              "/shopstream-bench"
                        : config_.state_dir;
  dir = absl::StrCat(dir, "/", name);
  std::error_code ignored;
  std::filesystem::create_directories(dir, ignored);
  return dir;
}

int64_t BenchRunner::CopyCeilingEvents(const BenchReport& report) const {
  if (config_.copy_events > 0) return config_.copy_events;
  int64_t events = 0;
  for (const ScenarioReport& s : report.scenarios()) {
    if (s.role == ScenarioRole::kLoad &&
        (s.load.spec.transport == Transport::kGrpcBatch ||
         s.load.spec.transport == Transport::kGrpcStream)) {
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
    if (name == "pg_copy" || name == "pg_insert" || name == "http_static" ||
        name == kNginxScenario || name == kGrpcNoopScenario ||
        name == kPoisonScenario) {
      specs.push_back(std::nullopt);
      continue;
    }
    absl::StatusOr<ScenarioSpec> spec = ParseScenarioName(name);
    if (!spec.ok()) return spec.status();
    specs.push_back(*spec);
  }
  if (absl::Status s = CheckShareBases(specs); !s.ok()) return s;

  BenchReport report(info);
  PostgresChecks postgres(config_.postgres);
  for (size_t i = 0; i < config_.scenarios.size(); ++i) {
    const std::string& name = config_.scenarios[i];
    if (specs[i].has_value()) {
      ScenarioSpec spec = *specs[i];
      if (spec.share_of_closed_loop > 0) {
        if (absl::Status s =
                ResolveShareOfClosedLoop(report.scenarios(), &spec);
            !s.ok()) {
          Progress(absl::StrCat("skipped: ", s.message()));
          continue;
        }
      }
      report.AddScenario(RunLoadScenario(std::move(spec)));
    } else if (name == kNginxScenario) {
      report.SetNginxCeiling(RunNginxCeiling());
    } else if (name == kGrpcNoopScenario) {
      report.SetGrpcNoopCeiling(RunGrpcNoopCeiling());
    } else if (name == kPoisonScenario) {
      RunPoisonScenario(&report);
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
          absl::StrCat("bench-", config_.run_id, "-", Slug(name)), connections,
          /*stores_events=*/false);
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
      WrkRun run = RunWrkOnPath("/v1/events", shop_id, connections,
                                /*stores_events=*/true);
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
  report.SetFinalUsage(
      TakeUsageSnapshot(config_.pid_dir, config_.postgres_pid_file));
  return report;
}

WrkRun BenchRunner::RunWrkOnPath(const std::string& path,
                                 const std::string& shop_id, int connections,
                                 bool stores_events) {
  WrkRun run;
  run.connections = connections;
  const std::string key = Key(shop_id, auth::Scope::kWrite);
  FoldWatch fold(config_.postgres);
  absl::Status folder_before = absl::OkStatus();
  if (stores_events) {
    // What earlier scenarios stored is folded on their account, not this
    // run's.
    folder_before =
        fold.WaitForFoldOfEverything(config_.fold_wait_limit).status();
  }
  run.usage_before =
      TakeUsageSnapshot(config_.pid_dir, config_.postgres_pid_file);
  const auto started = std::chrono::steady_clock::now();
  run.result =
      RunWrkIngest(absl::StrCat("http://", config_.http_target, path), shop_id,
                   absl::StrCat(config_.run_id, "-wrk"), connections,
                   std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))),
                   config_.load.duration, key);
  if (stores_events) {
    const absl::Time wrk_end = absl::Now();
    if (!folder_before.ok()) {
      run.fold_wait_seconds = absl::Status(
          folder_before.code(),
          absl::StrCat("before the run: ", folder_before.message()));
    } else if (absl::StatusOr<absl::Duration> folded =
                   fold.WaitForFoldOfEverything(config_.fold_wait_limit);
               folded.ok()) {
      run.fold_wait_seconds = absl::ToDoubleSeconds(absl::Now() - wrk_end);
    } else {
      run.fold_wait_seconds = folded.status();
    }
  }
  run.usage_after =
      TakeUsageSnapshot(config_.pid_dir, config_.postgres_pid_file);
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
