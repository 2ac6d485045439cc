#ifndef SHOPSTREAM_GATEWAY_CREDENTIALS_H_
#define SHOPSTREAM_GATEWAY_CREDENTIALS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "gateway/route_table.h"

namespace shopstream::gateway {

// Query parameter that may carry the API key where a client cannot set
// headers: EventSource and download links. It never reaches the request
// message.
inline constexpr char kApiKeyQueryParameter[] = "key";

// Query parameter for a link ticket (AnalyticsService.CreateLinkTicket),
// the short-lived stand-in for the key in such URLs. It never reaches the
// request message either.
inline constexpr char kLinkTicketQueryParameter[] = "ticket";

// Routes a browser opens from a URL, which cannot carry headers: GETs of
// event streams (EventSource) and of files (google.api.HttpBody, download
// links). Only they take a link ticket.
bool IsLinkRoute(const Route& route);

// The "authorization" metadata value a request's credentials become, from
// the first of: an Authorization header (passed as is), an X-API-Key header,
// the `key` query parameter of `target` (both as "Bearer <key>"), and, on a
// link route, the `ticket` query parameter (as "Ticket <ticket>"). None:
// nullopt, and the backend answers 401.
std::optional<std::string> AuthorizationFor(
    std::optional<absl::string_view> authorization_header,
    std::optional<absl::string_view> api_key_header, absl::string_view target,
    bool link_route = false);

// No API key or ticket is longer ("ssk_" and 81 characters); longer
// credentials are refused before a backend sees them. Forwarded, they would
// count against the rate limit of a key hidden in their padding, or exceed
// gRPC's metadata limit and come back as if the backend were overloaded.
inline constexpr size_t kMaxCredentialBytes = 1024;

struct CredentialRefusal {
  int http_status;  // 431 for a header, 400 for a query parameter
  std::string message;
};

// A refusal for the first credential longer than kMaxCredentialBytes, of
// those AuthorizationFor reads (the ticket on any route); nullopt when none
// is.
std::optional<CredentialRefusal> OversizedCredential(
    std::optional<absl::string_view> authorization_header,
    std::optional<absl::string_view> api_key_header, absl::string_view target);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_CREDENTIALS_H_
