#include "auth/request_authorizer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace shopstream::auth {

std::optional<std::string> AuthorizationOf(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto it = metadata.find(kAuthorizationMetadata);
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::optional<std::string> AuthorizationOf(
    const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find(kAuthorizationMetadata);
  if (it == metadata.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> RequestAuthorizer::Authorize(
    const std::optional<std::string>& authorization, Scope scope,
    absl::string_view requested_shop, double cost) const {
  absl::StatusOr<Caller> caller =
      AuthorizeCaller(authorization, scope, requested_shop, cost);
  if (!caller.ok()) return caller.status();
  return std::move(caller->shop_id);
}

absl::StatusOr<Caller> RequestAuthorizer::AuthorizeCaller(
    const std::optional<std::string>& authorization, Scope scope,
    absl::string_view requested_shop, double cost) const {
  if (verifier_ == nullptr) {
    return Caller{.shop_id = std::string(requested_shop)};
  }
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "API key required: send \"Authorization: Bearer <key>\"");
  }
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization: expected \"Bearer <key>\"");
  }
  value = absl::StripLeadingAsciiWhitespace(value.substr(7));
  absl::StatusOr<Principal> principal = verifier_->Verify(value);
  if (!principal.ok()) return principal.status();
  if (principal->scope != scope) {
    return absl::PermissionDeniedError(absl::StrCat(
        "API key ", principal->key_id, " has scope ",
        ScopeName(principal->scope), "; this call needs ", ScopeName(scope)));
  }
  if (!requested_shop.empty() && requested_shop != principal->shop_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("shop_id: API key ", principal->key_id,
                     " is not for shop \"", requested_shop, "\""));
  }
  if (absl::Status charged = verifier_->Charge(*principal, cost);
      !charged.ok()) {
    return charged;
  }
  return Caller{.shop_id = std::move(principal->shop_id),
                .key_id = std::move(principal->key_id)};
}

}  // namespace shopstream::auth
