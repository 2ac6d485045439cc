#include "tests/local_stack.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace shopstream::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

HttpResponse HttpRequest(int port, const std::string& method,
                         const std::string& target, const std::string& body,
                         const std::string& content_type) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req(http::string_to_verb(method), target,
                                       11);
  req.set(http::field::host, "127.0.0.1");
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

}  // namespace

LocalStack::LocalStack(bool second_processor)
    : LocalStack(LocalStackOptions{.second_processor = second_processor}) {}

LocalStack::LocalStack(LocalStackOptions options)
    : options_(std::move(options)),
      db_(ServerOf(options_)),
      http_port_(FreePort()),
      ingest_port_(FreePort()),
      query_port_(FreePort()),
      processor_port_(FreePort()) {
  const std::string pg = "--postgres=" + db_.conninfo();
  RestartProcessor();
  processor_targets_ = Loopback(processor_port_);
  if (options_.second_processor) {
    second_processor_port_ = FreePort();
    second_processor_ = std::make_unique<ServiceProcess>(
        "shopstream-processor",
        With({"--processor_address=" + Loopback(second_processor_port_), pg},
             options_.processor_flags));
    absl::StrAppend(&processor_targets_, ",", Loopback(second_processor_port_));
  }
  query_ = std::make_unique<ServiceProcess>(
      "shopstream-query",
      With({"--query_address=" + Loopback(query_port_), pg},
           options_.query_flags));
  RestartIngest();
  gateway_ = std::make_unique<ServiceProcess>(
      "shopstream-gateway",
      With({"--http_address=127.0.0.1",
            "--http_port=" + std::to_string(http_port_),
            "--ingest_target=" + Loopback(ingest_port_),
            "--query_target=" + Loopback(query_port_)},
           options_.gateway_flags));
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
}

void LocalStack::RestartProcessor() {
  processor_ = std::make_unique<ServiceProcess>(
      "shopstream-processor",
      With({"--processor_address=" + Loopback(processor_port_),
            "--postgres=" + db_.conninfo()},
           options_.processor_flags));
}

void LocalStack::RestartIngest() {
  ingest_ = std::make_unique<ServiceProcess>(
      "shopstream-ingest", With({"--ingest_address=" + Loopback(ingest_port_),
                                 "--processor_target=" + processor_targets_},
                                options_.ingest_flags));
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
