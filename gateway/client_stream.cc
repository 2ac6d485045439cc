#include "gateway/client_stream.h"

#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"

namespace shopstream::gateway {

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> ServerTlsContext(
    const std::string& cert_file, const std::string& key_file) {
  namespace ssl = boost::asio::ssl;
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        cert_file.empty() ? "--tls_cert_file: needed with --tls_key_file"
                          : "--tls_key_file: needed with --tls_cert_file");
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds |
                       ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  boost::system::error_code error;
  context->use_certificate_chain_file(cert_file, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_cert_file: cannot use \"", cert_file, "\": ", error.message()));
  }
  context->use_private_key_file(key_file, ssl::context::pem, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file: cannot use \"", key_file, "\": ", error.message()));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(
        "--tls_key_file: does not match --tls_cert_file");
  }
  return context;
}

}  // namespace shopstream::gateway
