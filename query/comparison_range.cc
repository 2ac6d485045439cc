#include "query/comparison_range.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace shopstream {
namespace {

// The same UTC wall time a calendar year earlier; a day the earlier year
// lacks (February 29) becomes the month's last.
int64_t YearEarlier(int64_t micros) {
  const absl::Time t = absl::FromUnixMicros(micros);
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond s = absl::ToCivilSecond(t, utc);
  const absl::CivilMonth month(s.year() - 1, s.month());
  const absl::CivilDay last_day = absl::CivilDay(month + 1) - 1;
  const int day = std::min<int>(s.day(), last_day.day());
  const absl::CivilSecond earlier(s.year() - 1, s.month(), day, s.hour(),
                                  s.minute(), s.second());
  const absl::Duration below_second =
      t - absl::FromCivil(absl::CivilSecond(s), utc);
  return absl::ToUnixMicros(absl::FromCivil(earlier, utc) + below_second);
}

}  // namespace

absl::StatusOr<std::optional<MicrosRange>> ComparisonRange(
    const MicrosRange& asked, v1::Compare compare,
    const google::protobuf::Timestamp* compare_from,
    const google::protobuf::Timestamp* compare_to) {
  const bool chosen = compare_from != nullptr || compare_to != nullptr;
  if (compare == v1::COMPARE_UNSPECIFIED && !chosen) return std::nullopt;
  if (compare != v1::COMPARE_UNSPECIFIED && compare != v1::PREVIOUS_PERIOD &&
      compare != v1::PREVIOUS_YEAR) {
    return absl::InvalidArgumentError(
        absl::StrCat("compare: unknown value ", static_cast<int>(compare)));
  }
  const char* why = chosen ? "compare_from and compare_to" : "compare";
  if (!asked.from) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: required with ", why));
  }
  if (!asked.to) {
    return absl::InvalidArgumentError(absl::StrCat("to: required with ", why));
  }
  if (chosen) {
    if (compare_from == nullptr) {
      return absl::InvalidArgumentError(
          "compare_from: required with compare_to");
    }
    if (compare_to == nullptr) {
      return absl::InvalidArgumentError(
          "compare_to: required with compare_from");
    }
    // Each end checked as CheckScope checks from and to, then named as
    // asked.
    auto lo = CheckScope("", false, compare_from, nullptr);
    if (!lo.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("compare_", lo.status().message()));
    }
    auto hi = CheckScope("", false, nullptr, compare_to);
    if (!hi.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("compare_", hi.status().message()));
    }
    if (*hi->to < *lo->from) {
      return absl::InvalidArgumentError(
          "compare_to: must not be before compare_from");
    }
    const MicrosRange range{lo->from, hi->to};
    return std::optional<MicrosRange>(range);
  }
  if (compare == v1::PREVIOUS_PERIOD) {
    const int64_t length = *asked.to - *asked.from;
    return std::optional<MicrosRange>(
        MicrosRange{*asked.from - length, *asked.from});
  }
  return std::optional<MicrosRange>(
      MicrosRange{YearEarlier(*asked.from), YearEarlier(*asked.to)});
}

}  // namespace shopstream
