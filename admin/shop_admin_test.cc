#include "admin/shop_admin.h"

#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/event_partitions.h"
#include "rollups/rollup_folder.h"
#include "rollups/rollup_schema.h"
#include "rollups/rollup_verifier.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::admin {
namespace {

using ::testing::HasSubstr;

absl::Time Day(int year, int month, int day) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

// Two shops with page views on 2025-10-01 and 2025-10-20, all folded.
class ShopAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    Exec("SELECT create_event_partition('2025-10-01 00:00:00+00')");
    for (const char* shop : {"kept-short", "kept-long"}) {
      AppendView(shop, "old", "2025-10-01 12:00:00+00");
      AppendView(shop, "new", "2025-10-20 12:00:00+00");
    }
    Fold();
  }

  void Exec(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }
  void AppendView(const std::string& shop, const std::string& id,
                  const std::string& at) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec_params0(
        "INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " VALUES ($1, $2, $3)",
        shop, id, at);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, append_xid) VALUES ($1, $2, 1, $3, 'p1',"
        " 's-' || $2, pg_current_xact_id()::text::bigint)",
        shop, id, at);
    tx.commit();
  }
  // Until nothing is left to fold: a transaction of another test's
  // database can hold a fold's bound back for a round.
  void Fold() {
    rollups::RollupFolder folder({.conninfo = db_.conninfo()});
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      absl::StatusOr<rollups::FoldResult> r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
      if (!r->more && Unfolded() == 0) return;
      ASSERT_LT(absl::Now(), deadline) << "events left unfolded";
      if (!r->more) absl::SleepFor(absl::Milliseconds(20));
    }
  }
  int64_t Unfolded() {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    return tx
        .exec1(absl::StrCat("SELECT count(*) FROM events e WHERE NOT (",
                            rollups::kFoldedCondition, ")"))[0]
        .as<int64_t>();
  }

  int64_t Scalar(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  int Run(const std::string& noun, const std::string& verb,
          const ShopCommandOptions& options) {
    out_.str("");
    err_.str("");
    return admin_.Run({noun, verb}, options, out_, err_);
  }

  TestDatabase db_;
  ShopAdmin admin_{db_.conninfo()};
  std::ostringstream out_, err_;
};

TEST_F(ShopAdminTest, RetentionPerShopDeletesOnlyThatShopsOldRawEvents) {
  ASSERT_EQ(
      Run("shops", "set", {.shop = "kept-short", .raw_retention_days = 10}), 0)
      << err_.str();
  absl::StatusOr<int64_t> deleted = ApplyShopRawRetention(
      db_.conninfo(), absl::FromCivil(absl::CivilSecond(2025, 10, 25, 6, 0, 0),
                                      absl::UTCTimeZone()));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE shop_id = 'kept-short'"
                   " AND event_id = 'old'"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 3);
  // The rollups still count the deleted event.
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_totals"
                   " WHERE shop_id = 'kept-short'"),
            2);
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_day_rollup"
                   " WHERE shop_id = 'kept-short'"
                   " AND bucket_start = '2025-10-01'"),
            1);

  ASSERT_EQ(Run("shops", "list", {}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "shop\traw_retention_days\traw_events_kept_from\n"
            "kept-short\t10\t2025-10-15T00:00:00Z\n");

  // Verify and rebuild refuse the days retention took.
  absl::StatusOr<rollups::VerifyReport> report =
      rollups::RollupVerifier(db_.conninfo())
          .Verify("kept-short", Day(2025, 10, 1), std::nullopt);
  EXPECT_FALSE(report.ok());
  report = rollups::RollupVerifier(db_.conninfo())
               .Verify("kept-short", Day(2025, 10, 15), std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());
}

TEST_F(ShopAdminTest, EventsNotFoldedYetWaitForTheNextRound) {
  AppendView("kept-short", "late-old", "2025-10-02 12:00:00+00");
  ASSERT_EQ(
      Run("shops", "set", {.shop = "kept-short", .raw_retention_days = 10}), 0);
  const absl::Time now = absl::FromCivil(
      absl::CivilSecond(2025, 10, 25, 6, 0, 0), absl::UTCTimeZone());
  ASSERT_EQ(ApplyShopRawRetention(db_.conninfo(), now).value_or(-1), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE event_id = 'late-old'"),
            1);
  Fold();
  ASSERT_EQ(ApplyShopRawRetention(db_.conninfo(), now).value_or(-1), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE event_id = 'late-old'"),
            0);
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_totals"
                   " WHERE shop_id = 'kept-short'"),
            3);
}

TEST_F(ShopAdminTest, ZeroTakesTheShopsRetentionAwayAndTheHorizonStays) {
  ASSERT_EQ(
      Run("shops", "set", {.shop = "kept-short", .raw_retention_days = 10}), 0);
  ASSERT_TRUE(ApplyShopRawRetention(
                  db_.conninfo(),
                  absl::FromCivil(absl::CivilSecond(2025, 10, 25, 6, 0, 0),
                                  absl::UTCTimeZone()))
                  .ok());
  ASSERT_EQ(
      Run("shops", "set", {.shop = "kept-short", .raw_retention_days = 0}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("no retention of its own"));
  ASSERT_EQ(Run("shops", "list", {}), 0);
  EXPECT_EQ(out_.str(),
            "shop\traw_retention_days\traw_events_kept_from\n"
            "kept-short\t-\t2025-10-15T00:00:00Z\n");
  // Without a setting nothing more goes, however late it is.
  EXPECT_EQ(ApplyShopRawRetention(
                db_.conninfo(),
                absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0),
                                absl::UTCTimeZone()))
                .value_or(-1),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 3);
}

TEST_F(ShopAdminTest, BadUsageNamesTheFlagAndChangesNothing) {
  EXPECT_EQ(Run("shops", "set", {.raw_retention_days = 10}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--shop is required"));
  EXPECT_EQ(Run("shops", "set", {.shop = "kept-short"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--raw_retention_days"));
  EXPECT_EQ(
      Run("shops", "set", {.shop = "kept-short", .raw_retention_days = -1}), 2);
  EXPECT_EQ(Run("sessions", "erase", {.shop = "kept-short"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--session"));
  EXPECT_EQ(Run("shops", "drop", {.shop = "kept-short"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("usage:"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_settings"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 4);
}

TEST_F(ShopAdminTest, EraseDeletesOneSessionAndSaysHowMuch) {
  ASSERT_EQ(Run("sessions", "erase", {.shop = "kept-long", .session = "s-old"}),
            0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("1 raw events"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE session_id = 's-old'"),
            1);  // the other shop's session of the same name stays
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_totals"
                   " WHERE shop_id = 'kept-long'"),
            1);
}

}  // namespace
}  // namespace shopstream::admin
