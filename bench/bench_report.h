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

// Everything measured about one load scenario.
struct ScenarioReport {
  LoadResult load;  // acked_sequences is emptied once checked
  std::optional<AckCheck> ack_check;
  std::string ack_check_error;
  std::optional<VisibilityResult> visibility;
  UsageSnapshot usage_before;
  UsageSnapshot usage_after;
};

// One wrk run and the stack's usage around it; wrk's own CPU is the
// benchmark's children's.
struct WrkRun {
  absl::StatusOr<HttpCeilingResult> result = absl::UnknownError("not run");
  int connections = 0;
  std::optional<UsageSnapshot> usage_before;  // unset: no CPU figures
  UsageSnapshot usage_after;
  double seconds = 0;
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

// One target of the issue and whether this run met it.
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
  std::string ToJson() const;
  std::string ToMarkdown() const;
  absl::Status WriteFiles(const std::string& json_path,
                          const std::string& markdown_path) const;

 private:
  // 0 when the ceiling is missing.
  double CopyEventsPerSecond() const;
  double NaiveEventsPerSecond() const;
  double HttpRequestsPerSecond() const;
  const ScenarioReport* Find(Transport transport, bool open_loop) const;
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
  int http_connections_ = 0;
  UsageSnapshot final_usage_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_BENCH_REPORT_H_
