#ifndef SHOPSTREAM_COMMON_INTERNAL_RPC_AUTH_H_
#define SHOPSTREAM_COMMON_INTERNAL_RPC_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// --service_token_file: the shared secret of the internal RPCs.
// --allow_unauthenticated_internal_rpcs: the loudly logged opt-out.
ABSL_DECLARE_FLAG(std::string, service_token_file);
ABSL_DECLARE_FLAG(bool, allow_unauthenticated_internal_rpcs);

namespace shopstream {

// Call metadata carrying the service token.
inline constexpr char kServiceTokenMetadataKey[] = "x-shopstream-service-token";
// Shorter tokens are refused: they could be guessed.
inline constexpr size_t kMinServiceTokenBytes = 32;

// The token in `path` with surrounding white space removed (files written
// by `echo` or a Secret end in a newline). Errors name the flag.
absl::StatusOr<std::string> ReadServiceToken(const std::string& path);

// Whether two tokens are equal, taking the same time wherever they differ,
// so a caller cannot find the token byte by byte.
bool TokensEqual(absl::string_view expected, absl::string_view given);

// Who may make internal RPCs (shopstream.internal.*: the processor's
// EventPipeline, ingest's EventIngress). The public shopstream.v1 services
// check API keys instead, and health and reflection stay open for probes.
// Each internal service asks Admit first thing.
class InternalRpcGate {
 public:
  // A caller must send `token` (non-empty).
  static InternalRpcGate RequireToken(std::string token) {
    return InternalRpcGate(std::move(token), false);
  }
  // A caller must present a client certificate the server verified.
  static InternalRpcGate RequireClientCertificate() {
    return InternalRpcGate("", false);
  }
  // Anyone may call: the explicit opt-out, and tests of other things.
  static InternalRpcGate AdmitAll() { return InternalRpcGate("", true); }

  // From --service_token_file, --tls_client_ca_file and
  // --allow_unauthenticated_internal_rpcs. With none of them there is no
  // way to tell ingest from a stranger: an error naming the flags, so the
  // service does not start open by accident.
  static absl::StatusOr<InternalRpcGate> FromFlags();

  // OK, or UNAUTHENTICATED saying what is missing (never the token).
  grpc::Status Admit(const grpc::ServerContextBase& context) const;

 private:
  InternalRpcGate(std::string token, bool open)
      : token_(std::move(token)), open_(open) {}

  std::string token_;
  bool open_;
};

// The token a client of internal RPCs sends, from --service_token_file;
// empty when it presents a client certificate (mutual TLS) instead or the
// opt-out is given. With none of them: an error naming the flags.
absl::StatusOr<std::string> ServiceTokenForClientFromFlags();

// A channel whose calls to shopstream.internal.* methods carry `token`
// (none when empty); calls to public services on the same channel do not,
// so the token is sent only where it is checked.
std::shared_ptr<grpc::Channel> CreateInternalRpcChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, const std::string& token);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_INTERNAL_RPC_AUTH_H_
