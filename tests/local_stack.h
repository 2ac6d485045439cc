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
  // API keys required (the services' default); false passes --auth=false.
  bool auth = true;
  std::vector<std::string> processor_flags, ingest_flags, query_flags,
      gateway_flags;
};

// The whole pipeline as real processes on free ports over a fresh database:
// processor, ingest, query and gateway.
class LocalStack {
 public:
  // With `second_processor`, a second processor runs beside the first and
  // ingest spreads over both.
  explicit LocalStack(bool second_processor = false);
  explicit LocalStack(LocalStackOptions options);
  ~LocalStack();

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
  ServiceProcess& query() { return *query_; }
  ServiceProcess& gateway() { return *gateway_; }

  // Rows in the events table right now.
  int64_t StoredEvents(const std::string& where = "true") const;

 private:
  void Start();

  LocalStackOptions options_;
  absl::Mutex keys_mu_;
  std::map<std::pair<std::string, auth::Scope>, std::string> keys_
      ABSL_GUARDED_BY(keys_mu_);
  TestDatabase db_;
  int http_port_, ingest_port_, query_port_, processor_port_;
  int second_processor_port_ = 0;
  std::unique_ptr<ServiceProcess> processor_, second_processor_, ingest_,
      query_, gateway_;
};

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_LOCAL_STACK_H_
