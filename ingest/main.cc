// shopstream-ingest: validates events and answers once the processor has
// committed them.
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "auth/service_auth.h"
#include "common/dependency_health.h"
#include "common/event_window_flags.h"
#include "common/flags.h"
#include "common/health_reporter.h"
#include "common/internal_rpc_auth.h"
#include "common/keepalive.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service_process.h"
#include "common/termination.h"
#include "common/tls_credentials.h"
#include "ingest/admin_audit_log.h"
#include "ingest/admin_service.h"
#include "ingest/dead_letter_store.h"
#include "ingest/event_ingress_service.h"
#include "ingest/ingest_service.h"
#include "ingest/processor_client.h"
#include "ingest/processor_pool.h"
#include "storage/pg_conninfo.h"
#include "storage/pg_probe.h"
#include "useragent/uap_classifier.h"

ABSL_FLAG(std::string, ingest_address, "127.0.0.1:50051",
          "gRPC listen address of the ingest service.");
ABSL_FLAG(std::string, processor_target, "localhost:50053",
          "gRPC addresses of the processors, comma-separated, one per "
          "processor (a DNS name with several addresses is not balanced).");
ABSL_FLAG(int64_t, max_outstanding_events, 100000,
          "Events waiting for commit before new ones are refused.");
ABSL_FLAG(int, streams_per_target, 2,
          "Publish streams opened to each processor target.");
ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the database holding the API keys "
          "(looked up once per key and --api_key_cache_ttl_ms, never per "
          "event).");
ABSL_FLAG(int, shutdown_grace_ms, 20000,
          "On SIGTERM, how long accepted events may take to commit.");
ABSL_FLAG(int, metrics_port, 9101,
          "Port of the Prometheus /metrics endpoint; 0 disables it.");
ABSL_FLAG(std::string, uap_regexes, "/usr/share/uap-core/regexes.yaml",
          "uap-core's regexes.yaml, by which events' user_agent becomes "
          "browser and OS families (the User-Agent itself is not kept); "
          "empty turns classification off.");

constexpr int kAdminConnections = 4;

int main(int argc, char** argv) {
  shopstream::InitServiceProcess("ingest");
  shopstream::ParseFlagsAndEnvironment(argc, argv);
  auto metrics =
      shopstream::ServeMetrics("ingest", absl::GetFlag(FLAGS_metrics_address),
                               absl::GetFlag(FLAGS_metrics_port));
  if (!metrics.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(metrics.status().message())}});
    return 1;
  }
  // Before anything is served: a named file that cannot be read would
  // otherwise leave every event without browser and OS unnoticed.
  std::unique_ptr<shopstream::UapClassifier> classifier;
  if (const std::string path = absl::GetFlag(FLAGS_uap_regexes);
      !path.empty()) {
    absl::StatusOr<std::unique_ptr<shopstream::UapClassifier>> loaded =
        shopstream::UapClassifier::Load(path);
    if (!loaded.ok()) {
      shopstream::LogError(
          "cannot start",
          {{"error", std::string(loaded.status().message())},
           {"hint",
            "--uap_regexes names uap-core's regexes.yaml (package "
            "uap-core); empty turns classification off"}});
      return 2;
    }
    classifier = *std::move(loaded);
  }
  shopstream::DeclareIngestMetrics();
  shopstream::IngestOutstandingEventsLimit().Set(
      static_cast<double>(absl::GetFlag(FLAGS_max_outstanding_events)));

  grpc::ChannelArguments args;
  // Notice a processor whose host vanished in seconds.
  shopstream::SetClientKeepalive(args);
  shopstream::ProcessorClientOptions options;
  options.max_outstanding_events = absl::GetFlag(FLAGS_max_outstanding_events);
  // Each new stream on a round_robin channel goes to the next address, so
  // the streams of one target spread over the processors behind it.
  args.SetLoadBalancingPolicyName("round_robin");
  const std::vector<std::string> targets =
      shopstream::SplitTargets(absl::GetFlag(FLAGS_processor_target));
  const int streams = absl::GetFlag(FLAGS_streams_per_target);
  // The bound is for the whole process, shared by its streams.
  options.max_outstanding_events = std::max<int64_t>(
      1, options.max_outstanding_events / (targets.size() * streams));
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      shopstream::GrpcChannelCredentials();
  if (!credentials.ok()) {
    shopstream::LogError(
        "bad TLS flags",
        {{"error", std::string(credentials.status().message())}});
    return 2;
  }
  // Both ends of ingest's internal RPCs: it calls the processors and
  // serves the gateway's event stream.
  absl::StatusOr<std::string> token =
      shopstream::ServiceTokenForClientFromFlags();
  absl::StatusOr<shopstream::InternalRpcGate> gate =
      shopstream::InternalRpcGate::FromFlags();
  if (!token.ok() || !gate.ok()) {
    shopstream::LogError(
        "cannot start",
        {{"error",
          std::string(
              (token.ok() ? gate.status() : token.status()).message())}});
    return 2;
  }
  std::vector<std::unique_ptr<shopstream::EventPublisher>> members;
  std::vector<shopstream::ProcessorClient*> clients;
  for (const std::string& target : targets) {
    auto channel = shopstream::CreateInternalRpcChannel(target, *credentials,
                                                        args, *token);
    options.name = "processor " + target;
    for (int i = 0; i < streams; ++i) {
      auto client =
          std::make_unique<shopstream::ProcessorClient>(channel, options);
      client->Start();
      clients.push_back(client.get());
      members.push_back(std::move(client));
    }
  }
  shopstream::ProcessorPool processors(std::move(members));

  const std::string conninfo =
      shopstream::WithNetworkTimeouts(absl::GetFlag(FLAGS_postgres));
  std::unique_ptr<shopstream::auth::ServiceAuth> auth =
      shopstream::auth::ServiceAuth::FromFlags(conninfo);
  // The database of the API keys, and of the events the processor commits.
  shopstream::PgProbe database(conninfo);
  shopstream::DependencyHealth dependencies(
      {{"postgres", [&database] { return database.Check(); }}});
  shopstream::IngestHandler handler(&processors, &auth->authorizer(),
                                    shopstream::EventTimeWindowFromFlags(),
                                    &dependencies, classifier.get());
  shopstream::IngestService service(&handler);
  shopstream::EventIngressService ingress(&handler, *std::move(gate));
  // Admin calls are few; each replay holds a connection while its event is
  // committed.
  shopstream::PgConnectionPool admin_pool(conninfo, kAdminConnections);
  shopstream::DeadLetterStore dead_letters(&admin_pool);
  shopstream::auth::ApiKeyStore keys(&admin_pool);
  shopstream::AdminAuditLog audit(&admin_pool);
  shopstream::AdminHandler admin_handler(&auth->authorizer(), &handler,
                                         &dead_letters, &keys, &audit);
  shopstream::AdminService admin(&admin_handler);
  std::unique_ptr<grpc::Server> server = shopstream::StartGrpcServer(
      absl::GetFlag(FLAGS_ingest_address), {&service, &ingress, &admin});
  if (server == nullptr) return 1;
  // Serving while events can be taken: a processor stream is open,
  // PostgreSQL answers and shutdown has not begun.
  shopstream::HealthReporter health(
      server.get(),
      {shopstream::v1::IngestService::service_full_name(),
       shopstream::v1::AdminService::service_full_name()},
      [&handler] {
        shopstream::v1::HealthResponse response;
        const grpc::Status status = handler.Health(&response);
        return status.ok() ? absl::OkStatus()
                           : absl::UnavailableError(status.error_message());
      });

  const int sig = shopstream::WaitForTerminationSignal();
  shopstream::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  const auto grace =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  // New calls are refused, also items on the gateway's event streams,
  // which close once their items are answered; calls in flight finish
  // (their events commit) before the processor streams close.
  handler.StopTaking();
  ingress.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + grace);
  for (auto* client : clients) client->Stop(absl::Seconds(2));
  shopstream::LogInfo("stopped");
  return 0;
}
