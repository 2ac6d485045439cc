#include "query/comparison_range.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

int64_t Micros(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMicros(t);
}

google::protobuf::Timestamp Ts(const char* rfc3339) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(Micros(rfc3339) / 1000000);
  return ts;
}

MicrosRange Range(const char* from, const char* to) {
  return {Micros(from), Micros(to)};
}

TEST(ComparisonRangeTest, NoneUnlessAsked) {
  auto none =
      ComparisonRange(MicrosRange{}, v1::COMPARE_UNSPECIFIED, nullptr, nullptr);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
}

TEST(ComparisonRangeTest, PreviousPeriodEndsWhereTheRangeStarts) {
  auto r =
      ComparisonRange(Range("2025-10-02T00:00:00Z", "2025-10-05T12:00:00Z"),
                      v1::PREVIOUS_PERIOD, nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(*(*r)->from, Micros("2025-09-28T12:00:00Z"));
  EXPECT_EQ(*(*r)->to, Micros("2025-10-02T00:00:00Z"));
}

TEST(ComparisonRangeTest, PreviousYearIsTheSameCalendarRange) {
  auto r =
      ComparisonRange(Range("2024-02-29T10:00:00Z", "2024-03-31T00:00:00Z"),
                      v1::PREVIOUS_YEAR, nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  // 2023 has no February 29.
  EXPECT_EQ(*(*r)->from, Micros("2023-02-28T10:00:00Z"));
  EXPECT_EQ(*(*r)->to, Micros("2023-03-31T00:00:00Z"));
}

TEST(ComparisonRangeTest, AChosenRangeWins) {
  const google::protobuf::Timestamp from = Ts("2025-01-01T00:00:00Z");
  const google::protobuf::Timestamp to = Ts("2025-01-08T00:00:00Z");
  auto r =
      ComparisonRange(Range("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
                      v1::PREVIOUS_YEAR, &from, &to);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*(*r)->from, Micros("2025-01-01T00:00:00Z"));
  EXPECT_EQ(*(*r)->to, Micros("2025-01-08T00:00:00Z"));
}

TEST(ComparisonRangeTest, RefusesNamingTheField) {
  const google::protobuf::Timestamp at = Ts("2025-01-01T00:00:00Z");
  const google::protobuf::Timestamp before = Ts("2024-01-01T00:00:00Z");
  const MicrosRange open_end{Micros("2025-10-02T00:00:00Z"), std::nullopt};
  const MicrosRange open_start{std::nullopt, Micros("2025-10-02T00:00:00Z")};
  const MicrosRange bounded =
      Range("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z");
  google::protobuf::Timestamp invalid;
  invalid.set_nanos(-1);
  struct Case {
    MicrosRange asked;
    v1::Compare compare;
    const google::protobuf::Timestamp* from;
    const google::protobuf::Timestamp* to;
    const char* message;
  } cases[] = {
      {open_end, v1::PREVIOUS_PERIOD, nullptr, nullptr, "to: required"},
      {open_start, v1::PREVIOUS_YEAR, nullptr, nullptr, "from: required"},
      {open_end, v1::COMPARE_UNSPECIFIED, &at, &at, "to: required"},
      {bounded, v1::COMPARE_UNSPECIFIED, &at, nullptr, "compare_to: required"},
      {bounded, v1::COMPARE_UNSPECIFIED, nullptr, &at,
       "compare_from: required"},
      {bounded, v1::COMPARE_UNSPECIFIED, &at, &before,
       "compare_to: must not be before compare_from"},
      {bounded, v1::COMPARE_UNSPECIFIED, &invalid, &at,
       "compare_from: not a valid timestamp"},
      {bounded, static_cast<v1::Compare>(7), nullptr, nullptr,
       "compare: unknown value 7"},
  };
  for (const Case& c : cases) {
    auto r = ComparisonRange(c.asked, c.compare, c.from, c.to);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace shopstream
