// shopstream-query: answers analytics questions from PostgreSQL.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "auth/service_auth.h"
#include "common/dependency_health.h"
#include "common/flags.h"
#include "common/grpc_status.h"
#include "common/health_reporter.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service_process.h"
#include "common/termination.h"
#include "query/analytics_router.h"
#include "query/analytics_service.h"
#include "query/commit_listener.h"
#include "query/filtered_analytics.h"
#include "query/pdf_printer.h"
#include "query/rollup_analytics.h"
#include "storage/pg_conninfo.h"
#include "storage/pg_probe.h"
#include "storage/schema_migrator.h"

ABSL_FLAG(std::string, query_address, "127.0.0.1:50052",
          "gRPC listen address of the analytics service.");
ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the events database.");
ABSL_FLAG(int, postgres_connections, 8, "Size of the connection pool.");
ABSL_FLAG(int, query_threads, 0,
          "Threads that run queries (and key lookups), off gRPC's own; 0: "
          "one per --postgres_connections.");
ABSL_FLAG(int, max_queued_queries, 256,
          "Queries waiting for a thread; more are refused at once with "
          "RESOURCE_EXHAUSTED and a retry delay.");
ABSL_FLAG(int, metrics_port, 9102,
          "Port of the Prometheus /metrics endpoint; 0 disables it.");
ABSL_FLAG(int, max_watchers, 1000,
          "WatchSummary streams served at once; more are refused with "
          "RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_watchers_per_shop, 100,
          "WatchSummary streams of one shop served at once, all its keys "
          "together; more are refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_watchers_per_key, 10,
          "WatchSummary streams of one API key served at once; more are "
          "refused with RESOURCE_EXHAUSTED. Without --auth there are no keys "
          "and only the limits above apply.");
ABSL_FLAG(int, watch_min_interval_ms, 250,
          "Least time between two pushes to one WatchSummary stream; commits "
          "in between are coalesced.");

ABSL_FLAG(int, link_ticket_ttl_ms, 30000,
          "How long a link ticket (what the live stream, CSV and report links "
          "carry instead of the read key) may be used, once.");
ABSL_FLAG(std::string, chromium_path, "/usr/bin/chromium",
          "Chromium that prints PDF reports (GetReport); empty: reports "
          "answer UNAVAILABLE, as they do when it is missing or fails.");
ABSL_FLAG(int, max_concurrent_reports, 2,
          "PDF reports rendered at once (each a Chromium of a few hundred "
          "MB); more are refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, report_timeout_ms, 30000,
          "Wall time of one PDF rendering; Chromium is killed past it.");
ABSL_FLAG(bool, chromium_sandbox, true,
          "Run Chromium in its own sandbox, which needs user namespaces; "
          "false where a container has none. As root it always runs without.");

int main(int argc, char** argv) {
  shopstream::InitServiceProcess("query");
  shopstream::ParseFlagsAndEnvironment(argc, argv);

  auto metrics =
      shopstream::ServeMetrics("query", absl::GetFlag(FLAGS_metrics_address),
                               absl::GetFlag(FLAGS_metrics_port));
  if (!metrics.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(metrics.status().message())}});
    return 1;
  }
  shopstream::DeclarePostgresMetrics();
  const std::string conninfo =
      shopstream::WithNetworkTimeouts(absl::GetFlag(FLAGS_postgres));
  // The schema must exist before the first query; whichever service starts
  // first creates it.
  if (!shopstream::SchemaMigrator::ApplyAtStart(conninfo).ok()) return 1;

  shopstream::PgConnectionPool pool(conninfo,
                                    absl::GetFlag(FLAGS_postgres_connections),
                                    shopstream::kAnalyticsSessionSettings);
  shopstream::RollupAnalytics unfiltered(&pool);
  shopstream::FilteredAnalytics filtered(&pool);
  shopstream::AnalyticsRouter queries(&unfiltered, &filtered);
  shopstream::WatchOptions watch_options;
  watch_options.max_watchers = absl::GetFlag(FLAGS_max_watchers);
  watch_options.max_watchers_per_shop =
      absl::GetFlag(FLAGS_max_watchers_per_shop);
  watch_options.max_watchers_per_key =
      absl::GetFlag(FLAGS_max_watchers_per_key);
  watch_options.min_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_watch_min_interval_ms));
  std::unique_ptr<shopstream::auth::ServiceAuth> auth =
      shopstream::auth::ServiceAuth::FromFlags(
          conninfo, absl::Milliseconds(
                        std::max(1, absl::GetFlag(FLAGS_link_ticket_ttl_ms))));
  const int threads = absl::GetFlag(FLAGS_query_threads) > 0
                          ? absl::GetFlag(FLAGS_query_threads)
                          : absl::GetFlag(FLAGS_postgres_connections);
  shopstream::BlockingWorkPool work(
      threads, static_cast<size_t>(
                   std::max(1, absl::GetFlag(FLAGS_max_queued_queries))));
  shopstream::PgProbe database(conninfo);
  shopstream::DependencyHealth dependencies(
      {{"postgres", [&database] { return database.Check(); }}});
  std::unique_ptr<shopstream::PdfPrinter> printer;
  if (!absl::GetFlag(FLAGS_chromium_path).empty()) {
    printer =
        std::make_unique<shopstream::PdfPrinter>(shopstream::PdfPrinterOptions{
            .chromium_path = absl::GetFlag(FLAGS_chromium_path),
            .max_concurrent =
                std::max(1, absl::GetFlag(FLAGS_max_concurrent_reports)),
            .timeout = absl::Milliseconds(
                std::max(1, absl::GetFlag(FLAGS_report_timeout_ms))),
            .sandbox = absl::GetFlag(FLAGS_chromium_sandbox)});
  }
  // Said once at start, so an operator need not wait for a report to learn.
  if (printer == nullptr ||
      access(absl::GetFlag(FLAGS_chromium_path).c_str(), X_OK) != 0) {
    shopstream::LogWarning(
        "PDF reports are not available: no Chromium to print them",
        {{"chromium_path", absl::GetFlag(FLAGS_chromium_path)}});
  }
  shopstream::AnalyticsService service(&queries, &work, watch_options,
                                       &auth->authorizer(), &dependencies,
                                       printer.get());
  shopstream::SummaryWatchers& watchers = service.watchers();
  shopstream::CommitListener listener(
      conninfo,
      [&watchers](const std::vector<std::string>& shops) {
        watchers.OnCommit(shops);
      },
      [&watchers] { watchers.OnGap(); });
  listener.Start();
  std::unique_ptr<grpc::Server> server = shopstream::StartGrpcServer(
      absl::GetFlag(FLAGS_query_address), {&service});
  if (server == nullptr) return 1;
  shopstream::HealthReporter health(
      server.get(), {shopstream::v1::AnalyticsService::service_full_name()},
      [&dependencies] {
        shopstream::v1::HealthResponse response;
        return shopstream::FromGrpcStatus(
            shopstream::HealthAnswer(dependencies.States(), &response));
      });

  const int sig = shopstream::WaitForTerminationSignal();
  shopstream::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  // Watch streams never end by themselves; end them first so that the
  // server's shutdown only waits for unary calls.
  watchers.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  // Every call is finished by now, those that waited for a thread too.
  work.Stop();
  listener.Stop();
  shopstream::LogInfo("stopped");
  return 0;
}
