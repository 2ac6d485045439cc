#ifndef SHOPSTREAM_AUTH_REQUEST_AUTHORIZER_H_
#define SHOPSTREAM_AUTH_REQUEST_AUTHORIZER_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/api_key_verifier.h"

namespace shopstream::auth {

// gRPC metadata that carries the key: "authorization: Bearer <key>".
inline constexpr char kAuthorizationMetadata[] = "authorization";

// The authorization value of a call's metadata, if any.
std::optional<std::string> AuthorizationOf(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);
std::optional<std::string> AuthorizationOf(
    const std::map<std::string, std::string>& metadata);

// Whom a call acts for.
struct Caller {
  std::string shop_id;
  std::string key_id;  // empty when authentication is off
};

// Decides whether a call may act, and for which shop. The shop comes from
// the key: a request naming no shop acts for the key's shop, a request
// naming another shop is refused (PERMISSION_DENIED), whatever scope the
// key has.
class RequestAuthorizer {
 public:
  // Without a verifier, authentication is off: every call acts for the shop
  // it names (local experiments only).
  explicit RequestAuthorizer(ApiKeyVerifier* verifier) : verifier_(verifier) {}

  bool enabled() const { return verifier_ != nullptr; }

  // The shop the call acts for. UNAUTHENTICATED: no key, not a bearer key,
  // or a key that is malformed, unknown or revoked. PERMISSION_DENIED: the
  // key lacks `scope` or belongs to another shop than `requested_shop`.
  // RESOURCE_EXHAUSTED: the key's rate limit, charged `cost`.
  absl::StatusOr<std::string> Authorize(
      const std::optional<std::string>& authorization, Scope scope,
      absl::string_view requested_shop, double cost = 1) const;
  // The same, with the key that was used.
  absl::StatusOr<Caller> AuthorizeCaller(
      const std::optional<std::string>& authorization, Scope scope,
      absl::string_view requested_shop, double cost = 1) const;

 private:
  ApiKeyVerifier* verifier_;
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_REQUEST_AUTHORIZER_H_
