#include "common/tls_credentials.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate (chain) of this service's gRPC server (the "
          "gateway: its HTTP listener); with --tls_key_file the server "
          "accepts only TLS (HTTPS).");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, gRPC servers require client certificates "
          "it signed (mutual TLS).");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA bundle the gRPC servers this service calls must chain to; "
          "when set, its gRPC clients speak TLS.");
ABSL_FLAG(std::string, tls_client_cert_file, "",
          "PEM certificate this service presents as a gRPC client (mutual "
          "TLS).");
ABSL_FLAG(std::string, tls_client_key_file, "",
          "PEM private key of --tls_client_cert_file.");

namespace shopstream {
namespace {

absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag,
                                         const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read \"", path, "\""));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
GrpcServerCredentials() {
  const std::string cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key_file = absl::GetFlag(FLAGS_tls_key_file);
  const std::string client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (cert_file.empty() && key_file.empty()) {
    if (!client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file: needs --tls_cert_file and --tls_key_file");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadFlagFile("tls_cert_file", cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFlagFile("tls_key_file", key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!client_ca_file.empty()) {
    absl::StatusOr<std::string> ca =
        ReadFlagFile("tls_client_ca_file", client_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
GrpcChannelCredentials() {
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  if (ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadFlagFile("tls_ca_file", ca_file);
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  const std::string cert_file = absl::GetFlag(FLAGS_tls_client_cert_file);
  if (!cert_file.empty()) {
    absl::StatusOr<std::string> cert =
        ReadFlagFile("tls_client_cert_file", cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFlagFile(
        "tls_client_key_file", absl::GetFlag(FLAGS_tls_client_key_file));
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

bool ServersRequireClientCertificates() {
  return !absl::GetFlag(FLAGS_tls_client_ca_file).empty();
}

bool ClientsPresentCertificates() {
  return !absl::GetFlag(FLAGS_tls_ca_file).empty() &&
         !absl::GetFlag(FLAGS_tls_client_cert_file).empty();
}

}  // namespace shopstream
