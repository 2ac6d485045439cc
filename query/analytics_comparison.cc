#include "query/analytics_comparison.h"

#include "absl/strings/str_cat.h"

namespace shopstream {
namespace {

// 0001-01-01T00:00:00Z, the earliest instant a Timestamp holds.
constexpr int64_t kFirstMicros = -62135596800 * int64_t{1000000};

// The same local wall time one year earlier; February 29th becomes March
// 1st, as civil time normalizes it.
int64_t YearEarlier(int64_t micros, const absl::TimeZone& zone) {
  const absl::Time t = absl::FromUnixMicros(micros);
  const absl::TimeZone::CivilInfo local = zone.At(t);
  const absl::CivilSecond s = local.cs;
  const absl::CivilSecond earlier(s.year() - 1, s.month(), s.day(), s.hour(),
                                  s.minute(), s.second());
  return absl::ToUnixMicros(absl::FromCivil(earlier, zone) + local.subsecond);
}

}  // namespace

absl::Status ForComparison(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  const absl::string_view message = status.message();
  if (message.rfind("from:", 0) == 0 || message.rfind("to:", 0) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("compare_", message));
  }
  return status;
}

absl::StatusOr<std::optional<MicrosRange>> ComparedRange(
    const CompareParameters& parameters, const MicrosRange& asked,
    const absl::TimeZone& zone) {
  const bool chosen = parameters.from != nullptr || parameters.to != nullptr;
  switch (parameters.compare) {
    case v1::COMPARE_UNSPECIFIED:
    case v1::PREVIOUS_PERIOD:
    case v1::PREVIOUS_YEAR:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("compare: unknown value ", parameters.compare));
  }
  if (parameters.compare == v1::COMPARE_UNSPECIFIED && !chosen) {
    return std::nullopt;
  }
  if (parameters.compare != v1::COMPARE_UNSPECIFIED && chosen) {
    return absl::InvalidArgumentError(
        "compare: either compare or compare_from and compare_to, not both");
  }
  if (chosen && parameters.from == nullptr) {
    return absl::InvalidArgumentError("compare_from: required with compare_to");
  }
  if (chosen && parameters.to == nullptr) {
    return absl::InvalidArgumentError("compare_to: required with compare_from");
  }
  if (!asked.from) {
    return absl::InvalidArgumentError(
        "from: required to compare (a comparison needs a bounded range)");
  }
  if (!asked.to) {
    return absl::InvalidArgumentError(
        "to: required to compare (a comparison needs a bounded range)");
  }
  if (chosen) {
    // The same checks as the asked range's, under their own names.
    auto range = CheckScope("", false, parameters.from, parameters.to);
    if (!range.ok()) {
      std::string message(range.status().message());
      if (message.rfind("from:", 0) == 0) {
        message = absl::StrCat("compare_", message);
      } else if (message.rfind("to: must not be before from", 0) == 0) {
        message = "compare_to: must not be before compare_from";
      } else if (message.rfind("to:", 0) == 0) {
        message = absl::StrCat("compare_", message);
      }
      return absl::InvalidArgumentError(message);
    }
    return *range;
  }
  MicrosRange compared;
  if (parameters.compare == v1::PREVIOUS_PERIOD) {
    compared = {*asked.from - (*asked.to - *asked.from), *asked.from};
  } else {
    compared = {YearEarlier(*asked.from, zone), YearEarlier(*asked.to, zone)};
  }
  if (*compared.from < kFirstMicros) {
    return absl::InvalidArgumentError(
        "compare: the compared range would start before the year 1");
  }
  return compared;
}

}  // namespace shopstream
