#include "query/time_buckets.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

int64_t Micros(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMicros(t);
}

std::vector<std::pair<int64_t, int64_t>> Pieces(const RangePlan& plan,
                                                Source s) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const Segment& seg : plan.segments(s))
    out.emplace_back(seg.begin, seg.end);
  return out;
}

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

TEST(RangePlanTest, UsesTheCoarsestRollupThatFitsAndRawAtTheEdges) {
  const int64_t day0 = 20000 * kDay;
  const int64_t from = day0 + 30'000'000;
  const int64_t to = day0 + 2 * kDay + kHour + 30'000'000;
  RangePlan plan({true, true, true, true, false});
  plan.Add(from, to, 0);
  EXPECT_THAT(Pieces(plan, Source::kDay),
              ElementsAre(std::pair(day0 + kDay, day0 + 2 * kDay)));
  EXPECT_THAT(Pieces(plan, Source::kHour),
              ElementsAre(std::pair(day0 + kHour, day0 + kDay),
                          std::pair(day0 + 2 * kDay, day0 + 2 * kDay + kHour)));
  EXPECT_THAT(Pieces(plan, Source::kMinute),
              ElementsAre(std::pair(day0 + kMinute, day0 + kHour)));
  EXPECT_THAT(Pieces(plan, Source::kRaw),
              ElementsAre(std::pair(from, day0 + kMinute),
                          std::pair(day0 + 2 * kDay + kHour, to)));
}

TEST(RangePlanTest, SkipsRollupsThatAreNotAllowed) {
  const int64_t day0 = 20000 * kDay;
  RangePlan plan({true, false, false, true, false});
  plan.Add(day0 + kHour, day0 + 2 * kDay, 0);
  EXPECT_THAT(Pieces(plan, Source::kDay),
              ElementsAre(std::pair(day0 + kDay, day0 + 2 * kDay)));
  EXPECT_THAT(Pieces(plan, Source::kRaw),
              ElementsAre(std::pair(day0 + kHour, day0 + kDay)));
  EXPECT_TRUE(plan.segments(Source::kHour).empty());
}

TEST(RangePlanTest, WeeksStartOnMondayAndDaysFillTheEdges) {
  // 2025-10-01 is a Wednesday; whole weeks begin Monday 2025-10-06.
  const int64_t from = Micros("2025-10-01T06:00:00Z");
  const int64_t to = Micros("2025-10-23T00:00:00Z");
  RangePlan plan({true, false, false, true, true});
  plan.Add(from, to, 0);
  EXPECT_THAT(Pieces(plan, Source::kWeek),
              ElementsAre(std::pair(Micros("2025-10-06T00:00:00Z"),
                                    Micros("2025-10-20T00:00:00Z"))));
  EXPECT_THAT(Pieces(plan, Source::kDay),
              ElementsAre(std::pair(Micros("2025-10-02T00:00:00Z"),
                                    Micros("2025-10-06T00:00:00Z")),
                          std::pair(Micros("2025-10-20T00:00:00Z"), to)));
  EXPECT_THAT(Pieces(plan, Source::kRaw),
              ElementsAre(std::pair(from, Micros("2025-10-02T00:00:00Z"))));
}

TEST(RangePlanTest, WeeksBeforeTheEpochStartOnMondayToo) {
  // 1969-12-29 is a Monday.
  RangePlan plan({true, false, false, true, true});
  plan.Add(Micros("1969-12-29T00:00:00Z"), Micros("1970-01-05T00:00:00Z"), 0);
  EXPECT_THAT(Pieces(plan, Source::kWeek),
              ElementsAre(std::pair(Micros("1969-12-29T00:00:00Z"),
                                    Micros("1970-01-05T00:00:00Z"))));
  EXPECT_TRUE(plan.segments(Source::kDay).empty());
}

TEST(RangePlanTest, MergesAdjacentRollupPiecesAcrossBuckets) {
  RangePlan plan({true, true, true, true, false});
  for (int i = 0; i < 3; ++i) plan.Add(i * kHour, (i + 1) * kHour, i);
  EXPECT_THAT(Pieces(plan, Source::kHour),
              ElementsAre(std::pair(int64_t{0}, 3 * kHour)));
}

TEST(RangePlanTest, HandlesTimesBeforeTheEpoch) {
  RangePlan plan({true, true, false, false, false});
  plan.Add(-kMinute - 5, kMinute + 5, 0);
  EXPECT_THAT(Pieces(plan, Source::kMinute),
              ElementsAre(std::pair(-kMinute, kMinute)));
  EXPECT_THAT(Pieces(plan, Source::kRaw),
              ElementsAre(std::pair(-kMinute - 5, -kMinute),
                          std::pair(kMinute, kMinute + 5)));
}

TEST(BucketEdgesTest, UtcHoursStartAtTheHourBeforeFrom) {
  auto edges = BucketEdges(Micros("2025-10-02T10:30:00Z"),
                           Micros("2025-10-02T12:00:00Z"), v1::HOUR,
                           absl::UTCTimeZone(), 100);
  ASSERT_TRUE(edges.ok()) << edges.status();
  EXPECT_THAT(*edges, ElementsAre(Micros("2025-10-02T10:00:00Z"),
                                  Micros("2025-10-02T11:00:00Z"),
                                  Micros("2025-10-02T12:00:00Z")));
}

TEST(BucketEdgesTest, ParisDaysAre23And25HoursLongAtDaylightSavingChanges) {
  const absl::TimeZone paris = Zone("Europe/Paris");
  auto spring =
      BucketEdges(Micros("2025-03-30T12:00:00Z"),
                  Micros("2025-03-30T13:00:00Z"), v1::DAY, paris, 100);
  ASSERT_TRUE(spring.ok());
  EXPECT_THAT(*spring, ElementsAre(Micros("2025-03-29T23:00:00Z"),
                                   Micros("2025-03-30T22:00:00Z")));
  auto autumn =
      BucketEdges(Micros("2025-10-26T12:00:00Z"),
                  Micros("2025-10-26T13:00:00Z"), v1::DAY, paris, 100);
  ASSERT_TRUE(autumn.ok());
  EXPECT_THAT(*autumn, ElementsAre(Micros("2025-10-25T22:00:00Z"),
                                   Micros("2025-10-26T23:00:00Z")));
}

TEST(BucketEdgesTest, ARepeatedLocalHourIsTwoBuckets) {
  // 02:00-03:00 happens twice in Paris on 2025-10-26.
  auto edges = BucketEdges(Micros("2025-10-25T23:30:00Z"),
                           Micros("2025-10-26T02:00:00Z"), v1::HOUR,
                           Zone("Europe/Paris"), 100);
  ASSERT_TRUE(edges.ok());
  EXPECT_THAT(*edges, ElementsAre(Micros("2025-10-25T23:00:00Z"),
                                  Micros("2025-10-26T00:00:00Z"),
                                  Micros("2025-10-26T01:00:00Z"),
                                  Micros("2025-10-26T02:00:00Z")));
}

TEST(BucketEdgesTest, HalfHourOffsetsMoveHourEdges) {
  auto edges = BucketEdges(Micros("2025-10-02T10:00:00Z"),
                           Micros("2025-10-02T11:00:00Z"), v1::HOUR,
                           Zone("Asia/Kolkata"), 100);
  ASSERT_TRUE(edges.ok());
  EXPECT_THAT(*edges, ElementsAre(Micros("2025-10-02T09:30:00Z"),
                                  Micros("2025-10-02T10:30:00Z"),
                                  Micros("2025-10-02T11:30:00Z")));
}

TEST(BucketEdgesTest, RefusesTooManyBuckets) {
  auto edges =
      BucketEdges(0, 1000 * kMinute, v1::MINUTE, absl::UTCTimeZone(), 999);
  EXPECT_EQ(edges.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      BucketEdges(0, 1000 * kMinute, v1::MINUTE, absl::UTCTimeZone(), 1000)
          .ok());
}

}  // namespace
}  // namespace shopstream
