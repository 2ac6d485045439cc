// shopstream-query: answers analytics questions from PostgreSQL.
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/service_process.h"
#include "common/termination.h"
#include "query/analytics_service.h"
#include "query/rollup_analytics.h"
#include "storage/schema_migrator.h"

ABSL_FLAG(std::string, query_address, "0.0.0.0:50052",
          "gRPC listen address of the analytics service.");
ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the events database.");
ABSL_FLAG(int, postgres_connections, 8, "Size of the connection pool.");

int main(int argc, char** argv) {
  shopstream::InitServiceProcess("query");
  shopstream::ParseFlagsAndEnvironment(argc, argv);

  const std::string conninfo = absl::GetFlag(FLAGS_postgres);
  // The schema must exist before the first query; whichever service starts
  // first creates it.
  if (!shopstream::SchemaMigrator::ApplyAtStart(conninfo).ok()) return 1;

  shopstream::PgConnectionPool pool(conninfo,
                                    absl::GetFlag(FLAGS_postgres_connections));
  shopstream::RollupAnalytics queries(&pool);
  shopstream::AnalyticsService service(&queries);
  std::unique_ptr<grpc::Server> server = shopstream::StartGrpcServer(
      absl::GetFlag(FLAGS_query_address), {&service});
  if (server == nullptr) return 1;

  const int sig = shopstream::WaitForTerminationSignal();
  shopstream::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  shopstream::LogInfo("stopped");
  return 0;
}
