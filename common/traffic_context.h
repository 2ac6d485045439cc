#ifndef SHOPSTREAM_COMMON_TRAFFIC_CONTEXT_H_
#define SHOPSTREAM_COMMON_TRAFFIC_CONTEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"

// What an event keeps of where it happened (page, referrer, campaign,
// device) and of a custom event's name and properties: the rules and
// limits, shared by ingest (which normalises what clients send) and the
// processor (which checks the stored form again). Errors name the field.
namespace shopstream {

inline constexpr size_t kMaxPageBytes = 1000;
inline constexpr size_t kMaxHostBytes = 253;
inline constexpr size_t kMaxUtmBytes = 200;
inline constexpr size_t kMaxFamilyBytes = 64;
inline constexpr size_t kMaxEventNameBytes = 64;
inline constexpr size_t kMaxPropertyValueBytes = 200;
inline constexpr int kMaxProperties = 20;

// A page as stored: its path and, of its query string, only the utm_*
// parameters, in their order and encoding; no fragment. `page` may be a
// path ("/cart?x=1&utm_source=news#top") or a whole URL
// ("https://shop.example/cart?..."). Empty stays empty.
absl::StatusOr<std::string> NormalizePage(absl::string_view page);

// The host of a referrer, lower case, without port or user: from a URL
// ("https://www.google.com/search?q=x") or a bare host ("google.com").
// Empty stays empty.
absl::StatusOr<std::string> ReferrerHost(absl::string_view referrer);

// "mobile" below 768 CSS pixels, "tablet" below 1024, else "desktop";
// INVALID_ARGUMENT for widths no screen has.
absl::StatusOr<std::string> DeviceClassOf(int64_t screen_width);

// Whether a stored event's context holds to the rules above (the processor
// trusts no sender to have normalised it).
absl::Status CheckStoredPage(absl::string_view page);
absl::Status CheckStoredHost(absl::string_view host);
absl::Status CheckDeviceClass(absl::string_view device_class);

// A custom event's name, and property names: 1 to 64 bytes of letters,
// digits, '_', '-', '.' and ':'. The error names `field`.
absl::Status CheckName(absl::string_view field, absl::string_view name);

// At most kMaxProperties, names as CheckName, values at most
// kMaxPropertyValueBytes with no NUL.
absl::Status CheckProperties(
    const google::protobuf::Map<std::string, std::string>& properties);

// gRPC metadata of a call from a shop's page (the gateway's
// browser_collect routes): the page's Origin and User-Agent headers.
inline constexpr char kCollectOriginMetadata[] = "x-shopstream-origin";
inline constexpr char kCollectUserAgentMetadata[] = "x-shopstream-user-agent";

// The browser and operating system families of a User-Agent. The classes
// that parse one live elsewhere; events without one keep both empty.
class UserAgentClassifier {
 public:
  struct Families {
    std::string browser;
    std::string os;
  };
  virtual ~UserAgentClassifier() = default;
  virtual Families Classify(absl::string_view user_agent) const = 0;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_TRAFFIC_CONTEXT_H_
