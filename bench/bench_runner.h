#ifndef SHOPSTREAM_BENCH_BENCH_RUNNER_H_
#define SHOPSTREAM_BENCH_BENCH_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/api_key.h"
#include "bench/bench_report.h"
#include "bench/load_runner.h"

namespace shopstream::bench {

struct BenchConfig {
  std::string ingest_target;
  std::string query_target;
  std::string http_target;
  std::string http_static_path;
  std::string postgres;
  std::string pid_dir;
  std::vector<std::string> scenarios;
  LoadOptions load;
  std::string event_mix_text;
  int unary_concurrency = 64;
  int batch_concurrency = 8;
  int batch_size = 500;
  int stream_concurrency = 8;
  int stream_events = 2000;
  int rest_connections = 64;
  int grpc_channels = 4;
  absl::Duration rpc_timeout = absl::Seconds(10);
  int visibility_probes = 50;
  int64_t copy_events = 0;
  int64_t copy_rows_per_commit = 10000;
  int insert_clients = 16;
  int wrk_connections = 64;
  std::string run_id;
};

// Runs the configured scenarios in order against a running stack and
// collects the report. Progress goes to stderr.
class BenchRunner {
 public:
  explicit BenchRunner(BenchConfig config) : config_(std::move(config)) {}

  absl::StatusOr<BenchReport> Run();

 private:
  ScenarioReport RunLoadScenario(ScenarioSpec spec);
  // Rows for the COPY ceiling: the same number of events the best batched
  // or streamed scenario stored, so both pay for the same index size.
  int64_t CopyCeilingEvents(const BenchReport& report) const;
  // A key of the benchmark's own for a shop it writes to or reads from,
  // created in the events database; empty (and reported) when that fails.
  std::string Key(const std::string& shop_id, auth::Scope scope);
  // wrk's REST script for the shop at `path`, with the stack's usage
  // around it.
  WrkRun RunWrkOnPath(const std::string& path, const std::string& shop_id,
                      int connections);

  BenchConfig config_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_BENCH_RUNNER_H_
