#include "tests/local_stack.h"

#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/api_key_store.h"
#include "auth/key_channel.h"
#include "storage/pg_connection_pool.h"

namespace shopstream::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

HttpResponse HttpRequest(int port, const std::string& method,
                         const std::string& target, const std::string& body,
                         const std::string& content_type,
                         const HttpHeaders& headers) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req(http::string_to_verb(method), target,
                                       11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  HttpResponse out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& field : res) {
    out.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  return out;
}

namespace {

bool HealthyWithin(int port, const std::string& path, int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (HttpRequest(port, "GET", path).status == 200) return true;
    } catch (const std::exception&) {
      // Not listening yet.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

std::string ServerOf(const LocalStackOptions& options) {
  if (!options.postgres_server.empty()) return options.postgres_server;
  const char* server = std::getenv("SHOPSTREAM_TEST_PG");
  if (server == nullptr) {
    throw std::runtime_error(
        "SHOPSTREAM_TEST_PG is not set; run this test through ctest");
  }
  return server;
}

std::vector<std::string> With(std::vector<std::string> flags,
                              const std::vector<std::string>& extra) {
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

// A fresh token in a file only this user can read, as scripts/stack.sh
// makes one; returns the file.
std::string WriteServiceToken(std::string* token) {
  std::ifstream random("/dev/urandom", std::ios::binary);
  char bytes[32];
  if (!random.read(bytes, sizeof(bytes))) {
    throw std::runtime_error("cannot read /dev/urandom");
  }
  *token = absl::BytesToHexString(absl::string_view(bytes, sizeof(bytes)));
  std::string path = (std::filesystem::temp_directory_path() /
                      "shopstream-service-token-XXXXXX")
                         .string();
  const int fd = mkstemp(path.data());  // mode 0600
  if (fd < 0 || write(fd, token->data(), token->size()) !=
                    static_cast<ssize_t>(token->size())) {
    throw std::runtime_error("cannot write a service token file");
  }
  close(fd);
  return path;
}

}  // namespace

std::shared_ptr<grpc::Channel> ChannelWithKey(const std::string& target,
                                              const std::string& key) {
  return auth::CreateChannelWithKey(target, grpc::InsecureChannelCredentials(),
                                    grpc::ChannelArguments(), key);
}

LocalStack::LocalStack(bool second_processor)
    : LocalStack(LocalStackOptions{.second_processor = second_processor}) {}

LocalStack::LocalStack(LocalStackOptions options)
    : options_(std::move(options)),
      db_(ServerOf(options_)),
      http_port_(FreePort()),
      ingest_port_(FreePort()),
      query_port_(FreePort()),
      processor_port_(FreePort()) {
  // Free ports for /metrics too: the defaults (9100-9103) would collide
  // between stacks of tests running side by side.
  for (const char* service :
       {"gateway", "ingest", "query", "processor", "processor2"}) {
    metrics_ports_[service] = FreePort();
  }
  if (options_.service_token) {
    service_token_file_ = WriteServiceToken(&service_token_);
  }
  const std::string pg = "--postgres=" + db_.conninfo();
  RestartProcessor();
  processor_targets_ = Loopback(processor_port_);
  if (options_.second_processor) {
    second_processor_port_ = FreePort();
    second_processor_ = std::make_unique<ServiceProcess>(
        "shopstream-processor",
        With(With(With(CommonArgs("processor2"),
                       {"--processor_address=" +
                            Loopback(second_processor_port_),
                        pg}),
                  TokenFlags()),
             options_.processor_flags),
        LogFile("processor2"));
    absl::StrAppend(&processor_targets_, ",", Loopback(second_processor_port_));
  }

  query_ = std::make_unique<ServiceProcess>(
      "shopstream-query",
      With(With(CommonArgs("query"),
                {"--query_address=" + Loopback(query_port_), pg, AuthFlag()}),
           options_.query_flags),
      LogFile("query"));
  RestartIngest();
  gateway_ = std::make_unique<ServiceProcess>(
      "shopstream-gateway",
      With(With(With(CommonArgs("gateway"),
                     {"--http_address=127.0.0.1",
                      "--http_port=" + std::to_string(http_port_),
                      "--ingest_target=" + Loopback(ingest_port_),
                      "--query_target=" + Loopback(query_port_)}),
                TokenFlags()),
           options_.gateway_flags),
      LogFile("gateway"));
  // Healthy through the gateway means: gateway up, ingest up with its
  // processor stream open, query up with the schema in place.
  if (!HealthyWithin(http_port_, "/v1/health", 60000) ||
      !HealthyWithin(http_port_, "/api/health", 60000)) {
    throw std::runtime_error("the local stack did not become healthy");
  }
}

LocalStack::~LocalStack() {
  gateway_.reset();
  ingest_.reset();
  query_.reset();
  processor_.reset();
  second_processor_.reset();
  if (!service_token_file_.empty()) std::remove(service_token_file_.c_str());
}

void LocalStack::RestartProcessor() {
  processor_ = std::make_unique<ServiceProcess>(
      "shopstream-processor",
      With(With(With(CommonArgs("processor"),
                     {"--processor_address=" + Loopback(processor_port_),
                      "--postgres=" + db_.conninfo()}),
                TokenFlags()),
           options_.processor_flags),
      LogFile("processor"));
}

void LocalStack::RestartIngest() {
  ingest_ = std::make_unique<ServiceProcess>(
      "shopstream-ingest",
      With(With(With(CommonArgs("ingest"),
                     {"--ingest_address=" + Loopback(ingest_port_),
                      "--processor_target=" + processor_targets_,
                      "--postgres=" + db_.conninfo(), AuthFlag()}),
                TokenFlags()),
           options_.ingest_flags),
      LogFile("ingest"));
}

std::vector<std::string> LocalStack::CommonArgs(
    const std::string& service) const {
  std::vector<std::string> args = {"--metrics_port=" +
                                   std::to_string(metrics_ports_.at(service))};
  if (options_.log_requests) args.push_back("--log_requests");
  return args;
}

std::string LocalStack::LogFile(const std::string& service) const {
  if (options_.log_dir.empty()) return "";
  return options_.log_dir + "/" + service + ".log";
}

std::string LocalStack::Log(const std::string& service) const {
  const std::string file = LogFile(service);
  if (file.empty()) return "";
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

std::vector<std::string> LocalStack::TokenFlags() const {
  if (service_token_file_.empty()) return {};
  return {"--service_token_file=" + service_token_file_};
}

std::string LocalStack::AuthFlag() const {
  return options_.auth ? "--auth=true" : "--auth=false";
}

std::vector<std::string> LocalStack::OriginsFor(auth::Scope scope) {
  if (scope != auth::Scope::kCollect) return {};
  return {kPageOrigin};
}

std::string LocalStack::Key(const std::string& shop, auth::Scope scope) {
  absl::MutexLock lock(&keys_mu_);
  auto it = keys_.find({shop, scope});
  if (it != keys_.end()) return it->second;
  PgConnectionPool pool(db_.conninfo(), 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(shop, scope, "test", OriginsFor(scope));
  if (!key.ok()) throw std::runtime_error(std::string(key.status().message()));
  keys_[{shop, scope}] = key->text;
  return key->text;
}

std::string LocalStack::RevokedKey(const std::string& shop, auth::Scope scope) {
  PgConnectionPool pool(db_.conninfo(), 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(shop, scope, "revoked", OriginsFor(scope));
  if (!key.ok() || !store.Revoke(key->record.key_id).ok()) {
    throw std::runtime_error("cannot create a revoked key");
  }
  return key->text;
}

std::string LocalStack::AnotherKey(const std::string& shop, auth::Scope scope) {
  PgConnectionPool pool(db_.conninfo(), 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(shop, scope, "test", OriginsFor(scope));
  if (!key.ok()) throw std::runtime_error(std::string(key.status().message()));
  return key->text;
}

std::string LocalStack::CollectKeyFor(const std::string& shop,
                                      const std::string& origin) {
  PgConnectionPool pool(db_.conninfo(), 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(shop, auth::Scope::kCollect, "test", {origin});
  if (!key.ok()) throw std::runtime_error(std::string(key.status().message()));
  return key->text;
}

HttpResponse LocalStack::Post(const std::string& target,
                              const std::string& body,
                              const std::string& shop) {
  return HttpRequest(http_port_, "POST", target, body, "application/json",
                     {{"Authorization", "Bearer " + WriteKey(shop)}});
}

HttpResponse LocalStack::Get(const std::string& target,
                             const std::string& shop) {
  return HttpRequest(http_port_, "GET", target, "", "application/json",
                     {{"Authorization", "Bearer " + ReadKey(shop)}});
}

std::shared_ptr<grpc::Channel> LocalStack::IngestChannel(
    const std::string& shop) {
  return ChannelWithKey(ingest_target(), WriteKey(shop));
}

std::shared_ptr<grpc::Channel> LocalStack::QueryChannel(
    const std::string& shop) {
  return ChannelWithKey(query_target(), ReadKey(shop));
}

std::string LocalStack::ingest_target() const { return Loopback(ingest_port_); }
std::string LocalStack::query_target() const { return Loopback(query_port_); }

int64_t LocalStack::StoredEvents(const std::string& where) const {
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  return tx.exec("SELECT count(*) FROM events WHERE " + where)[0][0]
      .as<int64_t>();
}

}  // namespace shopstream::testing
