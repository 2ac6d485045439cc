#include "gateway/gateway_server.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/clock.h"
#include "common/dependency_health.h"
#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Response = http::response<http::string_body>;

// Backend behaviour keyed by the request, so each test can pick an outcome.
class TestIngestService final : public shopstream::v1::IngestService::Service {
 public:
  grpc::Status Ingest(grpc::ServerContext* context,
                      const shopstream::v1::IngestRequest* request,
                      shopstream::v1::IngestResponse* response) override {
    {
      absl::MutexLock lock(&mutex_);
      last_request_ = *request;
      auto request_id = context->client_metadata().find("x-request-id");
      last_request_id_ = request_id == context->client_metadata().end()
                             ? ""
                             : std::string(request_id->second.data(),
                                           request_id->second.size());
    }
    const std::string& type = request->event().event_type();
    if (type == "bad") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "event_type: must be page_view, add_to_cart or "
                          "purchase");
    }
    if (type == "unavailable") {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage is down");
    }
    if (type == "internal") {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "connection to server at \"10.9.8.7\", port 5432 "
                          "failed");
    }
    if (type == "full") {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "queue is full");
    }
    if (type == "limited") {
      return ToGrpcStatus(
          WithRetryDelay(absl::ResourceExhaustedError("rate limit exceeded"),
                         absl::Milliseconds(2500)));
    }
    response->mutable_acceptance()->set_status("accepted");
    response->set_event_id("event-1");
    return grpc::Status::OK;
  }

  grpc::Status IngestBatch(
      grpc::ServerContext* /*context*/,
      const shopstream::v1::IngestBatchRequest* request,
      shopstream::v1::IngestBatchResponse* response) override {
    for (int i = 0; i < request->events_size(); ++i) {
      shopstream::v1::EventResult* result = response->add_results();
      result->set_index(i);
      result->set_status("accepted");
    }
    response->set_accepted(request->events_size());
    return grpc::Status::OK;
  }

  grpc::Status Health(grpc::ServerContext* /*context*/,
                      const shopstream::v1::HealthRequest* /*request*/,
                      shopstream::v1::HealthResponse* response) override {
    if (postgres_down_) {
      return HealthAnswer({{"postgres", false}, {"processor", true}}, response);
    }
    response->set_status("ok");
    return grpc::Status::OK;
  }

  void set_postgres_down(bool down) { postgres_down_ = down; }

  shopstream::v1::IngestRequest last_request() {
    absl::MutexLock lock(&mutex_);
    return last_request_;
  }
  std::string last_request_id() {
    absl::MutexLock lock(&mutex_);
    return last_request_id_;
  }

 private:
  std::atomic<bool> postgres_down_{false};
  absl::Mutex mutex_;
  shopstream::v1::IngestRequest last_request_ ABSL_GUARDED_BY(mutex_);
  std::string last_request_id_ ABSL_GUARDED_BY(mutex_);
};

class TestAnalyticsService final
    : public shopstream::v1::AnalyticsService::Service {
 public:
  // Echoes the request: shop_id as top product, `from` and `to` seconds as
  // counts. Shop "slow" waits until ReleaseSlowRequest().
  grpc::Status GetSummary(grpc::ServerContext* /*context*/,
                          const shopstream::v1::GetSummaryRequest* request,
                          shopstream::v1::Summary* summary) override {
    if (request->shop_id() == "slow") {
      slow_request_arrived_.Notify();
      release_slow_request_.WaitForNotification();
    }
    if (!request->shop_id().empty()) {
      summary->set_top_product_id(request->shop_id());
    }
    summary->set_total_page_views(request->from().seconds());
    summary->set_total_purchases(request->to().seconds());
    summary->set_average_purchase_value(299.99);
    return grpc::Status::OK;
  }

  grpc::Status Health(grpc::ServerContext* /*context*/,
                      const shopstream::v1::HealthRequest* /*request*/,
                      shopstream::v1::HealthResponse* response) override {
    response->set_status("serving");
    return grpc::Status::OK;
  }

  // CSV as the query service sends it.
  grpc::Status ExportTimeSeries(
      grpc::ServerContext* /*context*/,
      const shopstream::v1::GetTimeSeriesRequest* request,
      google::api::HttpBody* response) override {
    response->set_content_type("text/csv; charset=utf-8");
    response->set_data("shop,n\r\n\"" + request->shop_id() + "\",1\r\n");
    return grpc::Status::OK;
  }

  // Shop "refused": RESOURCE_EXHAUSTED at once. "two-then-fail": page
  // views 1 and 2, then UNAVAILABLE. "forever": page views 1, then waits to
  // be cancelled. Any other: page views 1, then OK.
  grpc::Status WatchSummary(
      grpc::ServerContext* context,
      const shopstream::v1::GetSummaryRequest* request,
      grpc::ServerWriter<shopstream::v1::Summary>* writer) override {
    const std::string& shop = request->shop_id();
    if (shop == "refused") {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "too many watchers");
    }
    shopstream::v1::Summary summary;
    summary.set_top_product_id(shop);
    summary.set_total_page_views(1);
    writer->Write(summary);
    if (shop == "two-then-fail") {
      summary.set_total_page_views(2);
      writer->Write(summary);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "backend went away");
    }
    if (shop == "forever") {
      watch_started_.Notify();
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (!context->IsCancelled() && absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(5));
      }
      if (context->IsCancelled()) watch_cancelled_.Notify();
      return grpc::Status::CANCELLED;
    }
    return grpc::Status::OK;
  }

  bool WaitForWatchCancelled() {
    return watch_cancelled_.WaitForNotificationWithTimeout(absl::Seconds(20));
  }

  void WaitForSlowRequest() { slow_request_arrived_.WaitForNotification(); }
  void ReleaseSlowRequest() { release_slow_request_.Notify(); }

 private:
  absl::Notification slow_request_arrived_;
  absl::Notification release_slow_request_;
  absl::Notification watch_started_;
  absl::Notification watch_cancelled_;
};

// A raw client for event streams: sends one GET, then reads what arrives.
class EventStreamClient {
 public:
  EventStreamClient(uint16_t port, const std::string& target)
      : socket_(io_context_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    const std::string request = "GET " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Accept: text/event-stream\r\n\r\n";
    net::write(socket_, net::buffer(request));
    timeval timeout{20, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
               sizeof(timeout));
  }

  // Reads until `text` has arrived (true) or the server closed (false). The
  // receive timeout keeps a broken gateway from hanging the test.
  bool ReadUntil(const std::string& text) {
    while (received_.find(text) == std::string::npos) {
      if (!ReadSome()) return false;
    }
    return true;
  }

  // Everything up to the server's close.
  const std::string& ReadAll() {
    while (ReadSome()) {
    }
    return received_;
  }

  const std::string& received() const { return received_; }
  void Close() {
    beast::error_code ignored;
    socket_.close(ignored);
  }

 private:
  bool ReadSome() {
    char buffer[4096];
    beast::error_code error;
    const size_t n = socket_.read_some(net::buffer(buffer), error);
    if (error) return false;
    received_.append(buffer, n);
    return true;
  }

  net::io_context io_context_;
  tcp::socket socket_;
  std::string received_;
};

// A blocking HTTP/1.1 client on one keep-alive connection.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : socket_(io_context_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                    error_);
  }

  bool connected() const { return !error_; }

  Response Send(
      http::verb method, const std::string& target,
      const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty() &&
        request.find(http::field::content_type) == request.end()) {
      request.set(http::field::content_type, "application/json");
    }
    request.body() = body;
    request.prepare_payload();
    beast::error_code write_error;
    // A refused body may be cut short by the server; read the answer anyway.
    http::write(socket_, request, write_error);
    // Read with a deadline: a gateway that never answers fails the test
    // instead of hanging it.
    Response response;
    bool done = false;
    http::async_read(socket_, buffer_, response,
                     [&](beast::error_code error, size_t) {
                       error_ = error;
                       done = true;
                     });
    io_context_.restart();
    io_context_.run_for(std::chrono::seconds(20));
    if (!done) {
      beast::error_code ignored;
      socket_.cancel(ignored);
      io_context_.restart();
      io_context_.run();
      error_ = net::error::timed_out;
    }
    EXPECT_FALSE(error_) << method << " " << target << ": " << error_.message();
    return response;
  }

  // True when the server has closed the connection.
  bool ServerClosed() {
    char byte;
    beast::error_code error;
    socket_.read_some(net::buffer(&byte, 1), error);
    return error == net::error::eof || error == net::error::connection_reset;
  }

 private:
  net::io_context io_context_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
};

// Sends `bytes` on a fresh connection and reads until the server closes it
// (or nothing comes for 5 s).
std::string RawExchange(uint16_t port, const std::string& bytes) {
  net::io_context io_context;
  tcp::socket socket(io_context);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  timeval timeout{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
             sizeof(timeout));
  net::write(socket, net::buffer(bytes));
  std::string received;
  char buffer[4096];
  // recv itself, so that the timeout holds (Asio's read would wait on).
  ssize_t n;
  while ((n = recv(socket.native_handle(), buffer, sizeof(buffer), 0)) > 0) {
    received.append(buffer, static_cast<size_t>(n));
  }
  return received;
}

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  EXPECT_FALSE(document.HasParseError()) << text;
  return document;
}

class GatewayServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The backends' standard health service, which /readyz asks.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &backend_port_);
    builder.RegisterService(&ingest_service_);
    builder.RegisterService(&analytics_service_);
    backend_ = builder.BuildAndStart();
    ASSERT_NE(backend_, nullptr);
    ASSERT_GT(backend_port_, 0);

    const std::string target = "127.0.0.1:" + std::to_string(backend_port_);
    gateway_ = StartGateway(target, target);
    ASSERT_NE(gateway_, nullptr);
  }

  void TearDown() override {
    if (gateway_ != nullptr) gateway_->Stop();
    if (backend_ != nullptr) backend_->Shutdown();
  }

  static std::unique_ptr<GatewayServer> StartGateway(
      const std::string& ingest_target, const std::string& query_target,
      const std::string& static_accept_path = "",
      absl::Duration keep_alive = absl::Seconds(15),
      const std::string& static_dir = "", int io_threads = 2,
      const Clock& clock = Clock::Real()) {
    GatewayOptions options;
    options.clock = &clock;
    options.event_stream_keep_alive = keep_alive;
    options.static_accept_path = static_accept_path;
    options.static_dir = static_dir;
    options.http_address = "127.0.0.1";
    options.http_port = 0;
    options.io_threads = io_threads;
    options.backends["shopstream.v1.IngestService"] = ingest_target;
    options.backends["shopstream.v1.AnalyticsService"] = query_target;
    absl::StatusOr<std::unique_ptr<GatewayServer>> gateway =
        GatewayServer::Start(options);
    EXPECT_TRUE(gateway.ok()) << gateway.status();
    return gateway.ok() ? *std::move(gateway) : nullptr;
  }

  Response Send(http::verb method, const std::string& target,
                const std::string& body = "") {
    HttpClient client(gateway_->port());
    EXPECT_TRUE(client.connected());
    return client.Send(method, target, body);
  }

  TestIngestService ingest_service_;
  TestAnalyticsService analytics_service_;
  int backend_port_ = 0;
  std::unique_ptr<grpc::Server> backend_;
  std::unique_ptr<GatewayServer> gateway_;
};

constexpr char kCaseStudyEvent[] =
    R"({"event_type":"page_view","timestamp":"2025-10-02T10:30:00Z",)"
    R"("product_id":"prod-123"})";

TEST_F(GatewayServerTest, PostEventIsAcceptedWith202) {
  HttpClient client(gateway_->port());
  const Response response =
      client.Send(http::verb::post, "/v1/events", kCaseStudyEvent,
                  {{"X-Request-Id", "req-42"}});
  EXPECT_EQ(response.result_int(), 202);
  EXPECT_EQ(response.body(), R"({"status":"accepted"})");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response[http::field::access_control_allow_origin], "*");

  const shopstream::v1::IngestRequest received = ingest_service_.last_request();
  EXPECT_EQ(received.event().event_type(), "page_view");
  EXPECT_EQ(received.event().product_id(), "prod-123");
  EXPECT_EQ(received.event().timestamp().seconds(), 1759401000);
  EXPECT_EQ(ingest_service_.last_request_id(), "req-42");
}

TEST_F(GatewayServerTest, RequestIdIsAnsweredAndMadeWhenMissing) {
  HttpClient client(gateway_->port());
  const Response given =
      client.Send(http::verb::post, "/v1/events", kCaseStudyEvent,
                  {{"X-Request-Id", "req-7"}});
  EXPECT_EQ(given["X-Request-Id"], "req-7");

  const Response made = Send(http::verb::post, "/v1/events", kCaseStudyEvent);
  EXPECT_EQ(made.result_int(), 202);
  const std::string id(made["X-Request-Id"]);
  EXPECT_EQ(id.size(), 32u) << id;
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_EQ(ingest_service_.last_request_id(), id);
}

TEST_F(GatewayServerTest, ReadyOnlyWhileEveryBackendIsServing) {
  grpc::HealthCheckServiceInterface* health = backend_->GetHealthCheckService();
  ASSERT_NE(health, nullptr);
  health->SetServingStatus("shopstream.v1.IngestService", true);
  health->SetServingStatus("shopstream.v1.AnalyticsService", true);
  // A gateway whose backend health checks run when the test moves its
  // clock: the first at start, then one round per interval.
  FakeClock clock;
  constexpr absl::Duration kCheckInterval = absl::Milliseconds(500);
  const std::string target = "127.0.0.1:" + std::to_string(backend_port_);
  std::unique_ptr<GatewayServer> gateway =
      StartGateway(target, target, "", absl::Seconds(15), "", 2, clock);
  ASSERT_NE(gateway, nullptr);
  auto send = [&](http::verb method, const std::string& path) {
    HttpClient client(gateway->port());
    return client.Send(method, path, "");
  };
  ASSERT_TRUE(clock.AwaitWaiters(1));
  const Response ready = send(http::verb::get, "/readyz");
  EXPECT_EQ(ready.result_int(), 200);
  EXPECT_EQ(ready.body(), R"({"status":"ready"})");

  health->SetServingStatus("shopstream.v1.IngestService", false);
  // Answered from the last round until the next.
  EXPECT_EQ(send(http::verb::get, "/readyz").result_int(), 200);
  ASSERT_TRUE(clock.AdvanceRound(kCheckInterval));
  const Response not_ready = send(http::verb::get, "/readyz");
  EXPECT_EQ(not_ready.result_int(), 503);
  EXPECT_EQ(
      not_ready.body(),
      R"({"status":"not ready","not_serving":["shopstream.v1.IngestService"]})");
  // Alive all the same.
  const Response alive = send(http::verb::get, "/healthz");
  EXPECT_EQ(alive.result_int(), 200);
  EXPECT_EQ(alive.body(), R"({"status":"alive"})");

  health->SetServingStatus("shopstream.v1.IngestService", true);
  ASSERT_TRUE(clock.AdvanceRound(kCheckInterval));
  EXPECT_EQ(send(http::verb::get, "/readyz").result_int(), 200);
  EXPECT_EQ(send(http::verb::post, "/readyz").result_int(), 405);
  gateway->Stop();
}

TEST_F(GatewayServerTest, NotReadyWithoutBackends) {
  std::unique_ptr<GatewayServer> gateway =
      StartGateway("127.0.0.1:1", "127.0.0.1:1");
  ASSERT_NE(gateway, nullptr);
  HttpClient client(gateway->port());
  EXPECT_EQ(client.Send(http::verb::get, "/healthz", "").result_int(), 200);
  HttpClient again(gateway->port());
  EXPECT_EQ(again.Send(http::verb::get, "/readyz", "").result_int(), 503);
  gateway->Stop();
}

TEST_F(GatewayServerTest, StaticPathAnswersWithoutTheBackend) {
  std::unique_ptr<GatewayServer> gateway =
      StartGateway("127.0.0.1:1", "127.0.0.1:1", "/bench/static");
  ASSERT_NE(gateway, nullptr);
  HttpClient client(gateway->port());
  const Response response =
      client.Send(http::verb::post, "/bench/static", kCaseStudyEvent);
  EXPECT_EQ(response.result_int(), 202);
  EXPECT_EQ(response.body(), R"({"status":"accepted"})");
  // Other paths still go to the (unreachable) backend.
  EXPECT_EQ(
      client.Send(http::verb::post, "/v1/events", kCaseStudyEvent).result_int(),
      503);
  gateway->Stop();
}

TEST_F(GatewayServerTest, MalformedJsonIs400) {
  const Response response =
      Send(http::verb::post, "/v1/events", R"({"event_type":)");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  const rapidjson::Document body = ParseJson(response.body());
  ASSERT_TRUE(body.IsObject() && body.HasMember("error"));
  EXPECT_THAT(body["error"].GetString(), HasSubstr("malformed JSON"));
}

TEST_F(GatewayServerTest, WrongJsonTypeIs400NamingTheField) {
  const Response response =
      Send(http::verb::post, "/v1/events",
           R"({"event_type":"page_view","product_id":1})");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response.body(),
            R"({"error":"product_id: expected a string, got number"})");
}

TEST_F(GatewayServerTest, BackendInvalidArgumentIs400WithItsMessage) {
  const Response response =
      Send(http::verb::post, "/v1/events", R"({"event_type":"bad"})");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(
      response.body(),
      R"({"error":"event_type: must be page_view, add_to_cart or purchase"})");
}

TEST_F(GatewayServerTest, NotNowAnswersSayWhenToRetry) {
  const struct {
    const char* event_type;
    int status;
    const char* body;
    const char* retry_after;
  } cases[] = {
      // What the backend said is logged, not told (see caller_status.h).
      {"unavailable", 503,
       R"({"error":"service unavailable; retry later (request id )", "1"},
      {"full", 429, R"({"error":"queue is full"})", "1"},
      // The backend's RetryInfo of 2.5 s, rounded up.
      {"limited", 429, R"({"error":"rate limit exceeded"})", "3"},
  };
  for (const auto& c : cases) {
    const Response response =
        Send(http::verb::post, "/v1/events",
             absl::StrCat(R"({"event_type":")", c.event_type, R"("})"));
    EXPECT_EQ(response.result_int(), c.status) << c.event_type;
    EXPECT_THAT(response.body(), StartsWith(c.body)) << c.event_type;
    EXPECT_EQ(response[http::field::retry_after], c.retry_after)
        << c.event_type;
  }
}

TEST_F(GatewayServerTest, UnreachableBackendIs503) {
  // Nothing listens on port 1 of the loopback interface.
  std::unique_ptr<GatewayServer> gateway =
      StartGateway("127.0.0.1:1", "127.0.0.1:1");
  ASSERT_NE(gateway, nullptr);
  HttpClient client(gateway->port());
  const Response response =
      client.Send(http::verb::post, "/v1/events", kCaseStudyEvent);
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_TRUE(ParseJson(response.body()).HasMember("error"));
  // Not the channel's words, which name the backend's address.
  EXPECT_THAT(response.body(), Not(HasSubstr("127.0.0.1")));
  gateway->Stop();
}

TEST_F(GatewayServerTest, PathVariableReachesTheBackend) {
  const Response response = Send(http::verb::get, "/v1/shops/abc/summary");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(),
            R"({"total_page_views":0,"total_add_to_carts":0,)"
            R"("total_purchases":0,"conversion_rate":0.0,)"
            R"("average_purchase_value":299.99,"max_purchase_value":0.0,)"
            R"("min_purchase_value":0.0,"top_product_id":"abc",)"
            R"("revenue":0.0,"unique_sessions":0,"add_to_cart_rate":0.0,)"
            R"("as_of":null})");
}

TEST_F(GatewayServerTest, QueryParametersReachTheBackend) {
  const Response response =
      Send(http::verb::get,
           "/api/analytics?shop_id=x&from=2025-10-02T00:00:00Z"
           "&to=2025-10-03T00%3A00%3A00%2B00%3A00&utm_source=ignored");
  EXPECT_EQ(response.result_int(), 200);
  const rapidjson::Document body = ParseJson(response.body());
  EXPECT_STREQ(body["top_product_id"].GetString(), "x");
  EXPECT_EQ(body["total_page_views"].GetInt64(), 1759363200);
  EXPECT_EQ(body["total_purchases"].GetInt64(), 1759449600);
}

TEST_F(GatewayServerTest, WithoutShopTheTopProductIsNull) {
  const Response response = Send(http::verb::get, "/api/analytics");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_THAT(response.body(), HasSubstr(R"("top_product_id":null,)"));
}

TEST_F(GatewayServerTest, BadQueryParameterIs400) {
  const Response response =
      Send(http::verb::get, "/api/analytics?from=yesterday");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(
      response.body(),
      R"({"error":"from: cannot parse \"yesterday\" as an RFC 3339 time"})");
}

TEST_F(GatewayServerTest, BatchTakesTheWholeBody) {
  const Response response = Send(
      http::verb::post, "/v1/events:batch",
      R"({"events":[{"event_type":"page_view"},{"event_type":"purchase"}]})");
  EXPECT_EQ(response.result_int(), 200);
  const rapidjson::Document body = ParseJson(response.body());
  EXPECT_EQ(body["accepted"].GetInt(), 2);
  EXPECT_EQ(body["results"].Size(), 2u);
}

TEST_F(GatewayServerTest, HealthOfBothServices) {
  EXPECT_EQ(Send(http::verb::get, "/v1/health").body(),
            R"({"status":"ok","dependencies":{}})");
  EXPECT_EQ(Send(http::verb::get, "/api/health").body(),
            R"({"status":"serving","dependencies":{}})");
}

// The body after an unframeable header would otherwise be read as the next
// request (see request_framing.h).
TEST_F(GatewayServerTest, UnframeableRequestsAreRefusedAndTheRestUnread) {
  const std::string hidden = absl::StrCat(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 25\r\n\r\n",
      R"({"event_type":"smuggled"})");
  const struct {
    const char* fields;
    const char* status_line;
  } cases[] = {
      {"Transfer-Encoding: identity\r\n", "HTTP/1.1 400 "},
      {"Transfer-Encoding: chunked, x\r\n", "HTTP/1.1 400 "},
      {"Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n",
       "HTTP/1.1 501 "},
      {"X-Pad: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 0\r\n",
       "HTTP/1.1 400 "},
      {"Content-Length: 0, 0\r\n", "HTTP/1.1 400 "},
  };
  for (const auto& c : cases) {
    const std::string body =
        absl::StrContains(c.fields, "x\r\nTransfer-Encoding: chunked")
            ? "0\r\n\r\n" + hidden
            : hidden;
    const std::string answer =
        RawExchange(gateway_->port(),
                    absl::StrCat("POST /v1/events HTTP/1.1\r\nHost: x\r\n",
                                 c.fields, "\r\n", body));
    EXPECT_THAT(answer, StartsWith(c.status_line)) << c.fields << answer;
    EXPECT_THAT(answer, HasSubstr("Connection: close")) << c.fields;
    EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << answer;
    EXPECT_NE(ingest_service_.last_request().event().event_type(), "smuggled")
        << c.fields;
  }
}

TEST_F(GatewayServerTest, CredentialsLongerThanAnyKeyNeverReachTheBackend) {
  HttpClient client(gateway_->port());
  const Response response =
      client.Send(http::verb::post, "/v1/events", kCaseStudyEvent,
                  {{"Authorization", "Bearer " + std::string(9000, 'k')}});
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_THAT(response.body(), HasSubstr(R"({"error":"Authorization: )"));
  EXPECT_EQ(response.count(http::field::retry_after), 0u);
  EXPECT_EQ(ingest_service_.last_request().event().event_type(), "");
}

TEST_F(GatewayServerTest, FailedHealthSendsItsAnswerAs503) {
  ingest_service_.set_postgres_down(true);
  const Response response = Send(http::verb::get, "/v1/health");
  EXPECT_EQ(response.result_int(), 503);
  const rapidjson::Document body = ParseJson(response.body());
  ASSERT_TRUE(body.IsObject()) << response.body();
  EXPECT_STREQ(body["status"].GetString(), "unhealthy");
  EXPECT_STREQ(body["dependencies"]["postgres"].GetString(), "down");
  EXPECT_STREQ(body["dependencies"]["processor"].GetString(), "up");
}

TEST_F(GatewayServerTest, FailuresFromBelowAreToldByRequestIdOnly) {
  HttpClient client(gateway_->port());
  const Response response = client.Send(http::verb::post, "/v1/events",
                                        R"({"event_type":"internal"})",
                                        {{"X-Request-Id", "req-internal-1"}});
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(
      response.body(),
      R"json({"error":"internal error (request id req-internal-1)"})json");
}

TEST_F(GatewayServerTest, UnknownPathIs404) {
  const Response response = Send(http::verb::get, "/x");
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(response.body(), R"({"error":"no route for GET /x"})");
  EXPECT_EQ(response[http::field::access_control_allow_origin], "*");
}

TEST_F(GatewayServerTest, KnownPathWithOtherMethodIs405) {
  const Response response = Send(http::verb::get, "/v1/events");
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[http::field::allow], "POST, OPTIONS");
  EXPECT_TRUE(ParseJson(response.body()).HasMember("error"));
}

TEST_F(GatewayServerTest, PreflightIs204WithCorsHeaders) {
  HttpClient client(gateway_->port());
  const Response response =
      client.Send(http::verb::options, "/v1/events", "",
                  {{"Origin", "http://localhost:3000"},
                   {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(response.result_int(), 204);
  EXPECT_EQ(response.body(), "");
  EXPECT_EQ(response[http::field::access_control_allow_origin], "*");
  EXPECT_THAT(std::string(response[http::field::access_control_allow_methods]),
              HasSubstr("POST"));
  EXPECT_EQ(response[http::field::access_control_allow_headers],
            "Content-Type, Authorization, X-API-Key, X-Request-Id");
  EXPECT_FALSE(response[http::field::access_control_max_age].empty());
}

TEST_F(GatewayServerTest, ServesManyRequestsOnOneConnection) {
  HttpClient client(gateway_->port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client.Send(http::verb::post, "/v1/events", kCaseStudyEvent)
                  .result_int(),
              202);
    // Errors do not end the connection either.
    EXPECT_EQ(client.Send(http::verb::post, "/v1/events", "{").result_int(),
              400);
    EXPECT_EQ(client.Send(http::verb::get, "/nowhere").result_int(), 404);
    EXPECT_EQ(client.Send(http::verb::get, "/v1/shops/s/summary").result_int(),
              200);
  }
}

TEST_F(GatewayServerTest, OversizedBodyIs413AndServingGoesOn) {
  {
    HttpClient client(gateway_->port());
    const std::string huge =
        R"({"event_type":")" + std::string(2 << 20, 'x') + R"("})";
    const Response response = client.Send(http::verb::post, "/v1/events", huge);
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_TRUE(ParseJson(response.body()).HasMember("error"));
    EXPECT_FALSE(response.keep_alive());
  }
  EXPECT_EQ(Send(http::verb::post, "/v1/events", kCaseStudyEvent).result_int(),
            202);
}

TEST_F(GatewayServerTest, BodiesThatAreNotJsonAre415) {
  HttpClient client(gateway_->port());
  const Response response =
      client.Send(http::verb::post, "/v1/events", kCaseStudyEvent,
                  {{"Content-Type", "text/plain"}});
  EXPECT_EQ(response.result_int(), 415);
  EXPECT_NE(response.body().find("Content-Type"), std::string::npos);
  HttpClient charset(gateway_->port());
  EXPECT_EQ(charset
                .Send(http::verb::post, "/v1/events", kCaseStudyEvent,
                      {{"Content-Type", "application/json; charset=utf-8"}})
                .result_int(),
            202);
}

// Connections are dealt out to the io threads in turn, each thread running
// its own io_context: every thread serves its connections, including while
// another connection of the same thread waits for a backend.
TEST_F(GatewayServerTest, EveryIoThreadServesItsConnections) {
  gateway_->Stop();
  const std::string target = "127.0.0.1:" + std::to_string(backend_port_);
  gateway_ = StartGateway(target, target, "", absl::Seconds(15), "",
                          /*io_threads=*/3);
  ASSERT_NE(gateway_, nullptr);
  // Connections made at once could reach a thread before it first looks
  // for work; later ones find out whether idle threads keep running.
  absl::SleepFor(absl::Milliseconds(200));
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 7; ++i) {
    clients.push_back(std::make_unique<HttpClient>(gateway_->port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  auto post_event = [&](size_t i) {
    return clients[i]
        ->Send(http::verb::post, "/v1/events", kCaseStudyEvent)
        .result_int();
  };
  for (size_t i = 0; i < clients.size(); ++i) {
    ASSERT_EQ(post_event(i), 202) << "connection " << i;
  }
  Response slow_response;
  std::thread slow_request([&] {
    slow_response = clients[0]->Send(http::verb::get, "/v1/shops/slow/summary");
  });
  analytics_service_.WaitForSlowRequest();
  for (size_t i = 1; i < clients.size(); ++i) {
    EXPECT_EQ(post_event(i), 202) << "connection " << i;
  }
  analytics_service_.ReleaseSlowRequest();
  slow_request.join();
  EXPECT_EQ(slow_response.result_int(), 200);
}

TEST_F(GatewayServerTest, StopLetsInFlightRequestsFinish) {
  HttpClient idle_client(gateway_->port());
  ASSERT_TRUE(idle_client.connected());
  EXPECT_EQ(idle_client.Send(http::verb::get, "/v1/health").result_int(), 200);

  Response slow_response;
  std::thread slow_request([&] {
    HttpClient client(gateway_->port());
    slow_response = client.Send(http::verb::get, "/v1/shops/slow/summary");
  });
  analytics_service_.WaitForSlowRequest();
  std::thread stopper([&] { gateway_->Stop(); });
  // An idle keep-alive connection is closed by the stop...
  EXPECT_TRUE(idle_client.ServerClosed());
  analytics_service_.ReleaseSlowRequest();
  slow_request.join();
  stopper.join();
  // ...while the request in flight still got its answer.
  EXPECT_EQ(slow_response.result_int(), 200);
  EXPECT_THAT(slow_response.body(), HasSubstr(R"("top_product_id":"slow")"));
  EXPECT_FALSE(HttpClient(gateway_->port()).connected());
}

TEST_F(GatewayServerTest, ServesTheDashboardBesideTheApi) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) /
                        ("gateway_static_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "assets");
  fs::create_directories(root / "api");
  std::ofstream(root / "index.html") << "<!doctype html><p>dashboard</p>";
  std::ofstream(root / "assets" / "index-1a2b3c4d.js") << "export {}";
  // A file where an API route is: the route must win.
  std::ofstream(root / "api" / "analytics") << "not the API";
  std::unique_ptr<GatewayServer> gateway =
      StartGateway("127.0.0.1:" + std::to_string(backend_port_),
                   "127.0.0.1:" + std::to_string(backend_port_), "",
                   absl::Seconds(15), root.string());
  ASSERT_NE(gateway, nullptr);
  HttpClient client(gateway->port());
  ASSERT_TRUE(client.connected());

  const Response index = client.Send(http::verb::get, "/?key=abc");
  EXPECT_EQ(index.result_int(), 200);
  EXPECT_EQ(index.body(), "<!doctype html><p>dashboard</p>");
  EXPECT_EQ(index[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index[http::field::cache_control], "no-cache");
  const std::string etag(index[http::field::etag]);
  EXPECT_FALSE(etag.empty());

  const Response revalidated = client.Send(http::verb::get, "/index.html", "",
                                           {{"If-None-Match", etag}});
  EXPECT_EQ(revalidated.result_int(), 304);
  EXPECT_TRUE(revalidated.body().empty());

  const Response asset =
      client.Send(http::verb::get, "/assets/index-1a2b3c4d.js");
  EXPECT_EQ(asset.result_int(), 200);
  EXPECT_EQ(asset.body(), "export {}");
  EXPECT_EQ(asset[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(asset[http::field::cache_control],
            "public, max-age=31536000, immutable");

  const Response api = client.Send(http::verb::get, "/api/analytics");
  EXPECT_EQ(api.result_int(), 200);
  EXPECT_EQ(api[http::field::content_type], "application/json");
  EXPECT_THAT(api.body(), HasSubstr("average_purchase_value"));

  const Response posted = client.Send(http::verb::post, "/index.html", "{}");
  EXPECT_EQ(posted.result_int(), 405);
  EXPECT_EQ(posted[http::field::allow], "GET, HEAD");

  EXPECT_EQ(client.Send(http::verb::get, "/../etc/passwd").result_int(), 404);
  EXPECT_EQ(client.Send(http::verb::get, "/%2e%2e/etc/passwd").result_int(),
            404);
  const Response missing = client.Send(http::verb::get, "/missing.js");
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(missing[http::field::content_type], "application/json");

  // HEAD: GET's headers and length, no body; the connection stays usable.
  {
    net::io_context io_context;
    tcp::socket socket(io_context);
    socket.connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), gateway->port()));
    http::request<http::empty_body> head(http::verb::head, "/", 11);
    head.set(http::field::host, "127.0.0.1");
    http::write(socket, head);
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    http::read(socket, buffer, parser);
    EXPECT_EQ(parser.get().result_int(), 200);
    EXPECT_EQ(
        parser.get()[http::field::content_length],
        std::to_string(std::string("<!doctype html><p>dashboard</p>").size()));
    http::request<http::empty_body> get(http::verb::get, "/api/health", 11);
    get.set(http::field::host, "127.0.0.1");
    http::write(socket, get);
    Response health;
    http::read(socket, buffer, health);
    EXPECT_EQ(health.result_int(), 200);
    EXPECT_THAT(health.body(), HasSubstr("serving"));
  }
  gateway->Stop();
  fs::remove_all(root);
}

TEST_F(GatewayServerTest, DashboardPagesCarryBrowserSecurityHeaders) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) /
                        ("gateway_headers_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "assets");
  std::ofstream(root / "index.html") << "<!doctype html><p>dashboard</p>";
  std::ofstream(root / "assets" / "index-1a2b3c4d.js") << "export {}";
  std::unique_ptr<GatewayServer> gateway =
      StartGateway("127.0.0.1:" + std::to_string(backend_port_),
                   "127.0.0.1:" + std::to_string(backend_port_), "",
                   absl::Seconds(15), root.string());
  ASSERT_NE(gateway, nullptr);
  HttpClient client(gateway->port());
  ASSERT_TRUE(client.connected());

  const Response index = client.Send(http::verb::get, "/");
  const Response asset =
      client.Send(http::verb::get, "/assets/index-1a2b3c4d.js");
  const Response revalidated =
      client.Send(http::verb::get, "/index.html", "",
                  {{"If-None-Match", std::string(index[http::field::etag])}});
  EXPECT_EQ(revalidated.result_int(), 304);
  for (const Response* page : {&index, &asset, &revalidated}) {
    const std::string policy((*page)["Content-Security-Policy"]);
    EXPECT_THAT(policy, HasSubstr("default-src 'self'"));
    EXPECT_THAT(policy, HasSubstr("script-src 'self';"));
    EXPECT_THAT(policy, HasSubstr("connect-src 'self';"));
    EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
    EXPECT_THAT(policy, ::testing::Not(HasSubstr("unsafe")));
    EXPECT_EQ((*page)["Referrer-Policy"], "no-referrer");
    EXPECT_EQ((*page)["X-Content-Type-Options"], "nosniff");
  }
  gateway->Stop();
  fs::remove_all(root);
}

TEST_F(GatewayServerTest, DashboardMayConnectToTheApiOriginsItIsGiven) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) /
                        ("gateway_origins_" + std::to_string(::getpid()));
  fs::create_directories(root);
  std::ofstream(root / "index.html") << "<!doctype html>";
  GatewayOptions options;
  options.http_address = "127.0.0.1";
  options.http_port = 0;
  options.static_dir = root.string();
  options.backends["shopstream.v1.AnalyticsService"] =
      "127.0.0.1:" + std::to_string(backend_port_);
  options.dashboard_api_origins = {"https://api.example.com:8443"};
  {
    absl::StatusOr<std::unique_ptr<GatewayServer>> gateway =
        GatewayServer::Start(options);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    HttpClient client((*gateway)->port());
    const Response index = client.Send(http::verb::get, "/");
    EXPECT_THAT(std::string(index["Content-Security-Policy"]),
                HasSubstr("connect-src 'self' https://api.example.com:8443;"));
  }
  // A value that would rewrite the policy stops the gateway at start.
  options.dashboard_api_origins = {"https://a.example; script-src *"};
  absl::StatusOr<std::unique_ptr<GatewayServer>> refused =
      GatewayServer::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("dashboard_api_origins"));
  fs::remove_all(root);
}

TEST_F(GatewayServerTest, RefusesAStaticDirThatIsNotADirectory) {
  GatewayOptions options;
  options.http_address = "127.0.0.1";
  options.http_port = 0;
  options.static_dir = "/nonexistent/shopstream/dist";
  options.backends["shopstream.v1.AnalyticsService"] =
      "127.0.0.1:" + std::to_string(backend_port_);
  absl::StatusOr<std::unique_ptr<GatewayServer>> gateway =
      GatewayServer::Start(options);
  ASSERT_FALSE(gateway.ok());
  EXPECT_THAT(std::string(gateway.status().message()), HasSubstr("static_dir"));
}

TEST_F(GatewayServerTest, HttpBodyIsSentAsItsOwnContentType) {
  HttpClient client(gateway_->port());
  Response response =
      client.Send(http::verb::get, "/v1/shops/a,b/timeseries.csv");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "text/csv; charset=utf-8");
  EXPECT_EQ(response[http::field::content_disposition],
            "attachment; filename=\"timeseries.csv\"");
  EXPECT_EQ(response[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(response.body(), "shop,n\r\n\"a,b\",1\r\n");
  // The connection stays usable for JSON afterwards.
  Response json = client.Send(http::verb::get, "/api/health");
  EXPECT_EQ(json[http::field::content_type], "application/json");
}

TEST_F(GatewayServerTest, EventStreamSendsEachMessageThenTheError) {
  EventStreamClient client(gateway_->port(),
                           "/v1/shops/two-then-fail/summary:watch");
  const std::string& text = client.ReadAll();
  EXPECT_THAT(text, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(text, HasSubstr("Content-Type: text/event-stream\r\n"));
  EXPECT_THAT(text, HasSubstr("Access-Control-Allow-Origin: *\r\n"));
  EXPECT_THAT(text, HasSubstr("Cache-Control: no-cache\r\n"));
  const size_t body = text.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  const std::string events = text.substr(body + 4);
  const size_t first = events.find("data: {\"total_page_views\":1,");
  const size_t second = events.find("data: {\"total_page_views\":2,");
  const size_t error = events.find(
      "event: error\ndata: {\"error\":\"service unavailable; retry later "
      "(request id ");
  ASSERT_NE(first, std::string::npos) << events;
  ASSERT_NE(second, std::string::npos) << events;
  ASSERT_NE(error, std::string::npos) << events;
  EXPECT_LT(first, second);
  EXPECT_LT(second, error);
  EXPECT_THAT(events, HasSubstr("\"top_product_id\":\"two-then-fail\""));
}

TEST_F(GatewayServerTest, EventStreamThatEndsWellJustCloses) {
  EventStreamClient client(gateway_->port(), "/v1/shops/once/summary:watch");
  const std::string& text = client.ReadAll();
  EXPECT_THAT(text, HasSubstr("data: {\"total_page_views\":1,"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("event: error")));
}

TEST_F(GatewayServerTest, RefusedEventStreamIsAPlainErrorResponse) {
  HttpClient client(gateway_->port());
  Response response =
      client.Send(http::verb::get, "/v1/shops/refused/summary:watch");
  EXPECT_EQ(response.result_int(), 429);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response["Retry-After"], "1");
  EXPECT_EQ(response.body(), R"({"error":"too many watchers"})");
}

TEST_F(GatewayServerTest, ClientThatGoesAwayCancelsTheBackendStream) {
  EventStreamClient client(gateway_->port(), "/v1/shops/forever/summary:watch");
  ASSERT_TRUE(client.ReadUntil("data: "));
  client.Close();
  EXPECT_TRUE(analytics_service_.WaitForWatchCancelled());
}

TEST_F(GatewayServerTest, QuietEventStreamGetsKeepAliveComments) {
  const std::string target = "127.0.0.1:" + std::to_string(backend_port_);
  std::unique_ptr<GatewayServer> gateway =
      StartGateway(target, target, "", absl::Milliseconds(20));
  ASSERT_NE(gateway, nullptr);
  EventStreamClient client(gateway->port(), "/v1/shops/forever/summary:watch");
  ASSERT_TRUE(client.ReadUntil("data: "));
  EXPECT_TRUE(client.ReadUntil("\n\n: keep-alive\n\n"));
  client.Close();
  EXPECT_TRUE(analytics_service_.WaitForWatchCancelled());
}

TEST_F(GatewayServerTest, StopEndsOpenEventStreams) {
  EventStreamClient client(gateway_->port(), "/v1/shops/forever/summary:watch");
  ASSERT_TRUE(client.ReadUntil("data: "));
  std::thread stopper([&] { gateway_->Stop(); });
  const std::string& text = client.ReadAll();
  stopper.join();
  EXPECT_THAT(text, HasSubstr("event: error\ndata: {\"error\":\"the gateway is "
                              "shutting down\"}\n\n"));
  EXPECT_TRUE(analytics_service_.WaitForWatchCancelled());
}

}  // namespace
}  // namespace shopstream::gateway
