#ifndef SHOPSTREAM_GATEWAY_CREDENTIALS_H_
#define SHOPSTREAM_GATEWAY_CREDENTIALS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace shopstream::gateway {

// Query parameter that may carry the API key where a client cannot set
// headers: EventSource and download links. It never reaches the request
// message.
inline constexpr char kApiKeyQueryParameter[] = "key";

// The "authorization" metadata value a request's credentials become, from
// the first of: an Authorization header (passed as is), an X-API-Key header,
// or the `key` query parameter of `target` (both as "Bearer <key>"). None:
// nullopt, and the backend answers 401.
std::optional<std::string> AuthorizationFor(
    std::optional<absl::string_view> authorization_header,
    std::optional<absl::string_view> api_key_header, absl::string_view target);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_CREDENTIALS_H_
