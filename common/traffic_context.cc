#include "common/traffic_context.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace shopstream {
namespace {

// Printable ASCII without spaces: what a URL or host may hold as sent.
bool IsUrlText(absl::string_view text) {
  for (char c : text) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

absl::Status TooLong(absl::string_view field, size_t limit, size_t got) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": at most ", limit, " bytes (got ", got, ")"));
}

// Whether `text` starts with "scheme://".
bool IsUrl(absl::string_view text) {
  const size_t scheme = text.find("://");
  return scheme != absl::string_view::npos && scheme > 0 &&
         text.substr(0, scheme).find_first_of("/?#") == absl::string_view::npos;
}

// The part of a URL after "scheme://authority" (empty when there is none).
absl::string_view PathOfUrl(absl::string_view url) {
  const absl::string_view rest = url.substr(url.find("://") + 3);
  const size_t path = rest.find_first_of("/?#");
  return path == absl::string_view::npos ? absl::string_view()
                                         : rest.substr(path);
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

}  // namespace

absl::StatusOr<std::string> NormalizePage(absl::string_view page) {
  if (page.empty()) return std::string();
  if (!IsUrlText(page)) {
    return absl::InvalidArgumentError(
        "page: a path or URL in printable ASCII (percent-encode the rest)");
  }
  const bool url = IsUrl(page);
  absl::string_view rest = url ? PathOfUrl(page) : page;
  rest = rest.substr(0, rest.find('#'));
  if (!url && (rest.empty() || rest.front() != '/')) {
    return absl::InvalidArgumentError(
        "page: a path starting with '/', or a URL");
  }
  const size_t query = rest.find('?');
  // A URL's path may be empty ("https://shop.example?utm_source=x"): it is
  // the root.
  std::string normalized(rest.substr(0, query));
  if (normalized.empty()) normalized = "/";
  if (query != absl::string_view::npos) {
    std::vector<absl::string_view> kept;
    for (absl::string_view parameter :
         absl::StrSplit(rest.substr(query + 1), '&', absl::SkipEmpty())) {
      if (absl::StartsWith(parameter, "utm_")) kept.push_back(parameter);
    }
    if (!kept.empty())
      absl::StrAppend(&normalized, "?", absl::StrJoin(kept, "&"));
  }
  if (normalized.size() > kMaxPageBytes) {
    return TooLong("page", kMaxPageBytes, normalized.size());
  }
  return normalized;
}

absl::StatusOr<std::string> ReferrerHost(absl::string_view referrer) {
  if (referrer.empty()) return std::string();
  if (!IsUrlText(referrer)) {
    return absl::InvalidArgumentError(
        "referrer: a URL or host name in printable ASCII");
  }
  absl::string_view host = referrer;
  if (const size_t scheme = host.find("://");
      scheme != absl::string_view::npos) {
    host = host.substr(scheme + 3);
  }
  host = host.substr(0, host.find_first_of("/?#"));
  if (const size_t user = host.rfind('@'); user != absl::string_view::npos) {
    host = host.substr(user + 1);
  }
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);  // an IPv6 literal
  } else {
    host = host.substr(0, host.find(':'));
  }
  std::string lower = absl::AsciiStrToLower(host);
  if (lower.empty()) {
    return absl::InvalidArgumentError("referrer: no host in it");
  }
  if (absl::Status s = CheckStoredHost(lower); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("referrer: ", s.message()));
  }
  return lower;
}

absl::StatusOr<std::string> DeviceClassOf(int64_t screen_width) {
  if (screen_width <= 0 || screen_width > 100000) {
    return absl::InvalidArgumentError(
        "screen_width: CSS pixels, from 1 to 100000");
  }
  if (screen_width < 768) return std::string("mobile");
  if (screen_width < 1024) return std::string("tablet");
  return std::string("desktop");
}

absl::Status CheckStoredPage(absl::string_view page) {
  if (page.empty()) return absl::OkStatus();
  if (page.size() > kMaxPageBytes) {
    return TooLong("page", kMaxPageBytes, page.size());
  }
  if (page.front() != '/' || !IsUrlText(page) ||
      page.find('#') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "page: a path starting with '/', without a fragment");
  }
  return absl::OkStatus();
}

absl::Status CheckStoredHost(absl::string_view host) {
  if (host.empty()) return absl::OkStatus();
  if (host.size() > kMaxHostBytes) {
    return TooLong("referrer_host", kMaxHostBytes, host.size());
  }
  for (char c : host) {
    const bool ok = absl::ascii_islower(static_cast<unsigned char>(c)) ||
                    absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                    c == '.' || c == '-' || c == '_' || c == '[' || c == ']' ||
                    c == ':';
    if (!ok) {
      return absl::InvalidArgumentError(
          "referrer_host: a lower-case host name");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDeviceClass(absl::string_view device_class) {
  if (device_class.empty() || device_class == "mobile" ||
      device_class == "tablet" || device_class == "desktop") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "device_class: one of mobile, tablet, desktop");
}

absl::Status CheckName(absl::string_view field, absl::string_view name) {
  if (name.empty() || name.size() > kMaxEventNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": 1 to ", kMaxEventNameBytes, " bytes"));
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": letters, digits, '_', '-', '.' and ':' only"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckProperties(
    const google::protobuf::Map<std::string, std::string>& properties) {
  if (properties.size() > kMaxProperties) {
    return absl::InvalidArgumentError(absl::StrCat("properties: at most ",
                                                   kMaxProperties, " (got ",
                                                   properties.size(), ")"));
  }
  for (const auto& [name, value] : properties) {
    if (absl::Status s = CheckName("properties", name); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(s.message(), " in names (\"",
                       absl::CHexEscape(name.substr(0, 64)), "\")"));
    }
    const std::string field = absl::StrCat("properties.", name);
    if (value.size() > kMaxPropertyValueBytes) {
      return TooLong(field, kMaxPropertyValueBytes, value.size());
    }
    if (value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must not contain NUL characters"));
    }
  }
  return absl::OkStatus();
}

}  // namespace shopstream
