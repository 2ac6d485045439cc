#include "rollups/rollup_verifier.h"

#include <algorithm>
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

  // Events `first` to `last` of the shop, one committed append: a page view
  // of session "bulk-<n>" each, spread over the day.
  void AppendMany(const std::string& shop, const std::string& day, int first,
                  int last) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    const std::string at =
        "$2::timestamptz + (g % 86400) * interval '1 second'";
    tx.exec_params0(
        "INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " SELECT $1, 'bulk-' || g, " +
            at + " FROM generate_series($3::int, $4::int) g",
        shop, day, first, last);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, append_xid)"
        " SELECT $1, 'bulk-' || g, 1, " +
            at +
            ", 'p1', 'bulk-' || g, pg_current_xact_id()::text::bigint"
            " FROM generate_series($3::int, $4::int) g",
        shop, day, first, last);
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

  // The tables the whole-history check of "shop" finds different.
  std::vector<std::string> DifferingTables() {
    absl::StatusOr<VerifyReport> found =
        verifier_.Verify("shop", std::nullopt, std::nullopt);
    EXPECT_TRUE(found.ok()) << found.status();
    std::vector<std::string> tables;
    if (!found.ok()) return tables;
    for (const TableDifference& d : found->differences) {
      tables.push_back(d.table);
    }
    return tables;
  }

  // Rebuilding "shop" leaves nothing different.
  void ExpectRebuildRepairs() {
    ASSERT_TRUE(verifier_.Rebuild("shop", std::nullopt, std::nullopt).ok());
    EXPECT_THAT(DifferingTables(), ::testing::IsEmpty());
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

TEST_F(RollupVerifierTest, ASketchFoldedPieceByPieceEqualsOneOfTheWholeDay) {
  // 6,000 sessions in five folds: the day's sketch goes from a list of
  // hashes to sparse to full registers on the way, and must still be the
  // very sketch that all of the day's events make at once.
  for (int i = 0; i < 5; ++i) {
    AppendMany("shop", "2025-10-02 00:00:00+00", i * 1200 + 1, (i + 1) * 1200);
    FoldAll();
  }
  absl::StatusOr<VerifyReport> report =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());
}

TEST_F(RollupVerifierTest, FindsAndRepairsADamagedSessionSketch) {
  AppendHistory();
  FoldAll();
  // October 2 gets another shop's sketch; October 8 loses its sketch.
  Exec(
      "UPDATE shop_session_sketches SET sessions = (SELECT sessions"
      " FROM shop_session_sketches WHERE shop_id = 'other')"
      " WHERE shop_id = 'shop' AND day = '2025-10-02';"
      " DELETE FROM shop_session_sketches WHERE shop_id = 'shop'"
      " AND day = '2025-10-08'");
  absl::StatusOr<VerifyReport> found =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->differences.size(), 1);
  EXPECT_EQ(found->differences[0].table, "shop_session_sketches");
  EXPECT_EQ(found->differences[0].missing, 2);
  EXPECT_EQ(found->differences[0].unexpected, 1);
  ASSERT_TRUE(verifier_.Rebuild("shop", std::nullopt, std::nullopt).ok());
  absl::StatusOr<VerifyReport> after =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->ok());
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

TEST_F(RollupVerifierTest, FindsAndRepairsATamperedDimensionRow) {
  AppendHistory();
  FoldAll();
  Exec(
      "UPDATE shop_dimension_day_rollup SET page_views = page_views + 1"
      " WHERE shop_id = 'shop' AND dimension = 'product_id'"
      " AND value = 'p2';"
      " UPDATE shop_dimension_hour_rollup SET custom_events = 3"
      " WHERE shop_id = 'shop' AND dimension = 'event_type'"
      " AND value = 'purchase' AND bucket_start = '2025-11-03 12:00:00+00'");
  EXPECT_THAT(DifferingTables(),
              UnorderedElementsAre("shop_dimension_day_rollup",
                                   "shop_dimension_hour_rollup"));
  ExpectRebuildRepairs();
}

TEST_F(RollupVerifierTest, WeeksAreCheckedAgainstTheirDays) {
  AppendHistory();
  FoldAll();
  // Rows no day holds, in the week of the first event (from 2025-09-29).
  Exec(
      "INSERT INTO shop_dimension_week_rollup VALUES ('shop', 'page',"
      " '/ghost', '2025-09-29 00:00:00+00', 1, 0, 0, 0, 0, NULL, NULL);"
      " INSERT INTO product_dimension_week_rollup VALUES ('shop', 'page',"
      " '/ghost', '2025-09-29 00:00:00+00', 'p1', 1, 0, 0, 0);"
      " UPDATE product_week_rollup SET page_views = 7 WHERE shop_id = 'shop'"
      " AND product_id = 'p2' AND bucket_start = '2025-10-06 00:00:00+00'");
  EXPECT_THAT(DifferingTables(),
              UnorderedElementsAre("shop_dimension_week_rollup",
                                   "product_dimension_week_rollup",
                                   "product_week_rollup"));
  ExpectRebuildRepairs();
}

TEST_F(RollupVerifierTest, FindsADimensionDaysSessionsChanged) {
  AppendHistory();
  FoldAll();
  Exec(
      "UPDATE shop_dimension_day_rollup SET sessions = hll_empty(11, 5, -1, 1)"
      " WHERE shop_id = 'shop' AND dimension = 'product_id'"
      " AND value = 'p1'");
  absl::StatusOr<VerifyReport> found =
      verifier_.Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(found->differences,
              UnorderedElementsAre(
                  Field(&TableDifference::table, "shop_dimension_day_rollup")));
}

TEST(DimensionRollupMigrationTest, FillsDimensionsAsTheFolderWould) {
  // Events stored and folded before the dimension rollups existed, and one
  // in the tail.
  TestDatabase db;
  const std::vector<Migration>& all = EmbeddedMigrations();
  const auto dimensions =
      std::find_if(all.begin(), all.end(), [](const auto& m) {
        return m.name == "0019_create_dimension_rollups.sql";
      });
  ASSERT_NE(dimensions, all.end());
  ASSERT_TRUE(
      SchemaMigrator({all.begin(), dimensions}).Apply(db.conninfo()).ok());
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "SELECT create_event_partition('2025-10-01 00:00:00+00');"
        " INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id, product_id, page, utm_source, browser,"
        " order_amount_cents) SELECT 'shop', 'old-' || g, 1 + g % 4,"
        " '2025-10-02 00:00:00+00'::timestamptz + g * interval '50 seconds',"
        " CASE WHEN g % 5 > 0 THEN 'session-' || (g % 300) END,"
        " 'p' || (g % 7), '/page/' || (g % 3), CASE WHEN g % 2 = 0"
        " THEN 'mail' ELSE '' END, 'Firefox',"
        " CASE WHEN g % 4 = 2 THEN g END FROM generate_series(1, 3000) g");
    tx.commit();
  }
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id, page, append_xid) VALUES ('shop', 'tail', 1,"
        " '2025-10-02 10:00:00+00', 'tail-session', '/tail',"
        " pg_current_xact_id()::text::bigint)");
    tx.commit();
  }
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    auto count = [&tx](const std::string& from_where) {
      return tx.exec1("SELECT count(*) FROM " + from_where)[0].as<int64_t>();
    };
    EXPECT_EQ(count("shop_dimension_day_rollup WHERE value = '/tail'"), 0);
    EXPECT_GT(count("shop_dimension_hour_rollup"), 0);
    EXPECT_GT(count("shop_dimension_week_rollup WHERE dimension = 'page'"), 0);
    EXPECT_GT(count("product_dimension_week_rollup"), 0);
  }
  absl::StatusOr<VerifyReport> report =
      RollupVerifier(db.conninfo()).Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const TableDifference& d : report->differences) {
    EXPECT_NE(d.table, "shop_dimension_hour_rollup");
    EXPECT_NE(d.table, "shop_dimension_day_rollup");
    EXPECT_NE(d.table, "product_dimension_day_rollup");
    EXPECT_NE(d.table, "shop_dimension_week_rollup");
    EXPECT_NE(d.table, "product_dimension_week_rollup");
  }
}

TEST(SessionSketchMigrationTest, FillsSketchesAsTheFolderWould) {
  // Events stored before the sketches existed: folded ones (append_xid
  // NULL, by the writer before folding, or below the watermark) and one in
  // the tail.
  TestDatabase db;
  const std::vector<Migration>& all = EmbeddedMigrations();
  const auto sketches = std::find_if(all.begin(), all.end(), [](const auto& m) {
    return m.name == "0015_create_shop_session_sketches.sql";
  });
  ASSERT_NE(sketches, all.end());
  ASSERT_TRUE(
      SchemaMigrator({all.begin(), sketches}).Apply(db.conninfo()).ok());
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "SELECT create_event_partition('2025-10-01 00:00:00+00');"
        " INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id) SELECT 'shop', 'old-' || g, 1, '2025-10-02 00:00:00+00'"
        "::timestamptz + g * interval '50 seconds', 'session-' || g"
        " FROM generate_series(1, 3000) g;"
        " INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id) VALUES ('other', 'old', 1, '2025-10-02 10:00:00+00',"
        " 'session-1')");
    tx.commit();
  }
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id, append_xid) VALUES ('shop', 'tail', 1,"
        " '2025-10-02 10:00:00+00', 'tail-session',"
        " pg_current_xact_id()::text::bigint)");
    tx.commit();
  }
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  // October 2 and 3 of the shop, October 2 of the other.
  EXPECT_EQ(
      tx.exec1("SELECT count(*) FROM shop_session_sketches")[0].as<int64_t>(),
      3);
  tx.commit();
  // The other rollups were never filled here; the sketches must be exactly
  // what the verifier recomputes with the folder's definition.
  for (const char* shop : {"shop", "other"}) {
    absl::StatusOr<VerifyReport> report =
        RollupVerifier(db.conninfo()).Verify(shop, std::nullopt, std::nullopt);
    ASSERT_TRUE(report.ok()) << report.status();
    for (const TableDifference& d : report->differences) {
      EXPECT_NE(d.table, "shop_session_sketches") << shop;
    }
  }
}

}  // namespace
}  // namespace shopstream::rollups
