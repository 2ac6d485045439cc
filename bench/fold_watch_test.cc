#include "bench/fold_watch.h"

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::bench {
namespace {

const absl::Time kAcked = absl::FromUnixSeconds(1'000'000);

TEST(FoldLagTrackerTest, AnEventIsFoldedOnceTheWatermarkPassesItsAppend) {
  FoldLagTracker tracker;
  tracker.Add(100, kAcked);
  tracker.Add(105, kAcked + absl::Milliseconds(10));
  // The watermark is the first transaction not folded: 100 is not passed.
  tracker.Observe(100, kAcked + absl::Milliseconds(50));
  EXPECT_EQ(tracker.lag_us().count(), 0);
  EXPECT_TRUE(tracker.pending());

  tracker.Observe(101, kAcked + absl::Milliseconds(200));
  ASSERT_EQ(tracker.lag_us().count(), 1);
  EXPECT_EQ(tracker.lag_us().max(), 200'000);
  EXPECT_TRUE(tracker.pending());

  tracker.Observe(300, kAcked + absl::Milliseconds(510));
  ASSERT_EQ(tracker.lag_us().count(), 2);
  EXPECT_EQ(tracker.lag_us().max(), 500'000);
  EXPECT_FALSE(tracker.pending());
  EXPECT_EQ(tracker.not_folded(), 0);
}

TEST(FoldLagTrackerTest, EventsNeverFoldedCountWithTheTimeTheyWaited) {
  FoldLagTracker tracker;
  tracker.Add(7, kAcked);
  tracker.Add(8, kAcked);
  tracker.Observe(8, kAcked + absl::Seconds(1));
  tracker.GiveUp(kAcked + absl::Seconds(10));
  EXPECT_EQ(tracker.not_folded(), 1);
  EXPECT_EQ(tracker.lag_us().count(), 2);
  EXPECT_EQ(tracker.lag_us().ValueAtPercentile(100), 10'000'000);
  EXPECT_FALSE(tracker.pending());
}

// Against a real schema and the real folder.
class FoldWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("SELECT create_event_partition('2025-10-01 00:00:00+00')");
    tx.commit();
  }

  // Appends one event as the processor does.
  void Append(const std::string& id) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec_params0(
        "INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " VALUES ('shop', $1, '2025-10-02 10:30:00+00')",
        id);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " append_xid) VALUES ('shop', $1, 1, '2025-10-02 10:30:00+00',"
        " pg_current_xact_id()::text::bigint)",
        id);
    tx.commit();
  }

  void Fold() {
    rollups::RollupFolder folder({.conninfo = db_.conninfo()});
    absl::StatusOr<rollups::FoldResult> fold = folder.FoldOnce();
    ASSERT_TRUE(fold.ok()) << fold.status();
    ASSERT_TRUE(fold->leader);
  }

  TestDatabase db_;
};

TEST_F(FoldWatchTest, FollowsAnAppendUntilTheFolderHasIt) {
  FoldWatch watch(db_.conninfo());
  Append("e1");
  absl::StatusOr<int64_t> xid = watch.AppendXid("shop", "e1");
  ASSERT_TRUE(xid.ok()) << xid.status();
  absl::StatusOr<int64_t> next = watch.NextTransactionId();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GT(*next, *xid);
  absl::StatusOr<int64_t> before = watch.Watermark();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_LE(*before, *xid);
  // No folder runs: the wait gives up.
  EXPECT_EQ(
      watch.WaitForWatermark(*next, absl::Milliseconds(30)).status().code(),
      absl::StatusCode::kDeadlineExceeded);

  Fold();
  absl::StatusOr<int64_t> after = watch.Watermark();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GT(*after, *xid);
  EXPECT_TRUE(watch.WaitForWatermark(*next, absl::Seconds(5)).ok());
}

TEST_F(FoldWatchTest, AnEventNotStoredHasNoAppend) {
  FoldWatch watch(db_.conninfo());
  EXPECT_EQ(watch.AppendXid("shop", "never").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace shopstream::bench
