// TLS and mutual TLS between every gRPC hop, and HTTPS on the gateway, with
// certificates made by the openssl command line for this test only.
#include <grpcpp/grpcpp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "auth/key_channel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/ingest.grpc.pb.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A CA and one certificate signed by it, for 127.0.0.1 and localhost, usable
// by servers and clients alike; removed with the object.
class TestCertificates {
 public:
  TestCertificates() {
    char dir_template[] = "/tmp/shopstream-tls-XXXXXX";
    dir_ = mkdtemp(dir_template);
    Run(absl::StrCat("openssl req -x509 ", kNewKey,
                     " -keyout ca.key -out ca.pem ",
                     "-days 1 -subj /CN=shopstream-test-ca"));
    std::ofstream(dir_ + "/ext.cnf")
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
           "extendedKeyUsage=serverAuth,clientAuth\n";
    Issue("service", "localhost");
  }
  ~TestCertificates() { std::filesystem::remove_all(dir_); }

  // A certificate for the same names from the same CA, with a key of its
  // own: <name>.pem and <name>.key.
  void Issue(const std::string& name, const std::string& common_name) {
    Run(absl::StrCat("openssl req ", kNewKey, " -keyout ", name, ".key -out ",
                     name, ".csr -subj /CN=", common_name));
    Run(absl::StrCat("openssl x509 -req -in ", name,
                     ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ",
                     name, ".pem -days 1 -extfile ext.cnf"));
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Every TLS flag: servers present the certificate and require one from
  // clients; clients verify servers and present it too.
  std::vector<std::string> Flags() const {
    std::vector<std::string> flags = ServerFlags();
    flags.push_back("--tls_client_ca_file=" + path("ca.pem"));
    for (std::string& flag : ClientFlags()) flags.push_back(std::move(flag));
    return flags;
  }
  // The certificate a server presents (on the gateway: HTTPS).
  std::vector<std::string> ServerFlags() const {
    return {"--tls_cert_file=" + path("service.pem"),
            "--tls_key_file=" + path("service.key")};
  }
  // A gRPC client's: verify servers, present the certificate.
  std::vector<std::string> ClientFlags() const {
    return {"--tls_ca_file=" + path("ca.pem"),
            "--tls_client_cert_file=" + path("service.pem"),
            "--tls_client_key_file=" + path("service.key")};
  }

 private:
  static constexpr char kNewKey[] =
      "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

  void Run(const std::string& command) {
    const std::string full =
        absl::StrCat("cd ", dir_, " && ", command, " >/dev/null 2>&1");
    if (system(full.c_str()) != 0) {
      throw std::runtime_error("failed: " + command);
    }
  }

  std::string dir_;
};

grpc::Status IngestOne(std::shared_ptr<grpc::Channel> channel) {
  auto stub = v1::IngestService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  v1::IngestRequest request;
  request.mutable_event()->set_event_type("page_view");
  request.mutable_event()->mutable_timestamp()->set_seconds(1759401000);
  v1::IngestResponse response;
  return stub->Ingest(&context, request, &response);
}

TEST(TlsTest, EveryHopSpeaksMutualTls) {
  TestCertificates certs;
  const std::vector<std::string> flags = certs.Flags();
  // The gateway is a gRPC client only; its own certificate would turn its
  // HTTP side to HTTPS (tested below).
  // No service token: mutual TLS alone authenticates the internal RPCs.
  LocalStack stack(LocalStackOptions{.processor_flags = flags,
                                     .ingest_flags = flags,
                                     .query_flags = flags,
                                     .gateway_flags = certs.ClientFlags(),
                                     .service_token = false});
  // Through the gateway: gateway -> ingest -> processor, gateway -> query.
  EXPECT_EQ(
      stack
          .Post(
              "/v1/events",
              R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z"})")
          .status,
      202);
  EXPECT_THAT(stack.Get("/api/analytics").body,
              ::testing::HasSubstr(R"("total_page_views":1,)"));

  const std::string key = stack.WriteKey();
  // Plaintext is refused.
  EXPECT_FALSE(
      IngestOne(auth::CreateChannelWithKey(stack.ingest_target(),
                                           grpc::InsecureChannelCredentials(),
                                           grpc::ChannelArguments(), key))
          .ok());
  // TLS without a client certificate is refused.
  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs = ReadFile(certs.path("ca.pem"));
  EXPECT_FALSE(
      IngestOne(auth::CreateChannelWithKey(stack.ingest_target(),
                                           grpc::SslCredentials(server_only),
                                           grpc::ChannelArguments(), key))
          .ok());
  // With one, the call goes through.
  grpc::SslCredentialsOptions mutual = server_only;
  mutual.pem_cert_chain = ReadFile(certs.path("service.pem"));
  mutual.pem_private_key = ReadFile(certs.path("service.key"));
  grpc::Status status = IngestOne(auth::CreateChannelWithKey(
      stack.ingest_target(), grpc::SslCredentials(mutual),
      grpc::ChannelArguments(), key));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stack.StoredEvents(), 2);
}

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;

// A verified HTTPS connection to 127.0.0.1:port.
class HttpsConnection {
 public:
  HttpsConnection(int port, const std::string& ca_file)
      : context_(ssl::context::tls_client) {
    context_.load_verify_file(ca_file);
    context_.set_verify_mode(ssl::verify_peer);
    stream_.emplace(io_context_, context_);
    stream_->set_verify_callback(ssl::host_name_verification("localhost"));
    beast::tcp_stream& tcp = beast::get_lowest_layer(*stream_);
    tcp.connect(boost::asio::ip::tcp::endpoint(
        boost::asio::ip::make_address("127.0.0.1"), port));
    const timeval timeout{.tv_sec = 10, .tv_usec = 0};
    setsockopt(tcp.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
               sizeof(timeout));
    setsockopt(tcp.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout,
               sizeof(timeout));
    stream_->handshake(ssl::stream_base::client);
  }

  beast::ssl_stream<beast::tcp_stream>& stream() { return *stream_; }

  // The common name of the certificate the server presented.
  std::string PeerCommonName() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (cert == nullptr) return "";
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name,
                              sizeof(name));
    X509_free(cert);
    return name;
  }

 private:
  boost::asio::io_context io_context_;
  ssl::context context_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
};

// One HTTPS request to 127.0.0.1:port that trusts only the CA in `ca_file`
// and expects the name localhost. Throws boost::system::system_error when
// the connection, the handshake or the exchange fails; no step waits more
// than 10 s.
HttpResponse HttpsRequest(int port, const std::string& ca_file,
                          const std::string& method, const std::string& target,
                          const std::string& body = "",
                          const HttpHeaders& headers = {}) {
  HttpsConnection connection(port, ca_file);
  beast::ssl_stream<beast::tcp_stream>& stream = connection.stream();
  http::request<http::string_body> request(http::string_to_verb(method), target,
                                           11);
  request.set(http::field::host, "localhost");
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return HttpResponse{.status = response.result_int(), .body = response.body()};
}

// What a Server-Sent Events response sends over `connection` up to the end
// of its first event, headers included.
std::string HttpsFirstEvent(HttpsConnection& connection,
                            const std::string& target) {
  const std::string request =
      absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: localhost\r\n\r\n");
  boost::asio::write(connection.stream(), boost::asio::buffer(request));
  std::string received;
  char chunk[4096];
  for (;;) {
    const size_t data = received.find("data: ");
    if (data != std::string::npos &&
        received.find("\n\n", data) != std::string::npos) {
      return received;
    }
    received.append(chunk,
                    connection.stream().read_some(boost::asio::buffer(chunk)));
  }
}

// The message of the error `request` throws; empty when it succeeds.
std::string FailureOf(const std::function<void()>& request) {
  try {
    request();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

TEST(TlsTest, GatewayServesHttpsWithItsCertificate) {
  TestCertificates certs;
  TestCertificates other;  // a CA the gateway's certificate does not chain to
  LocalStack stack;
  const int port = FreePort();
  // No /metrics listener: the default port would be contested by gateways
  // of other tests running at the same time.
  std::vector<std::string> flags = {
      "--http_address=127.0.0.1",
      "--http_port=" + std::to_string(port),
      "--metrics_port=0",
      "--ingest_target=" + stack.ingest_target(),
      "--query_target=" + stack.query_target(),
      "--service_token_file=" + stack.service_token_file()};
  for (std::string& flag : certs.ServerFlags()) flags.push_back(flag);
  ServiceProcess gateway("shopstream-gateway", flags);
  const std::string ca = certs.path("ca.pem");

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string last_error;
  bool healthy = false;
  while (!healthy && gateway.running() &&
         std::chrono::steady_clock::now() < deadline) {
    last_error = FailureOf([&] {
      healthy = HttpsRequest(port, ca, "GET", "/v1/health").status == 200;
    });
    if (!healthy) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(gateway.running()) << "the HTTPS gateway exited";
  ASSERT_TRUE(healthy) << last_error;

  const HttpHeaders write_key = {
      {"Authorization", "Bearer " + stack.WriteKey()}};
  const HttpResponse accepted = HttpsRequest(
      port, ca, "POST", "/v1/events",
      R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z"})",
      write_key);
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(stack.StoredEvents(), 1);
  // No key: the HTTPS side answers like the plain one.
  EXPECT_EQ(HttpsRequest(port, ca, "GET", "/api/analytics").status, 401);
  // Server-Sent Events work over HTTPS too.
  HttpsConnection watcher(port, ca);
  const std::string events = HttpsFirstEvent(
      watcher, "/v1/shops/default/summary:watch?key=" + stack.ReadKey());
  EXPECT_THAT(events, ::testing::HasSubstr("text/event-stream"));
  EXPECT_THAT(events, ::testing::HasSubstr(R"("total_page_views":1,)"));

  // Plain HTTP gets no answer but a closed connection.
  EXPECT_NE(FailureOf([&] {
              HttpRequest(port, "POST", "/v1/events", R"({"event_type":"x"})",
                          "application/json", write_key);
            }),
            "");
  // A client that trusts another CA refuses the gateway's certificate.
  EXPECT_THAT(FailureOf([&] {
                HttpsRequest(port, other.path("ca.pem"), "GET", "/v1/health");
              }),
              ::testing::HasSubstr("certificate verify failed"));
  // Neither stored anything, and the gateway still serves HTTPS.
  EXPECT_EQ(HttpsRequest(port, ca, "GET", "/v1/health").status, 200);
  EXPECT_EQ(stack.StoredEvents(), 1);

  // The watcher has gone silent: it neither reads nor answers the
  // close_notify that ends its stream. Stopping the gateway ends the stream
  // and exits cleanly instead of waiting for it.
  const int status = gateway.Terminate(/*timeout_ms=*/20000);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << " (-1: killed after 20 s)";
}

TEST(TlsTest, GatewayServesARenewedCertificateWithoutARestart) {
  TestCertificates certs;
  std::filesystem::copy_file(certs.path("service.pem"),
                             certs.path("gateway.pem"));
  std::filesystem::copy_file(certs.path("service.key"),
                             certs.path("gateway.key"));
  certs.Issue("renewed", "renewed.localhost");
  const int port = FreePort();
  // /healthz needs no backend.
  ServiceProcess gateway(
      "shopstream-gateway",
      {"--http_address=127.0.0.1", "--http_port=" + std::to_string(port),
       "--metrics_port=0", "--ingest_target=127.0.0.1:1",
       "--query_target=127.0.0.1:1", "--allow_unauthenticated_internal_rpcs",
       "--tls_cert_file=" + certs.path("gateway.pem"),
       "--tls_key_file=" + certs.path("gateway.key"),
       "--tls_check_interval_ms=100"});
  const std::string ca = certs.path("ca.pem");
  auto common_name_served = [&] {
    HttpsConnection connection(port, ca);
    return connection.PeerCommonName();
  };
  const auto started =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string before;
  while (before.empty() && gateway.running() &&
         std::chrono::steady_clock::now() < started) {
    FailureOf([&] { before = common_name_served(); });
    if (before.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(before, "localhost");
  HttpsConnection open_before(port, ca);

  // Renewed the way `cp` does it: the certificate first, then its key; the
  // pair in between does not match and must not be served.
  std::filesystem::copy_file(certs.path("renewed.pem"),
                             certs.path("gateway.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(common_name_served(), "localhost");
  std::filesystem::copy_file(certs.path("renewed.key"),
                             certs.path("gateway.key"),
                             std::filesystem::copy_options::overwrite_existing);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string after = common_name_served();
  while (after != "renewed.localhost" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = common_name_served();
  }
  EXPECT_EQ(after, "renewed.localhost");
  // The connection opened before, on the old certificate, still works.
  http::request<http::string_body> request(http::verb::get, "/healthz", 11);
  request.set(http::field::host, "localhost");
  http::write(open_before.stream(), request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(open_before.stream(), buffer, response);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(gateway.running());
}

TEST(TlsTest, GatewayRefusesToStartWithHalfATlsConfiguration) {
  TestCertificates certs;
  const std::string log = certs.path("gateway.log");
  ServiceProcess gateway(
      "shopstream-gateway",
      {"--http_address=127.0.0.1", "--http_port=" + std::to_string(FreePort()),
       "--metrics_port=0", "--allow_unauthenticated_internal_rpcs",
       "--tls_cert_file=" + certs.path("service.pem")},
      log);
  // It exits at once (with both files it keeps serving, as above).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (gateway.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(gateway.running());
  // Refused, saying which flag is missing: not a crash, not a missing binary.
  const int status = gateway.exit_status();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_THAT(
      ReadFile(log),
      ::testing::HasSubstr("--tls_key_file: needed with --tls_cert_file"));
}

}  // namespace
}  // namespace shopstream::testing
