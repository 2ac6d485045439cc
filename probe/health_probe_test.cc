#include "probe/health_probe.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/ingest.grpc.pb.h"

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
    builder.RegisterService(&ingest_);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    target_ = absl::StrCat("127.0.0.1:", port_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Its methods answer UNIMPLEMENTED; health is what is probed.
  v1::IngestService::Service ingest_;
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

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A CA and a certificate it signed for the name shopstream-ingest only (as in
// a cluster, where the probe dials 127.0.0.1), made with the openssl command
// line; removed with the object.
class ServiceCertificate {
 public:
  ServiceCertificate() {
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "shopstream-probe-XXXXXX")
            .string();
    dir_ = mkdtemp(dir_template.data());
    const std::string ec =
        "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    Run(absl::StrCat("openssl req -x509 ", ec, " -keyout ca.key -out ca.pem ",
                     "-days 1 -subj /CN=shopstream-probe-test-ca"));
    Run(absl::StrCat("openssl req ", ec,
                     " -keyout service.key -out service.csr"
                     " -subj /CN=shopstream-ingest"));
    std::ofstream(dir_ / "ext.cnf")
        << "subjectAltName=DNS:shopstream-ingest\n"
           "extendedKeyUsage=serverAuth,clientAuth\n";
    Run("openssl x509 -req -in service.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out service.pem -days 1 -extfile ext.cnf");
  }
  ~ServiceCertificate() { std::filesystem::remove_all(dir_); }

  std::string ca() const { return ReadFile(dir_ / "ca.pem"); }
  std::string cert() const { return ReadFile(dir_ / "service.pem"); }
  std::string key() const { return ReadFile(dir_ / "service.key"); }

 private:
  void Run(const std::string& command) {
    const std::string full =
        absl::StrCat("cd ", dir_.string(), " && ", command, " >/dev/null 2>&1");
    if (std::system(full.c_str()) != 0) {
      throw std::runtime_error("failed: " + command);
    }
  }

  std::filesystem::path dir_;
};

// A health-serving server that speaks only TLS and, with `require_client`,
// only to clients presenting a certificate of the same CA.
class TlsHealthProbeTest : public ::testing::Test {
 protected:
  void Start(bool require_client) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    options.pem_key_cert_pairs.push_back({certs_.key(), certs_.cert()});
    if (require_client) {
      options.pem_root_certs = certs_.ca();
      options.client_certificate_request =
          GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    grpc::ServerBuilder builder;
    builder.RegisterService(&ingest_);
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(options),
                             &port_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    target_ = absl::StrCat("127.0.0.1:", port_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  GrpcProbeOptions Tls(bool with_client_cert, std::string server_name) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = certs_.ca();
    if (with_client_cert) {
      options.pem_cert_chain = certs_.cert();
      options.pem_private_key = certs_.key();
    }
    return {.credentials = grpc::SslCredentials(options),
            .tls_server_name = std::move(server_name)};
  }

  ServiceCertificate certs_;
  // Its methods answer UNIMPLEMENTED; health is what is probed.
  v1::IngestService::Service ingest_;
  int port_ = 0;
  std::string target_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(TlsHealthProbeTest, VerifiesTheServiceNameInsteadOfTheAddress) {
  Start(/*require_client=*/false);
  EXPECT_TRUE(
      CheckGrpcHealth(target_, "", kTimeout, Tls(false, "shopstream-ingest"))
          .ok());
  // The certificate does not name 127.0.0.1, nor another service.
  EXPECT_EQ(
      CheckGrpcHealth(target_, "", absl::Seconds(2), Tls(false, "")).code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(CheckGrpcHealth(target_, "", absl::Seconds(2),
                            Tls(false, "shopstream-query"))
                .code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(TlsHealthProbeTest, PlaintextProbeOfTlsServerIsUnhealthy) {
  Start(/*require_client=*/false);
  EXPECT_EQ(CheckGrpcHealth(target_, "", absl::Seconds(2)).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(TlsHealthProbeTest, MutualTlsNeedsTheClientCertificate) {
  Start(/*require_client=*/true);
  EXPECT_TRUE(
      CheckGrpcHealth(target_, "", kTimeout, Tls(true, "shopstream-ingest"))
          .ok());
  EXPECT_EQ(CheckGrpcHealth(target_, "", absl::Seconds(2),
                            Tls(false, "shopstream-ingest"))
                .code(),
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

TEST(HttpProbeTest, SilentServerIsUnhealthyAtTheDeadline) {
  // As a hung gateway: the kernel completes the connection, nobody answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string url =
      absl::StrCat("127.0.0.1:", acceptor.local_endpoint().port(), "/healthz");
  std::future<absl::Status> probed = std::async(std::launch::async, [&url] {
    return CheckHttpGet(url, absl::Milliseconds(200));
  });
  // Ends the test should the probe wait for an answer forever: the closed
  // connection ends that wait, with another error than the deadline's.
  if (probed.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    boost::asio::ip::tcp::socket waiting(io);
    boost::system::error_code ignored;
    acceptor.accept(waiting, ignored);
    waiting.close(ignored);
  }
  const absl::Status status = probed.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("no answer within 200ms"));
}

TEST(HttpProbeTest, MalformedAddressNamesTheFlag) {
  const absl::Status status = CheckHttpGet("localhost/healthz", kTimeout);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("http_get"));
}

}  // namespace
}  // namespace shopstream::probe
