#include "query/analytics_comparison.h"

#include "gtest/gtest.h"

namespace shopstream {
namespace {

int64_t MicrosAt(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMicros(t);
}

google::protobuf::Timestamp Ts(const std::string& rfc3339) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(MicrosAt(rfc3339) / 1000000);
  return ts;
}

std::string FieldOf(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message().substr(0, status.message().find(':')));
}

const MicrosRange kOctober = {MicrosAt("2025-10-01T00:00:00Z"),
                              MicrosAt("2025-11-01T00:00:00Z")};

TEST(ComparedRangeTest, NoneAskedIsNone) {
  auto range = ComparedRange({}, kOctober, absl::UTCTimeZone());
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_FALSE(range->has_value());
  // Not even of an open range.
  range = ComparedRange({}, MicrosRange{}, absl::UTCTimeZone());
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_FALSE(range->has_value());
}

TEST(ComparedRangeTest, PreviousPeriodEndsWhereTheAskedStarts) {
  auto range = ComparedRange({.compare = v1::PREVIOUS_PERIOD}, kOctober,
                             absl::UTCTimeZone());
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_TRUE(range->has_value());
  EXPECT_EQ((*range)->from, MicrosAt("2025-08-31T00:00:00Z"));
  EXPECT_EQ((*range)->to, MicrosAt("2025-10-01T00:00:00Z"));
}

TEST(ComparedRangeTest, PreviousYearIsTheCalendarYearBeforeInTheZone) {
  auto range = ComparedRange({.compare = v1::PREVIOUS_YEAR}, kOctober,
                             absl::UTCTimeZone());
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ((*range)->from, MicrosAt("2024-10-01T00:00:00Z"));
  EXPECT_EQ((*range)->to, MicrosAt("2024-11-01T00:00:00Z"));
  // Paris midnights: summer time on 1 July both years, but 2024 is a leap
  // year, so a fixed 365 days would land a day off.
  absl::TimeZone paris;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &paris));
  const MicrosRange march = {MicrosAt("2024-03-01T00:00:00+01:00"),
                             MicrosAt("2024-04-01T00:00:00+02:00")};
  range = ComparedRange({.compare = v1::PREVIOUS_YEAR}, march, paris);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ((*range)->from, MicrosAt("2023-03-01T00:00:00+01:00"));
  EXPECT_EQ((*range)->to, MicrosAt("2023-04-01T00:00:00+02:00"));
}

TEST(ComparedRangeTest, ChosenRangeIsTakenAsItIs) {
  const google::protobuf::Timestamp from = Ts("2025-01-05T10:00:00Z");
  const google::protobuf::Timestamp to = Ts("2025-01-07T00:00:00Z");
  auto range =
      ComparedRange({.from = &from, .to = &to}, kOctober, absl::UTCTimeZone());
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ((*range)->from, MicrosAt("2025-01-05T10:00:00Z"));
  EXPECT_EQ((*range)->to, MicrosAt("2025-01-07T00:00:00Z"));
}

TEST(ComparedRangeTest, BadParametersNameTheirField) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const google::protobuf::Timestamp from = Ts("2025-01-05T10:00:00Z");
  const google::protobuf::Timestamp to = Ts("2025-01-07T00:00:00Z");
  EXPECT_EQ(FieldOf(ComparedRange({.from = &from}, kOctober, utc).status()),
            "compare_to");
  EXPECT_EQ(FieldOf(ComparedRange({.to = &to}, kOctober, utc).status()),
            "compare_from");
  EXPECT_EQ(
      FieldOf(
          ComparedRange({.from = &to, .to = &from}, kOctober, utc).status()),
      "compare_to");
  google::protobuf::Timestamp bad = from;
  bad.set_nanos(-1);
  EXPECT_EQ(
      FieldOf(ComparedRange({.from = &bad, .to = &to}, kOctober, utc).status()),
      "compare_from");
  EXPECT_EQ(
      FieldOf(ComparedRange(
                  {.compare = v1::PREVIOUS_YEAR, .from = &from, .to = &to},
                  kOctober, utc)
                  .status()),
      "compare");
  EXPECT_EQ(FieldOf(ComparedRange({.compare = static_cast<v1::Compare>(9)},
                                  kOctober, utc)
                        .status()),
            "compare");
  EXPECT_EQ(FieldOf(ComparedRange({.compare = v1::PREVIOUS_PERIOD},
                                  MicrosRange{.to = kOctober.to}, utc)
                        .status()),
            "from");
  EXPECT_EQ(FieldOf(ComparedRange({.compare = v1::PREVIOUS_PERIOD},
                                  MicrosRange{.from = kOctober.from}, utc)
                        .status()),
            "to");
  EXPECT_EQ(FieldOf(ComparedRange({.from = &from, .to = &to},
                                  MicrosRange{.from = kOctober.from}, utc)
                        .status()),
            "to");
  // Before the year 1 there is no Timestamp to answer with.
  const MicrosRange early = {MicrosAt("0001-06-01T00:00:00Z"),
                             MicrosAt("0002-01-01T00:00:00Z")};
  EXPECT_EQ(
      FieldOf(
          ComparedRange({.compare = v1::PREVIOUS_YEAR}, early, utc).status()),
      "compare");
}

}  // namespace
}  // namespace shopstream
