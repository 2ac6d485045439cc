#ifndef SHOPSTREAM_COMMON_TLS_CREDENTIALS_H_
#define SHOPSTREAM_COMMON_TLS_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"

namespace shopstream {

// gRPC credentials from the shared TLS flags (defined in tls_credentials.cc):
//   --tls_cert_file, --tls_key_file   this server's certificate and key: with
//                                     both, gRPC servers speak only TLS
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

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_TLS_CREDENTIALS_H_
