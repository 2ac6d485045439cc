// shopstream-bench: drives a running shopstream stack with gRPC and REST
// load, checks that PostgreSQL holds exactly the acknowledged events, and
// measures the machine's own ceilings in the same run. bench/run.sh starts
// the stack and calls this; see bench/README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_runner.h"
#include "common/flags.h"

ABSL_FLAG(std::string, ingest_target, "127.0.0.1:50051",
          "gRPC address of shopstream.v1.IngestService.");
ABSL_FLAG(std::string, query_target, "127.0.0.1:50052",
          "gRPC address of shopstream.v1.AnalyticsService.");
ABSL_FLAG(std::string, http_target, "127.0.0.1:8080",
          "host:port of the gateway (numeric address).");
ABSL_FLAG(std::string, http_static_path, "/bench/static",
          "Gateway path answered 202 without a backend call (the HTTP "
          "ceiling; the gateway's --bench_static_path).");
ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=55433 user=postgres dbname=shopstream",
          "libpq conninfo of the stack's database.");
ABSL_FLAG(std::string, pid_dir, "",
          "Directory of the services' pid files (DATA_DIR/run); empty: no "
          "per-service CPU and memory.");
ABSL_FLAG(std::string, postgres_pid_file, "",
          "The stack's postmaster.pid, so that PostgreSQL's CPU is its "
          "cluster's; empty: every process named postgres.");
ABSL_FLAG(std::string, state_dir, "",
          "Where the ceilings' servers keep their files (nginx.conf, logs); "
          "empty: a directory under the system's temporary one.");
ABSL_FLAG(std::string, scenarios,
          "grpc_noop,grpc_unary,grpc_batch,grpc_batch@80%,grpc_stream,pg_copy,"
          "pg_insert,nginx_static,rest,rest@80%,poison,rest_wrk:512,"
          "rest_wrk_static:512,http_static",
          "What to run, in order: grpc_unary, grpc_batch, grpc_stream, rest "
          "(closed loop; append @<events/s> for an open-loop run at that "
          "rate, or @<percent>% for one at that share of the same kind's "
          "closed-loop run before it; :<n> before it for n workers or "
          "connections), pg_copy, pg_insert, nginx_static (nginx's static "
          "202, the REST ceiling), grpc_noop (a do-nothing unary gRPC "
          "server, the unary ceiling), poison (one shop's single events "
          "alone and beside another shop's poisoned batches), http_static, "
          "rest_wrk[:<connections>] (REST driven by wrk), "
          "rest_wrk_static[:<connections>] (wrk's REST script on the "
          "gateway's static 202).");
ABSL_FLAG(int, seconds, 20, "Measured seconds per scenario.");
ABSL_FLAG(int, warmup_seconds, 3, "Unmeasured warm-up per scenario.");
ABSL_FLAG(int, unary_concurrency, 64, "Concurrent calls, grpc_unary.");
ABSL_FLAG(int, batch_concurrency, 8, "Concurrent calls, grpc_batch.");
ABSL_FLAG(int, batch_size, 1000, "Events per IngestBatch call (max 1000).");
ABSL_FLAG(int, stream_concurrency, 8, "Concurrent streams, grpc_stream.");
ABSL_FLAG(int, stream_events, 2000, "Events per StreamEvents stream.");
ABSL_FLAG(int, rest_connections, 64, "Keep-alive connections, rest.");
ABSL_FLAG(int, grpc_channels, 4,
          "Independent gRPC connections the workers are spread over.");
ABSL_FLAG(int, rpc_timeout_ms, 10000, "Deadline of each call.");
ABSL_FLAG(std::string, event_mix, "page_view=70,add_to_cart=20,purchase=10",
          "Relative weights of the event types.");
ABSL_FLAG(double, min_amount, 1.0, "Smallest purchase amount.");
ABSL_FLAG(double, max_amount, 500.0, "Largest purchase amount.");
ABSL_FLAG(int, visibility_probes, 50,
          "Event-to-visible probes per scenario (0: none).");
ABSL_FLAG(int64_t, copy_events, 0,
          "Rows for the COPY ceiling; 0: as many as the best batched or "
          "streamed scenario acknowledged (at least 200,000).");
ABSL_FLAG(int64_t, copy_rows_per_commit, 10000,
          "Rows per transaction in the COPY ceiling.");
ABSL_FLAG(int, insert_clients, 16, "pgbench clients of the naive baseline.");
ABSL_FLAG(int, wrk_connections, 64, "wrk connections of the HTTP ceiling.");
ABSL_FLAG(std::string, nginx, "nginx",
          "nginx binary of the REST ceiling (a path, or a name on PATH).");
ABSL_FLAG(int, nginx_workers, 0,
          "nginx worker processes; 0: one per CPU, as the gateway's "
          "--http_threads=0. Give the gateway's thread count.");
ABSL_FLAG(std::string, grpc_noop_server, "",
          "The do-nothing gRPC server of the unary ceiling; empty: "
          "shopstream-bench-grpc-noop beside this binary.");
ABSL_FLAG(double, poison_victim_rate, 500,
          "poison: shop A's single events per second (open loop).");
ABSL_FLAG(int, poison_batch_size, 100,
          "poison: events per shop B batch, one of them invalid.");
ABSL_FLAG(double, poison_batches_per_second, 20,
          "poison: shop B's batches per second (open loop).");
ABSL_FLAG(int, fold_wait_seconds, 30,
          "Longest wait for the rollup folder to fold a window's events.");
ABSL_FLAG(std::string, run_id, "",
          "Names this run's shops and event ids; empty: from the clock.");
ABSL_FLAG(std::string, output_json, "", "Where to write the JSON results.");
ABSL_FLAG(std::string, output_markdown, "",
          "Where to write the Markdown table.");

int main(int argc, char** argv) {
  shopstream::ParseFlagsAndEnvironment(argc, argv);

  shopstream::bench::BenchConfig config;
  config.ingest_target = absl::GetFlag(FLAGS_ingest_target);
  config.query_target = absl::GetFlag(FLAGS_query_target);
  config.http_target = absl::GetFlag(FLAGS_http_target);
  config.http_static_path = absl::GetFlag(FLAGS_http_static_path);
  config.postgres = absl::GetFlag(FLAGS_postgres);
  config.pid_dir = absl::GetFlag(FLAGS_pid_dir);
  config.state_dir = absl::GetFlag(FLAGS_state_dir);
  config.postgres_pid_file = absl::GetFlag(FLAGS_postgres_pid_file);
  config.scenarios = absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',',
                                    absl::SkipWhitespace());
  config.load.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  config.load.warmup = absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
  config.unary_concurrency = absl::GetFlag(FLAGS_unary_concurrency);
  config.batch_concurrency = absl::GetFlag(FLAGS_batch_concurrency);
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  config.stream_concurrency = absl::GetFlag(FLAGS_stream_concurrency);
  config.stream_events = absl::GetFlag(FLAGS_stream_events);
  config.rest_connections = absl::GetFlag(FLAGS_rest_connections);
  config.grpc_channels = absl::GetFlag(FLAGS_grpc_channels);
  config.rpc_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_rpc_timeout_ms));
  config.visibility_probes = absl::GetFlag(FLAGS_visibility_probes);
  config.copy_events = absl::GetFlag(FLAGS_copy_events);
  config.copy_rows_per_commit = absl::GetFlag(FLAGS_copy_rows_per_commit);
  config.insert_clients = absl::GetFlag(FLAGS_insert_clients);
  config.wrk_connections = absl::GetFlag(FLAGS_wrk_connections);
  config.nginx = absl::GetFlag(FLAGS_nginx);
  config.nginx_workers = absl::GetFlag(FLAGS_nginx_workers);
  config.grpc_noop_server = absl::GetFlag(FLAGS_grpc_noop_server);
  if (config.grpc_noop_server.empty()) {
    std::error_code ignored;
    config.grpc_noop_server =
        (std::filesystem::read_symlink("/proc/self/exe", ignored)
             .parent_path() /
         "shopstream-bench-grpc-noop")
            .string();
  }
  config.poison_victim_rate = absl::GetFlag(FLAGS_poison_victim_rate);
  config.poison_batch_size = absl::GetFlag(FLAGS_poison_batch_size);
  config.poison_batches_per_second =
      absl::GetFlag(FLAGS_poison_batches_per_second);
  config.fold_wait_limit =
      absl::Seconds(absl::GetFlag(FLAGS_fold_wait_seconds));
  config.run_id = absl::GetFlag(FLAGS_run_id);
  if (config.run_id.empty()) {
    config.run_id = absl::StrCat("r", absl::ToUnixSeconds(absl::Now()));
  }
  config.event_mix_text = absl::GetFlag(FLAGS_event_mix);
  absl::StatusOr<shopstream::bench::EventMix> mix =
      shopstream::bench::EventMix::Parse(config.event_mix_text);
  if (!mix.ok()) {
    std::fprintf(stderr, "%s\n", std::string(mix.status().message()).c_str());
    return 2;
  }
  mix->min_amount = absl::GetFlag(FLAGS_min_amount);
  mix->max_amount = absl::GetFlag(FLAGS_max_amount);
  config.load.mix = *mix;

  shopstream::bench::BenchRunner runner(config);
  absl::StatusOr<shopstream::bench::BenchReport> report = runner.Run();
  if (!report.ok()) {
    std::fprintf(stderr, "bench: %s\n",
                 std::string(report.status().message()).c_str());
    return 1;
  }
  const absl::Status written = report->WriteFiles(
      absl::GetFlag(FLAGS_output_json), absl::GetFlag(FLAGS_output_markdown));
  std::fputs(report->ToMarkdown().c_str(), stdout);
  if (!written.ok()) {
    std::fprintf(stderr, "bench: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  return 0;
}
