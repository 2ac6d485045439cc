#ifndef SHOPSTREAM_COMMON_TLS_CREDENTIALS_H_
#define SHOPSTREAM_COMMON_TLS_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"

// The gateway reads these two for its HTTPS listener.
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);

namespace shopstream {

// gRPC credentials from the shared TLS flags (defined in tls_credentials.cc):
//   --tls_cert_file, --tls_key_file   this server's certificate and key: with
//                                     both, gRPC servers speak only TLS (and
//                                     the gateway only HTTPS)
//   --tls_client_ca_file              servers then require client
//                                     certificates signed by this CA (mTLS)
//   --tls_ca_file                     clients verify servers against this CA
//                                     and speak TLS; empty: plaintext
//   --tls_client_cert_file, --tls_client_key_file
//                                     the certificate clients present (mTLS)
// Errors name the flag whose file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
GrpcServerCredentials();
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
GrpcChannelCredentials();

// Whether this service's gRPC servers require verified client certificates
// (--tls_client_ca_file), and whether its clients present one
// (--tls_ca_file with --tls_client_cert_file): mutual TLS, which also
// authenticates internal RPCs (common/internal_rpc_auth.h).
bool ServersRequireClientCertificates();
bool ClientsPresentCertificates();

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_TLS_CREDENTIALS_H_
