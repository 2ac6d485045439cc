#include "common/internal_rpc_auth.h"

#include <grpcpp/support/client_interceptor.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/tls_credentials.h"

ABSL_FLAG(std::string, service_token_file, "",
          "File holding the shared token that internal RPCs (ingest -> "
          "processor, gateway -> ingest event stream) carry and their "
          "servers require; at least 32 bytes. Needed unless mutual TLS "
          "authenticates the services.");
ABSL_FLAG(bool, allow_unauthenticated_internal_rpcs, false,
          "Serve and make internal RPCs without a service token or mutual "
          "TLS: anyone who reaches the port can write events. Local "
          "experiments only.");

namespace shopstream {
namespace {

constexpr char kInternalMethodPrefix[] = "/shopstream.internal.";

constexpr char kNoCredentials[] =
    "internal RPCs need --service_token_file, or mutual TLS "
    "(--tls_client_ca_file on servers, --tls_client_cert_file on clients); "
    "--allow_unauthenticated_internal_rpcs runs them open (local "
    "experiments only)";

void WarnOpen(absl::string_view side) {
  LogWarning(absl::StrCat("INTERNAL RPCS ARE UNAUTHENTICATED (",
                          "--allow_unauthenticated_internal_rpcs): ", side),
             {{"flag", "allow_unauthenticated_internal_rpcs"}});
}

class ServiceTokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ServiceTokenInterceptor(const std::string* token) : token_(token) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kServiceTokenMetadataKey,
                                                 *token_);
    }
    methods->Proceed();
  }

 private:
  const std::string* token_;
};

class ServiceTokenInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ServiceTokenInterceptorFactory(std::string token)
      : token_(std::move(token)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    if (!absl::StartsWith(info->method(), kInternalMethodPrefix)) {
      return nullptr;
    }
    return new ServiceTokenInterceptor(&token_);
  }

 private:
  // Outlives the interceptors: the channel owns this factory.
  const std::string token_;
};

}  // namespace

absl::StatusOr<std::string> ReadServiceToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--service_token_file: cannot read \"", path, "\""));
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (token.size() < kMinServiceTokenBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--service_token_file: the token in \"", path, "\" has ", token.size(),
        " bytes, fewer than ", kMinServiceTokenBytes));
  }
  // Metadata values must be printable ASCII.
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat("--service_token_file: the token in \"", path,
                       "\" must be printable ASCII without spaces"));
    }
  }
  return token;
}

bool TokensEqual(absl::string_view expected, absl::string_view given) {
  // Every byte of `expected` is looked at whatever `given` holds; only the
  // length, which the minimum makes worthless to learn, shows.
  unsigned char difference = expected.size() == given.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g =
        i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    difference |= static_cast<unsigned char>(expected[i]) ^ g;
  }
  return difference == 0;
}

absl::StatusOr<InternalRpcGate> InternalRpcGate::FromFlags() {
  const std::string path = absl::GetFlag(FLAGS_service_token_file);
  if (!path.empty()) {
    absl::StatusOr<std::string> token = ReadServiceToken(path);
    if (!token.ok()) return token.status();
    return RequireToken(*std::move(token));
  }
  if (ServersRequireClientCertificates()) return RequireClientCertificate();
  if (absl::GetFlag(FLAGS_allow_unauthenticated_internal_rpcs)) {
    WarnOpen("this service answers them from anyone who reaches its port");
    return AdmitAll();
  }
  return absl::FailedPreconditionError(kNoCredentials);
}

grpc::Status InternalRpcGate::Admit(
    const grpc::ServerContextBase& context) const {
  if (!token_.empty()) {
    const auto& metadata = context.client_metadata();
    auto it = metadata.find(kServiceTokenMetadataKey);
    if (it == metadata.end()) {
      return grpc::Status(
          grpc::StatusCode::UNAUTHENTICATED,
          absl::StrCat("internal RPC without ", kServiceTokenMetadataKey));
    }
    if (!TokensEqual(token_,
                     absl::string_view(it->second.data(), it->second.size()))) {
      return grpc::Status(
          grpc::StatusCode::UNAUTHENTICATED,
          absl::StrCat(kServiceTokenMetadataKey,
                       " does not match this service's --service_token_file"));
    }
    return grpc::Status::OK;
  }
  if (open_) return grpc::Status::OK;
  // The TLS handshake already refused a peer without a verified
  // certificate; this holds should the server's credentials ever change.
  const auto auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "internal RPC without a verified client certificate");
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::string> ServiceTokenForClientFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_service_token_file);
  if (!path.empty()) return ReadServiceToken(path);
  if (ClientsPresentCertificates()) return std::string();
  if (absl::GetFlag(FLAGS_allow_unauthenticated_internal_rpcs)) {
    WarnOpen("this service makes them without credentials");
    return std::string();
  }
  return absl::FailedPreconditionError(kNoCredentials);
}

std::shared_ptr<grpc::Channel> CreateInternalRpcChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, const std::string& token) {
  if (token.empty())
    return grpc::CreateCustomChannel(target, credentials, args);
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<ServiceTokenInterceptorFactory>(token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, args, std::move(interceptors));
}

}  // namespace shopstream
