// TLS and mutual TLS between every gRPC hop, with certificates made by the
// openssl command line for this test only.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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
    const std::string ec =
        "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    Run(absl::StrCat("openssl req -x509 ", ec, " -keyout ca.key -out ca.pem ",
                     "-days 1 -subj /CN=shopstream-test-ca"));
    Run(absl::StrCat(
        "openssl req ", ec,
        " -keyout service.key -out service.csr -subj /CN=localhost"));
    std::ofstream(dir_ + "/ext.cnf")
        << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
           "extendedKeyUsage=serverAuth,clientAuth\n";
    Run("openssl x509 -req -in service.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out service.pem -days 1 -extfile ext.cnf");
  }
  ~TestCertificates() { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Every TLS flag: servers present the certificate and require one from
  // clients; clients verify servers and present it too.
  std::vector<std::string> Flags() const {
    return {"--tls_cert_file=" + path("service.pem"),
            "--tls_key_file=" + path("service.key"),
            "--tls_client_ca_file=" + path("ca.pem"),
            "--tls_ca_file=" + path("ca.pem"),
            "--tls_client_cert_file=" + path("service.pem"),
            "--tls_client_key_file=" + path("service.key")};
  }

 private:
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
  LocalStack stack(LocalStackOptions{.processor_flags = flags,
                                     .ingest_flags = flags,
                                     .query_flags = flags,
                                     .gateway_flags = flags});
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

}  // namespace
}  // namespace shopstream::testing
