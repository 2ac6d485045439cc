#ifndef SHOPSTREAM_TESTS_LOCAL_STACK_H_
#define SHOPSTREAM_TESTS_LOCAL_STACK_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "auth/api_key.h"
#include "storage/test_database.h"
#include "tests/service_process.h"

namespace shopstream::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One HTTP/1.1 request to 127.0.0.1:port on a fresh connection, with no
// credentials unless `headers` carry them.
HttpResponse HttpRequest(int port, const std::string& method,
                         const std::string& target,
                         const std::string& body = "",
                         const std::string& content_type = "application/json",
                         const HttpHeaders& headers = {});

// A channel whose calls carry "authorization: Bearer <key>" (none when
// `key` is empty).
std::shared_ptr<grpc::Channel> ChannelWithKey(const std::string& target,
                                              const std::string& key);

struct LocalStackOptions {
  // A second processor runs beside the first and ingest spreads over both.
  bool second_processor = false;
  // Connection string of the PostgreSQL server to make the database on;
  // empty: the test server of the ctest run.
  std::string postgres_server;
  // Extra flags for the services, after the stack's own.
  std::vector<std::string> processor_flags;
  std::vector<std::string> ingest_flags;
  // Extra flags for the query service and the gateway.
  std::vector<std::string> query_flags;
  std::vector<std::string> gateway_flags;
  // Every service logs each request (--log_requests).
  bool log_requests = false;
  // When set, each service's log goes to <log_dir>/<service>.log.
  std::string log_dir;
  // API keys required (the services' default); false passes --auth=false.
  bool auth = true;
  // Internal RPCs carry a token the stack makes (--service_token_file, as
  // `make up` does); false: the flags above must authenticate them some
  // other way (mutual TLS).
  bool service_token = true;
};

// The whole pipeline as real processes on free ports over a fresh database:
// processor, ingest, query and gateway, each with /metrics on a free port.
class LocalStack {
 public:
  explicit LocalStack(bool second_processor = false);
  explicit LocalStack(LocalStackOptions options);
  ~LocalStack();

  // The one origin the stack's collect keys are bound to.
  static constexpr char kPageOrigin[] = "https://shop.example";

  // A key for `shop` and `scope`, created on first use and kept for the
  // stack's life (the shop of events and queries that name none is
  // "default", as it is without authentication).
  std::string Key(const std::string& shop, auth::Scope scope);
  std::string WriteKey(const std::string& shop = "default") {
    return Key(shop, auth::Scope::kWrite);
  }
  std::string ReadKey(const std::string& shop = "default") {
    return Key(shop, auth::Scope::kRead);
  }
  // A fresh key that is revoked at once.
  std::string RevokedKey(const std::string& shop, auth::Scope scope);
  // A fresh key beside the shop's usual one, for a second client of a shop.
  std::string AnotherKey(const std::string& shop, auth::Scope scope);
  // A fresh collect key bound to `origin` alone, for a page that is served
  // elsewhere than kPageOrigin (a real page in a browser).
  std::string CollectKeyFor(const std::string& shop, const std::string& origin);

  // REST calls to the gateway with the shop's write key (Post) or read key
  // (Get), as that shop's clients would make them.
  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::string& shop = "default");
  HttpResponse Get(const std::string& target,
                   const std::string& shop = "default");
  // gRPC channels carrying the shop's write key (ingest) or read key (query).
  std::shared_ptr<grpc::Channel> IngestChannel(
      const std::string& shop = "default");
  std::shared_ptr<grpc::Channel> QueryChannel(
      const std::string& shop = "default");

  const TestDatabase& db() const { return db_; }
  int http_port() const { return http_port_; }
  std::string ingest_target() const;
  std::string query_target() const;
  int processor_port() const { return processor_port_; }
  ServiceProcess& processor() { return *processor_; }
  // Starts the processor again on its port, after it was killed or stopped.
  void RestartProcessor();
  ServiceProcess& second_processor() { return *second_processor_; }
  ServiceProcess& ingest() { return *ingest_; }
  // Starts ingest again on its port, after it was killed or stopped.
  void RestartIngest();
  ServiceProcess& query() { return *query_; }
  ServiceProcess& gateway() { return *gateway_; }
  // The /metrics port of "gateway", "ingest", "query" or "processor".
  int metrics_port(const std::string& service) const {
    return metrics_ports_.at(service);
  }
  // What `service` has logged so far (empty without options.log_dir).
  std::string Log(const std::string& service) const;

  // The token internal RPCs carry and the file the services read it from;
  // empty without options.service_token.
  const std::string& service_token() const { return service_token_; }
  const std::string& service_token_file() const { return service_token_file_; }

  // Rows in the events table right now.
  int64_t StoredEvents(const std::string& where = "true") const;

 private:
  static std::vector<std::string> OriginsFor(auth::Scope scope);
  std::vector<std::string> CommonArgs(const std::string& service) const;
  std::string LogFile(const std::string& service) const;
  std::string AuthFlag() const;
  // --service_token_file for the services that make or serve internal RPCs
  // (all but query); none without options.service_token.
  std::vector<std::string> TokenFlags() const;

  const LocalStackOptions options_;
  absl::Mutex keys_mu_;
  std::map<std::pair<std::string, auth::Scope>, std::string> keys_
      ABSL_GUARDED_BY(keys_mu_);
  TestDatabase db_;
  std::string service_token_, service_token_file_;
  int http_port_, ingest_port_, query_port_, processor_port_;
  std::map<std::string, int> metrics_ports_;
  int second_processor_port_ = 0;
  std::string processor_targets_;
  std::unique_ptr<ServiceProcess> processor_, second_processor_, ingest_,
      query_, gateway_;
};

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_LOCAL_STACK_H_
