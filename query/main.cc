// shopstream-query: answers analytics questions from PostgreSQL.
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "common/flags.h"
#include "common/health_reporter.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service_process.h"
#include "common/termination.h"
#include "query/analytics_service.h"
#include "storage/pg_probe.h"
#include "storage/schema_migrator.h"

ABSL_FLAG(std::string, query_address, "0.0.0.0:50052",
          "gRPC listen address of the analytics service.");
ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the events database.");
ABSL_FLAG(int, postgres_connections, 8, "Size of the connection pool.");
ABSL_FLAG(int, metrics_port, 9102,
          "Port of the Prometheus /metrics endpoint; 0 disables it.");

int main(int argc, char** argv) {
  shopstream::InitServiceProcess("query");
  shopstream::ParseFlagsAndEnvironment(argc, argv);

  auto metrics =
      shopstream::ServeMetrics("query", absl::GetFlag(FLAGS_metrics_port));
  if (!metrics.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(metrics.status().message())}});
    return 1;
  }
  shopstream::DeclarePostgresMetrics();
  const std::string conninfo = absl::GetFlag(FLAGS_postgres);
  // The schema must exist before the first query; whichever service starts
  // first creates it.
  if (!shopstream::SchemaMigrator::ApplyAtStart(conninfo).ok()) return 1;

  shopstream::PgConnectionPool pool(conninfo,
                                    absl::GetFlag(FLAGS_postgres_connections));
  shopstream::SummaryStore summaries(&pool);
  shopstream::AnalyticsService service(&summaries);
  std::unique_ptr<grpc::Server> server = shopstream::StartGrpcServer(
      absl::GetFlag(FLAGS_query_address), {&service});
  if (server == nullptr) return 1;
  shopstream::PgProbe database(conninfo);
  shopstream::HealthReporter health(
      server.get(), {shopstream::v1::AnalyticsService::service_full_name()},
      [&database] { return database.Check(); });

  const int sig = shopstream::WaitForTerminationSignal();
  shopstream::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  shopstream::LogInfo("stopped");
  return 0;
}
