#ifndef SHOPSTREAM_TESTS_LOCAL_STACK_H_
#define SHOPSTREAM_TESTS_LOCAL_STACK_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/test_database.h"
#include "tests/service_process.h"

namespace shopstream::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// One HTTP/1.1 request to 127.0.0.1:port on a fresh connection.
HttpResponse HttpRequest(int port, const std::string& method,
                         const std::string& target,
                         const std::string& body = "",
                         const std::string& content_type = "application/json");

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
};

// The whole pipeline as real processes on free ports over a fresh database:
// processor, ingest, query and gateway.
class LocalStack {
 public:
  explicit LocalStack(bool second_processor = false);
  explicit LocalStack(LocalStackOptions options);
  ~LocalStack();

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

  // Rows in the events table right now.
  int64_t StoredEvents(const std::string& where = "true") const;

 private:
  const LocalStackOptions options_;
  TestDatabase db_;
  int http_port_, ingest_port_, query_port_, processor_port_;
  int second_processor_port_ = 0;
  std::string processor_targets_;
  std::unique_ptr<ServiceProcess> processor_, second_processor_, ingest_,
      query_, gateway_;
};

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_LOCAL_STACK_H_
