#include "common/event_validator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace shopstream {
namespace {

using internal::v1::EventType;
using internal::v1::StoredEvent;

// Largest amount whose cents still fit a double exactly with room to spare.
constexpr double kMaxAmount = 1e13;

// "3650 days", "1 day", "90 minutes".
std::string DurationText(absl::Duration d) {
  const auto in = [](int64_t n, absl::string_view unit) {
    return absl::StrCat(n, " ", unit, n == 1 ? "" : "s");
  };
  if (d >= absl::Hours(24) && d % absl::Hours(24) == absl::ZeroDuration()) {
    return in(d / absl::Hours(24), "day");
  }
  if (d >= absl::Hours(1) && d % absl::Hours(1) == absl::ZeroDuration()) {
    return in(d / absl::Hours(1), "hour");
  }
  return in(absl::ToInt64Minutes(d), "minute");
}

absl::StatusOr<EventType> ParseEventTypeName(const std::string& name) {
  if (name == "page_view") return internal::v1::PAGE_VIEW;
  if (name == "add_to_cart") return internal::v1::ADD_TO_CART;
  if (name == "purchase") return internal::v1::PURCHASE;
  if (name == "custom") return internal::v1::CUSTOM;
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "event_type: required, one of page_view, add_to_cart, purchase, "
        "custom");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "event_type: unknown value \"", absl::CEscape(name.substr(0, 64)),
      "\", expected one of page_view, add_to_cart, purchase, custom"));
}

}  // namespace

absl::StatusOr<internal::v1::EventType> EventTypeOf(const v1::Event& event) {
  // A name without a type is a custom event, as the tracker sends one.
  if (event.event_type().empty() && !event.name().empty()) {
    return internal::v1::CUSTOM;
  }
  return ParseEventTypeName(event.event_type());
}

absl::Status CheckTextField(absl::string_view field, const std::string& value,
                            size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": at most ", max_bytes, " bytes (got ", value.size(), ")"));
  }
  if (value.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must not contain NUL characters"));
  }
  return absl::OkStatus();
}

std::string NewEventId(absl::Time now) {
  // UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random
  // bits. Ids made close in time sort close together, so the primary key
  // index grows at its right edge instead of taking random page writes.
  thread_local absl::BitGen random;
  const uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(now));
  const uint64_t high =
      (millis << 16) | 0x7000 | absl::Uniform<uint64_t>(random, 0, 1 << 12);
  const uint64_t low =
      (absl::Uniform<uint64_t>(random) & 0x3fffffffffffffffULL) |
      0x8000000000000000ULL;  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff),
                static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return std::string(text, 36);
}

absl::StatusOr<int64_t> AmountToCents(double amount) {
  if (!std::isfinite(amount)) {
    return absl::InvalidArgumentError("order_amount: must be a finite number");
  }
  if (amount < 0) {
    return absl::InvalidArgumentError("order_amount: must be >= 0");
  }
  if (amount > kMaxAmount) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_amount: at most ", kMaxAmount));
  }
  const double cents = std::round(amount * 100.0);
  // A two-decimal amount from JSON arrives as the double nearest
  // cents / 100, which is what the division gives back (cents is exact
  // below 2^53); one a gRPC client summed in doubles (19.99 + 5.01) lies a
  // few units in the last place beside it. Anything farther had more
  // decimals, however large the amount: a tolerance relative to the amount
  // rounded $20,000.123 to $20,000.12 without a word.
  const double ulp = std::nextafter(amount, kMaxAmount * 2) - amount;
  if (std::fabs(amount - cents / 100.0) > 4 * ulp) {
    return absl::InvalidArgumentError("order_amount: at most 2 decimal places");
  }
  return static_cast<int64_t>(cents);
}

namespace {

// Years 0001 to 9999, the range RFC 3339 can write.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

// The stored form's context and custom fields.
absl::Status CheckStoredContext(const StoredEvent& event) {
  if (auto s = CheckStoredPage(event.page()); !s.ok()) return s;
  if (auto s = CheckStoredHost(event.referrer_host()); !s.ok()) return s;
  for (const auto& [field, value, limit] :
       {std::tuple<const char*, const std::string*, size_t>{
            "utm_source", &event.utm_source(), kMaxUtmBytes},
        {"utm_medium", &event.utm_medium(), kMaxUtmBytes},
        {"utm_campaign", &event.utm_campaign(), kMaxUtmBytes},
        {"browser", &event.browser(), kMaxFamilyBytes},
        {"os", &event.os(), kMaxFamilyBytes}}) {
    if (auto s = CheckTextField(field, *value, limit); !s.ok()) return s;
  }
  if (auto s = CheckDeviceClass(event.device_class()); !s.ok()) return s;
  if (event.event_type() == internal::v1::CUSTOM) {
    if (auto s = CheckName("event_name", event.event_name()); !s.ok()) {
      return s;
    }
    return CheckProperties(event.properties());
  }
  if (!event.event_name().empty() || !event.properties().empty()) {
    return absl::InvalidArgumentError(
        "event_name: only custom events have a name and properties");
  }
  return absl::OkStatus();
}

absl::Status CheckIds(const StoredEvent& event) {
  if (auto s = CheckTextField("event_id", event.event_id(), kMaxIdBytes);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckTextField("shop_id", event.shop_id(), kMaxShopIdBytes);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckTextField("product_id", event.product_id(), kMaxIdBytes);
      !s.ok()) {
    return s;
  }
  return CheckTextField("session_id", event.session_id(), kMaxIdBytes);
}

}  // namespace

absl::Status EventValidator::CheckOccurredAt(int64_t micros,
                                             absl::Time now) const {
  if (micros < kMinSeconds * 1000000 ||
      micros > kMaxSeconds * 1000000 + 999999) {
    return absl::InvalidArgumentError("timestamp: outside years 0001 to 9999");
  }
  const absl::Time occurred = absl::FromUnixMicros(micros);
  if (occurred > now + window_.max_ahead) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timestamp: more than ", DurationText(window_.max_ahead),
        " ahead of the server's clock (",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone()), ")"));
  }
  if (occurred < now - window_.max_age) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp: more than ", DurationText(window_.max_age),
                     " in the past"));
  }
  return absl::OkStatus();
}

absl::Status EventValidator::TakeContext(const v1::Event& event,
                                         StoredEvent& stored) const {
  absl::StatusOr<std::string> page = NormalizePage(event.page());
  if (!page.ok()) return page.status();
  stored.set_page(*std::move(page));
  absl::StatusOr<std::string> host = ReferrerHost(event.referrer());
  if (!host.ok()) return host.status();
  stored.set_referrer_host(*std::move(host));
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{
                                         "utm_source", &event.utm_source()},
                                     {"utm_medium", &event.utm_medium()},
                                     {"utm_campaign", &event.utm_campaign()}}) {
    if (auto s = CheckTextField(field, *value, kMaxUtmBytes); !s.ok()) {
      return s;
    }
  }
  stored.set_utm_source(event.utm_source());
  stored.set_utm_medium(event.utm_medium());
  stored.set_utm_campaign(event.utm_campaign());
  if (event.has_screen_width()) {
    absl::StatusOr<std::string> device = DeviceClassOf(event.screen_width());
    if (!device.ok()) return device.status();
    stored.set_device_class(*std::move(device));
  }
  if (classifier_ != nullptr && !event.user_agent().empty()) {
    UserAgentClassifier::Families families =
        classifier_->Classify(event.user_agent());
    families.browser.resize(std::min(families.browser.size(), kMaxFamilyBytes));
    families.os.resize(std::min(families.os.size(), kMaxFamilyBytes));
    stored.set_browser(std::move(families.browser));
    stored.set_os(std::move(families.os));
  }
  if (stored.event_type() == internal::v1::CUSTOM) {
    if (auto s = CheckName("name", event.name()); !s.ok()) return s;
    if (auto s = CheckProperties(event.properties()); !s.ok()) return s;
    stored.set_event_name(event.name());
    *stored.mutable_properties() = event.properties();
  } else if (!event.name().empty()) {
    return absl::InvalidArgumentError(
        "name: only custom events (event_type \"custom\") have one");
  } else if (!event.properties().empty()) {
    return absl::InvalidArgumentError(
        "properties: only custom events (event_type \"custom\") carry them");
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredEvent> EventValidator::Validate(const v1::Event& event,
                                                     absl::Time now) const {
  StoredEvent stored;

  auto type = EventTypeOf(event);
  if (!type.ok()) return type.status();
  stored.set_event_type(*type);

  if (!event.has_timestamp()) {
    return absl::InvalidArgumentError(
        "timestamp: required, an RFC 3339 time such as "
        "2025-10-02T10:30:00Z");
  }
  const auto& ts = event.timestamp();
  // Checked before the conversion to microseconds, which could overflow.
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError("timestamp: outside years 0001 to 9999");
  }
  stored.set_occurred_at_micros(ts.seconds() * 1000000 + ts.nanos() / 1000);
  if (auto s = CheckOccurredAt(stored.occurred_at_micros(), now); !s.ok()) {
    return s;
  }

  stored.set_event_id(event.event_id().empty() ? NewEventId(now)
                                               : event.event_id());
  stored.set_shop_id(event.shop_id().empty() ? kDefaultShopId
                                             : event.shop_id());
  stored.set_product_id(event.product_id());
  stored.set_session_id(event.session_id());
  if (auto s = CheckIds(stored); !s.ok()) return s;
  if (auto s = TakeContext(event, stored); !s.ok()) return s;

  if (*type == internal::v1::PURCHASE) {
    if (!event.has_order_amount()) {
      return absl::InvalidArgumentError(
          "order_amount: required for purchase events");
    }
    auto cents = AmountToCents(event.order_amount());
    if (!cents.ok()) return cents.status();
    stored.set_order_amount_cents(*cents);
  }
  // An amount on other event types means nothing to any metric; it is
  // dropped rather than refused, as the case study did.
  return stored;
}

absl::Status EventValidator::Check(const StoredEvent& event,
                                   absl::Time now) const {
  switch (event.event_type()) {
    case internal::v1::PAGE_VIEW:
    case internal::v1::ADD_TO_CART:
    case internal::v1::PURCHASE:
    case internal::v1::CUSTOM:
      break;
    default:
      return absl::InvalidArgumentError(
          "event_type: required, one of page_view, add_to_cart, purchase, "
          "custom");
  }
  if (auto s = CheckOccurredAt(event.occurred_at_micros(), now); !s.ok()) {
    return s;
  }
  // Ingest fills these in when a client leaves them out.
  if (event.event_id().empty()) {
    return absl::InvalidArgumentError("event_id: required");
  }
  if (event.shop_id().empty()) {
    return absl::InvalidArgumentError("shop_id: required");
  }
  if (auto s = CheckIds(event); !s.ok()) return s;
  if (auto s = CheckStoredContext(event); !s.ok()) return s;
  if (event.event_type() != internal::v1::PURCHASE) {
    if (event.has_order_amount_cents()) {
      return absl::InvalidArgumentError(
          "order_amount_cents: only purchase events carry an amount");
    }
    return absl::OkStatus();
  }
  if (!event.has_order_amount_cents()) {
    return absl::InvalidArgumentError(
        "order_amount_cents: required for purchase events");
  }
  if (event.order_amount_cents() < 0) {
    return absl::InvalidArgumentError("order_amount_cents: must be >= 0");
  }
  if (event.order_amount_cents() > static_cast<int64_t>(kMaxAmount * 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_amount_cents: at most ",
                     static_cast<int64_t>(kMaxAmount * 100)));
  }
  return absl::OkStatus();
}

}  // namespace shopstream
