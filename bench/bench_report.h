#ifndef SHOPSTREAM_BENCH_BENCH_REPORT_H_
#define SHOPSTREAM_BENCH_BENCH_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/external_tools.h"
#include "bench/load_runner.h"
#include "bench/postgres_checks.h"
#include "bench/process_usage.h"
#include "bench/visibility_probe.h"

namespace shopstream::bench {

// What a load scenario is for in the report.
enum class ScenarioRole {
  kLoad,
  // The poison scenario's parts: shop A's single events alone, the same
  // beside shop B, and shop B's poisoned batches.
  kVictimAlone,
  kVictimBeside,
  kPoisoner,
};

// Everything measured about one load scenario.
struct ScenarioReport {
  LoadResult load;  // acked_sequences is emptied once checked
  ScenarioRole role = ScenarioRole::kLoad;
  std::optional<AckCheck> ack_check;
  std::string ack_check_error;
  std::optional<VisibilityResult> visibility;
  // Unset when the window was shared with another scenario (the poison
  // scenario's second part): the CPU could not be told apart.
  bool has_usage = true;
  UsageSnapshot usage_before;
  UsageSnapshot usage_after;
  // Wall seconds between the snapshots; 0 means the load window. The
  // snapshots close after the folder has folded the window's events, so
  // that their CPU counts.
  double usage_seconds = 0;
  // How long after the window the folder took to fold its events; an
  // error instead when it did not within the limit.
  absl::StatusOr<double> fold_wait_seconds = absl::UnknownError("not waited");
};

// A static server (nginx, or the do-nothing gRPC server) driven by the
// benchmark's own load generator, as the scenario it bounds.
struct ServerCeiling {
  absl::StatusOr<LoadResult> load = absl::UnknownError("not run");
  // What ran, e.g. "nginx, 2 worker processes".
  std::string server;
  // CPU seconds over the measured window: the server's processes and the
  // load generator; negative when unknown.
  double server_cpu_seconds = -1;
  double generator_cpu_seconds = -1;
};

// nginx's static 202 for POST /v1/events: the REST ceiling, measured by the
// load generator and by wrk.
struct NginxCeiling {
  ServerCeiling generator;
  absl::StatusOr<HttpCeilingResult> wrk = absl::UnknownError("not run");
  int wrk_connections = 0;
};

// One wrk run and the stack's usage around it; wrk's own CPU is the
// benchmark's children's.
struct WrkRun {
  absl::StatusOr<HttpCeilingResult> result = absl::UnknownError("not run");
  int connections = 0;
  std::optional<UsageSnapshot> usage_before;  // unset: no CPU figures
  UsageSnapshot usage_after;
  double seconds = 0;
  // As ScenarioReport's: the folding of the run's events, when it stored
  // any.
  absl::StatusOr<double> fold_wait_seconds = absl::UnknownError("not waited");
};

struct RunInfo {
  std::string run_id;
  std::string started_at;  // RFC 3339
  int cpus = 0;
  double load_average_at_start = 0;
  double window_seconds = 0;
  double warmup_seconds = 0;
  std::string event_mix;
};

// One target of the write path and whether this run met it.
struct TargetResult {
  std::string name;
  std::string measured;
  bool pass = false;
};

// Collects a run's results and writes them as JSON and as a Markdown table.
// Throughputs are also given as ratios to the ceilings measured in the same
// run, which are comparable across runs on a shared, noisy machine where the
// absolute numbers are not.
class BenchReport {
 public:
  explicit BenchReport(RunInfo info) : info_(std::move(info)) {}

  void AddScenario(ScenarioReport scenario) {
    scenarios_.push_back(std::move(scenario));
  }
  void SetCopyCeiling(absl::StatusOr<WriteRateResult> result,
                      int64_t rows_per_commit);
  void SetNaiveInsertBaseline(absl::StatusOr<WriteRateResult> result,
                              int clients);
  void SetHttpCeiling(absl::StatusOr<HttpCeilingResult> result,
                      int connections);
  void SetFinalUsage(UsageSnapshot usage) { final_usage_ = std::move(usage); }
  void SetNginxCeiling(NginxCeiling ceiling) {
    nginx_ceiling_ = std::move(ceiling);
  }
  void SetGrpcNoopCeiling(ServerCeiling ceiling) {
    grpc_noop_ceiling_ = std::move(ceiling);
  }
  // REST ingestion under wrk, and the rows the run's shop holds after it.
  void SetWrkIngest(WrkRun run, absl::StatusOr<int64_t> stored_rows) {
    wrk_ingest_ = std::move(run);
    wrk_ingest_stored_ = std::move(stored_rows);
  }
  // The same wrk script answered by the gateway's static 202: the most REST
  // under wrk could take on this machine with nothing behind the gateway.
  void SetWrkStaticCeiling(WrkRun run) { wrk_static_ = std::move(run); }

  const std::vector<ScenarioReport>& scenarios() const { return scenarios_; }

  std::vector<TargetResult> EvaluateTargets() const;
  // CPU seconds per million acknowledged events (µs per event) of the
  // services and PostgreSQL together, folding included; the load generator
  // is not counted. Unset when a process's CPU is unknown.
  static std::optional<double> ServicesCpuPerMillion(const ScenarioReport& s);
  std::string ToJson() const;
  std::string ToMarkdown() const;
  absl::Status WriteFiles(const std::string& json_path,
                          const std::string& markdown_path) const;

 private:
  // 0 when the ceiling is missing.
  double CopyEventsPerSecond() const;
  double NaiveEventsPerSecond() const;
  double HttpRequestsPerSecond() const;
  // The first closed-loop load scenario of `transport`.
  const ScenarioReport* FindClosedLoop(Transport transport) const;
  const ScenarioReport* FindRole(ScenarioRole role) const;
  // 0 when the ceiling is missing or answered anything but success.
  double NginxGeneratorRate() const;
  double NginxWrkRate() const;
  double GrpcNoopRate() const;
  // The rate of the static server a scenario is measured against: nginx
  // for REST, the do-nothing server for unary gRPC; 0 for others.
  double StaticServerRate(const ScenarioReport& s) const;
  void AppendRestTargets(std::vector<TargetResult>* targets) const;
  void AppendCpuTargets(std::vector<TargetResult>* targets) const;
  void AppendVisibilityTargets(std::vector<TargetResult>* targets) const;
  void AppendPoisonTarget(std::vector<TargetResult>* targets) const;
  // 0 unless the static run answered every request with a 2xx.
  double WrkStaticRequestsPerSecond() const;
  // Cores that wrk and the static HTTP layer alone would keep busy at the
  // case study's rate, from their CPU per request in the static run.
  std::optional<double> CoresForClientAndHttpAtBar() const;

  RunInfo info_;
  std::vector<ScenarioReport> scenarios_;
  std::optional<absl::StatusOr<WriteRateResult>> copy_ceiling_;
  int64_t copy_rows_per_commit_ = 0;
  std::optional<absl::StatusOr<WriteRateResult>> naive_insert_;
  int naive_clients_ = 0;
  std::optional<absl::StatusOr<HttpCeilingResult>> http_ceiling_;
  std::optional<WrkRun> wrk_ingest_;
  absl::StatusOr<int64_t> wrk_ingest_stored_ = 0;
  std::optional<WrkRun> wrk_static_;
  std::optional<NginxCeiling> nginx_ceiling_;
  std::optional<ServerCeiling> grpc_noop_ceiling_;
  int http_connections_ = 0;
  UsageSnapshot final_usage_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_BENCH_REPORT_H_
