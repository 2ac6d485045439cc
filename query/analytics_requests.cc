#include "query/analytics_requests.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/event_validator.h"
#include "query/time_buckets.h"

namespace shopstream {
namespace {

// The range google.protobuf.Timestamp allows: years 0001 to 9999.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

absl::StatusOr<int64_t> MicrosOf(const google::protobuf::Timestamp& ts,
                                 const char* field) {
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid timestamp"));
  }
  return CeilMicros(absl::FromUnixSeconds(ts.seconds()) +
                    absl::Nanoseconds(ts.nanos()));
}

absl::Status CheckId(const std::string& value, const char* field) {
  return CheckTextField(field, value, kMaxIdBytes);
}

// Abseil remembers every name it was asked to load, found or not, for the
// life of the process, so unknown names would grow the query service
// without bound. Only a name that an IANA zone file carries is passed on;
// that also keeps out Abseil's "libc:" and fixed-offset spellings.
bool IsZoneFileName(const std::string& name) {
  if (name == "UTC") return true;  // built in, also without tzdata
  // "localtime" is the server's own zone, which replicas need not share.
  if (name.empty() || name.size() > 64 || name.front() == '/' ||
      absl::StrContains(name, "..") || name == "localtime") {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '/' && c != '_' && c != '+' &&
        c != '-') {
      return false;
    }
  }
  const char* dir = std::getenv("TZDIR");
  std::error_code error;
  return std::filesystem::is_regular_file(
      std::filesystem::path(
          dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") /
          name,
      error);
}

std::optional<std::string> NullIfEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace

absl::StatusOr<MicrosRange> CheckScope(const std::string& shop_id,
                                       bool required,
                                       const google::protobuf::Timestamp* from,
                                       const google::protobuf::Timestamp* to) {
  if (required && shop_id.empty()) {
    return absl::InvalidArgumentError("shop_id: required");
  }
  if (absl::Status s = CheckTextField("shop_id", shop_id, kMaxShopIdBytes);
      !s.ok()) {
    return s;
  }
  MicrosRange range;
  if (from != nullptr) {
    auto micros = MicrosOf(*from, "from");
    if (!micros.ok()) return micros.status();
    range.from = *micros;
  }
  if (to != nullptr) {
    auto micros = MicrosOf(*to, "to");
    if (!micros.ok()) return micros.status();
    range.to = *micros;
  }
  if (range.from && range.to && *range.to < *range.from) {
    return absl::InvalidArgumentError("to: must not be before from");
  }
  return range;
}

absl::StatusOr<TimeSeriesQuery> CheckTimeSeries(
    const v1::GetTimeSeriesRequest& r) {
  if (!r.has_from()) return absl::InvalidArgumentError("from: required");
  if (!r.has_to()) return absl::InvalidArgumentError("to: required");
  TimeSeriesQuery q;
  auto range = CheckScope(r.shop_id(), true, &r.from(), &r.to());
  if (!range.ok()) return range.status();
  q.range = *range;
  if (*q.range.to == *q.range.from) {
    return absl::InvalidArgumentError("to: must be after from");
  }
  switch (r.bucket()) {
    case v1::BUCKET_SIZE_UNSPECIFIED:
    case v1::HOUR:
      q.bucket = v1::HOUR;
      break;
    case v1::MINUTE:
    case v1::DAY:
      q.bucket = r.bucket();
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("bucket: unknown value ", r.bucket()));
  }
  q.zone_name = r.time_zone().empty() ? "UTC" : r.time_zone();
  if (!IsZoneFileName(q.zone_name) ||
      !absl::LoadTimeZone(q.zone_name, &q.zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time_zone: unknown time zone \"", absl::CEscape(q.zone_name), "\""));
  }
  return q;
}

absl::StatusOr<TopProductsQuery> CheckTopProducts(
    const v1::GetTopProductsRequest& r) {
  TopProductsQuery q;
  auto range = CheckScope(r.shop_id(), true, r.has_from() ? &r.from() : nullptr,
                          r.has_to() ? &r.to() : nullptr);
  if (!range.ok()) return range.status();
  q.range = *range;
  switch (r.order_by()) {
    case v1::PRODUCT_METRIC_UNSPECIFIED:
      q.order_by = v1::PAGE_VIEWS;
      break;
    case v1::PAGE_VIEWS:
    case v1::ADD_TO_CARTS:
    case v1::PURCHASES:
    case v1::REVENUE:
      q.order_by = r.order_by();
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("order_by: unknown value ", r.order_by()));
  }
  if (r.limit() < 0 || r.limit() > 1000) {
    return absl::InvalidArgumentError("limit: must be between 1 and 1000");
  }
  q.limit = r.limit() == 0 ? 10 : r.limit();
  return q;
}

std::string EncodeCursor(const EventCursor& cursor) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("1:", cursor.occurred_at_micros, ":", cursor.event_id));
}

absl::StatusOr<EventCursor> DecodeCursor(const std::string& token) {
  std::string text;
  const absl::Status malformed =
      absl::InvalidArgumentError("page_token: malformed");
  if (!absl::WebSafeBase64Unescape(token, &text)) return malformed;
  std::vector<std::string> parts =
      absl::StrSplit(text, absl::MaxSplits(':', 2));
  EventCursor cursor;
  if (parts.size() != 3 || parts[0] != "1" ||
      !absl::SimpleAtoi(parts[1], &cursor.occurred_at_micros) ||
      cursor.occurred_at_micros < kMinSeconds * 1000000 ||
      cursor.occurred_at_micros > kMaxSeconds * 1000000 + 999999 ||
      parts[2].size() > kMaxIdBytes ||
      parts[2].find('\0') != std::string::npos) {
    return malformed;
  }
  cursor.event_id = parts[2];
  return cursor;
}

absl::StatusOr<ListEventsQuery> CheckListEvents(
    const v1::ListEventsRequest& r) {
  ListEventsQuery q;
  auto range = CheckScope(r.shop_id(), true, r.has_from() ? &r.from() : nullptr,
                          r.has_to() ? &r.to() : nullptr);
  if (!range.ok()) return range.status();
  q.range = *range;
  if (!r.event_type().empty()) {
    for (int type = 1; type <= 4; ++type) {
      if (r.event_type() == EventTypeName(type)) q.event_type = type;
    }
    if (!q.event_type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event_type: unknown value \"", absl::CEscape(r.event_type()),
          "\" (page_view, add_to_cart, purchase or custom)"));
    }
  }
  if (absl::Status s = CheckId(r.product_id(), "product_id"); !s.ok()) return s;
  if (absl::Status s = CheckId(r.session_id(), "session_id"); !s.ok()) return s;
  q.product_id = NullIfEmpty(r.product_id());
  q.session_id = NullIfEmpty(r.session_id());
  if (r.page_size() < 0 || r.page_size() > 1000) {
    return absl::InvalidArgumentError("page_size: must be between 1 and 1000");
  }
  q.page_size = r.page_size() == 0 ? 100 : r.page_size();
  if (!r.page_token().empty()) {
    auto cursor = DecodeCursor(r.page_token());
    if (!cursor.ok()) return cursor.status();
    q.after = *cursor;
  }
  return q;
}

const char* EventTypeName(int event_type) {
  switch (event_type) {
    case 1:
      return "page_view";
    case 2:
      return "add_to_cart";
    case 3:
      return "purchase";
    case 4:
      return "custom";
    default:
      return "";
  }
}

}  // namespace shopstream
