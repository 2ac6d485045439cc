#include "auth/request_authorizer.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

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

namespace {

// "<scheme> <credential>" with the scheme in any case: the credential.
std::optional<absl::string_view> CredentialOf(absl::string_view value,
                                              absl::string_view scheme) {
  if (value.size() <= scheme.size() ||
      !absl::StartsWithIgnoreCase(value, scheme) ||
      !absl::ascii_isspace(value[scheme.size()])) {
    return std::nullopt;
  }
  return absl::StripLeadingAsciiWhitespace(value.substr(scheme.size()));
}

}  // namespace

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
    absl::string_view requested_shop, double cost, Credentials accepted) const {
  if (verifier_ == nullptr) {
    return Caller{.shop_id = std::string(requested_shop)};
  }
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "API key required: send \"Authorization: Bearer <key>\"");
  }
  const absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  if (tickets_ != nullptr) {
    if (std::optional<absl::string_view> ticket =
            CredentialOf(value, kTicketScheme)) {
      if (accepted != Credentials::kApiKeyOrLinkTicket) {
        return absl::PermissionDeniedError(
            "a link ticket opens only the live stream, the CSV exports and "
            "the PDF report; "
            "send the read key as \"Authorization: Bearer <key>\"");
      }
      return AuthorizeTicket(*ticket, scope, requested_shop, cost);
    }
  }
  std::optional<absl::string_view> key = CredentialOf(value, "Bearer");
  if (!key.has_value()) {
    return absl::UnauthenticatedError(
        "authorization: expected \"Bearer <key>\"");
  }
  absl::StatusOr<Principal> principal = verifier_->Verify(*key);
  if (!principal.ok()) return principal.status();
  if (!ScopeAllows(principal->scope, scope)) {
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

absl::StatusOr<std::string> RequestAuthorizer::AuthorizeCollect(
    const std::optional<std::string>& authorization,
    const std::optional<std::string>& origin, double cost) const {
  if (verifier_ == nullptr) return std::string();
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "API key required: the collect key goes in ?key=<key>");
  }
  std::optional<absl::string_view> key =
      CredentialOf(absl::StripAsciiWhitespace(*authorization), "Bearer");
  if (!key.has_value()) {
    return absl::UnauthenticatedError(
        "authorization: expected \"Bearer <key>\"");
  }
  absl::StatusOr<Principal> principal = verifier_->Verify(*key);
  if (!principal.ok()) return principal.status();
  if (principal->scope != Scope::kCollect) {
    return absl::PermissionDeniedError(absl::StrCat(
        "API key ", principal->key_id, " has scope ",
        ScopeName(principal->scope),
        "; pages send with a collect key (keys create --scope collect)"));
  }
  // Origins compare as ParseOrigin writes them (lower case), as stored.
  absl::StatusOr<std::string> page =
      origin.has_value() ? ParseOrigin(*origin)
                         : absl::InvalidArgumentError("missing");
  if (!page.ok() || std::find(principal->allowed_origins.begin(),
                              principal->allowed_origins.end(),
                              *page) == principal->allowed_origins.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("Origin: API key ", principal->key_id,
                     " is not for pages of \"", origin.value_or(""), "\""));
  }
  if (absl::Status charged = verifier_->Charge(*principal, cost);
      !charged.ok()) {
    return charged;
  }
  return std::move(principal->shop_id);
}

absl::StatusOr<Caller> RequestAuthorizer::AuthorizeTicket(
    absl::string_view ticket, Scope scope, absl::string_view requested_shop,
    double cost) const {
  if (scope != Scope::kRead) {
    return absl::PermissionDeniedError("a link ticket only reads");
  }
  absl::StatusOr<TicketGrant> grant = tickets_->Redeem(ticket, requested_shop);
  if (!grant.ok()) return grant.status();
  // The ticket lasts no longer than its key.
  absl::StatusOr<Principal> principal = verifier_->VerifyId(grant->key_id);
  if (!principal.ok()) return principal.status();
  if (!ScopeAllows(principal->scope, Scope::kRead) ||
      principal->shop_id != grant->shop_id) {
    return absl::PermissionDeniedError(
        "the link ticket's key may not read its shop");
  }
  if (absl::Status charged = verifier_->Charge(*principal, cost);
      !charged.ok()) {
    return charged;
  }
  return Caller{.shop_id = std::move(principal->shop_id),
                .key_id = std::move(principal->key_id)};
}

absl::Status RequestAuthorizer::Recheck(const Caller& caller) const {
  if (verifier_ == nullptr) return absl::OkStatus();
  return verifier_->VerifyId(caller.key_id).status();
}

absl::StatusOr<IssuedTicket> RequestAuthorizer::IssueLinkTicket(
    const Caller& caller) const {
  if (verifier_ == nullptr) {
    return IssuedTicket{"", caller.shop_id, clock_() + ticket_lifetime_};
  }
  if (tickets_ == nullptr) {
    return absl::UnimplementedError("this service issues no link tickets");
  }
  absl::StatusOr<Principal> key = verifier_->VerifyId(caller.key_id);
  if (!key.ok()) return key.status();
  // A ticket only reads (AuthorizeTicket), also when an admin key asks.
  if (!ScopeAllows(key->scope, Scope::kRead)) {
    return absl::PermissionDeniedError(
        "only a read or admin key gets link tickets");
  }
  return tickets_->Issue(key->key_id, key->shop_id, ticket_lifetime_);
}

}  // namespace shopstream::auth
