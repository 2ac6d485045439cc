// shopstream-gateway: REST/JSON in front of the ingest and query gRPC
// services. The routes come from the services' google.api.http annotations.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "common/internal_rpc_auth.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service_process.h"
#include "common/termination.h"
#include "common/tls_credentials.h"
#include "gateway/gateway_server.h"
#include "shopstream/v1/admin.pb.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"

ABSL_FLAG(int, http_port, 8080, "Port for HTTP clients.");
ABSL_FLAG(std::string, http_address, "0.0.0.0", "Address to listen on.");
ABSL_FLAG(std::string, ingest_target, "localhost:50051",
          "gRPC target of shopstream.v1.IngestService.");
ABSL_FLAG(std::string, query_target, "localhost:50052",
          "gRPC target of shopstream.v1.AnalyticsService.");
ABSL_FLAG(int, http_threads, 0,
          "HTTP io threads; 0 means one per hardware thread.");
ABSL_FLAG(int, backend_timeout_ms, 10000,
          "Deadline of each backend call, in milliseconds.");
ABSL_FLAG(int, event_stream_keep_alive_ms, 15000,
          "How often a quiet Server-Sent Events stream gets a comment line.");
ABSL_FLAG(int64_t, max_body_bytes, 1 << 20,
          "Largest request body; 413 beyond.");
ABSL_FLAG(int64_t, max_header_bytes, 16 << 10,
          "Largest request line plus headers; 431 beyond.");
ABSL_FLAG(int, idle_timeout_ms, 60000,
          "A keep-alive connection waiting this long for a request is closed.");
ABSL_FLAG(int, read_timeout_ms, 30000,
          "Longest a client may take to send one request, from its first "
          "byte; slower connections are closed.");
ABSL_FLAG(int64_t, max_connections, 10000,
          "Open client connections; more are closed at accept.");
ABSL_FLAG(bool, ingest_stream, true,
          "Carry POST /v1/events to ingest over one long-lived EventIngress "
          "stream, many events to a message; false: a unary call each.");
ABSL_FLAG(int, metrics_port, 9100,
          "Port of the Prometheus /metrics endpoint; 0 disables it.");
ABSL_FLAG(std::string, static_dir, "",
          "Directory whose files are served for GET and HEAD of paths no API "
          "route claims (the dashboard's build); empty: none.");
ABSL_FLAG(bool, strict_fields, false,
          "Refuse request JSON keys no field has (400 naming the key) "
          "instead of leaving them out and naming them in the answer.");
ABSL_FLAG(double, collect_requests_per_address, 20,
          "Requests a second each client address may make to /v1/collect "
          "(bursts of twice that); 0: no limit.");
ABSL_FLAG(bool, collect_address_from_forwarded_for, false,
          "Count /v1/collect clients by the last X-Forwarded-For entry (set "
          "behind a proxy that appends it) instead of the peer address.");
ABSL_FLAG(std::vector<std::string>, dashboard_api_origins, {},
          "Origins of other gateways the dashboard may be pointed at with "
          "?api= (\"https://host:8443\", comma-separated): its "
          "Content-Security-Policy lets it connect only to these and its own.");
ABSL_FLAG(int, tls_check_interval_ms, 10000,
          "How often the HTTPS listener looks for a renewed --tls_cert_file "
          "and --tls_key_file, which new connections then get.");
ABSL_FLAG(
    std::string, bench_static_path, "",
    "If set, this path answers 202 without a backend (benchmark ceiling).");

namespace {

// Naming the services through their generated code also links their
// descriptors into the generated pool that the route table reads.
std::string ServiceName(const google::protobuf::FileDescriptor* file,
                        const char* name) {
  return file->FindServiceByName(name)->full_name();
}

}  // namespace

int main(int argc, char** argv) {
  shopstream::InitServiceProcess("gateway");
  shopstream::ParseFlagsAndEnvironment(argc, argv);

  auto metrics =
      shopstream::ServeMetrics("gateway", absl::GetFlag(FLAGS_metrics_address),
                               absl::GetFlag(FLAGS_metrics_port));
  if (!metrics.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(metrics.status().message())}});
    return 1;
  }
  const int port = absl::GetFlag(FLAGS_http_port);
  if (port < 0 || port > 65535) {
    shopstream::LogError("bad --http_port", {{"port", absl::StrCat(port)}});
    return 2;
  }
  shopstream::gateway::GatewayOptions options;
  options.http_address = absl::GetFlag(FLAGS_http_address);
  options.http_port = static_cast<uint16_t>(port);
  options.io_threads = absl::GetFlag(FLAGS_http_threads);
  options.static_accept_path = absl::GetFlag(FLAGS_bench_static_path);
  options.ingest_stream = absl::GetFlag(FLAGS_ingest_stream);
  options.static_dir = absl::GetFlag(FLAGS_static_dir);
  options.dashboard_api_origins = absl::GetFlag(FLAGS_dashboard_api_origins);
  options.strict_fields = absl::GetFlag(FLAGS_strict_fields);
  options.collect_requests_per_address =
      absl::GetFlag(FLAGS_collect_requests_per_address);
  options.collect_address_from_forwarded_for =
      absl::GetFlag(FLAGS_collect_address_from_forwarded_for);
  options.max_body_bytes = static_cast<size_t>(
      std::max<int64_t>(0, absl::GetFlag(FLAGS_max_body_bytes)));
  options.max_header_bytes = static_cast<size_t>(
      std::max<int64_t>(512, absl::GetFlag(FLAGS_max_header_bytes)));
  options.idle_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_idle_timeout_ms));
  options.read_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_read_timeout_ms));
  options.max_connections = static_cast<size_t>(
      std::max<int64_t>(1, absl::GetFlag(FLAGS_max_connections)));
  options.backend_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_backend_timeout_ms));
  options.event_stream_keep_alive = absl::Milliseconds(
      std::max(1, absl::GetFlag(FLAGS_event_stream_keep_alive_ms)));
  options.backends[ServiceName(
      shopstream::v1::IngestRequest::descriptor()->file(), "IngestService")] =
      absl::GetFlag(FLAGS_ingest_target);
  options.backends[ServiceName(
      shopstream::v1::GetSummaryRequest::descriptor()->file(),
      "AnalyticsService")] = absl::GetFlag(FLAGS_query_target);
  // Administration changes what ingest writes: it is ingest's.
  options.backends[ServiceName(
      shopstream::v1::ListDeadLettersRequest::descriptor()->file(),
      "AdminService")] = absl::GetFlag(FLAGS_ingest_target);

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      shopstream::GrpcChannelCredentials();
  if (!credentials.ok()) {
    shopstream::LogError(
        "bad TLS flags",
        {{"error", std::string(credentials.status().message())}});
    return 2;
  }
  options.backend_credentials = *credentials;
  // Only the event stream is an internal RPC; without it the gateway makes
  // public calls alone, which carry the clients' API keys.
  if (options.ingest_stream) {
    absl::StatusOr<std::string> token =
        shopstream::ServiceTokenForClientFromFlags();
    if (!token.ok()) {
      shopstream::LogError("cannot start",
                           {{"error", std::string(token.status().message())}});
      return 2;
    }
    options.service_token = *std::move(token);
  }
  // The TLS flags shared with the gRPC servers: here, the HTTPS listener.
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_check_interval = absl::Milliseconds(
      std::max(0, absl::GetFlag(FLAGS_tls_check_interval_ms)));
  auto server = shopstream::gateway::GatewayServer::Start(options);
  if (!server.ok()) {
    shopstream::LogError("cannot start",
                         {{"error", std::string(server.status().message())}});
    return 1;
  }
  for (const shopstream::gateway::Route& route : (*server)->routes().routes()) {
    shopstream::LogInfo(
        "route", {{"http", absl::StrCat(route.http_method, " ",
                                        route.path_template.text())},
                  {"grpc", route.grpc_method_path},
                  {"body", route.body_field_name},
                  {"response_body", route.response_body_field_name},
                  {"success_code", absl::StrCat(route.success_http_code)}});
  }
  for (const auto& [service, target] : options.backends) {
    shopstream::LogInfo("backend", {{"service", service}, {"target", target}});
  }
  shopstream::LogInfo("listening",
                      {{"address", absl::StrCat(options.http_address, ":",
                                                (*server)->port())}});

  const int sig = shopstream::WaitForTerminationSignal();
  shopstream::LogInfo("stopping", {{"signal", absl::StrCat(sig)}});
  (*server)->Stop();
  shopstream::LogInfo("stopped");
  return 0;
}
