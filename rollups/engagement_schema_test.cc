// The session engagement rollups as the folder folds them, checked
// against what the verifier recomputes from raw events.
#include "rollups/engagement_schema.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rollups/rollup_folder.h"
#include "rollups/rollup_schema.h"
#include "rollups/rollup_verifier.h"
#include "rollups/session_eraser.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::rollups {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

class EngagementRollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    Exec("SELECT create_event_partition('2025-10-01 00:00:00+00')");
  }

  void Exec(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }

  // One committed append, as the processor makes it.
  void Append(const std::string& id, int type, const std::string& at,
              const std::string& session) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id, append_xid) VALUES ('shop', $1, $2, $3, $4,"
        " pg_current_xact_id()::text::bigint)",
        id, type, at, session);
    tx.commit();
  }

  // Until nothing is left to fold: a transaction of another test's
  // database can hold a fold's bound back for a round.
  void Fold() {
    RollupFolder folder({.conninfo = db_.conninfo()});
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      absl::StatusOr<FoldResult> r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
      if (!r->more &&
          Scalar(absl::StrCat("SELECT count(*) FROM events e WHERE NOT (",
                              kFoldedCondition, ")")) == 0) {
        return;
      }
      ASSERT_LT(absl::Now(), deadline) << "events left unfolded";
      if (!r->more) absl::SleepFor(absl::Milliseconds(20));
    }
  }

  int64_t Scalar(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    const pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? -1 : row[0].as<int64_t>();
  }
  std::string Text(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    const pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  // The day rollup as "sessions/bounces/duration seconds/page views" per
  // day, days with no session left out.
  std::string Days() {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    std::string out;
    for (const pqxx::row& row :
         tx.exec("SELECT to_char(day, 'MM-DD'), sessions, bounces,"
                 " duration_micros / 1000000, page_views"
                 " FROM shop_engagement_day_rollup WHERE sessions <> 0"
                 " ORDER BY day")) {
      absl::StrAppend(&out, out.empty() ? "" : " ", row[0].c_str(), ":",
                      row[1].c_str(), "/", row[2].c_str(), "/", row[3].c_str(),
                      "/", row[4].c_str());
    }
    return out;
  }

  void ExpectVerified() {
    absl::StatusOr<VerifyReport> report =
        RollupVerifier(db_.conninfo())
            .Verify("shop", std::nullopt, std::nullopt);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok())
        << report->differences.size() << " tables, "
        << (report->differences.empty() ? "" : report->differences[0].table);
  }

  TestDatabase db_;
};

TEST_F(EngagementRollupTest, CountsEachSessionOnItsStartDayWhole) {
  // A bounce; two views ten minutes apart; a view and a cart; a session
  // over midnight, counted on its first day.
  Append("1", 1, "2025-10-02 08:00:00+00", "bounce");
  Append("2", 1, "2025-10-02 09:00:00+00", "two-views");
  Append("3", 1, "2025-10-02 09:10:00+00", "two-views");
  Append("4", 1, "2025-10-02 10:00:00+00", "cart");
  Append("5", 2, "2025-10-02 10:01:00+00", "cart");
  Append("6", 1, "2025-10-02 23:59:00+00", "night");
  Append("7", 1, "2025-10-03 00:01:00+00", "night");
  Fold();
  EXPECT_EQ(Days(), "10-02:4/1/780/6");
  EXPECT_EQ(Scalar("SELECT sum(sessions) FROM shop_session_duration_buckets"),
            4);
  EXPECT_EQ(Scalar("SELECT sessions FROM shop_session_duration_buckets"
                   " WHERE bucket = 0"),
            1);
  ExpectVerified();
}

TEST_F(EngagementRollupTest, ASessionOverTwoFoldsIsMeasuredWhole) {
  Append("1", 1, "2025-10-02 09:00:00+00", "s");
  Fold();
  EXPECT_EQ(Days(), "10-02:1/1/0/1");
  Append("2", 1, "2025-10-02 09:10:00+00", "s");
  Fold();
  // No longer a bounce, and one session still.
  EXPECT_EQ(Days(), "10-02:1/0/600/2");
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_session_duration_buckets"
                   " WHERE sessions <> 0"),
            1);
  const int bucket = static_cast<int>(Scalar(
      "SELECT bucket FROM shop_session_duration_buckets WHERE sessions = 1"));
  EXPECT_LE(DurationBucketLowSeconds(bucket), 600);
  EXPECT_GT(DurationBucketHighSeconds(bucket), 600);
  ExpectVerified();
}

TEST_F(EngagementRollupTest, ALateEarlierEventMovesTheSessionsDay) {
  Append("1", 1, "2025-10-03 00:05:00+00", "s");
  Append("2", 2, "2025-10-03 00:10:00+00", "s");
  Fold();
  EXPECT_EQ(Days(), "10-03:1/0/300/1");
  // It started the evening before, as an event sent late shows.
  Append("0", 1, "2025-10-02 23:55:00+00", "s");
  Fold();
  EXPECT_EQ(Days(), "10-02:1/0/900/2");
  EXPECT_EQ(Text("SELECT started_at::text FROM shop_session_stats"),
            "2025-10-02 23:55:00+00");
  ExpectVerified();
}

TEST_F(EngagementRollupTest, VerifyFindsAndRepairsTamperedRows) {
  Append("1", 1, "2025-10-02 09:00:00+00", "a");
  Append("2", 1, "2025-10-02 09:10:00+00", "a");
  Append("3", 1, "2025-10-02 11:00:00+00", "b");
  Fold();
  ExpectVerified();
  Exec(
      "UPDATE shop_engagement_day_rollup SET bounces = 2;"
      " UPDATE shop_session_stats SET page_views = 5 WHERE session_id = 'b';"
      " DELETE FROM shop_session_duration_buckets WHERE bucket = 0");
  absl::StatusOr<VerifyReport> found =
      RollupVerifier(db_.conninfo()).Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(
      found->differences,
      ElementsAre(
          Field(&TableDifference::table, "shop_session_stats"),
          Field(&TableDifference::table, "shop_engagement_day_rollup"),
          Field(&TableDifference::table, "shop_session_duration_buckets")));
  ASSERT_TRUE(RollupVerifier(db_.conninfo())
                  .Rebuild("shop", std::nullopt, std::nullopt)
                  .ok());
  ExpectVerified();
  EXPECT_EQ(Days(), "10-02:2/1/600/3");
}

TEST_F(EngagementRollupTest, ErasureRecountsTheSessionsDay) {
  Append("1", 1, "2025-10-02 09:00:00+00", "a");
  Append("2", 1, "2025-10-02 09:10:00+00", "a");
  Append("3", 1, "2025-10-02 11:00:00+00", "b");
  Fold();
  ASSERT_TRUE(SessionEraser(db_.conninfo()).Erase("shop", "a").ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_session_stats"
                   " WHERE session_id = 'a'"),
            0);
  EXPECT_EQ(Days(), "10-02:1/1/0/1");
  ExpectVerified();
}

TEST(EngagementMigrationTest, FillsEngagementAsTheFolderWould) {
  TestDatabase db;
  const std::vector<Migration>& all = EmbeddedMigrations();
  const auto engagement =
      std::find_if(all.begin(), all.end(), [](const auto& m) {
        return m.name == "0020_create_session_engagement.sql";
      });
  ASSERT_NE(engagement, all.end());
  ASSERT_TRUE(
      SchemaMigrator({all.begin(), engagement}).Apply(db.conninfo()).ok());
  {
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    // Sessions of one to nine events, some across midnight, durations from
    // none to hours.
    tx.exec(
        "SELECT create_event_partition('2025-10-01 00:00:00+00');"
        " INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id) SELECT 'shop', 'old-' || g,"
        " 1 + (g % 7 = 0)::int + 2 * (g % 11 = 0)::int,"
        " '2025-10-02 20:00:00+00'::timestamptz"
        " + (g % 400) * interval '17 seconds'"
        " + (g / 400) * (g % 400) * interval '3 seconds',"
        " CASE WHEN g % 13 > 0 THEN 'session-' || (g % 400) END"
        " FROM generate_series(1, 3600) g");
    tx.commit();
  }
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  absl::StatusOr<VerifyReport> report =
      RollupVerifier(db.conninfo()).Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const TableDifference& d : report->differences) {
    EXPECT_NE(d.table, "shop_session_stats");
    EXPECT_NE(d.table, "shop_engagement_day_rollup");
    EXPECT_NE(d.table, "shop_session_duration_buckets");
  }
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT sum(sessions) FROM shop_engagement_day_rollup")[0]
                .as<int64_t>(),
            400);
}

}  // namespace
}  // namespace shopstream::rollups
