#include "rollups/session_eraser.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rollups/rollup_folder.h"
#include "rollups/rollup_schema.h"
#include "rollups/rollup_verifier.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::rollups {
namespace {

using ::testing::HasSubstr;

class SessionEraserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    Exec("SELECT create_event_partition('2025-10-01 00:00:00+00')");
    // Two sessions; "visitor" has the shop's first event, a purchase and
    // the only views of p2.
    Append("1", 1, "2025-10-02 08:00:00+00", "p2", "visitor");
    Append("2", 3, "2025-10-02 08:05:00+00", "p2", "visitor", 5000);
    Append("3", 1, "2025-10-03 09:00:00+00", "p1", "other");
    Append("4", 1, "2025-10-03 09:01:00+00", "p1", "other");
    Append("5", 3, "2025-10-03 09:02:00+00", "p1", "other", 1000);
    Fold();
  }

  void Exec(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }
  void Append(const std::string& id, int type, const std::string& at,
              const std::string& product, const std::string& session,
              std::optional<int64_t> cents = std::nullopt) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec_params0(
        "INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " VALUES ('shop', $1, $2)",
        id, at);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, order_amount_cents, append_xid)"
        " VALUES ('shop', $1, $2, $3, $4, $5, $6,"
        " pg_current_xact_id()::text::bigint)",
        id, type, at, product, session, cents);
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
                            kFoldedCondition, ")"))[0]
        .as<int64_t>();
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

  TestDatabase db_;
};

TEST_F(SessionEraserTest, ErasesTheSessionAndRecountsWhatItTouched) {
  absl::StatusOr<ErasedSession> erased =
      SessionEraser(db_.conninfo()).Erase("shop", "visitor");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->events, 2);
  EXPECT_GT(erased->tables_rebuilt, 0);

  // Nothing names the session any more.
  EXPECT_EQ(Scalar("SELECT count(*) FROM events WHERE session_id = 'visitor'"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_sessions"
                   " WHERE session_id = 'visitor'"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_session_days"
                   " WHERE session_id = 'visitor'"),
            0);
  // The rollups count the other session alone.
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_totals"), 2);
  EXPECT_EQ(Scalar("SELECT purchases FROM shop_totals"), 1);
  EXPECT_EQ(Scalar("SELECT revenue_cents::bigint FROM shop_totals"), 1000);
  EXPECT_EQ(Scalar("SELECT max_purchase_cents FROM shop_totals"), 1000);
  EXPECT_EQ(Scalar("SELECT sessions FROM shop_totals"), 1);
  EXPECT_EQ(Text("SELECT top_product_id FROM shop_totals"), "p1");
  EXPECT_EQ(Text("SELECT first_event_at::text FROM shop_totals"),
            "2025-10-03 09:00:00+00");
  EXPECT_EQ(Scalar("SELECT coalesce(sum(page_views), 0) FROM shop_day_rollup"
                   " WHERE bucket_start = '2025-10-02'"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM product_totals"
                   " WHERE product_id = 'p2' AND page_views > 0"),
            0);
  // The session's dimension rows are gone with its day's recount.
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_dimension_day_rollup"
                   " WHERE dimension = 'product_id' AND value = 'p2'"),
            0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_dimension_hour_rollup"
                   " WHERE bucket_start < '2025-10-03'"),
            0);
  EXPECT_EQ(Scalar("SELECT hll_cardinality(sessions)::bigint"
                   " FROM shop_dimension_day_rollup"
                   " WHERE dimension = 'product_id' AND value = 'p1'"),
            1);
  // And the verifier agrees with the raw events that remain.
  absl::StatusOr<VerifyReport> report =
      RollupVerifier(db_.conninfo()).Verify("shop", std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());

  // A retried copy of an erased event stays out: its key is still claimed.
  EXPECT_EQ(Scalar("SELECT count(*) FROM event_keys WHERE event_id = '1'"), 1);
}

TEST_F(SessionEraserTest, EventsNotFoldedYetGoToo) {
  Append("6", 1, "2025-10-04 10:00:00+00", "p3", "late");
  absl::StatusOr<ErasedSession> erased =
      SessionEraser(db_.conninfo()).Erase("shop", "late");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->events, 1);
  Fold();
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_totals"), 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM product_totals"
                   " WHERE product_id = 'p3'"),
            0);
}

TEST_F(SessionEraserTest, AnUnknownSessionChangesNothing) {
  absl::StatusOr<ErasedSession> erased =
      SessionEraser(db_.conninfo()).Erase("shop", "nobody");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->events, 0);
  EXPECT_EQ(Scalar("SELECT sessions FROM shop_totals"), 2);
  EXPECT_THAT(
      SessionEraser(db_.conninfo()).Erase("shop", "").status().message(),
      HasSubstr("session: required"));
}

}  // namespace
}  // namespace shopstream::rollups
