// shopstream-processor: commits batches of events from every ingest to
// PostgreSQL and acknowledges them after commit.
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/event_window_flags.h"
#include "common/flags.h"
#include "common/health_reporter.h"
#include "common/internal_rpc_auth.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service_process.h"
#include "common/termination.h"
#include "processor/batch_committer.h"
#include "processor/event_partitions.h"
#include "processor/event_pipeline_service.h"
#include "rollups/rollup_folder.h"
#include "storage/pg_conninfo.h"
#include "storage/pg_probe.h"
#include "storage/schema_migrator.h"

ABSL_FLAG(std::string, processor_address, "127.0.0.1:50053",
          "gRPC listen address of the processor.");
ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the events database.");
ABSL_FLAG(int, batch_max_events, 2000, "A batch is cut at this many events...");
ABSL_FLAG(int, batch_max_wait_ms, 2,
          "...or when its oldest event has waited this long.");
ABSL_FLAG(int, batch_overlap_min_events, 500,
          "While another batch commits, a batch is cut at this many events "
          "(bulk loads keep every writer busy)...");
ABSL_FLAG(int, batch_max_wait_behind_commit_ms, 20,
          "...or when its oldest event has waited this long; smaller "
          "batches wait to share the next commit.");
ABSL_FLAG(int, writers, 2, "Writer threads, each with its own connection.");
ABSL_FLAG(int64_t, max_pending_events, 200000,
          "Events waiting for a writer before new ones are refused.");
ABSL_FLAG(int, retry_budget_ms, 5000,
          "How long a batch is retried through PostgreSQL failures.");
ABSL_FLAG(int, shutdown_grace_ms, 15000,
          "On SIGTERM, how long taken events may take to commit; what is "
          "left is answered UNAVAILABLE; 2 s more close the streams.");
ABSL_FLAG(bool, migrate_only, false, "Apply migrations, then exit.");
ABSL_FLAG(bool, fold, true,
          "Add committed events to the rollups in this process (one "
          "processor folds at a time; the others stand by). Off: events "
          "stay in the raw tail, which the queries add, until a folder runs.");
ABSL_FLAG(int, fold_interval_ms, 200,
          "Pause between folds while all committed events are folded.");
ABSL_FLAG(int64_t, fold_max_transactions, 1000,
          "At most this many append transactions per fold step.");
ABSL_FLAG(int, metrics_port, 9103,
          "Port of the Prometheus /metrics endpoint; 0 disables it.");
ABSL_FLAG(int, raw_retention_days, 0,
          "Drop raw events (whole UTC months) older than this many days, "
          "checked hourly; rollups stay. 0: keep every raw event.");

int main(int argc, char** argv) {
  shopstream::InitServiceProcess("processor");
  shopstream::ParseFlagsAndEnvironment(argc, argv);

  // A processor nobody authenticates would store whatever reaches its
  // port; migrating alone serves nothing.
  absl::StatusOr<shopstream::InternalRpcGate> gate =
      absl::GetFlag(FLAGS_migrate_only)
          ? shopstream::InternalRpcGate::AdmitAll()
          : shopstream::InternalRpcGate::FromFlags();
  if (!gate.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(gate.status().message())}});
    return 2;
  }
  const std::string conninfo =
      shopstream::WithNetworkTimeouts(absl::GetFlag(FLAGS_postgres));
  if (!shopstream::SchemaMigrator::ApplyAtStart(conninfo).ok()) return 1;
  if (absl::GetFlag(FLAGS_migrate_only)) return 0;
  auto metrics = shopstream::ServeMetrics("processor",
                                          absl::GetFlag(FLAGS_metrics_address),
                                          absl::GetFlag(FLAGS_metrics_port));
  if (!metrics.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(metrics.status().message())}});
    return 1;
  }
  shopstream::DeclareProcessorMetrics();
  shopstream::ProcessorPendingEventsLimit().Set(
      static_cast<double>(absl::GetFlag(FLAGS_max_pending_events)));
  shopstream::DeclarePostgresMetrics();
  shopstream::DeclareRollupMetrics();

  shopstream::CommitterOptions options;
  options.conninfo = conninfo;
  options.writers = absl::GetFlag(FLAGS_writers);
  options.batch.max_batch_events = absl::GetFlag(FLAGS_batch_max_events);
  options.batch.max_wait =
      absl::Milliseconds(absl::GetFlag(FLAGS_batch_max_wait_ms));
  options.batch.overlap_min_events =
      absl::GetFlag(FLAGS_batch_overlap_min_events);
  options.batch.max_wait_behind_commit =
      absl::Milliseconds(absl::GetFlag(FLAGS_batch_max_wait_behind_commit_ms));
  options.batch.max_pending_events = absl::GetFlag(FLAGS_max_pending_events);
  options.retry_budget =
      absl::Milliseconds(absl::GetFlag(FLAGS_retry_budget_ms));
  shopstream::BatchCommitter committer(options);
  committer.Start();

  shopstream::EventPipelineService service(
      &committer, *std::move(gate),
      shopstream::EventValidator(shopstream::EventTimeWindowFromFlags()));
  std::unique_ptr<grpc::Server> server = shopstream::StartGrpcServer(
      absl::GetFlag(FLAGS_processor_address), {&service});
  if (server == nullptr) return 1;
  shopstream::PgProbe database(conninfo);
  shopstream::HealthReporter health(
      server.get(),
      {shopstream::internal::v1::EventPipeline::service_full_name()},
      [&database] { return database.Check(); });

  absl::Notification stopping;
  std::thread folder;
  if (absl::GetFlag(FLAGS_fold)) {
    folder = std::thread([&stopping, conninfo] {
      shopstream::rollups::FolderOptions fold;
      fold.conninfo = conninfo;
      fold.interval = absl::Milliseconds(absl::GetFlag(FLAGS_fold_interval_ms));
      fold.max_transactions = absl::GetFlag(FLAGS_fold_max_transactions);
      shopstream::rollups::RollupFolder(fold).Run(stopping);
    });
  }
  // Hourly: the processor's own retention, and each shop's.
  std::thread retention([&stopping, conninfo,
                         days = absl::GetFlag(FLAGS_raw_retention_days)] {
    do {
      if (days > 0) {
        absl::Status s = shopstream::ApplyRawEventRetention(
            conninfo, absl::Now(), absl::Hours(24) * days);
        if (!s.ok()) {
          shopstream::LogError("raw event retention failed",
                               {{"error", std::string(s.message())}});
        }
      }
      if (absl::StatusOr<int64_t> s =
              shopstream::ApplyShopRawRetention(conninfo, absl::Now());
          !s.ok()) {
        shopstream::LogError("shop raw event retention failed",
                             {{"error", std::string(s.status().message())}});
      }
    } while (!stopping.WaitForNotificationWithTimeout(absl::Hours(1)));
  });

  const int sig = shopstream::WaitForTerminationSignal();
  shopstream::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  stopping.Notify();
  if (retention.joinable()) retention.join();
  if (folder.joinable()) folder.join();
  // Commit and answer everything taken, then end the streams once their
  // acks are written.
  committer.Stop(absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  service.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  shopstream::LogInfo("stopped");
  return 0;
}
