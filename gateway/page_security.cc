#include "gateway/page_security.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace shopstream::gateway {
namespace {

// Host names and IPv4 addresses; an IPv6 literal comes in brackets.
bool IsHost(absl::string_view host) {
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]") || host.empty()) return false;
    for (char c : host) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  if (host.empty() || host.front() == '.' || host.front() == '-') return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NormalizeOrigin(absl::string_view origin) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", origin,
                     "\" is not an origin (http://host[:port] or "
                     "https://host[:port])"));
  };
  std::string lower = absl::AsciiStrToLower(origin);
  absl::string_view rest = lower;
  absl::ConsumeSuffix(&rest, "/");
  absl::string_view scheme;
  if (absl::ConsumePrefix(&rest, "http://")) {
    scheme = "http://";
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    scheme = "https://";
  } else {
    return invalid();
  }
  absl::string_view host = rest;
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && rest.find(']', colon) == rest.npos) {
    host = rest.substr(0, colon);
    const absl::string_view port = rest.substr(colon + 1);
    int number = 0;
    if (port.empty() || port.size() > 5 ||
        !absl::c_all_of(port, absl::ascii_isdigit) ||
        !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return invalid();
    }
  }
  if (!IsHost(host)) return invalid();
  return absl::StrCat(scheme, rest);
}

absl::StatusOr<HeaderList> DashboardSecurityHeaders(
    const std::vector<std::string>& api_origins) {
  std::vector<std::string> connect = {"'self'"};
  for (const std::string& origin : api_origins) {
    absl::StatusOr<std::string> normalized = NormalizeOrigin(origin);
    if (!normalized.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dashboard_api_origins: ", normalized.status().message()));
    }
    connect.push_back(*std::move(normalized));
  }
  // data: for the page's empty favicon; 'self' for everything Vite builds.
  const std::string policy = absl::StrCat(
      "default-src 'self'; script-src 'self'; style-src 'self'; "
      "img-src 'self' data:; connect-src ",
      absl::StrJoin(connect, " "),
      "; object-src 'none'; base-uri 'none'; form-action 'self'; "
      "frame-ancestors 'none'");
  return HeaderList{{"Content-Security-Policy", policy},
                    {"Referrer-Policy", "no-referrer"}};
}

}  // namespace shopstream::gateway
