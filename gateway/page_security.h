#ifndef SHOPSTREAM_GATEWAY_PAGE_SECURITY_H_
#define SHOPSTREAM_GATEWAY_PAGE_SECURITY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shopstream::gateway {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The headers every file of the dashboard goes out with (beside StaticFiles'
// nosniff), so that a browser runs only the dashboard's own scripts and
// styles (no inline code, no eval), lets it connect only to this gateway
// and to `api_origins` (the other gateways the page may be pointed at with
// ?api=), never shows it in a frame and never sends a Referer from it.
// INVALID_ARGUMENT when an origin is not "scheme://host[:port]" with an
// http or https scheme.
absl::StatusOr<HeaderList> DashboardSecurityHeaders(
    const std::vector<std::string>& api_origins);

// "https://Host:8443/" -> "https://host:8443"; INVALID_ARGUMENT for
// anything that is not an http(s) origin.
absl::StatusOr<std::string> NormalizeOrigin(absl::string_view origin);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_PAGE_SECURITY_H_
