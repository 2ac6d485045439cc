#include "processor/event_partitions.h"

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/batch_writer.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

int64_t Micros(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMicros(t);
}

internal::v1::StoredEvent Event(const std::string& id, const std::string& at) {
  internal::v1::StoredEvent e;
  e.set_shop_id("s");
  e.set_event_id(id);
  e.set_event_type(internal::v1::PAGE_VIEW);
  e.set_occurred_at_micros(Micros(at));
  return e;
}

int64_t Count(const std::string& conninfo, const std::string& sql) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  return tx.exec1(sql)[0].as<int64_t>();
}

TEST(EventPartitionsTest, MonthStartsAreUtc) {
  EXPECT_EQ(MonthStartMicros(Micros("2025-03-31T23:59:59.999999Z")),
            Micros("2025-03-01T00:00:00Z"));
  EXPECT_EQ(MonthStartMicros(Micros("1969-12-15T00:00:00Z")),
            Micros("1969-12-01T00:00:00Z"));
}

TEST(EventPartitionsTest,
     RetentionDropsOldMonthsKeepsRollupsAndRefusesLateEvents) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  BatchWriter writer(db.conninfo());
  const auto jan = Event("jan", "2025-01-31T23:59:59Z");
  const auto mar = Event("mar", "2025-03-01T00:00:00Z");
  ASSERT_TRUE(writer.Write({&jan, &mar}).ok());
  EXPECT_EQ(Count(db.conninfo(),
                  "SELECT count(*) FROM pg_inherits WHERE inhparent = "
                  "'events'::regclass"),
            2);
  // Retention drops only months whose events the rollups hold.
  ASSERT_TRUE(
      rollups::RollupFolder({.conninfo = db.conninfo()}).FoldOnce().ok());

  // Keep 30 days from 2025-03-15: February 13 lies in February, so
  // January goes and February on stays.
  ASSERT_TRUE(ApplyRawEventRetention(
                  db.conninfo(),
                  absl::FromUnixMicros(Micros("2025-03-15T00:00:00Z")),
                  absl::Hours(24 * 30))
                  .ok());
  EXPECT_EQ(Count(db.conninfo(), "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(Count(db.conninfo(), "SELECT count(*) FROM event_keys"), 1);
  EXPECT_EQ(Count(db.conninfo(), "SELECT page_views FROM shop_totals"), 2);
  EXPECT_EQ(Count(db.conninfo(), "SELECT sum(page_views) FROM shop_day_rollup"),
            2);

  // A late January event is refused, whether a retry or new; rollups do
  // not move.
  BatchWriter late_writer(db.conninfo());
  const auto late = Event("late", "2025-01-10T00:00:00Z");
  EXPECT_EQ(late_writer.Write({&late}).status(),
            absl::InvalidArgumentError("timestamp: the raw events of 2025-01 "
                                       "are no longer kept (raw event "
                                       "retention)"));
  // A writer that made January's partition before hears PostgreSQL first,
  // then asks again.
  EXPECT_EQ(writer.Write({&jan}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(writer.Write({&jan}).status().message()),
              ::testing::StartsWith("timestamp: the raw events of 2025-01"));
  EXPECT_EQ(Count(db.conninfo(), "SELECT page_views FROM shop_totals"), 2);
  // Kept months still deduplicate.
  auto again = writer.Write({&mar});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)[0]);
  const auto feb = Event("feb", "2025-02-01T00:00:00Z");
  auto fresh = writer.Write({&feb});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE((*fresh)[0]);
  ASSERT_TRUE(
      rollups::RollupFolder({.conninfo = db.conninfo()}).FoldOnce().ok());
  EXPECT_EQ(Count(db.conninfo(), "SELECT page_views FROM shop_totals"), 3);
}

}  // namespace
}  // namespace shopstream
