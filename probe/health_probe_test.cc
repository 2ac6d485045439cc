#include "probe/health_probe.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/call_multiplexer_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::probe {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(5);

class GrpcHealthProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    // A sync server needs one sync service besides health.
    builder.RegisterService(&multiplexer_);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    target_ = absl::StrCat("127.0.0.1:", port_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  CallMultiplexerService multiplexer_;
  int port_ = 0;
  std::string target_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(GrpcHealthProbeTest, ServingServerIsHealthy) {
  EXPECT_TRUE(CheckGrpcHealth(target_, "", kTimeout).ok());
}

TEST_F(GrpcHealthProbeTest, NotServingServerIsUnhealthy) {
  server_->GetHealthCheckService()->SetServingStatus(false);
  const absl::Status status = CheckGrpcHealth(target_, "", kTimeout);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("NOT_SERVING"));
}

TEST_F(GrpcHealthProbeTest, UnknownServiceIsUnhealthy) {
  const absl::Status status =
      CheckGrpcHealth(target_, "no.such.Service", kTimeout);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("no.such.Service"));
}

TEST_F(GrpcHealthProbeTest, StoppedServerIsUnhealthy) {
  server_->Shutdown();
  server_.reset();
  EXPECT_EQ(CheckGrpcHealth(target_, "", absl::Milliseconds(500)).code(),
            absl::StatusCode::kUnavailable);
}

// Answers one HTTP request with `code`, on a free loopback port.
class OneShotHttpServer {
 public:
  explicit OneShotHttpServer(unsigned code)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, code] {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      path_ = std::string(request.target());
      http::response<http::string_body> response(
          static_cast<http::status>(code), 11);
      response.body() = "answer";
      response.prepare_payload();
      http::write(socket, response, ec);
    });
  }
  ~OneShotHttpServer() {
    acceptor_.close();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return absl::StrCat("127.0.0.1:", port_, path);
  }
  std::string path() {
    thread_.join();
    thread_ = std::thread([] {});
    return path_;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::string path_;
  std::thread thread_;
};

TEST(HttpProbeTest, SuccessIsHealthyAndPathIsSent) {
  OneShotHttpServer server(200);
  EXPECT_TRUE(CheckHttpGet(server.url("/readyz"), kTimeout).ok());
  EXPECT_EQ(server.path(), "/readyz");
}

TEST(HttpProbeTest, ServiceUnavailableIsUnhealthy) {
  OneShotHttpServer server(503);
  const absl::Status status = CheckHttpGet(server.url("/readyz"), kTimeout);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("HTTP 503"));
}

TEST(HttpProbeTest, ClosedPortIsUnhealthy) {
  std::string url;
  {
    OneShotHttpServer server(200);
    url = server.url("/healthz");
    // Connect once so the server thread ends, then the port closes.
    ASSERT_TRUE(CheckHttpGet(url, kTimeout).ok());
  }
  EXPECT_EQ(CheckHttpGet(url, absl::Seconds(1)).code(),
            absl::StatusCode::kUnavailable);
}

TEST(HttpProbeTest, MalformedAddressNamesTheFlag) {
  const absl::Status status = CheckHttpGet("localhost/healthz", kTimeout);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("http_get"));
}

}  // namespace
}  // namespace shopstream::probe
