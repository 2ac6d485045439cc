#include "rollups/rollup_verifier.h"

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::rollups {
namespace {

using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

absl::Time Day(int year, int month, int day) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

class RollupVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    Exec(
        "SELECT create_event_partition('2025-10-01 00:00:00+00');"
        " SELECT create_event_partition('2025-11-01 00:00:00+00')");
  }

  void Exec(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }

  // One committed append, as the processor makes it.
  void Append(const std::string& shop, const std::string& id, int type,
              const std::string& at, const char* product, const char* session,
              std::optional<int64_t> cents = std::nullopt) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec_params0(
        "INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " VALUES ($1, $2, $3)",
        shop, id, at);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, order_amount_cents, append_xid)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " pg_current_xact_id()::text::bigint)",
        shop, id, type, at,
        product == nullptr ? std::optional<std::string>()
                           : std::string(product),
        session == nullptr ? std::optional<std::string>()
                           : std::string(session),
        cents);
    tx.commit();
  }

  void AppendHistory() {
    Append("shop", "1", 1, "2025-10-02 10:30:00+00", "p1", "s1");
    Append("shop", "2", 2, "2025-10-02 10:31:00+00", "p1", "s1");
    Append("shop", "3", 3, "2025-10-02 23:59:59+00", "p1", "s1", 9999);
    Append("shop", "4", 1, "2025-10-08 08:00:00+00", "p2", "s2");
    Append("shop", "5", 3, "2025-11-03 12:00:00+00", "p2", nullptr, 150);
    Append("other", "1", 1, "2025-10-02 10:30:00+00", "p1", "s9");
  }

  void FoldAll() {
    FolderOptions options;
    options.conninfo = db_.conninfo();
    RollupFolder folder(options);
    absl::StatusOr<FoldResult> r;
    do {
      r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
    } while (r->more);
  }

  TestDatabase db_;
  RollupVerifier verifier_{db_.conninfo()};
};

TEST_F(RollupVerifierTest, FoldedRollupsMatchTheirEvents) {
  AppendHistory();
  FoldAll();
  absl::StatusOr<VerifyReport> report =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());
  EXPECT_TRUE(report->whole_history);
  EXPECT_EQ(report->from, Day(2025, 10, 2));
  EXPECT_EQ(report->to, Day(2025, 11, 4));
}

TEST_F(RollupVerifierTest, TheTailIsNotADifference) {
  AppendHistory();
  FoldAll();
  Append("shop", "late", 1, "2025-10-02 11:00:00+00", "p9", "s7");
  absl::StatusOr<VerifyReport> report =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());
}

TEST_F(RollupVerifierTest, FindsAndRepairsDamage) {
  AppendHistory();
  FoldAll();
  Exec(
      "UPDATE shop_day_rollup SET page_views = page_views + 5"
      " WHERE shop_id = 'shop';"
      " DELETE FROM shop_minute_rollup WHERE shop_id = 'shop'"
      " AND bucket_start = '2025-10-02 10:31:00+00';"
      " DELETE FROM shop_session_days WHERE shop_id = 'shop';"
      " UPDATE product_week_rollup SET revenue_cents = 1 WHERE shop_id = "
      "'shop';"
      " UPDATE shop_totals SET sessions = 7 WHERE shop_id = 'shop';"
      " DELETE FROM shop_sessions WHERE shop_id = 'shop' AND session_id = "
      "'s2'");
  absl::StatusOr<VerifyReport> found =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(found.ok()) << found.status();
  std::vector<std::string> tables;
  for (const TableDifference& d : found->differences) tables.push_back(d.table);
  EXPECT_THAT(tables,
              UnorderedElementsAre("shop_minute_rollup", "shop_day_rollup",
                                   "shop_session_days", "product_week_rollup",
                                   "shop_sessions", "shop_totals"));
  for (const TableDifference& d : found->differences) {
    if (d.table == "shop_minute_rollup") {
      EXPECT_EQ(d.missing, 1);
      EXPECT_EQ(d.unexpected, 0);
    }
  }
  // Another shop's rollups are not its concern.
  absl::StatusOr<VerifyReport> other =
      verifier_.Verify("other", std::nullopt, std::nullopt);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->ok());

  absl::StatusOr<VerifyReport> rebuilt =
      verifier_.Rebuild("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->differences.size(), found->differences.size());
  absl::StatusOr<VerifyReport> after =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->ok());

  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  const pqxx::row totals = tx.exec1(
      "SELECT page_views, sessions, revenue_cents::bigint, top_product_id"
      " FROM shop_totals WHERE shop_id = 'shop'");
  EXPECT_EQ(totals[0].as<int64_t>(), 2);
  EXPECT_EQ(totals[1].as<int64_t>(), 2);
  EXPECT_EQ(totals[2].as<int64_t>(), 10149);
  EXPECT_EQ(totals[3].as<std::string>(), "p1");
}

TEST_F(RollupVerifierTest, ARangeRepairsOnlyItsDays) {
  AppendHistory();
  FoldAll();
  Exec(
      "UPDATE shop_day_rollup SET page_views = 100 WHERE shop_id = 'shop';"
      " UPDATE shop_totals SET page_views = 300 WHERE shop_id = 'shop'");
  absl::StatusOr<VerifyReport> rebuilt =
      verifier_.Rebuild("shop", Day(2025, 10, 1), Day(2025, 10, 3));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_FALSE(rebuilt->whole_history);
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  // 2025-10-02 is repaired (1 view); the days outside the range are not
  // checked against raw events, and the totals follow the day rollup.
  EXPECT_EQ(tx.exec1("SELECT page_views FROM shop_day_rollup WHERE shop_id ="
                     " 'shop' AND bucket_start = '2025-10-02'")[0]
                .as<int64_t>(),
            1);
  EXPECT_EQ(tx.exec1("SELECT page_views FROM shop_day_rollup WHERE shop_id ="
                     " 'shop' AND bucket_start = '2025-10-08'")[0]
                .as<int64_t>(),
            100);
  EXPECT_EQ(tx.exec1("SELECT page_views FROM shop_totals"
                     " WHERE shop_id = 'shop'")[0]
                .as<int64_t>(),
            101 + 100);
}

TEST_F(RollupVerifierTest, RangesAreWholeDaysOfKeptEvents) {
  AppendHistory();
  FoldAll();
  absl::StatusOr<VerifyReport> partial =
      verifier_.Verify("shop", Day(2025, 10, 2) + absl::Hours(3), std::nullopt);
  EXPECT_EQ(partial.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(partial.status().message(), HasSubstr("from: must be a whole"));
  absl::StatusOr<VerifyReport> reversed =
      verifier_.Verify("shop", Day(2025, 10, 5), Day(2025, 10, 2));
  EXPECT_THAT(reversed.status().message(), HasSubstr("to:"));

  // Retention dropped October's raw events.
  Exec(
      "UPDATE event_retention SET horizon = '2025-11-01 00:00:00+00';"
      " DROP TABLE events_202510");
  absl::StatusOr<VerifyReport> dropped =
      verifier_.Verify("shop", Day(2025, 10, 1), std::nullopt);
  EXPECT_EQ(dropped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dropped.status().message(),
              HasSubstr("from: raw events before 2025-11-01"));
  // Without a range, only what is kept is checked, and October's rollups
  // are left alone even by a rebuild.
  absl::StatusOr<VerifyReport> kept =
      verifier_.Rebuild("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->whole_history);
  EXPECT_EQ(kept->from, Day(2025, 11, 3));
  EXPECT_TRUE(kept->ok());
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT sum(page_views) FROM shop_day_rollup"
                     " WHERE shop_id = 'shop'")[0]
                .as<int64_t>(),
            2);
}

}  // namespace
}  // namespace shopstream::rollups
