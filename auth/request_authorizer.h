#ifndef SHOPSTREAM_AUTH_REQUEST_AUTHORIZER_H_
#define SHOPSTREAM_AUTH_REQUEST_AUTHORIZER_H_

#include <grpcpp/support/string_ref.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/api_key_verifier.h"
#include "auth/link_ticket_store.h"

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
  // The key the call came with, or the key its link ticket was issued to;
  // empty when authentication is off.
  std::string key_id;
};

// What a call accepts as its credential.
enum class Credentials {
  kApiKey,  // "Bearer <key>"
  // Also "Ticket <link ticket>": for the calls browsers make from a URL,
  // WatchSummary (EventSource) and the CSV exports (download links).
  kApiKeyOrLinkTicket,
};

// Decides whether a call may act, and for which shop. The shop comes from
// the key: a request naming no shop acts for the key's shop, a request
// naming another shop is refused (PERMISSION_DENIED), whatever scope the
// key has.
class RequestAuthorizer {
 public:
  // Without a verifier, authentication is off: every call acts for the shop
  // it names (local experiments only). Without a ticket store, link tickets
  // are refused like any credential that is not a bearer key. `clock` dates
  // the empty tickets issued while authentication is off.
  explicit RequestAuthorizer(ApiKeyVerifier* verifier,
                             LinkTicketStore* tickets = nullptr,
                             absl::Duration ticket_lifetime = absl::Seconds(30),
                             ApiKeyVerifier::Clock clock = &absl::Now)
      : verifier_(verifier),
        tickets_(tickets),
        ticket_lifetime_(ticket_lifetime),
        clock_(std::move(clock)) {}

  bool enabled() const { return verifier_ != nullptr; }

  // The shop the call acts for. UNAUTHENTICATED: no key, not a bearer key,
  // or a key that is malformed, unknown or revoked. PERMISSION_DENIED: the
  // key's scope does not allow `scope` (ScopeAllows) or it belongs to another
  // shop than `requested_shop`. RESOURCE_EXHAUSTED: the key's rate limit,
  // charged `cost`.
  absl::StatusOr<std::string> Authorize(
      const std::optional<std::string>& authorization, Scope scope,
      absl::string_view requested_shop, double cost = 1) const;
  // The same, with the key that was used. Where `accepted` allows, a link
  // ticket may stand in for the key: UNAUTHENTICATED also for a ticket that
  // is malformed, unknown, used or expired, or whose key is revoked (a
  // ticket is used up here); PERMISSION_DENIED for a ticket where only keys
  // are accepted, for another shop, or for a write.
  absl::StatusOr<Caller> AuthorizeCaller(
      const std::optional<std::string>& authorization, Scope scope,
      absl::string_view requested_shop, double cost = 1,
      Credentials accepted = Credentials::kApiKey) const;

  // A collect key's call from a page: the key must have the collect scope
  // and `origin` (the page's Origin header) must be one of its origins
  // (PERMISSION_DENIED naming Origin otherwise); the rest as Authorize.
  absl::StatusOr<std::string> AuthorizeCollect(
      const std::optional<std::string>& authorization,
      const std::optional<std::string>& origin, double cost) const;

  // For a call that goes on (a stream): OK while the key it was authorized
  // with is not revoked. Free of charge.
  absl::Status Recheck(const Caller& caller) const;

  // A link ticket for the shop of `caller`, which must have come with a
  // read or admin key (the ticket only reads). With authentication off, an
  // empty ticket: links need none.
  absl::StatusOr<IssuedTicket> IssueLinkTicket(const Caller& caller) const;

 private:
  absl::StatusOr<Caller> AuthorizeTicket(absl::string_view ticket, Scope scope,
                                         absl::string_view requested_shop,
                                         double cost) const;

  ApiKeyVerifier* verifier_;
  LinkTicketStore* tickets_;
  absl::Duration ticket_lifetime_;
  ApiKeyVerifier::Clock clock_;
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_REQUEST_AUTHORIZER_H_
