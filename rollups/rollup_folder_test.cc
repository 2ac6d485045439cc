#include "rollups/rollup_folder.h"

#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rollups/rollup_schema.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::rollups {
namespace {

// 2025-10-02 10:30:00 UTC.
constexpr char kAt[] = "2025-10-02 10:30:00+00";

class RollupFolderTest : public ::testing::Test {
 protected:
  // Folds until `events` events are in, summing the rounds. A transaction
  // of another test's database that ends between a round's snapshot and
  // its look at pg_stat_activity cannot be told from this database's, so
  // it holds that round's bound back: by design, and common under
  // parallel tests.
  FoldResult FoldAtLeast(RollupFolder& folder, int64_t events) {
    FoldResult total;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      absl::StatusOr<FoldResult> step = folder.FoldOnce();
      EXPECT_TRUE(step.ok()) << step.status();
      if (!step.ok()) return total;
      total.leader = total.leader || step->leader;
      total.events += step->events;
      total.shops_set_aside += step->shops_set_aside;
      if (total.events >= events || absl::Now() >= deadline) return total;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("SELECT create_event_partition('2025-10-01 00:00:00+00')");
    tx.commit();
  }

  FolderOptions Options() {
    FolderOptions options;
    options.conninfo = db_.conninfo();
    options.retry_pause = absl::ZeroDuration();
    return options;
  }

  // Appends one event the way the processor does, in transaction `tx`.
  static void Append(pqxx::transaction_base& tx, const std::string& shop,
                     const std::string& id, int type,
                     std::optional<int64_t> cents = std::nullopt,
                     const std::string& product = "p1",
                     const std::string& session = "s1") {
    tx.exec_params0(
        "INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " VALUES ($1, $2, $3)",
        shop, id, kAt);
    tx.exec_params0(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, order_amount_cents, append_xid)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " pg_current_xact_id()::text::bigint)",
        shop, id, type, kAt, product, session, cents);
  }
  void AppendCommitted(const std::string& shop, const std::string& id, int type,
                       std::optional<int64_t> cents = std::nullopt) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    Append(tx, shop, id, type, cents);
    tx.commit();
  }

  int64_t Scalar(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    const pqxx::row row = tx.exec1(sql);
    return row[0].is_null() ? -1 : row[0].as<int64_t>();
  }
  // The shop's page views as its day rollup and its totals hold them.
  int64_t DayViews(const std::string& shop) {
    return Scalar(
        "SELECT coalesce(sum(page_views), 0) FROM shop_day_rollup"
        " WHERE shop_id = '" +
        shop + "'");
  }
  int64_t TotalViews(const std::string& shop) {
    return Scalar(
        "SELECT coalesce(sum(page_views), 0) FROM shop_totals"
        " WHERE shop_id = '" +
        shop + "'");
  }

  TestDatabase db_;
};

TEST_F(RollupFolderTest, FoldsEachCommittedEventOnce) {
  AppendCommitted("shop", "a", 1);
  AppendCommitted("shop", "b", 1);
  AppendCommitted("shop", "c", 3, 1999);
  RollupFolder folder(Options());
  const FoldResult first = FoldAtLeast(folder, 3);
  EXPECT_TRUE(first.leader);
  EXPECT_EQ(first.events, 3);
  absl::StatusOr<FoldResult> again = folder.FoldOnce();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events, 0);

  EXPECT_EQ(DayViews("shop"), 2);
  EXPECT_EQ(TotalViews("shop"), 2);
  EXPECT_EQ(Scalar("SELECT sum(revenue_cents) FROM shop_minute_rollup"), 1999);
  EXPECT_EQ(Scalar("SELECT max_purchase_cents FROM shop_totals"), 1999);
  EXPECT_EQ(Scalar("SELECT sessions FROM shop_totals"), 1);
  EXPECT_EQ(Scalar("SELECT page_views FROM product_totals"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_session_days"), 1);
  EXPECT_EQ(Scalar("SELECT hll_cardinality(sessions)::bigint"
                   " FROM shop_session_sketches"),
            1);
  EXPECT_EQ(Scalar("SELECT page_views FROM product_week_rollup"), 2);
}

TEST_F(RollupFolderTest, ADaySketchMergesTheSessionsOfEveryFold) {
  RollupFolder folder(Options());
  auto append_and_fold = [&](const std::string& id,
                             const std::string& session) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    Append(tx, "shop", id, 1, std::nullopt, "p1", session);
    tx.commit();
    EXPECT_EQ(FoldAtLeast(folder, 1).events, 1);
  };
  const std::string sketch =
      "SELECT hll_cardinality(sessions)::bigint FROM shop_session_sketches";
  append_and_fold("a", "s1");
  append_and_fold("b", "s2");
  EXPECT_EQ(Scalar(sketch), 2);
  // A session already in the day's sketch adds nothing.
  append_and_fold("c", "s1");
  EXPECT_EQ(Scalar(sketch), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_session_sketches"), 1);
}

TEST_F(RollupFolderTest, EachDimensionWithAValueGetsARow) {
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, order_amount_cents, page, referrer_host,"
        " utm_source, utm_medium, utm_campaign, device_class, browser, os,"
        " append_xid) VALUES"
        " ('shop', 'a', 1, '2025-10-02 10:30:00+00', 'p1', 's1', NULL,"
        " '/shoe', 'news.example', 'mail', 'email', 'fall', 'mobile',"
        " 'Firefox', 'Android', pg_current_xact_id()::text::bigint),"
        " ('shop', 'b', 3, '2025-10-02 11:10:00+00', NULL, 's2', 700,"
        " '/shoe', '', NULL, NULL, NULL, 'mobile', NULL, NULL,"
        " pg_current_xact_id()::text::bigint),"
        " ('shop', 'c', 4, '2025-10-02 11:20:00+00', NULL, NULL, NULL,"
        " '/shoe', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
        " pg_current_xact_id()::text::bigint)");
    tx.commit();
  }
  RollupFolder folder(Options());
  EXPECT_EQ(FoldAtLeast(folder, 3).events, 3);
  // Ten dimensions of the first event, event_type, page and device of the
  // second, event_type and page of the third; the empty referrer is none.
  EXPECT_EQ(Scalar("SELECT count(*) FROM (SELECT DISTINCT dimension, value"
                   " FROM shop_dimension_day_rollup) d"),
            10 + 1 + 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_dimension_day_rollup"
                   " WHERE value = ''"),
            0);
  EXPECT_EQ(Scalar("SELECT page_views * 1000 + purchases * 100"
                   " + custom_events * 10 + revenue_cents::bigint / 700"
                   " FROM shop_dimension_day_rollup WHERE dimension = 'page'"),
            1111);
  EXPECT_EQ(Scalar("SELECT count(*) FROM shop_dimension_hour_rollup"
                   " WHERE dimension = 'page'"),
            2);
  EXPECT_EQ(Scalar("SELECT max_purchase_cents FROM shop_dimension_hour_rollup"
                   " WHERE dimension = 'device_class'"
                   " AND bucket_start = '2025-10-02 11:00:00+00'"),
            700);
  EXPECT_EQ(Scalar("SELECT hll_cardinality(sessions)::bigint"
                   " FROM shop_dimension_day_rollup WHERE dimension = 'page'"),
            2);
  EXPECT_EQ(Scalar("SELECT custom_events FROM shop_dimension_day_rollup"
                   " WHERE dimension = 'event_type' AND value = 'custom'"),
            1);

  // A later fold adds to the same rows.
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " session_id, page, append_xid) VALUES ('shop', 'd', 1,"
        " '2025-10-02 10:40:00+00', 's3', '/shoe',"
        " pg_current_xact_id()::text::bigint)");
    tx.commit();
  }
  EXPECT_EQ(FoldAtLeast(folder, 1).events, 1);
  EXPECT_EQ(Scalar("SELECT page_views FROM shop_dimension_day_rollup"
                   " WHERE dimension = 'page'"),
            2);
  EXPECT_EQ(Scalar("SELECT hll_cardinality(sessions)::bigint"
                   " FROM shop_dimension_day_rollup WHERE dimension = 'page'"),
            3);
}

TEST_F(RollupFolderTest, AnAppendThatCommitsLateIsFoldedNotSkipped) {
  // The first append takes its transaction id, then waits; a second append
  // with a later id commits first.
  pqxx::connection slow_conn(db_.conninfo());
  pqxx::work slow(slow_conn);
  Append(slow, "shop", "slow", 1);
  AppendCommitted("shop", "fast", 1);

  RollupFolder folder(Options());
  absl::StatusOr<FoldResult> early = folder.FoldOnce();
  ASSERT_TRUE(early.ok()) << early.status();
  // The running append holds the watermark below its id: the later one,
  // committed, waits in the tail with it.
  EXPECT_EQ(early->events, 0);
  EXPECT_EQ(DayViews("shop"), 0);

  slow.commit();
  EXPECT_EQ(FoldAtLeast(folder, 2).events, 2);
  EXPECT_EQ(DayViews("shop"), 2);
}

TEST_F(RollupFolderTest, AFailedAppendLeavesNothingToFold) {
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    Append(tx, "shop", "rolled-back", 1);
    tx.abort();
  }
  AppendCommitted("shop", "kept", 1);
  RollupFolder folder(Options());
  EXPECT_EQ(FoldAtLeast(folder, 1).events, 1);
  EXPECT_EQ(DayViews("shop"), 1);
}

TEST_F(RollupFolderTest, OneShopsFailureIsSetAsideWhileOthersAreFolded) {
  // A fault of one shop's data: its day rollup refuses it.
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'poisoned' USING ERRCODE = '22023'; END $$;"
        " CREATE TRIGGER refuse_poison BEFORE INSERT ON shop_day_rollup"
        " FOR EACH ROW WHEN (NEW.shop_id = 'poison')"
        " EXECUTE FUNCTION refuse_poison()");
    tx.commit();
  }
  AppendCommitted("good", "g1", 1);
  AppendCommitted("poison", "p1", 1);
  AppendCommitted("good", "g2", 1);

  RollupFolder folder(Options());
  const FoldResult result = FoldAtLeast(folder, 2);
  EXPECT_EQ(result.events, 2);
  EXPECT_EQ(result.shops_set_aside, 1);
  EXPECT_EQ(DayViews("good"), 2);
  EXPECT_EQ(TotalViews("poison"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM rollup_pending"
                   " WHERE shop_id = 'poison'"),
            1);
  // Later appends of the good shop are folded as usual.
  AppendCommitted("good", "g3", 1);
  EXPECT_EQ(FoldAtLeast(folder, 1).events, 1);
  EXPECT_EQ(DayViews("good"), 3);

  // While it still fails, a retry keeps it aside.
  absl::StatusOr<int> still = folder.RetrySetAside();
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(*still, 0);
  EXPECT_EQ(Scalar("SELECT failures FROM rollup_pending"), 2);

  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("DROP TRIGGER refuse_poison ON shop_day_rollup");
    tx.commit();
  }
  absl::StatusOr<int> retried = folder.RetrySetAside();
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(*retried, 1);
  EXPECT_EQ(DayViews("poison"), 1);
  EXPECT_EQ(TotalViews("poison"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM rollup_pending"), 0);
  // Folded once: another retry or fold adds nothing.
  ASSERT_TRUE(folder.RetrySetAside().ok());
  ASSERT_TRUE(folder.FoldOnce().ok());
  EXPECT_EQ(DayViews("poison"), 1);
  EXPECT_EQ(DayViews("good"), 3);
}

TEST_F(RollupFolderTest, OneFoldRunsAtATime) {
  AppendCommitted("shop", "a", 1);
  // Another folder (or a rebuild) holds the fold lock.
  pqxx::connection other(db_.conninfo());
  {
    pqxx::nontransaction tx(other);
    tx.exec_params("SELECT pg_advisory_lock($1)", kFoldLock);
  }
  RollupFolder folder(Options());
  absl::StatusOr<FoldResult> waiting = folder.FoldOnce();
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_FALSE(waiting->leader);
  EXPECT_EQ(DayViews("shop"), 0);
  {
    pqxx::nontransaction tx(other);
    tx.exec_params("SELECT pg_advisory_unlock($1)", kFoldLock);
  }
  const FoldResult folded = FoldAtLeast(folder, 1);
  EXPECT_TRUE(folded.leader);
  EXPECT_EQ(folded.events, 1);
  // Released after each fold: another folder can take its turn.
  RollupFolder second(Options());
  AppendCommitted("shop", "b", 1);
  const FoldResult next = FoldAtLeast(second, 1);
  EXPECT_TRUE(next.leader);
  EXPECT_EQ(next.events, 1);
  EXPECT_EQ(DayViews("shop"), 2);
}

TEST_F(RollupFolderTest, ABacklogIsFoldedInBoundedSteps) {
  for (int i = 0; i < 5; ++i) AppendCommitted("shop", std::to_string(i), 1);
  FolderOptions options = Options();
  options.max_transactions = 2;
  RollupFolder folder(options);
  // A transaction of a test running beside this one (the server is shared)
  // can hold every fold back for a while: folds that take nothing are
  // tried again, not counted.
  int steps = 0;
  int64_t events = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (events < 5 && absl::Now() < deadline) {
    absl::StatusOr<FoldResult> r = folder.FoldOnce();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LE(r->events, 2);
    if (r->events > 0) ++steps;
    events += r->events;
    if (!r->more) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(events, 5);
  EXPECT_GE(steps, 3);
  EXPECT_EQ(DayViews("shop"), 5);
}

TEST_F(RollupFolderTest, RevenueSumsPastSixtyFourBitsStayExact) {
  // Two purchases at the per-event cap would pass 2^63 cents after about
  // 920,000 of them; a sum already near the limit shows it without them.
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO shop_totals VALUES ('rich', now(), now(), 0, 0, 1,"
        " 9223372036854775000, 1, 1, 0, NULL, 0)");
    tx.commit();
  }
  AppendCommitted("rich", "r1", 3, 1000000);
  RollupFolder folder(Options());
  const FoldResult r = FoldAtLeast(folder, 1);
  EXPECT_EQ(r.events, 1);
  EXPECT_EQ(r.shops_set_aside, 0);
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SELECT revenue_cents::text FROM shop_totals")[0]
                .as<std::string>(),
            "9223372036855775000");
}

}  // namespace
}  // namespace shopstream::rollups
