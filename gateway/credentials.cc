#include "gateway/credentials.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/path_template.h"

namespace shopstream::gateway {
namespace {

// The value of query parameter `name` of `target`, percent-decoded.
std::optional<std::string> QueryParameter(absl::string_view target,
                                          absl::string_view name) {
  const size_t query_start = target.find('?');
  if (query_start == absl::string_view::npos) return std::nullopt;
  for (absl::string_view parameter :
       absl::StrSplit(target.substr(query_start + 1), '&', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> key_and_value =
        absl::StrSplit(parameter, absl::MaxSplits('=', 1));
    if (PercentDecode(key_and_value.first, true) == name) {
      return PercentDecode(key_and_value.second, true);
    }
  }
  return std::nullopt;
}

std::string TooLong(absl::string_view name) {
  return absl::StrCat(name, ": longer than ", kMaxCredentialBytes,
                      " bytes, which no API key is");
}

}  // namespace

bool IsLinkRoute(const Route& route) {
  return route.http_method == "GET" &&
         (route.server_streaming || route.http_body_response);
}

std::optional<CredentialRefusal> OversizedCredential(
    std::optional<absl::string_view> authorization_header,
    std::optional<absl::string_view> api_key_header, absl::string_view target) {
  if (authorization_header.has_value() &&
      authorization_header->size() > kMaxCredentialBytes) {
    return CredentialRefusal{431, TooLong("Authorization")};
  }
  if (api_key_header.has_value() &&
      api_key_header->size() > kMaxCredentialBytes) {
    return CredentialRefusal{431, TooLong("X-API-Key")};
  }
  for (const char* name : {kApiKeyQueryParameter, kLinkTicketQueryParameter}) {
    if (std::optional<std::string> value = QueryParameter(target, name);
        value.has_value() && value->size() > kMaxCredentialBytes) {
      return CredentialRefusal{400, TooLong(name)};
    }
  }
  return std::nullopt;
}

std::optional<std::string> AuthorizationFor(
    std::optional<absl::string_view> authorization_header,
    std::optional<absl::string_view> api_key_header, absl::string_view target,
    bool link_route) {
  if (authorization_header.has_value()) {
    return std::string(*authorization_header);
  }
  if (api_key_header.has_value()) {
    return absl::StrCat("Bearer ", *api_key_header);
  }
  if (std::optional<std::string> key =
          QueryParameter(target, kApiKeyQueryParameter)) {
    return absl::StrCat("Bearer ", *key);
  }
  if (!link_route) return std::nullopt;
  if (std::optional<std::string> ticket =
          QueryParameter(target, kLinkTicketQueryParameter)) {
    return absl::StrCat("Ticket ", *ticket);
  }
  return std::nullopt;
}

}  // namespace shopstream::gateway
