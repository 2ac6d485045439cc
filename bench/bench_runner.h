#ifndef SHOPSTREAM_BENCH_BENCH_RUNNER_H_
#define SHOPSTREAM_BENCH_BENCH_RUNNER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
  // The stack's postmaster.pid: PostgreSQL's CPU is that cluster's.
  std::string postgres_pid_file;
  // Where the ceilings' servers keep their files (nginx.conf, logs).
  std::string state_dir;
  std::vector<std::string> scenarios;
  LoadOptions load;
  std::string event_mix_text;
  int unary_concurrency = 64;
  int batch_concurrency = 8;
  int batch_size = 1000;
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
  // The REST ceiling: nginx's binary and worker processes (0: one per CPU,
  // as the gateway's --http_threads=0).
  std::string nginx = "nginx";
  int nginx_workers = 0;
  // The unary gRPC ceiling's binary (shopstream-bench-grpc-noop).
  std::string grpc_noop_server;
  // The poison scenario: shop A's single events per second, and shop B's
  // batches (size, per second, workers).
  double poison_victim_rate = 500;
  int poison_batch_size = 100;
  double poison_batches_per_second = 20;
  int poison_batch_workers = 2;
  // Longest wait for the folder to fold a window's events.
  absl::Duration fold_wait_limit = absl::Seconds(30);
  std::string run_id;
};

// Gives a scenario at a share of the closed-loop rate ("rest@80%") its
// rate: that share of what the latest closed-loop run of the same
// transport and concurrency took among `earlier`. FAILED_PRECONDITION
// when there is none, or it acknowledged nothing.
absl::Status ResolveShareOfClosedLoop(
    const std::vector<ScenarioReport>& earlier, ScenarioSpec* spec);

// INVALID_ARGUMENT when a scenario at a share of the closed-loop rate has
// no closed-loop run of the same transport and concurrency before it.
// `specs` holds the load scenarios in order (nullopt for the others).
absl::Status CheckShareBases(
    const std::vector<std::optional<ScenarioSpec>>& specs);

// Runs the configured scenarios in order against a running stack and
// collects the report. Progress goes to stderr.
class BenchRunner {
 public:
  explicit BenchRunner(BenchConfig config) : config_(std::move(config)) {}

  absl::StatusOr<BenchReport> Run();

 private:
  // Concurrency and events per call from the configuration.
  ScenarioSpec Configured(ScenarioSpec spec) const;
  // A runner of `spec`'s calls, to the stack or to `target` instead;
  // `poison`: batches with one invalid event each.
  std::unique_ptr<LoadRunner> MakeRunner(const ScenarioSpec& spec,
                                         const std::string& write_key,
                                         const std::string& target = "",
                                         bool poison = false) const;
  ScenarioReport RunLoadScenario(ScenarioSpec spec);
  // A scenario without probes or CPU figures: only its load and its check.
  ScenarioReport RunCheckedLoad(const ScenarioSpec& spec, ScenarioRole role,
                                bool poison);
  void CheckAcked(ScenarioReport* report) const;
  void RunPoisonScenario(BenchReport* report);
  // The load generator against a static server at `target` whose process
  // tree is `server_pid`.
  ServerCeiling RunServerCeiling(const ScenarioSpec& spec,
                                 const std::string& target, int server_pid);
  NginxCeiling RunNginxCeiling();
  ServerCeiling RunGrpcNoopCeiling();
  // Rows for the COPY ceiling: the same number of events the best batched
  // or streamed scenario stored, so both pay for the same index size.
  int64_t CopyCeilingEvents(const BenchReport& report) const;
  // A key of the benchmark's own for a shop it writes to or reads from,
  // created in the events database; empty (and reported) when that fails.
  std::string Key(const std::string& shop_id, auth::Scope scope);
  // wrk's REST script for the shop at `path`, with the stack's usage
  // around it; `stores_events`: the usage also covers their folding.
  WrkRun RunWrkOnPath(const std::string& path, const std::string& shop_id,
                      int connections, bool stores_events);
  std::string StateDir(const std::string& name) const;

  BenchConfig config_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_BENCH_RUNNER_H_
